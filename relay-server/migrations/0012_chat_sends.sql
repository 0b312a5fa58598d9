-- 0012: when a send to each chat was last answered, so a server that starts
-- after another stopped keeps Telegram's spacing only where a recent send
-- exists (it used to hold every send for a group's spacing, ~3 s). Rows
-- older than a minute mean nothing and are pruned at start.
CREATE TABLE chat_sends (
    chat_id INTEGER PRIMARY KEY,
    sent_at INTEGER NOT NULL
);
