-- 0007: the customer dialogue (consent, topics, questions, knowledge base,
-- CSAT, follow-ups, quiet hours).

-- The outbox also carries bot messages that belong to no ticket (the
-- consent question, topic buttons, a knowledge-base answer): message_id
-- becomes optional and such rows carry their own text.
CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER UNIQUE REFERENCES messages(id),
    chat_id         INTEGER NOT NULL,
    text            TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending',
    ambiguous       INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    markup          TEXT,
    CHECK ((message_id IS NULL) <> (text IS NULL))
);
INSERT INTO outbox_new (id, message_id, chat_id, attempts, next_attempt_at, created_at, state, ambiguous, last_error, markup)
    SELECT id, message_id, chat_id, attempts, next_attempt_at, created_at, state, ambiguous, last_error, markup FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_chat ON outbox(chat_id, id);

-- Where each private chat stands in the dialogue before a ticket exists.
-- stage: consent | topic | question | screenshot | kb.
CREATE TABLE conversations (
    chat_id     INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    stage       TEXT    NOT NULL,
    topic       TEXT,
    step        INTEGER NOT NULL DEFAULT 0,
    article     TEXT,
    payload     TEXT,
    prompted_at INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- The customer's words while the dialogue runs, filed into the ticket (in
-- order, with their Telegram ids) once it is created. `question`: the
-- clarifying question this answers, if any.
CREATE TABLE drafts (
    id                  INTEGER PRIMARY KEY,
    chat_id             INTEGER NOT NULL,
    text                TEXT    NOT NULL,
    attachments         TEXT    NOT NULL DEFAULT '[]',
    telegram_message_id INTEGER,
    sent_at             INTEGER,
    question            TEXT,
    created_at          INTEGER NOT NULL,
    edited_at           INTEGER
);
CREATE INDEX drafts_chat ON drafts(chat_id, id);

-- Bot messages held back (quiet hours) or due later (follow-ups).
-- kind: message (text + markup) | followup (built when due).
CREATE TABLE scheduled (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    kind       TEXT    NOT NULL,
    text       TEXT,
    markup     TEXT,
    due_at     INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX scheduled_due ON scheduled(due_at);

-- The last time a rate-limited notice (off hours, a repeated prompt) went
-- to a chat.
CREATE TABLE notices (
    chat_id INTEGER NOT NULL,
    kind    TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (chat_id, kind)
);

-- Knowledge-base answers offered, and whether they helped (self-service).
CREATE TABLE self_service (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    article     TEXT    NOT NULL,
    question    TEXT    NOT NULL,
    helped      INTEGER,
    created_at  INTEGER NOT NULL,
    answered_at INTEGER
);

ALTER TABLE tickets ADD COLUMN csat INTEGER;
ALTER TABLE tickets ADD COLUMN csat_at INTEGER;
-- The follow-up's answer: 1 it helped, 0 it did not.
ALTER TABLE tickets ADD COLUMN followup_ok INTEGER;
-- The customer chose a language with /language: Telegram's language_code
-- no longer overrides it.
ALTER TABLE customers ADD COLUMN language_chosen INTEGER NOT NULL DEFAULT 0;
