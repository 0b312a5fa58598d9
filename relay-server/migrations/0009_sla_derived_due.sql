-- 0009: a clock's due time is derived, not stored. It follows from the
-- clock's state and its queue's calendar, so a calendar change rewrites
-- one row per ticket (the deadlines it streams), not every clock. The
-- timer finds tickets by their next warning or breach.
ALTER TABLE tickets ADD COLUMN sla_alert_at INTEGER;
UPDATE tickets SET sla_alert_at = (SELECT min(k.next_alert_at) FROM sla_clocks k WHERE k.ticket_id = tickets.id)
 WHERE status <> 'closed';
CREATE INDEX tickets_sla_alert ON tickets(sla_alert_at) WHERE sla_alert_at IS NOT NULL;
DROP INDEX sla_clocks_alert;
ALTER TABLE sla_clocks DROP COLUMN next_alert_at;
ALTER TABLE sla_clocks DROP COLUMN due_at;

-- The SLA configuration (queues' policies, calendars, lead times) the
-- stored deadlines follow. At start an unchanged one skips the recompute.
CREATE TABLE sla_config (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT    NOT NULL,
    applied_at  INTEGER NOT NULL
);

-- Bumped by every change of what a ticket's clocks depend on (its facts
-- and its clocks), so the start-up recompute, which plans on a read
-- snapshot, applies a plan only to tickets that did not change since.
ALTER TABLE tickets ADD COLUMN sla_rev INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER tickets_sla_rev
AFTER UPDATE OF status, queue, priority, created_at, first_reply_at, waiting_since, last_reply_at ON tickets
BEGIN
    UPDATE tickets SET sla_rev = sla_rev + 1 WHERE id = NEW.id;
END;
CREATE TRIGGER sla_clocks_rev_insert AFTER INSERT ON sla_clocks
BEGIN
    UPDATE tickets SET sla_rev = sla_rev + 1 WHERE id = NEW.ticket_id;
END;
CREATE TRIGGER sla_clocks_rev_update AFTER UPDATE ON sla_clocks
BEGIN
    UPDATE tickets SET sla_rev = sla_rev + 1 WHERE id = NEW.ticket_id;
END;
