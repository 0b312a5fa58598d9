-- 0021: the index of a ticket's messages also carries who wrote each and
-- when (kind, author, time), so `relay-server report` reads the threads of
-- 100,000 tickets from the index alone, without the messages' texts
-- (docs/benchmarks.md, "Figures"). It replaces the narrower one: loading
-- a thread uses it as before.

DROP INDEX messages_ticket;
CREATE INDEX messages_ticket ON messages(ticket_id, id, created_at, kind, author_kind, author_id);
