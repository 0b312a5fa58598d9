-- 0004: durable Telegram intake and a sendable outbox.

-- Every update Telegram handed us, stored before the next getUpdates
-- acknowledges it. state: new (to process), done, failed (kept, with why).
CREATE TABLE tg_updates (
    update_id   INTEGER PRIMARY KEY,
    body        TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'new',
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT
);
CREATE INDEX tg_updates_new ON tg_updates(update_id) WHERE state = 'new';

-- pending: waiting its turn; sending: handed to Telegram, answer not yet
-- recorded (found in this state after a crash: outcome unknown, resent).
ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'pending';
-- 1 once a try's answer was lost: Telegram may already have it, so a later
-- success is reported as "may have arrived twice".
ALTER TABLE outbox ADD COLUMN ambiguous INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
-- Inline keyboard to send with the message (JSON), if any.
ALTER TABLE outbox ADD COLUMN markup TEXT;
CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE state = 'pending';

-- Inbound messages are found again by their Telegram ids (edits).
CREATE INDEX messages_telegram ON messages(telegram_message_id) WHERE telegram_message_id IS NOT NULL;
