-- A/B tests of the bot (docs/experiments.md): which variant each customer
-- saw of each experiment, recorded the first time it mattered. The report
-- attributes their tickets created from `assigned_at` on.
CREATE TABLE experiment_assignments (
    experiment  TEXT    NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    variant     TEXT    NOT NULL,
    assigned_at INTEGER NOT NULL,
    PRIMARY KEY (experiment, customer_id)
) WITHOUT ROWID;
CREATE INDEX experiment_assignments_customer ON experiment_assignments(customer_id);

-- NPS (docs/metrics.md): the 0-10 question the follow-up asks when
-- `bot.nps` is on, when it was asked, and the answer.
ALTER TABLE tickets ADD COLUMN nps_asked_at INTEGER;
ALTER TABLE tickets ADD COLUMN nps INTEGER;
