-- 0001: the ticket store and its event log.
CREATE TABLE customers (
    id               INTEGER PRIMARY KEY,
    telegram_user_id INTEGER NOT NULL UNIQUE,
    first_name       TEXT    NOT NULL,
    last_name        TEXT,
    username         TEXT,
    language         TEXT,
    time_zone        TEXT,
    vip              INTEGER NOT NULL DEFAULT 0,
    consent_at       INTEGER,
    blocked          INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL
);

CREATE TABLE agents (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL,
    display_name TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    queues       TEXT    NOT NULL,          -- JSON array of queue ids
    capacity     INTEGER NOT NULL,
    token_hash   TEXT    UNIQUE,            -- SHA-256 hex of the token; the token itself is never stored
    created_at   INTEGER NOT NULL,
    removed_at   INTEGER
);
CREATE UNIQUE INDEX agents_name ON agents(name) WHERE removed_at IS NULL;

CREATE TABLE tickets (
    id              INTEGER PRIMARY KEY,
    number          INTEGER NOT NULL UNIQUE,
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    chat_id         INTEGER NOT NULL,       -- Telegram chat the ticket talks in
    status          TEXT    NOT NULL,
    queue           TEXT    NOT NULL,
    priority        TEXT    NOT NULL,
    tags            TEXT    NOT NULL DEFAULT '[]',
    assignee        INTEGER REFERENCES agents(id),
    topic           TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    first_reply_at  INTEGER,
    resolved_at     INTEGER,
    closed_at       INTEGER,
    waiting_since   INTEGER,
    first_reply_due INTEGER,
    next_reply_due  INTEGER,
    resolution_due  INTEGER,
    message_count   INTEGER NOT NULL DEFAULT 0,
    last_message_id INTEGER
);
CREATE INDEX tickets_open ON tickets(id) WHERE status <> 'closed';
CREATE INDEX tickets_customer ON tickets(customer_id, id);

CREATE TABLE messages (
    id                  INTEGER PRIMARY KEY,
    ticket_id           INTEGER NOT NULL REFERENCES tickets(id),
    kind                TEXT    NOT NULL,   -- inbound | outbound | note
    author_kind         TEXT    NOT NULL,   -- customer | agent | bot
    author_id           INTEGER,
    text                TEXT    NOT NULL,
    attachments         TEXT    NOT NULL DEFAULT '[]',
    telegram_message_id INTEGER,
    created_at          INTEGER NOT NULL,
    edited_at           INTEGER,
    delivery_state      TEXT,
    delivery_reason     TEXT,
    delivery_updated_at INTEGER
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);

-- Messages waiting to be sent to Telegram, written with the message itself.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER NOT NULL UNIQUE REFERENCES messages(id),
    chat_id         INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE macros (
    id       INTEGER PRIMARY KEY,
    shortcut TEXT NOT NULL,
    title    TEXT NOT NULL,
    body     TEXT NOT NULL,
    owner    INTEGER REFERENCES agents(id)
);
CREATE UNIQUE INDEX macros_shortcut ON macros(coalesce(owner, 0), shortcut);

CREATE TABLE read_markers (
    agent_id  INTEGER NOT NULL,
    ticket_id INTEGER NOT NULL,
    last_read INTEGER NOT NULL,
    PRIMARY KEY (agent_id, ticket_id)
) WITHOUT ROWID;

-- Every state change, in the transaction that made it. seq is gap-free.
CREATE TABLE events (
    seq       INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,
    ticket_id INTEGER,
    body      TEXT    NOT NULL              -- the event envelope as JSON, exactly as streamed
);

-- Commands already applied, so a retried command id is applied once.
CREATE TABLE applied_commands (
    agent_id   INTEGER NOT NULL,
    command_id TEXT    NOT NULL,
    seq        INTEGER,
    result     TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (agent_id, command_id)
) WITHOUT ROWID;
