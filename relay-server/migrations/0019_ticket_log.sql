-- 0019: every change of a ticket's status, kept as it happens (the figures
-- of `relay-server report`: reopens, resolutions; docs/metrics.md). The
-- event log holds the same, as whole tickets in JSON: this is the narrow
-- copy a report over 100,000 tickets reads in milliseconds. Filled from
-- the event log for tickets that changed before this version.

CREATE TABLE ticket_log (
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    at          INTEGER NOT NULL,
    status_from TEXT    NOT NULL,
    status_to   TEXT    NOT NULL,
    -- the engineer who changed it; NULL: the customer or the desk itself
    agent_id    INTEGER
);
CREATE INDEX ticket_log_ticket ON ticket_log(ticket_id, at);

INSERT INTO ticket_log (ticket_id, at, status_from, status_to, agent_id)
    SELECT e.ticket_id, e.at,
           json_extract(e.body, '$.event.change.from'),
           json_extract(e.body, '$.event.change.to'),
           json_extract(e.body, '$.event.by')
    FROM events e
    WHERE e.ticket_id IN (SELECT id FROM tickets)
      AND json_extract(e.body, '$.event.kind') = 'ticket_updated'
      AND json_extract(e.body, '$.event.change.what') = 'status'
    ORDER BY e.seq;

-- When the customer was asked to rate the ticket (the rating buttons
-- queued); the CSAT response rate is rated / asked. Tickets rated before
-- this version were asked, at least.
ALTER TABLE tickets ADD COLUMN csat_asked_at INTEGER;
UPDATE tickets SET csat_asked_at = coalesce(csat_at, resolved_at, updated_at) WHERE csat IS NOT NULL;
