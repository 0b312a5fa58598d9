-- 0022: what a customer chose in the mini app's settings about hearing
-- from the bot (docs/miniapp.md, "Settings"): their own quiet hours (NULL:
-- the desk's `bot.quiet_hours`; '': none; 'HH:MM-HH:MM') and which
-- notifications they want ('all', or 'essential': replies and the
-- resolution, no status changes or follow-ups). Deleted with the customer.
CREATE TABLE customer_prefs (
    customer_id   INTEGER PRIMARY KEY,
    quiet_hours   TEXT,
    notifications TEXT NOT NULL DEFAULT 'all' CHECK (notifications IN ('all', 'essential'))
);
