-- 0015: customer groups (docs/groups.md): organisations and their
-- Telegram groups, who is staff, the messages of each group and the
-- conversations they form, and who owes a reply.

-- A client company.
CREATE TABLE organisations (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    vip          INTEGER NOT NULL DEFAULT 0,
    queue        TEXT    NOT NULL,
    -- a name under [calendars]; '' = its queue's calendar
    calendar     TEXT    NOT NULL DEFAULT '',
    -- the group-reply SLA, in business time
    reply_sla_ms INTEGER NOT NULL,
    -- the language its groups are written to in (macros)
    language     TEXT    NOT NULL DEFAULT 'en',
    created_at   INTEGER NOT NULL
);

-- A group the bot is in; unbound until a supervisor binds it.
CREATE TABLE groups (
    chat_id         INTEGER PRIMARY KEY,
    title           TEXT    NOT NULL,
    forum           INTEGER NOT NULL DEFAULT 0,
    organisation_id INTEGER REFERENCES organisations(id),
    -- member | administrator | left | kicked
    bot_status      TEXT    NOT NULL DEFAULT 'member',
    seen_at         INTEGER NOT NULL
);

-- An agent's own Telegram account: its messages in groups are staff's.
CREATE TABLE staff_links (
    telegram_user_id INTEGER PRIMARY KEY,
    agent_id         INTEGER NOT NULL UNIQUE,
    linked_at        INTEGER NOT NULL
);

-- Per-group overrides: this person is staff (1) or customer side (0) here.
CREATE TABLE group_people (
    chat_id          INTEGER NOT NULL,
    telegram_user_id INTEGER NOT NULL,
    staff            INTEGER NOT NULL,
    PRIMARY KEY (chat_id, telegram_user_id)
) WITHOUT ROWID;

-- A conversation inside a group: a forum topic, or a reply chain and a
-- person's burst of messages. Owed while a customer message waits for
-- staff: from `owed_since`, due at `due_at` (the organisation's calendar).
CREATE TABLE group_conversations (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    thread_id       INTEGER,
    opened_by       INTEGER NOT NULL,
    opened_at       INTEGER NOT NULL,
    last_at         INTEGER NOT NULL,
    owed_since      INTEGER,
    owed_message_id INTEGER,
    due_at          INTEGER,
    -- when the last unanswered-chat alert went out (repeated until answered)
    alerted_at      INTEGER
);
CREATE INDEX group_conversations_topic ON group_conversations(chat_id, thread_id);
CREATE INDEX group_conversations_due ON group_conversations(due_at) WHERE due_at IS NOT NULL;
CREATE INDEX group_conversations_alerted ON group_conversations(alerted_at) WHERE alerted_at IS NOT NULL;

-- Every message of a group, with who wrote it and its conversation.
CREATE TABLE group_messages (
    chat_id         INTEGER NOT NULL,
    message_id      INTEGER NOT NULL,
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
    PRIMARY KEY (chat_id, message_id)
) WITHOUT ROWID;
CREATE INDEX group_messages_author ON group_messages(chat_id, author_id, sent_at);
CREATE INDEX group_messages_conversation ON group_messages(conversation_id) WHERE conversation_id IS NOT NULL;
-- Retention, and erasure by author.
CREATE INDEX group_messages_sent ON group_messages(sent_at);
CREATE INDEX group_messages_by ON group_messages(author_id);
