-- 0018: the outbox's and the Telegram deletions' ids are never reused.
-- With a plain INTEGER PRIMARY KEY, SQLite hands the highest id out again
-- once its row is deleted: an erasure that emptied a chat's outbox while
-- its last message was in flight, then queued "your data has been
-- erased", gave the new row the in-flight one's id, and recording the
-- in-flight send's delivery took the new row with it (never sent).
-- AUTOINCREMENT keeps ids moving up; rows and order are kept.

CREATE TABLE outbox_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
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
    kind            TEXT,
    thread_id       INTEGER,
    reply_to        INTEGER,
    group_message   INTEGER,
    safety_call     INTEGER,
    CHECK ((message_id IS NULL) <> (text IS NULL))
);
INSERT INTO outbox_new (id, message_id, chat_id, text, attempts, next_attempt_at, created_at,
        state, ambiguous, last_error, markup, kind, thread_id, reply_to, group_message, safety_call)
    SELECT id, message_id, chat_id, text, attempts, next_attempt_at, created_at,
        state, ambiguous, last_error, markup, kind, thread_id, reply_to, group_message, safety_call
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_chat ON outbox(chat_id, id);

CREATE TABLE tg_deletions_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id         INTEGER NOT NULL,
    message_ids     TEXT    NOT NULL,
    deadline        INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT
);
INSERT INTO tg_deletions_new SELECT id, chat_id, message_ids, deadline, attempts, next_attempt_at, last_error
    FROM tg_deletions;
DROP TABLE tg_deletions;
ALTER TABLE tg_deletions_new RENAME TO tg_deletions;
