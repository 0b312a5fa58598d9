// A stand-in for Telegram's WebApp object (window.Telegram.WebApp), for
// running the mini app in a plain browser: the demo and the tests. Like
// Telegram's own script it reads the launch data and theme from the
// address's fragment (#tgWebAppData=...&tgWebAppThemeParams=...) and sets
// the theme's --tg-theme-* variables; the main and back buttons are drawn
// on the page. Loaded instead of telegram-web-app.js when
// [miniapp] telegram_js = "".
(function () {
  "use strict";
  var hash = new URLSearchParams(location.hash.slice(1));
  var initData = hash.get("tgWebAppData") || "";
  var unsafe = {};
  new URLSearchParams(initData).forEach(function (v, k) {
    try { unsafe[k] = k === "user" ? JSON.parse(v) : v; } catch (e) { unsafe[k] = v; }
  });
  var dark = window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches;
  var LIGHT = { bg_color: "#ffffff", text_color: "#000000", hint_color: "#999999", link_color: "#2481cc",
    button_color: "#2481cc", button_text_color: "#ffffff", secondary_bg_color: "#efeff3",
    section_bg_color: "#ffffff", destructive_text_color: "#e53935" };
  var DARK = { bg_color: "#212121", text_color: "#ffffff", hint_color: "#aaaaaa", link_color: "#62bcf9",
    button_color: "#2ea6ff", button_text_color: "#ffffff", secondary_bg_color: "#0f0f0f",
    section_bg_color: "#212121", destructive_text_color: "#ef5b5b" };
  var theme = dark ? DARK : LIGHT;
  try { if (hash.get("tgWebAppThemeParams")) theme = JSON.parse(hash.get("tgWebAppThemeParams")); } catch (e) {}
  var root = document.documentElement;
  Object.keys(theme).forEach(function (k) {
    root.style.setProperty("--tg-theme-" + k.replace(/_/g, "-"), theme[k]);
  });
  function luminance(hex) {
    var n = parseInt(String(hex).replace("#", ""), 16);
    return (0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
  }
  function listeners() {
    var list = [];
    return { add: function (f) { if (list.indexOf(f) < 0) list.push(f); },
      remove: function (f) { list = list.filter(function (g) { return g !== f; }); },
      fire: function () { list.slice().forEach(function (f) { f(); }); } };
  }
  var mainClicks = listeners(), backClicks = listeners();
  var bar = null, barButton = null;
  function drawMain() {
    if (!bar) {
      bar = document.createElement("div");
      bar.className = "tg-main";
      barButton = document.createElement("button");
      barButton.type = "button";
      barButton.id = "tg-main-button";
      barButton.addEventListener("click", function () { if (MainButton.isActive) mainClicks.fire(); });
      bar.appendChild(barButton);
      document.body.appendChild(bar);
    }
    bar.hidden = !MainButton.isVisible;
    barButton.textContent = MainButton.isProgressVisible ? "…" : MainButton.text;
    barButton.disabled = !MainButton.isActive || MainButton.isProgressVisible;
  }
  var MainButton = {
    text: "", isVisible: false, isActive: true, isProgressVisible: false,
    setText: function (t) { this.text = String(t); drawMain(); return this; },
    show: function () { this.isVisible = true; drawMain(); return this; },
    hide: function () { this.isVisible = false; drawMain(); return this; },
    enable: function () { this.isActive = true; drawMain(); return this; },
    disable: function () { this.isActive = false; drawMain(); return this; },
    showProgress: function () { this.isProgressVisible = true; drawMain(); return this; },
    hideProgress: function () { this.isProgressVisible = false; drawMain(); return this; },
    onClick: function (f) { mainClicks.add(f); return this; },
    offClick: function (f) { mainClicks.remove(f); return this; },
    setParams: function (p) {
      if ("text" in p) this.text = p.text;
      if ("is_visible" in p) this.isVisible = p.is_visible;
      if ("is_active" in p) this.isActive = p.is_active;
      drawMain(); return this;
    }
  };
  function backButton() { return document.getElementById("back"); }
  var BackButton = {
    isVisible: false,
    show: function () { this.isVisible = true; var b = backButton(); if (b) b.hidden = false; return this; },
    hide: function () { this.isVisible = false; var b = backButton(); if (b) b.hidden = true; return this; },
    onClick: function (f) { backClicks.add(f); return this; },
    offClick: function (f) { backClicks.remove(f); return this; }
  };
  document.addEventListener("DOMContentLoaded", function () {
    var b = backButton();
    if (b) b.addEventListener("click", function () { backClicks.fire(); });
  });
  var noop = function () { return HapticFeedback; };
  var HapticFeedback = { impactOccurred: noop, notificationOccurred: noop, selectionChanged: noop };
  window.Telegram = { WebApp: {
    initData: initData, initDataUnsafe: unsafe, themeParams: theme,
    colorScheme: luminance(theme.bg_color || "#ffffff") < 0.5 ? "dark" : "light",
    platform: "standin", version: "8.0", isStandIn: true,
    MainButton: MainButton, BackButton: BackButton, HapticFeedback: HapticFeedback,
    ready: function () {}, expand: function () {},
    onEvent: function () {}, offEvent: function () {}
  } };
})();
