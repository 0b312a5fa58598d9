-- 0013: who may read what, and the audit log.
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
