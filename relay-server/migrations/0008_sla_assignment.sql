-- 0008: SLA clocks on business-hours calendars, presence and assignment,
-- timed automations.

-- Deadlines as streamed (update_due; every clock's status as JSON), and
-- what the clocks and rules need to know about a ticket.
ALTER TABLE tickets ADD COLUMN update_due INTEGER;
ALTER TABLE tickets ADD COLUMN sla_targets TEXT NOT NULL DEFAULT '[]';
-- The last human reply (the update clock restarts there).
ALTER TABLE tickets ADD COLUMN last_reply_at INTEGER;
-- Since when the current assignee holds it.
ALTER TABLE tickets ADD COLUMN assigned_at INTEGER;
-- Since when the ticket has its current status (timed automations).
ALTER TABLE tickets ADD COLUMN status_since INTEGER;
-- When the assignee loses the ticket for not replying (per-queue rule).
ALTER TABLE tickets ADD COLUMN reassign_at INTEGER;
UPDATE tickets SET last_reply_at = first_reply_at, status_since = updated_at,
                   assigned_at = CASE WHEN assignee IS NULL THEN NULL ELSE updated_at END;
CREATE INDEX tickets_reassign ON tickets(reassign_at) WHERE reassign_at IS NOT NULL;
CREATE INDEX tickets_status_since ON tickets(status, status_since) WHERE status IN ('pending_on_customer', 'resolved');

-- One row per clock a ticket has had. A clock runs from running_since
-- (due_at set), is paused (running_since NULL, stopped_at NULL) or has
-- stopped. used_ms: business time used before running_since.
-- next_alert_at: when its next warning or breach is due (the timer index).
CREATE TABLE sla_clocks (
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id),
    target        TEXT    NOT NULL,
    budget_ms     INTEGER NOT NULL,
    used_ms       INTEGER NOT NULL,
    started_at    INTEGER NOT NULL,
    running_since INTEGER,
    due_at        INTEGER,
    stopped_at    INTEGER,
    breached_at   INTEGER,
    warned        INTEGER NOT NULL DEFAULT 0,
    next_alert_at INTEGER,
    PRIMARY KEY (ticket_id, target)
) WITHOUT ROWID;
CREATE INDEX sla_clocks_alert ON sla_clocks(next_alert_at) WHERE next_alert_at IS NOT NULL;
CREATE INDEX sla_clocks_running ON sla_clocks(ticket_id) WHERE running_since IS NOT NULL;

-- Presence (from workstation connections and the agent's own switch) and
-- the number of unresolved tickets each agent holds.
ALTER TABLE agents ADD COLUMN presence TEXT NOT NULL DEFAULT 'offline';
ALTER TABLE agents ADD COLUMN presence_at INTEGER;
ALTER TABLE agents ADD COLUMN holding INTEGER NOT NULL DEFAULT 0;
ALTER TABLE agents ADD COLUMN last_assigned_at INTEGER;
UPDATE agents SET holding = (SELECT count(*) FROM tickets t WHERE t.assignee = agents.id
                             AND t.status IN ('new', 'open', 'pending_on_customer'));

-- `holding` follows every change of a ticket's assignee or status, by
-- whatever path (the server, the agent CLI): capacity checks can trust it.
CREATE TRIGGER tickets_holding_insert AFTER INSERT ON tickets
WHEN NEW.assignee IS NOT NULL AND NEW.status IN ('new', 'open', 'pending_on_customer')
BEGIN
    UPDATE agents SET holding = holding + 1 WHERE id = NEW.assignee;
END;
CREATE TRIGGER tickets_holding_update AFTER UPDATE OF assignee, status ON tickets
WHEN OLD.assignee IS NOT NEW.assignee OR OLD.status IS NOT NEW.status
BEGIN
    UPDATE agents SET holding = holding - 1
     WHERE id = OLD.assignee AND OLD.status IN ('new', 'open', 'pending_on_customer');
    UPDATE agents SET holding = holding + 1
     WHERE id = NEW.assignee AND NEW.status IN ('new', 'open', 'pending_on_customer');
END;

-- Round-robin position of each queue: the agent assigned last.
CREATE TABLE queue_cursors (
    queue      TEXT    PRIMARY KEY,
    last_agent INTEGER NOT NULL
) WITHOUT ROWID;

-- Timed automations that fired, once per rule and state episode.
CREATE TABLE automation_runs (
    ticket_id INTEGER NOT NULL,
    rule      TEXT    NOT NULL,
    since     INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    PRIMARY KEY (ticket_id, rule, since)
) WITHOUT ROWID;
