-- 0011: files engineers upload to send to customers (POST /v1/files).
-- The bytes live in the files directory under uploads/<id>; an outbound
-- message's attachment names them as file_id 'upload:<id>'.
CREATE TABLE uploads (
    id         TEXT    PRIMARY KEY,
    agent_id   INTEGER NOT NULL REFERENCES agents(id),
    file_name  TEXT    NOT NULL,
    mime_type  TEXT,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    -- The message that sent it (an upload is sent once); NULL while waiting.
    message_id INTEGER REFERENCES messages(id)
);
CREATE INDEX uploads_waiting ON uploads(agent_id) WHERE message_id IS NULL;
