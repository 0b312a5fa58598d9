-- 0014: the customer's own privacy requests (/consent, /mydata, /forgetme),
-- the consent log, and deleting a customer's Telegram messages on erasure.

-- Every answer to the consent question and every withdrawal: which text
-- (the desk's version, the language, a hash of the exact wording), when.
-- Content-free; deleted with the customer.
CREATE TABLE consent_log (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL,
    -- agreed | declined | withdrawn
    action      TEXT    NOT NULL,
    version     TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    text_sha256 TEXT    NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX consent_log_customer ON consent_log(customer_id, id);

-- The ids of the messages of private chats (the customer's and the bot's)
-- from the last 48 hours, the time Telegram lets a bot delete them in:
-- what an erasure asks Telegram to delete. Ids only; pruned after 48 h.
-- Keyed by time first: every message appends at the end of the tree (one
-- insert, no index to keep), and pruning takes a range; an erasure, rare,
-- reads the table for its chat.
CREATE TABLE tg_recent (
    at         INTEGER NOT NULL,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (at, chat_id, message_id)
) WITHOUT ROWID;

-- Deletions to ask Telegram for (deleteMessages, at most 100 ids each),
-- until `deadline` (48 h after the oldest message), when Telegram no
-- longer allows it.
CREATE TABLE tg_deletions (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    message_ids     TEXT    NOT NULL,
    deadline        INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT
);

-- What an erasure leaves to do outside the transaction: delete the files
-- of the erased messages, and checkpoint the WAL so no old page of theirs
-- stays on disk. Done by the server (or the CLI right after), then deleted.
CREATE TABLE erasure_followups (
    id         INTEGER PRIMARY KEY,
    files      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

-- What an outbox row without a message sends: NULL, its text; 'export',
-- the chat's customer's data export as a JSON document (text: the caption),
-- built when it is sent so no copy waits on disk.
ALTER TABLE outbox ADD COLUMN kind TEXT;
