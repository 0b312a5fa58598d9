-- 0013: who may read what, the audit log, and retention.
-- Agents a supervisor shared a ticket with (a JSON array of agent ids,
-- sorted): they read it although it is outside their queues.
ALTER TABLE tickets ADD COLUMN shared_with TEXT NOT NULL DEFAULT '[]';

-- Which queues were restricted (a fingerprint) since which seq: a client
-- resuming from before a change gets a snapshot, since what it may read
-- changed without an event.
CREATE TABLE access_config (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT NOT NULL,
    since_seq INTEGER NOT NULL
);

-- Who read, exported, erased, or changed the owner of what. Content-free:
-- ids and the kind of access, never message texts or names.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    -- "agent", "cli" or "customer"
    actor_kind TEXT NOT NULL,
    -- the agent's id, the customer's id, or null for the CLI
    actor_id INTEGER,
    -- read_history, read_older, export, erase, assign, share, unshare
    action TEXT NOT NULL,
    ticket_id INTEGER,
    customer_id INTEGER,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_customer ON audit_log(customer_id) WHERE customer_id IS NOT NULL;

-- Retention (docs/privacy.md, "Retention"): when a closed ticket's texts
-- were emptied, and the indexes its batches walk.
ALTER TABLE tickets ADD COLUMN anonymized_at INTEGER;
CREATE INDEX tickets_closed ON tickets(closed_at) WHERE status = 'closed';
CREATE INDEX tickets_to_anonymize ON tickets(closed_at)
    WHERE status = 'closed' AND anonymized_at IS NULL;
-- A ticket's events, rewritten as `withheld` when it is erased, anonymized
-- or deleted (without it, each was a scan of the whole log).
CREATE INDEX events_ticket ON events(ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX applied_commands_at ON applied_commands(at);
CREATE INDEX tg_updates_received ON tg_updates(received_at);
-- A customer's own events (`customer_upserted`), found by the customer
-- when they are erased or anonymized.
ALTER TABLE events ADD COLUMN customer_id INTEGER;
UPDATE events SET customer_id = json_extract(body, '$.event.customer.id')
    WHERE ticket_id IS NULL AND instr(body, '"kind":"customer_upserted"');
CREATE INDEX events_customer ON events(customer_id) WHERE customer_id IS NOT NULL;
