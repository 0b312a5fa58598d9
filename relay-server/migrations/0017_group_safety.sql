-- 0017: group safety (docs/groups.md, "Safety"): who joined which group
-- and how far they are trusted, the messages the checks held, staff's
-- verdicts the classifier learns from, the fingerprints the repeat check
-- counts, and the moderation calls the bot makes as a group admin.

-- A post of the safety rules in the outbox (the moderation call it is).
ALTER TABLE outbox ADD COLUMN safety_call INTEGER;

-- Per organisation, the newcomer limits and the captcha (NULL: [safety]'s).
ALTER TABLE organisations ADD COLUMN newcomer_messages INTEGER;
ALTER TABLE organisations ADD COLUMN newcomer_hours INTEGER;
-- off | button | arithmetic | questions
ALTER TABLE organisations ADD COLUMN captcha TEXT;

-- An organisation's captcha questions: the right answer and wrong ones,
-- shown as buttons in a shuffled order.
CREATE TABLE captcha_questions (
    id              INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL,
    question        TEXT    NOT NULL,
    -- JSON list of answers; the first is the right one
    answers         TEXT    NOT NULL
);
CREATE INDEX captcha_questions_org ON captcha_questions(organisation_id);

-- Captchas set to people at a group's door: an applicant (join request,
-- answered in private) or a newcomer restricted until they press the
-- button in the group.
CREATE TABLE captchas (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    user_name  TEXT    NOT NULL,
    -- the language they are addressed in
    lang       TEXT    NOT NULL,
    -- request | member
    kind       TEXT    NOT NULL,
    -- which button is right
    answer     INTEGER NOT NULL,
    -- the captcha's message once posted (in the group, or the private chat)
    message_id INTEGER,
    deadline   INTEGER NOT NULL,
    -- waiting | passed | failed | expired
    state      TEXT    NOT NULL DEFAULT 'waiting',
    created_at INTEGER NOT NULL,
    decided_at INTEGER
);
CREATE INDEX captchas_waiting ON captchas(chat_id, user_id) WHERE state = 'waiting';
CREATE INDEX captchas_by ON captchas(user_id);

-- Per group: raid protection until then, and the pinned "our official
-- accounts" message.
ALTER TABLE groups ADD COLUMN raid_until INTEGER;
ALTER TABLE groups ADD COLUMN official_message INTEGER;
ALTER TABLE groups ADD COLUMN official_text TEXT;

-- People of customer groups as the bot saw them join, write and change.
CREATE TABLE group_members (
    chat_id       INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    username      TEXT,
    -- when they joined while the bot was there (NULL: there before it)
    joined_at     INTEGER,
    -- messages that counted towards lifting newcomer limits
    real_messages INTEGER NOT NULL DEFAULT 0,
    -- staff approved one of their messages: no newcomer limits
    trusted       INTEGER NOT NULL DEFAULT 0,
    -- banned from the organisation's groups (when)
    banned_at     INTEGER,
    seen_at       INTEGER NOT NULL,
    PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members(user_id);

-- Messages the checks deleted from a group and kept, with why.
CREATE TABLE quarantine (
    id              INTEGER PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    message_id      INTEGER NOT NULL,
    thread_id       INTEGER,
    reply_to        INTEGER,
    author_id       INTEGER NOT NULL,
    author_name     TEXT    NOT NULL,
    author_username TEXT,
    text            TEXT    NOT NULL,
    -- JSON list of shared::HoldReason
    reasons         TEXT    NOT NULL,
    sent_at         INTEGER NOT NULL,
    caught_at       INTEGER NOT NULL,
    -- held | approved | banned
    state           TEXT    NOT NULL DEFAULT 'held',
    decided_by      INTEGER,
    decided_at      INTEGER,
    UNIQUE (chat_id, message_id)
);
CREATE INDEX quarantine_held ON quarantine(id) WHERE state = 'held';
CREATE INDEX quarantine_author ON quarantine(author_id);
CREATE INDEX quarantine_caught ON quarantine(caught_at);

-- Staff's verdicts on held messages: the classifier learns them (again at
-- every start). An erasure of the author removes theirs.
CREATE TABLE spam_verdicts (
    id         INTEGER PRIMARY KEY,
    author_id  INTEGER NOT NULL,
    text       TEXT    NOT NULL,
    spam       INTEGER NOT NULL,
    decided_at INTEGER NOT NULL
);
CREATE INDEX spam_verdicts_author ON spam_verdicts(author_id);

-- Recent texts of customer groups by fingerprint (the repeat check);
-- pruned past the repeat window.
CREATE TABLE text_prints (
    print   INTEGER NOT NULL,
    chat_id INTEGER NOT NULL,
    at      INTEGER NOT NULL
);
CREATE INDEX text_prints_print ON text_prints(print, at);
CREATE INDEX text_prints_at ON text_prints(at);

-- Calls the bot makes as a group admin (delete a held message, restrict,
-- ban, lift): durable, done in order of due time, apart from the outbox's
-- paced sends so a spam wave's deletions do not wait behind replies.
CREATE TABLE moderation (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    -- delete | ban | kick | restrict | lift | notice (a short notice
    -- posted in the group, deleted again after `lifetime_ms`) | approve |
    -- decline (a join request) | captcha (post it) | expire (a captcha's
    -- time is up) | official (post or edit, and pin, the list of staff)
    action      TEXT    NOT NULL,
    user_id     INTEGER,
    message_id  INTEGER,
    thread_id   INTEGER,
    text        TEXT,
    -- the buttons under a posted text (the domain's Keyboard, JSON)
    markup      TEXT,
    lifetime_ms INTEGER,
    -- restrict until then (ms; NULL: for good)
    until       INTEGER,
    captcha_id  INTEGER,
    -- pending | done | failed; `outbox` for a post (a notice, a captcha,
    -- the list of official accounts): it goes through the outbox, paced
    -- with the group's other sends, and is settled when it is delivered
    state       TEXT    NOT NULL DEFAULT 'pending',
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    due_at      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    done_at     INTEGER
);
CREATE INDEX moderation_due ON moderation(due_at, id) WHERE state = 'pending';
CREATE INDEX moderation_done ON moderation(done_at) WHERE state <> 'pending';
CREATE INDEX moderation_notices ON moderation(chat_id, created_at) WHERE action = 'notice';
