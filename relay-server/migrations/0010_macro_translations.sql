-- 0010: macros speak the customer's language. `body` stays the default
-- (English) text; `translations` is a JSON object of bodies by primary
-- language code. The five defaults ship in Ukrainian, Russian and Chinese
-- (unless an operator already changed their English body).
ALTER TABLE macros ADD COLUMN translations TEXT NOT NULL DEFAULT '{}';

UPDATE macros SET translations = json_object(
  'uk', 'Прийнято: тікет #{id}. Орієнтовний час: {eta}. Статус можна перевірити тут будь-коли.',
  'ru', 'Принято: тикет #{id}. Ориентировочное время: {eta}. Статус можно проверить здесь в любой момент.',
  'zh', '已受理：工单 #{id}。预计时间：{eta}。您可以随时在这里查看状态。')
WHERE owner IS NULL AND shortcut = 'receipt'
  AND body = 'Accepted: ticket #{id}. ETA: {eta}. You can check the status here at any time.';

UPDATE macros SET translations = json_object(
  'uk', 'Нам потрібно: {field}. Просто дайте відповідь на це повідомлення. Чекаємо 24 год.',
  'ru', 'Нам нужно: {field}. Просто ответьте на это сообщение. Ждём 24 ч.',
  'zh', '我们需要：{field}。直接回复此消息即可。等待时间：24 小时。')
WHERE owner IS NULL AND shortcut = 'details'
  AND body = 'We need: {field}. Just reply to this message. Timeout: 24 h.';

UPDATE macros SET translations = json_object(
  'uk', 'Готово: {what}. Що далі: {steps}. Будь ласка, оцініть відповідь нижче.',
  'ru', 'Готово: {what}. Что дальше: {steps}. Пожалуйста, оцените ответ ниже.',
  'zh', '已完成：{what}。后续步骤：{steps}。请在下方为本次回答评分。')
WHERE owner IS NULL AND shortcut = 'solved'
  AND body = 'Done: {what}. Next steps: {steps}. Please rate the answer below.';

UPDATE macros SET translations = json_object(
  'uk', 'Ваше питання передано експерту. Ми повернемося до {eta}.',
  'ru', 'Ваш вопрос передан эксперту. Мы вернёмся к {eta}.',
  'zh', '您的问题已转交专家处理。我们将在 {eta} 前回复您。')
WHERE owner IS NULL AND shortcut = 'escalate'
  AND body = 'Your question went to an expert. We will be back by {eta}.';

UPDATE macros SET translations = json_object(
  'uk', 'Вітаю, {name}! Я {agent}. Бачу тікет #{id} і вже працюю над ним.',
  'ru', 'Здравствуйте, {name}! Я {agent}. Вижу тикет #{id} и уже занимаюсь им.',
  'zh', '{name}，您好！我是 {agent}。我已看到工单 #{id}，正在处理。')
WHERE owner IS NULL AND shortcut = 'hi'
  AND body = 'Hi {name}! I''m {agent}. I see ticket #{id} and am on it.';
