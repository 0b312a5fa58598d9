-- 0016: customer groups on the workstation (docs/groups.md): replies
-- from the workstation into a group (delivered through the outbox, as a
-- reply in the right topic), acknowledged alerts, warnings, and
-- conversations turned into tickets.

-- Group messages get a desk id of their own: a reply from the workstation
-- is stored before Telegram numbers it (message_id NULL until delivered).
CREATE TABLE group_messages_new (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    -- Telegram's id in chat_id; NULL until a workstation reply is delivered
    message_id      INTEGER,
    conversation_id INTEGER,
    thread_id       INTEGER,
    reply_to        INTEGER,
    author_id       INTEGER NOT NULL,
    author_name     TEXT    NOT NULL,
    -- customer | staff | bot
    side            TEXT    NOT NULL,
    text            TEXT    NOT NULL,
    sent_at         INTEGER NOT NULL,
    edited_at       INTEGER,
    -- written from the workstation by this agent
    agent_id        INTEGER,
    -- workstation replies: queued | sent | failed | uncertain
    delivery        TEXT,
    delivery_reason TEXT,
    delivery_at     INTEGER
);
INSERT INTO group_messages_new (chat_id, message_id, conversation_id, thread_id, reply_to,
        author_id, author_name, side, text, sent_at, edited_at)
    SELECT chat_id, message_id, conversation_id, thread_id, reply_to, author_id, author_name,
        side, text, sent_at, edited_at
    FROM group_messages ORDER BY sent_at, chat_id, message_id;
DROP TABLE group_messages;
ALTER TABLE group_messages_new RENAME TO group_messages;
CREATE UNIQUE INDEX group_messages_telegram ON group_messages(chat_id, message_id)
    WHERE message_id IS NOT NULL;
CREATE INDEX group_messages_author ON group_messages(chat_id, author_id, sent_at);
CREATE INDEX group_messages_conversation ON group_messages(conversation_id, id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX group_messages_sent ON group_messages(sent_at);
CREATE INDEX group_messages_by ON group_messages(author_id);

-- An engineer acknowledged the alert (not repeated until answered); a
-- warning went out before the due time; the ticket it became.
ALTER TABLE group_conversations ADD COLUMN acked_by INTEGER;
ALTER TABLE group_conversations ADD COLUMN warned_at INTEGER;
ALTER TABLE group_conversations ADD COLUMN ticket_id INTEGER;
ALTER TABLE group_conversations ADD COLUMN alerts INTEGER NOT NULL DEFAULT 0;
CREATE INDEX group_conversations_warn ON group_conversations(due_at)
    WHERE due_at IS NOT NULL AND warned_at IS NULL;
CREATE INDEX group_conversations_ticket ON group_conversations(ticket_id)
    WHERE ticket_id IS NOT NULL;

-- A ticket made from a group conversation talks in the group (its
-- chat_id), in that conversation.
ALTER TABLE tickets ADD COLUMN group_conversation INTEGER;

-- Where a message to a group goes: its forum topic, the message it
-- replies to, and the group message it delivers.
ALTER TABLE outbox ADD COLUMN thread_id INTEGER;
ALTER TABLE outbox ADD COLUMN reply_to INTEGER;
ALTER TABLE outbox ADD COLUMN group_message INTEGER;

-- The Telegram user whose data a group event carries (a message's author,
-- who opened a conversation, who waits): an erasure withholds them.
ALTER TABLE events ADD COLUMN person INTEGER;
CREATE INDEX events_person ON events(person) WHERE person IS NOT NULL;

-- One-time codes an engineer sends the bot in private to link their
-- Telegram account (only the code's SHA-256 is kept).
CREATE TABLE link_codes (
    code_hash  TEXT    PRIMARY KEY,
    agent_id   INTEGER NOT NULL UNIQUE,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

-- Macros for customer groups (`/m <shortcut>` in the group, or from the
-- workstation): only {name} and {agent}, which a group has.
INSERT INTO macros (shortcut, title, body, owner, translations) VALUES
  ('onit', 'On it (group)',
   'Thanks, {name}! We are looking into it and will answer here.', NULL,
   json_object(
     'uk', 'Дякуємо, {name}! Ми вже розбираємося й відповімо тут.',
     'ru', 'Спасибо, {name}! Мы уже разбираемся и ответим здесь.',
     'zh', '谢谢，{name}！我们正在处理，会在这里回复。')),
  ('fixed', 'Fixed (group)',
   '{name}, this is fixed now. Please check on your side and tell us here if anything is still wrong.', NULL,
   json_object(
     'uk', '{name}, це вже виправлено. Будь ласка, перевірте у себе й напишіть тут, якщо щось іще не так.',
     'ru', '{name}, это уже исправлено. Пожалуйста, проверьте у себя и напишите здесь, если что-то ещё не так.',
     'zh', '{name}，问题已修复。请您那边确认一下，如仍有问题请在这里告诉我们。')),
  ('moreinfo', 'Need more (group)',
   '{name}, to look into this we need a little more: what exactly did you do, and what did you see? A screenshot helps.', NULL,
   json_object(
     'uk', '{name}, щоб розібратися, нам треба трохи більше: що саме ви робили і що побачили? Знімок екрана дуже допоможе.',
     'ru', '{name}, чтобы разобраться, нам нужно чуть больше: что именно вы делали и что увидели? Скриншот очень поможет.',
     'zh', '{name}，为了排查，我们需要更多信息：您具体做了什么操作，看到了什么？附上截图会很有帮助。'));

-- Private chats of erased customers, for 48 hours: a bot message handed to
-- Telegram before the erasure but recorded as delivered after it is
-- deleted too.
CREATE TABLE erased_chats (
    chat_id   INTEGER PRIMARY KEY,
    erased_at INTEGER NOT NULL
) WITHOUT ROWID;
