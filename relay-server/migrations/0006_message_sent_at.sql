-- 0006: when the customer sent a message (Telegram's date), as opposed to
-- when we stored it. Flood control counts by this, so a backlog processed
-- after downtime is not mistaken for a flood.
ALTER TABLE messages ADD COLUMN sent_at INTEGER;
