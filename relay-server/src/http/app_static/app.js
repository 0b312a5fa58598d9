// The customer's mini app (docs/miniapp.md): their requests, a new
// request, the knowledge base and their settings, over /app/api with
// Telegram's launch data. Plain JavaScript, no build step; every text the
// customer reads is in their language; nothing they or the desk wrote is
// ever put into the page as HTML.
(function () {
  "use strict";
  var WA = (window.Telegram && window.Telegram.WebApp) || null;
  var $ = function (id) { return document.getElementById(id); };

  // ---- texts -------------------------------------------------------------
  var TEXTS = {
    en: {
      notifications: "Notifications", notify_all: "Everything: replies, status changes, follow-ups",
      notify_essential: "Only replies and the resolution", quiet: "Quiet hours",
      quiet_on: "Hold what is not urgent until morning", quiet_from: "From", quiet_to: "Until",
      quiet_hint: "In your time zone. An engineer's reply always comes at once.",
      requests: "My requests", new_request: "New request", help: "Help", settings: "Settings", back: "Back",
      skip: "Skip to content", sections: "Sections", loading: "Loading…",
      all: "All", open: "Open", done: "Resolved", filter: "Show",
      none: "No requests yet. Tell us what happened: New request.", none_here: "Nothing here.",
      ticket: "Request #{n}", eta: "Reply expected {eta}", waiting: "Waiting for a reply for {d}",
      me: "You", support: "Support", bot: "Bot", file: "File",
      your_message: "Your message", send: "Send", attach: "Attach a file (optional)",
      rate: "How did we do?", star: "{n} of 5", rated: "Thank you for the rating!", your_rating: "Your rating: {n} of 5",
      sent: "Sent", closed: "This request is closed. If you still need help, start a new request.",
      reopens: "Writing here reopens this request.",
      topic: "Topic", describe: "Describe the problem", describe_hint: "What happened, and what did you expect?",
      count: "{n} of {max} characters", screenshot: "Screenshot (optional)",
      screenshot_hint: "An image, PDF or text file, up to {mb} MB.", agree: "I agree",
      need_topic: "Choose a topic.", need_answer: "Please answer this question.", need_text: "Describe the problem.",
      need_consent: "Please agree to continue.", too_long: "Too long: at most {max} characters.",
      too_big: "The file is too big: at most {mb} MB.", send_request: "Send request",
      filed: "Request #{n} is filed", joined: "Added to your open request #{n}",
      open_exists: "You have an open request #{n}: what you send here is added to it.",
      search: "Search the help articles", popular: "Popular solutions", results: "Found",
      no_articles: "Nothing found. Write to us instead.", helped: "Did this help?", yes: "Yes", no: "No",
      glad: "Glad it helped!", ask_us: "Write to support",
      language: "Language", timezone: "Time zone", tz_hint: "Times are shown in this zone. It is {time} there now.",
      save: "Save", saved: "Saved", privacy: "Privacy",
      export: "Export my data", export_hint: "A file with everything we keep about you, sent to your chat with the bot.",
      export_done: "The export is on its way to your chat with the bot.",
      erase: "Erase my data", erase_warn: "This deletes your requests, messages and files from our desk for good. It cannot be undone.",
      erase_yes: "Yes, erase everything", cancel: "Cancel", erased: "Your data is erased. Thank you for being with us.",
      reopen_app: "Please open this app again from the bot: the sign-in from Telegram expired.",
      outside: "Open this app from the support bot in Telegram.",
      failed: "Something went wrong: {e}", offline: "No connection. Trying again…", stars_label: "Rating",
      company: "Company", in_group: "In the group {g}",
      shared_note: "Your company shares this request with you: it was opened in the group «{g}». To add to it, write in the group."
    },
    uk: {
      notifications: "Сповіщення", notify_all: "Усе: відповіді, зміни статусу, уточнення згодом",
      notify_essential: "Лише відповіді та вирішення", quiet: "Тихі години",
      quiet_on: "Притримувати нетермінове до ранку", quiet_from: "З", quiet_to: "До",
      quiet_hint: "У вашому часовому поясі. Відповідь інженера завжди надходить одразу.",
      requests: "Мої звернення", new_request: "Нове звернення", help: "Довідка", settings: "Налаштування", back: "Назад",
      skip: "Перейти до вмісту", sections: "Розділи", loading: "Завантаження…",
      all: "Усі", open: "Відкриті", done: "Вирішені", filter: "Показати",
      none: "Звернень ще немає. Розкажіть, що сталося: Нове звернення.", none_here: "Тут нічого немає.",
      ticket: "Звернення #{n}", eta: "Відповідь очікується {eta}", waiting: "Чекаєте на відповідь {d}",
      me: "Ви", support: "Підтримка", bot: "Бот", file: "Файл",
      your_message: "Ваше повідомлення", send: "Надіслати", attach: "Прикріпити файл (необов'язково)",
      rate: "Як ми впоралися?", star: "{n} з 5", rated: "Дякуємо за оцінку!", your_rating: "Ваша оцінка: {n} з 5",
      sent: "Надіслано", closed: "Це звернення закрите. Якщо потрібна допомога, створіть нове.",
      reopens: "Повідомлення тут знову відкриє це звернення.",
      topic: "Тема", describe: "Опишіть проблему", describe_hint: "Що сталося і чого ви очікували?",
      count: "{n} з {max} символів", screenshot: "Знімок екрана (необов'язково)",
      screenshot_hint: "Зображення, PDF або текстовий файл, до {mb} МБ.", agree: "Я погоджуюся",
      need_topic: "Оберіть тему.", need_answer: "Дайте відповідь на це питання.", need_text: "Опишіть проблему.",
      need_consent: "Погодьтеся, щоб продовжити.", too_long: "Задовго: щонайбільше {max} символів.",
      too_big: "Файл завеликий: щонайбільше {mb} МБ.", send_request: "Надіслати звернення",
      filed: "Звернення #{n} створено", joined: "Додано до вашого відкритого звернення #{n}",
      open_exists: "У вас є відкрите звернення #{n}: те, що ви надішлете тут, буде додано до нього.",
      search: "Пошук у довідці", popular: "Популярні рішення", results: "Знайдено",
      no_articles: "Нічого не знайдено. Напишіть нам.", helped: "Це допомогло?", yes: "Так", no: "Ні",
      glad: "Раді, що допомогло!", ask_us: "Написати в підтримку",
      language: "Мова", timezone: "Часовий пояс", tz_hint: "Час показується в цьому поясі. Зараз там {time}.",
      save: "Зберегти", saved: "Збережено", privacy: "Приватність",
      export: "Експортувати мої дані", export_hint: "Файл з усім, що ми про вас зберігаємо, надійде в чат з ботом.",
      export_done: "Експорт уже надсилається у ваш чат з ботом.",
      erase: "Видалити мої дані", erase_warn: "Це назавжди видалить ваші звернення, повідомлення й файли. Скасувати це неможливо.",
      erase_yes: "Так, видалити все", cancel: "Скасувати", erased: "Ваші дані видалено. Дякуємо, що були з нами.",
      reopen_app: "Відкрийте застосунок знову з бота: вхід через Telegram застарів.",
      outside: "Відкрийте цей застосунок з бота підтримки в Telegram.",
      failed: "Щось пішло не так: {e}", offline: "Немає з'єднання. Пробуємо ще раз…", stars_label: "Оцінка",
      company: "Компанія", in_group: "У групі {g}",
      shared_note: "Цим зверненням з вами ділиться ваша компанія: його відкрито в групі «{g}». Щоб щось додати, напишіть у групі."
    },
    ru: {
      notifications: "Уведомления", notify_all: "Всё: ответы, смена статуса, вопросы после решения",
      notify_essential: "Только ответы и решение", quiet: "Тихие часы",
      quiet_on: "Придерживать несрочное до утра", quiet_from: "С", quiet_to: "До",
      quiet_hint: "В вашем часовом поясе. Ответ инженера всегда приходит сразу.",
      requests: "Мои обращения", new_request: "Новое обращение", help: "Справка", settings: "Настройки", back: "Назад",
      skip: "Перейти к содержимому", sections: "Разделы", loading: "Загрузка…",
      all: "Все", open: "Открытые", done: "Решённые", filter: "Показать",
      none: "Обращений пока нет. Расскажите, что случилось: Новое обращение.", none_here: "Здесь ничего нет.",
      ticket: "Обращение #{n}", eta: "Ответ ожидается {eta}", waiting: "Ждёте ответа {d}",
      me: "Вы", support: "Поддержка", bot: "Бот", file: "Файл",
      your_message: "Ваше сообщение", send: "Отправить", attach: "Прикрепить файл (необязательно)",
      rate: "Как мы справились?", star: "{n} из 5", rated: "Спасибо за оценку!", your_rating: "Ваша оценка: {n} из 5",
      sent: "Отправлено", closed: "Это обращение закрыто. Если нужна помощь, создайте новое.",
      reopens: "Сообщение здесь снова откроет это обращение.",
      topic: "Тема", describe: "Опишите проблему", describe_hint: "Что случилось и чего вы ожидали?",
      count: "{n} из {max} символов", screenshot: "Скриншот (необязательно)",
      screenshot_hint: "Изображение, PDF или текстовый файл, до {mb} МБ.", agree: "Я согласен(на)",
      need_topic: "Выберите тему.", need_answer: "Ответьте на этот вопрос.", need_text: "Опишите проблему.",
      need_consent: "Согласитесь, чтобы продолжить.", too_long: "Слишком длинно: не больше {max} символов.",
      too_big: "Файл слишком большой: не больше {mb} МБ.", send_request: "Отправить обращение",
      filed: "Обращение #{n} создано", joined: "Добавлено в ваше открытое обращение #{n}",
      open_exists: "У вас есть открытое обращение #{n}: то, что вы отправите здесь, будет добавлено в него.",
      search: "Поиск по справке", popular: "Популярные решения", results: "Найдено",
      no_articles: "Ничего не найдено. Напишите нам.", helped: "Это помогло?", yes: "Да", no: "Нет",
      glad: "Рады, что помогло!", ask_us: "Написать в поддержку",
      language: "Язык", timezone: "Часовой пояс", tz_hint: "Время показывается в этом поясе. Сейчас там {time}.",
      save: "Сохранить", saved: "Сохранено", privacy: "Конфиденциальность",
      export: "Выгрузить мои данные", export_hint: "Файл со всем, что мы о вас храним, придёт в чат с ботом.",
      export_done: "Выгрузка уже отправляется в ваш чат с ботом.",
      erase: "Удалить мои данные", erase_warn: "Это навсегда удалит ваши обращения, сообщения и файлы. Отменить это нельзя.",
      erase_yes: "Да, удалить всё", cancel: "Отмена", erased: "Ваши данные удалены. Спасибо, что были с нами.",
      reopen_app: "Откройте приложение снова из бота: вход через Telegram устарел.",
      outside: "Откройте это приложение из бота поддержки в Telegram.",
      failed: "Что-то пошло не так: {e}", offline: "Нет соединения. Пробуем ещё раз…", stars_label: "Оценка",
      company: "Компания", in_group: "В группе {g}",
      shared_note: "Этим обращением с вами делится ваша компания: оно открыто в группе «{g}». Чтобы что-то добавить, напишите в группе."
    },
    zh: {
      notifications: "通知", notify_all: "全部：回复、状态变化、后续回访",
      notify_essential: "仅回复和解决通知", quiet: "免打扰时段",
      quiet_on: "非紧急消息留到早上再发", quiet_from: "从", quiet_to: "到",
      quiet_hint: "按您的时区。工程师的回复总是立即送达。",
      requests: "我的请求", new_request: "新请求", help: "帮助", settings: "设置", back: "返回",
      skip: "跳到内容", sections: "栏目", loading: "加载中…",
      all: "全部", open: "进行中", done: "已解决", filter: "显示",
      none: "还没有请求。告诉我们发生了什么：新请求。", none_here: "这里什么也没有。",
      ticket: "请求 #{n}", eta: "预计回复时间：{eta}", waiting: "已等待回复 {d}",
      me: "您", support: "客服", bot: "机器人", file: "文件",
      your_message: "您的消息", send: "发送", attach: "附加文件（可选）",
      rate: "我们做得怎么样？", star: "{n} 星（满分 5 星）", rated: "感谢您的评价！", your_rating: "您的评价：{n} 星（满分 5 星）",
      sent: "已发送", closed: "此请求已关闭。如仍需帮助，请提交新请求。",
      reopens: "在这里发送消息会重新打开此请求。",
      topic: "主题", describe: "描述问题", describe_hint: "发生了什么？您期望的结果是什么？",
      count: "{n} / {max} 个字符", screenshot: "截图（可选）",
      screenshot_hint: "图片、PDF 或文本文件，最大 {mb} MB。", agree: "我同意",
      need_topic: "请选择主题。", need_answer: "请回答这个问题。", need_text: "请描述问题。",
      need_consent: "请同意后继续。", too_long: "太长了：最多 {max} 个字符。",
      too_big: "文件太大：最大 {mb} MB。", send_request: "提交请求",
      filed: "请求 #{n} 已提交", joined: "已添加到您进行中的请求 #{n}",
      open_exists: "您有一个进行中的请求 #{n}：在这里发送的内容会添加到其中。",
      search: "搜索帮助文章", popular: "热门解决方案", results: "搜索结果",
      no_articles: "没有找到。请直接联系我们。", helped: "这有帮助吗？", yes: "是", no: "否",
      glad: "很高兴能帮到您！", ask_us: "联系客服",
      language: "语言", timezone: "时区", tz_hint: "时间按此时区显示。那里现在是 {time}。",
      save: "保存", saved: "已保存", privacy: "隐私",
      export: "导出我的数据", export_hint: "包含我们保存的您的全部数据的文件，将发送到您与机器人的聊天中。",
      export_done: "导出文件正在发送到您与机器人的聊天中。",
      erase: "删除我的数据", erase_warn: "这将永久删除您的请求、消息和文件，且无法撤销。",
      erase_yes: "是的，全部删除", cancel: "取消", erased: "您的数据已删除。感谢您的陪伴。",
      reopen_app: "请从机器人重新打开此应用：Telegram 登录已过期。",
      outside: "请从 Telegram 中的客服机器人打开此应用。",
      failed: "出错了：{e}", offline: "没有网络连接，正在重试…", stars_label: "评分",
      company: "公司", in_group: "群组：{g}",
      shared_note: "此请求由您的公司与您共享，它是在群组「{g}」中提出的。如需补充，请在该群组中留言。"
    }
  };
  var LANGS = [["en", "English"], ["uk", "Українська"], ["ru", "Русский"], ["zh", "中文"]];
  var lang = "en";
  function pick(code) {
    code = String(code || "").toLowerCase();
    if (code.indexOf("uk") === 0) return "uk";
    if (code.indexOf("ru") === 0 || code.indexOf("be") === 0) return "ru";
    if (code.indexOf("zh") === 0) return "zh";
    return "en";
  }
  function t(key, args) {
    var s = (TEXTS[lang] && TEXTS[lang][key]) || TEXTS.en[key] || key;
    Object.keys(args || {}).forEach(function (k) { s = s.split("{" + k + "}").join(String(args[k])); });
    return s;
  }

  // ---- launch data -------------------------------------------------------
  var initData = (WA && WA.initData) || new URLSearchParams(location.hash.slice(1)).get("tgWebAppData") || "";
  var user = (WA && WA.initDataUnsafe && WA.initDataUnsafe.user) || {};
  lang = pick(user.language_code);

  // ---- colours with enough contrast ---------------------------------------
  function rgb(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(String(hex || "").trim());
    if (!m) return null;
    var n = parseInt(m[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  function lum(c) {
    var a = c.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
  }
  function ratio(a, b) { var x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
  function hex(c) { return "#" + c.map(function (v) { return ("0" + Math.round(v).toString(16)).slice(-2); }).join(""); }
  // Moves `c` toward black or white (whichever is away from `against`)
  // until it reads against `against` at `min`:1.
  function readable(c, against, min) {
    var to = lum(against) > 0.4 ? [0, 0, 0] : [255, 255, 255];
    for (var i = 0; i < 20 && ratio(c, against) < min; i++) {
      c = c.map(function (v, k) { return v + (to[k] - v) * 0.12; });
    }
    return c;
  }
  function colours() {
    var p = (WA && WA.themeParams) || {};
    var bg = rgb(p.bg_color) || [255, 255, 255];
    var section = rgb(p.section_bg_color) || bg;
    var text = rgb(p.text_color) || (lum(bg) > 0.4 ? [0, 0, 0] : [255, 255, 255]);
    var hint = rgb(p.hint_color) || [128, 128, 128];
    var link = rgb(p.link_color) || [36, 129, 204];
    var btn = rgb(p.button_color) || link;
    var btnText = rgb(p.button_text_color) || [255, 255, 255];
    var darkest = lum(bg) > 0.4 ? (lum(section) < lum(bg) ? section : bg) : (lum(section) > lum(bg) ? section : bg);
    var s = document.documentElement.style;
    s.setProperty("--muted", hex(readable(hint, darkest, 4.6)));
    s.setProperty("--accent", hex(readable(link, darkest, 4.6)));
    // The button darkens (or lightens) until its text reads on it.
    var to = lum(btnText) > 0.4 ? [0, 0, 0] : [255, 255, 255];
    for (var i = 0; i < 20 && ratio(btn, btnText) < 4.6; i++) btn = btn.map(function (v, k) { return v + (to[k] - v) * 0.12; });
    s.setProperty("--btn", hex(btn));
    s.setProperty("--btn-text", hex(btnText));
    var danger = readable(rgb(p.destructive_text_color) || [179, 38, 30], [255, 255, 255], 4.6);
    s.setProperty("--danger", hex(readable(danger, darkest, 4.6)));
  }

  // ---- the page's pieces ---------------------------------------------------
  // h("p", {class: "x"}, "text", child...): an element; text stays text.
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else el.setAttribute(k, v === true ? "" : v);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      [].concat(c).forEach(function (x) {
        if (x === null || x === undefined || x === false) return;
        el.appendChild(typeof x === "object" ? x : document.createTextNode(String(x)));
      });
    }
    return el;
  }
  function haptic(kind) {
    try {
      var hf = WA && WA.HapticFeedback;
      if (!hf) return;
      if (kind === "tap") hf.selectionChanged();
      else hf.notificationOccurred(kind);
    } catch (e) { /* older clients */ }
  }
  var toastTimer = 0;
  function toast(text) {
    var el = $("toast");
    el.textContent = text;
    el.className = "toast shown";
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.className = "toast"; el.textContent = ""; }, 4000);
  }

  // ---- times, in the customer's zone and language -------------------------
  var zone;
  function when(ms) {
    try {
      return new Intl.DateTimeFormat(lang === "zh" ? "zh-CN" : lang, { timeZone: zone, dateStyle: "medium", timeStyle: "short" }).format(new Date(ms));
    } catch (e) { return new Date(ms).toLocaleString(); }
  }
  function span(ms) {
    var min = Math.max(1, Math.round(ms / 60000));
    var unit = function (n, u) {
      try { return new Intl.NumberFormat(lang, { style: "unit", unit: u, unitDisplay: "long" }).format(n); } catch (e) { return n + " " + u; }
    };
    if (min < 60) return unit(min, "minute");
    if (min < 48 * 60) return unit(Math.floor(min / 60), "hour") + (min % 60 ? " " + unit(min % 60, "minute") : "");
    return unit(Math.floor(min / 1440), "day");
  }

  // ---- the API -------------------------------------------------------------
  function Failure(status, message) { this.status = status; this.message = message; }
  function api(method, path, body) {
    var opts = { method: method, headers: { Authorization: "tma " + initData } };
    if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    return fetch("api" + path, opts).then(function (r) {
      return r.text().then(function (txt) {
        var data = null;
        try { data = txt ? JSON.parse(txt) : null; } catch (e) { data = null; }
        if (r.status === 401) { expired(); throw new Failure(401, t("reopen_app")); }
        if (!r.ok) throw new Failure(r.status, (data && data.error) || r.statusText);
        return data;
      });
    }, function () { throw new Failure(0, t("offline")); });
  }
  function failed(e) {
    haptic("error");
    toast(t("failed", { e: (e && e.message) || String(e) }));
  }

  // ---- state and navigation ----------------------------------------------
  var state = { view: "list", stack: [], filter: "all", tickets: null, thread: null, form: null,
    draft: { topic: null, answers: {}, text: "", consent: false }, settings: null, articles: null,
    search: "", article: null, erasing: false };
  var mainHandler = null;
  function setMain(text, handler) {
    if (!WA || !WA.MainButton) return;
    if (mainHandler) WA.MainButton.offClick(mainHandler);
    mainHandler = handler;
    if (!handler) { WA.MainButton.hide(); return; }
    WA.MainButton.setText(text);
    WA.MainButton.onClick(handler);
    WA.MainButton.enable();
    WA.MainButton.show();
  }
  function busy(on) {
    if (!WA || !WA.MainButton) return;
    if (on) { WA.MainButton.showProgress(); WA.MainButton.disable(); } else { WA.MainButton.hideProgress(); WA.MainButton.enable(); }
  }
  function go(view, push) {
    if (push !== false) state.stack.push(state.view);
    state.view = view;
    render(true);
  }
  function back() {
    if (!state.stack.length) return;
    state.view = state.stack.pop();
    haptic("tap");
    render(true);
    load();
  }
  function tab(view) {
    state.stack = [];
    state.view = view;
    state.erasing = false;
    haptic("tap");
    render(true);
    load();
  }

  function expired() {
    state.view = "expired";
    render(true);
  }

  // ---- loading ---------------------------------------------------------------
  function load() {
    switch (state.view) {
      case "list": return api("GET", "/tickets").then(function (d) {
        state.tickets = d;
        render();
        usable();
      }, failed);
      case "ticket": return state.thread && openTicket(state.thread.ticket.id, false);
      case "new": return api("GET", "/form").then(function (d) { state.form = d; render(); }, failed);
      case "kb": return searchArticles(state.search);
      case "settings": return api("GET", "/settings").then(function (d) { state.settings = d; render(); }, failed);
    }
  }
  // The first screen is usable (measured in docs/benchmarks.md).
  function usable() {
    if (window.performance && performance.mark && !performance.getEntriesByName("app-usable").length) performance.mark("app-usable");
  }
  function openTicket(id, push) {
    return api("GET", "/tickets/" + id).then(function (d) {
      state.thread = d;
      if (push) go("ticket"); else render();
    }, failed);
  }
  var searchSeq = 0;
  function searchArticles(q) {
    var seq = ++searchSeq;
    return api("GET", "/articles?q=" + encodeURIComponent(q)).then(function (d) {
      if (seq !== searchSeq) return;
      state.articles = d;
      render();
    }, failed);
  }

  // ---- screens -------------------------------------------------------------
  function titleOf() {
    switch (state.view) {
      case "ticket": return state.thread ? t("ticket", { n: state.thread.ticket.number }) : t("requests");
      case "new": return t("new_request");
      case "kb": return t("help");
      case "article": return state.article ? state.article.title : t("help");
      case "settings": return t("settings");
      default: return t("requests");
    }
  }
  function render(moved) {
    document.documentElement.lang = lang;
    var title = titleOf();
    $("title").textContent = title;
    document.title = title;
    $("back-label").textContent = t("back");
    document.querySelector(".skip").textContent = t("skip");
    $("tabs").setAttribute("aria-label", t("sections"));
    var top = { list: "list", ticket: "list", new: "new", kb: "kb", article: "kb", settings: "settings" }[state.view];
    [].forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      var key = { list: "requests", new: "new_request", kb: "help", settings: "settings" }[b.dataset.tab];
      b.textContent = t(key);
      if (b.dataset.tab === top) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
    });
    if (WA && WA.BackButton) { if (state.stack.length) WA.BackButton.show(); else WA.BackButton.hide(); }
    var main = $("main");
    var screen = ({ list: listScreen, ticket: ticketScreen, new: newScreen, kb: kbScreen, article: articleScreen,
      settings: settingsScreen, expired: expiredScreen })[state.view]();
    // Keep what the customer is typing and where the focus is.
    var focused = document.activeElement && document.activeElement.id;
    main.replaceChildren(screen);
    if (moved) { $("title").setAttribute("tabindex", "-1"); $("title").focus({ preventScroll: true }); window.scrollTo(0, 0); }
    else if (focused && $(focused) && main.contains($(focused))) {
      var el = $(focused); el.focus({ preventScroll: true });
      if (el.setSelectionRange && typeof el.value === "string") { try { el.setSelectionRange(el.value.length, el.value.length); } catch (e) {} }
    }
  }
  function loading() { return h("p", { class: "muted", text: t("loading") }); }

  function isOpen(tk) { return ["new", "open", "pending_on_customer"].indexOf(tk.status) >= 0; }
  function statusBadge(tk) {
    var cls = tk.status === "pending_on_customer" ? "badge waiting" : (isOpen(tk) ? "badge open" : "badge");
    return h("span", { class: cls, text: tk.status_text });
  }
  function timing(tk) {
    if (tk.eta) return h("p", { class: "small muted", text: "⏱ " + t("eta", { eta: tk.eta }) });
    if (tk.waiting_since) return h("p", { class: "small muted", text: "⏱ " + t("waiting", { d: span(Date.now() - tk.waiting_since) }) });
    return null;
  }
  function listScreen() {
    setMain(null);
    var all = state.tickets;
    if (!all) return loading();
    var company = all.some(function (tk) { return tk.group; });
    // Sharing switched off while "Company" was chosen: back to all.
    if (state.filter === "company" && !company) state.filter = "all";
    var shown = all.filter(function (tk) {
      if (state.filter === "company") return !!tk.group;
      return state.filter === "all" || (state.filter === "open" ? isOpen(tk) : !isOpen(tk));
    });
    // "Company" only for someone whose company shares its requests.
    var kinds = ["all", "open", "done"].concat(company ? ["company"] : []);
    var filters = h("div", { class: "filters", role: "group", "aria-label": t("filter") },
      kinds.map(function (f) {
        return h("button", { type: "button", class: "chip", "aria-pressed": String(state.filter === f), text: t(f),
          onclick: function () { state.filter = f; haptic("tap"); render(); } });
      }));
    if (!all.length) {
      return h("div", null, h("p", { class: "notice", text: t("none") }),
        h("button", { type: "button", class: "button", text: t("new_request"), onclick: function () { tab("new"); } }));
    }
    return h("div", null, filters,
      shown.length ? h("ul", { class: "list", "aria-label": t("requests") }, shown.map(function (tk) {
        var last = tk.last ? (tk.last.text || (tk.last.files[0] && ("📎 " + (tk.last.files[0].name || t("file")))) || "") : "";
        return h("li", null, h("button", { type: "button", class: "card", "data-ticket": tk.id,
          onclick: function () { haptic("tap"); openTicket(tk.id, true); } },
          h("span", { class: "row" }, h("span", { class: "title", text: "#" + tk.number + " · " + tk.topic }), statusBadge(tk)),
          h("span", { class: "small muted", text: tk.team + " · " + when(tk.updated_at) }),
          tk.group ? h("span", { class: "small muted line", text: "👥 " + t("in_group", { g: tk.group }) }) : null,
          timing(tk),
          last ? h("span", { class: "preview", text: (tk.last.from === "colleague" ? tk.last.name + ": " : "") + last }) : null));
      })) : h("p", { class: "muted", text: t("none_here") }));
  }

  function fileLine(f) {
    var size = f.size ? " (" + Math.max(1, Math.round(f.size / 1024)) + " KB)" : "";
    return h("span", { class: "file", text: "📎 " + (f.name || t("file")) + size });
  }
  function ticketScreen() {
    var th = state.thread;
    if (!th) return loading();
    var tk = th.ticket;
    var parts = [
      h("div", { class: "card" },
        h("span", { class: "row" }, h("span", { class: "title", text: tk.topic }), statusBadge(tk)),
        h("span", { class: "small muted", text: tk.team + " · " + when(tk.created_at) }),
        timing(tk)),
      h("ol", { class: "thread", "aria-label": titleOf() }, th.messages.map(function (m) {
        return h("li", { class: "msg " + m.from },
          h("span", { class: "who", text: m.from === "colleague" ? (m.name || "") : t(m.from) }),
          m.text ? m.text : null,
          m.files.map(fileLine),
          h("time", { datetime: new Date(m.at).toISOString(), text: when(m.at) }));
      }))
    ];
    var resolved = tk.status === "resolved" || tk.status === "closed";
    if (tk.can_rate || tk.csat) {
      // Right under the summary: what a resolved request asks of them.
      parts.splice(1, 0, h("fieldset", { class: "card" }, h("legend", { text: t("rate") }),
        h("div", { class: "stars", role: "group", "aria-label": t("stars_label") }, [1, 2, 3, 4, 5].map(function (n) {
          return h("button", { type: "button", "aria-pressed": String(tk.csat === n), "aria-label": t("star", { n: n }),
            text: n <= (tk.csat || 0) ? "★" : "☆", onclick: function () { rate(tk.id, n); } });
        })),
        tk.csat ? h("p", { class: "small muted", text: t("your_rating", { n: tk.csat }) }) : null));
    }
    if (tk.group) {
      // Their company's: read here, written to in the group.
      setMain(null);
      parts.push(h("p", { class: "notice", text: t("shared_note", { g: tk.group }) }));
    } else if (tk.can_write || resolved) {
      var ta = h("textarea", { id: "reply", maxlength: "4096", oninput: function (e) { state.reply = e.target.value; } });
      ta.value = state.reply || "";
      parts.push(h("label", { for: "reply", text: t("your_message") }), ta,
        resolved ? h("p", { class: "hint", text: t("reopens") }) : null,
        h("label", { for: "reply-file", text: t("attach") }), fileInput("reply-file"));
      setMain(t("send"), sendReply);
    } else {
      setMain(null);
      parts.push(h("p", { class: "notice", text: t("closed") }));
    }
    return h("div", null, parts);
  }
  // File inputs live across renders (a live update must not drop the
  // file the customer chose).
  var fileInputs = {};
  function fileInput(id, describedBy) {
    if (!fileInputs[id]) fileInputs[id] = h("input", { id: id, type: "file", accept: "image/*,application/pdf,text/plain", "aria-describedby": describedBy || null });
    return fileInputs[id];
  }
  function dropFile(id) { delete fileInputs[id]; }
  function readFile(input, max) {
    var f = input && input.files && input.files[0];
    if (!f) return Promise.resolve(null);
    if (f.size > max) return Promise.reject(new Failure(413, t("too_big", { mb: Math.round(max / 1048576) })));
    return new Promise(function (ok, fail) {
      var r = new FileReader();
      r.onload = function () { ok({ name: f.name, data: String(r.result).split(",")[1] || "" }); };
      r.onerror = function () { fail(new Failure(0, String(r.error))); };
      r.readAsDataURL(f);
    });
  }
  var sending = false;
  function sendReply() {
    var text = ($("reply") && $("reply").value) || "";
    var input = $("reply-file");
    if (sending || (!text.trim() && !(input && input.files.length))) { haptic("warning"); if ($("reply")) $("reply").focus(); return; }
    sending = true; busy(true);
    var id = state.thread.ticket.id;
    readFile(input, 5 * 1048576).then(function (file) {
      return api("POST", "/tickets/" + id + "/messages", { text: text, file: file });
    }).then(function () {
      state.reply = "";
      dropFile("reply-file");
      haptic("success");
      toast(t("sent"));
      return openTicket(id, false);
    }, failed).then(function () { sending = false; busy(false); });
  }
  function rate(id, n) {
    api("POST", "/tickets/" + id + "/rating", { stars: n }).then(function () {
      haptic("success");
      toast(t("rated"));
      return openTicket(id, false);
    }, failed);
  }

  // The new-request form.
  function field(id, label, control, hint, error) {
    return h("div", null, h("label", { for: id, text: label }), control,
      hint ? h("p", { class: "hint", id: id + "-hint", text: hint }) : null,
      error ? h("p", { class: "error", id: id + "-error", text: error }) : null);
  }
  function newScreen() {
    var f = state.form;
    if (!f) { setMain(null); return loading(); }
    var d = state.draft, errors = state.errors || {};
    var topic = f.topics.filter(function (x) { return x.key === d.topic; })[0];
    var parts = [];
    if (f.open_ticket) parts.push(h("p", { class: "notice", text: t("open_exists", { n: openNumber(f.open_ticket) }) }));
    if (f.topics.length) {
      parts.push(h("fieldset", { "aria-describedby": errors.topic ? "topic-error" : null },
        h("legend", { text: t("topic") }),
        h("div", { class: "options" }, f.topics.map(function (x) {
          return h("label", { class: "option" }, h("input", { type: "radio", name: "topic", id: "topic-" + x.key, value: x.key,
            checked: d.topic === x.key, onchange: function () { d.topic = x.key; delete errors.topic; haptic("tap"); render(); } }), x.label);
        })),
        errors.topic ? h("p", { class: "error", id: "topic-error", text: errors.topic }) : null));
    }
    (topic ? topic.questions : []).forEach(function (q, i) {
      var id = "answer-" + i, err = errors[id];
      parts.push(field(id, q.text, h("input", { type: "text", id: id, value: d.answers[q.key] || "", maxlength: "4096",
        "aria-invalid": err ? "true" : null, "aria-describedby": err ? id + "-error" : null,
        oninput: function (e) { d.answers[q.key] = e.target.value; } }), null, err));
    });
    var text = h("textarea", { id: "text", maxlength: String(f.max_text), "aria-invalid": errors.text ? "true" : null,
      "aria-describedby": "text-hint" + (errors.text ? " text-error" : ""),
      oninput: function (e) { d.text = e.target.value; $("text-count").textContent = t("count", { n: d.text.length, max: f.max_text }); } });
    text.value = d.text;
    parts.push(field("text", t("describe"), text, t("describe_hint"), errors.text),
      h("p", { class: "hint", id: "text-count", "aria-live": "polite", text: t("count", { n: d.text.length, max: f.max_text }) }));
    if (!topic || topic.screenshot || !f.topics.length) {
      parts.push(field("shot", t("screenshot"), fileInput("shot", "shot-hint"),
        t("screenshot_hint", { mb: Math.round(f.max_file / 1048576) }), errors.shot));
    }
    if (f.consent) {
      parts.push(h("div", { class: "notice" }, h("p", { text: f.consent }),
        h("label", { class: "check" }, h("input", { type: "checkbox", id: "consent", checked: d.consent,
          "aria-invalid": errors.consent ? "true" : null,
          onchange: function (e) { d.consent = e.target.checked; } }), t("agree")),
        errors.consent ? h("p", { class: "error", text: errors.consent }) : null));
    }
    setMain(t("send_request"), submitRequest);
    return h("form", { novalidate: true, onsubmit: function (e) { e.preventDefault(); submitRequest(); } }, parts);
  }
  function openNumber(id) {
    var tk = (state.tickets || []).filter(function (x) { return x.id === id; })[0];
    return tk ? tk.number : id;
  }
  function submitRequest() {
    var f = state.form, d = state.draft, errors = {};
    if (!f || sending) return;
    var topic = f.topics.filter(function (x) { return x.key === d.topic; })[0];
    if (f.topics.length && !topic) errors.topic = t("need_topic");
    var answers = (topic ? topic.questions : []).map(function (q, i) {
      var a = (d.answers[q.key] || "").trim();
      if (!a) errors["answer-" + i] = t("need_answer");
      return a;
    });
    if (!d.text.trim()) errors.text = t("need_text");
    else if (d.text.length > f.max_text) errors.text = t("too_long", { max: f.max_text });
    if (f.consent && !d.consent) errors.consent = t("need_consent");
    state.errors = errors;
    if (Object.keys(errors).length) {
      haptic("error");
      render();
      var first = document.querySelector("[aria-invalid=true], .error");
      var target = $(Object.keys(errors)[0] === "topic" ? "topic-" + f.topics[0].key : Object.keys(errors)[0]) || first;
      if (target) target.focus();
      return;
    }
    sending = true; busy(true);
    readFile($("shot"), f.max_file).then(function (shot) {
      return api("POST", "/tickets", { topic: topic ? topic.key : null, answers: answers, text: d.text, consent: d.consent, screenshot: shot });
    }).then(function (filed) {
      haptic("success");
      toast(t(filed.joined ? "joined" : "filed", { n: filed.number }));
      state.draft = { topic: null, answers: {}, text: "", consent: false };
      state.form = null;
      dropFile("shot");
      state.stack = ["list"];
      return openTicket(filed.ticket, false).then(function () { state.view = "ticket"; render(true); });
    }, function (e) {
      if (e.status === 413) { state.errors = { shot: e.message }; render(); }
      failed(e);
    }).then(function () { sending = false; busy(false); });
  }

  // The knowledge base.
  var searchTimer = 0;
  function kbScreen() {
    setMain(null);
    var input = h("input", { type: "search", id: "search", value: state.search, "aria-label": t("search"), placeholder: t("search"),
      oninput: function (e) {
        state.search = e.target.value;
        clearTimeout(searchTimer);
        searchTimer = setTimeout(function () { searchArticles(state.search); }, 250);
      } });
    var list = state.articles;
    return h("div", null, input,
      h("h2", { text: state.search.trim() ? t("results") : t("popular") }),
      !list ? loading() : (list.length ? h("ul", { class: "list" }, list.map(function (a) {
        return h("li", null, h("button", { type: "button", class: "card", onclick: function () { state.article = a; state.helped = null; haptic("tap"); go("article"); } },
          h("span", { class: "title", text: a.title }),
          h("span", { class: "preview small muted", text: a.body })));
      })) : h("div", null, h("p", { class: "muted", text: t("no_articles") }),
        h("button", { type: "button", class: "button", text: t("ask_us"), onclick: function () { askUs(); } }))));
  }
  function askUs() {
    if (state.search.trim() && !state.draft.text) state.draft.text = state.search.trim();
    tab("new");
  }
  function articleScreen() {
    setMain(null);
    var a = state.article;
    if (!a) return loading();
    var answer = state.helped;
    return h("article", null,
      h("p", { class: "card article-body", text: a.body }),
      h("fieldset", null, h("legend", { text: t("helped") }),
        answer === null ? h("div", { class: "actions" },
          h("button", { type: "button", class: "button", text: t("yes"), onclick: function () { helped(a, true); } }),
          h("button", { type: "button", class: "button plain", text: t("no"), onclick: function () { helped(a, false); } }))
          : (answer ? h("p", { class: "notice", text: t("glad") })
            : h("button", { type: "button", class: "button", text: t("ask_us"), onclick: askUs }))));
  }
  function helped(a, yes) {
    api("POST", "/articles/" + encodeURIComponent(a.id) + "/helped", { helped: yes, search: state.search }).then(function () {
      state.helped = yes;
      haptic(yes ? "success" : "tap");
      render();
    }, failed);
  }

  // Settings.
  function zones(current) {
    var list = [];
    try { list = Intl.supportedValuesOf("timeZone"); } catch (e) { list = []; }
    if (current && list.indexOf(current) < 0) list.unshift(current);
    return list;
  }
  function settingsScreen() {
    var s = state.settings;
    if (!s) { setMain(null); return loading(); }
    var langSel = h("select", { id: "language" }, LANGS.map(function (l) {
      return h("option", { value: l[0], selected: s.language === l[0], lang: l[0], text: l[1] });
    }));
    var zoneSel = h("select", { id: "zone", "aria-describedby": "zone-hint" }, zones(s.time_zone).map(function (z) {
      return h("option", { value: z, selected: z === s.time_zone, text: z.replace(/_/g, " ") });
    }));
    var now = "";
    try { now = new Intl.DateTimeFormat(lang, { timeZone: s.time_zone, timeStyle: "short" }).format(new Date()); } catch (e) {}
    var quiet = (s.quiet_hours || "").split("-");
    var quietOn = quiet.length === 2;
    var notify = h("select", { id: "notify" }, ["all", "essential"].map(function (v) {
      return h("option", { value: v, selected: s.notifications === v, text: t("notify_" + v) });
    }));
    var quietBox = h("fieldset", { "aria-describedby": "quiet-hint" }, h("legend", { text: t("quiet") }),
      h("label", { class: "check" }, h("input", { type: "checkbox", id: "quiet-on", checked: quietOn,
        onchange: function (e) { $("quiet-from").disabled = $("quiet-to").disabled = !e.target.checked; } }), t("quiet_on")),
      h("div", { class: "times" },
        field("quiet-from", t("quiet_from"), h("input", { type: "time", id: "quiet-from", value: quietOn ? quiet[0] : "22:00", disabled: !quietOn })),
        field("quiet-to", t("quiet_to"), h("input", { type: "time", id: "quiet-to", value: quietOn ? quiet[1] : "08:00", disabled: !quietOn }))),
      h("p", { class: "hint", id: "quiet-hint", text: t("quiet_hint") }));
    setMain(t("save"), saveSettings);
    var privacy = state.erasing
      ? h("div", { class: "danger-zone", role: "alertdialog", "aria-labelledby": "erase-title", "aria-describedby": "erase-warn" },
        h("h2", { id: "erase-title", text: t("erase") }),
        h("p", { id: "erase-warn", text: t("erase_warn") }),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "button danger", id: "erase-yes", text: t("erase_yes"), onclick: eraseAll }),
          h("button", { type: "button", class: "button plain", id: "erase-cancel", text: t("cancel"),
            onclick: function () { state.erasing = false; render(); $("erase").focus(); } })))
      : h("div", null,
        h("div", { class: "actions" },
          h("button", { type: "button", class: "button plain", id: "export", text: t("export"), "aria-describedby": "export-hint", onclick: exportData }),
          h("button", { type: "button", class: "button plain", id: "erase", text: t("erase"),
            onclick: function () { state.erasing = true; haptic("warning"); render(); $("erase-yes").focus(); } })),
        h("p", { class: "hint", id: "export-hint", text: t("export_hint") }));
    return h("div", null,
      field("language", t("language"), langSel),
      field("zone", t("timezone"), zoneSel, t("tz_hint", { time: now })),
      field("notify", t("notifications"), notify),
      quietBox,
      h("h2", { text: t("privacy") }), privacy);
  }
  function saveSettings() {
    var change = { language: $("language").value, time_zone: $("zone").value, notifications: $("notify").value,
      quiet_hours: $("quiet-on").checked ? $("quiet-from").value + "-" + $("quiet-to").value : "" };
    busy(true);
    api("PUT", "/settings", change).then(function (s) {
      state.settings = s;
      lang = pick(s.language);
      zone = s.time_zone;
      // What the server wrote in the old language is read again.
      state.tickets = state.form = state.articles = null;
      haptic("success");
      render();
      toast(t("saved"));
    }, failed).then(function () { busy(false); });
  }
  function exportData() {
    api("POST", "/export").then(function () { haptic("success"); toast(t("export_done")); }, failed);
  }
  function eraseAll() {
    api("POST", "/erase", { confirm: "erase" }).then(function () {
      haptic("success");
      state.view = "erased";
      state.stack = [];
      setMain(null);
      $("main").replaceChildren(h("p", { class: "notice", text: t("erased") }));
    }, failed);
  }
  function expiredScreen() {
    setMain(null);
    return h("p", { class: "notice", role: "alert", text: initData ? t("reopen_app") : t("outside") });
  }

  // ---- live updates ----------------------------------------------------------
  // Server-sent events read with fetch (EventSource cannot send the launch
  // data); each names a ticket that changed, which is read again.
  var liveWait = 1000;
  function live() {
    fetch("api/events", { headers: { Authorization: "tma " + initData } }).then(function (r) {
      if (r.status === 401) { expired(); return; }
      if (!r.ok || !r.body) throw new Error(String(r.status));
      liveWait = 1000;
      var reader = r.body.getReader(), dec = new TextDecoder(), buf = "";
      function pump() {
        return reader.read().then(function (x) {
          if (x.done) throw new Error("closed");
          buf += dec.decode(x.value, { stream: true });
          var at;
          while ((at = buf.indexOf("\n\n")) >= 0) { changed(buf.slice(0, at)); buf = buf.slice(at + 2); }
          return pump();
        });
      }
      return pump();
    }).catch(function () {
      if (state.view === "expired" || state.view === "erased") return;
      setTimeout(live, liveWait);
      liveWait = Math.min(liveWait * 2, 30000);
    });
  }
  // Changes come in bursts (a reply, its delivery, a status): the page is
  // read again once the burst is over.
  var pending = null, pendingTimer = 0;
  function changed(block) {
    var name = "", data = "";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) name = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data += line.slice(5).trim();
    });
    if (name !== "ticket" && name !== "resync") return;
    var id = null;
    try { id = JSON.parse(data).id; } catch (e) {}
    pending = pending === null || pending === id ? id : "all";
    if (name === "resync") pending = "all";
    clearTimeout(pendingTimer);
    pendingTimer = setTimeout(refresh, 150);
  }
  function refresh() {
    var which = pending;
    pending = null;
    if (state.view === "ticket" && state.thread && (which === "all" || which === state.thread.ticket.id)) openTicket(state.thread.ticket.id, false);
    else if (state.view === "list") load();
    else if (state.tickets) api("GET", "/tickets").then(function (d) { state.tickets = d; }, function () {});
  }

  // ---- start -------------------------------------------------------------------
  function start() {
    colours();
    if (WA) { try { WA.ready(); WA.expand(); } catch (e) {} }
    if (WA && WA.BackButton) WA.BackButton.onClick(back);
    if (WA && WA.onEvent) WA.onEvent("themeChanged", colours);

    [].forEach.call(document.querySelectorAll("#tabs button"), function (b) {
      b.addEventListener("click", function () { tab(b.dataset.tab); });
    });
    if (!initData) { expired(); return; }
    render(false);
    // The settings (language, zone) and the list in one round trip's time.
    var first = state.view === "list" ? api("GET", "/tickets") : Promise.resolve(null);
    api("GET", "/settings").then(function (s) {
      state.settings = s;
      lang = pick(s.language);
      zone = s.time_zone;
    }, function () {}).then(function () {
      return first.then(function (list) { if (list) state.tickets = list; }, function () {});
    }).then(function () {
      render(false);
      if (state.tickets) usable(); else load();
      live();
      // Opened from a receipt's "Open" button: that request.
      var wanted = Number(new URLSearchParams(location.search).get("ticket"));
      if (wanted > 0) openTicket(wanted, true);
    });
    // Waiting times count on.
    setInterval(function () { if (state.view === "list" || state.view === "ticket") render(); }, 60000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
