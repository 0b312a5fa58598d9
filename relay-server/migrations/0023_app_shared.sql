-- 0023: the customers' mini app (docs/miniapp.md), continued.
--
-- An organisation's tickets shared with its people in the mini app
-- (docs/miniapp.md, "Company"). Off until a supervisor turns it on
-- (`relay-server org share NAME on`). Who may see them is who is still in
-- one of its groups: the bot records a leave, and a return clears it.
ALTER TABLE organisations ADD COLUMN app_shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN left_at INTEGER;
-- Until now the bot kept no leave, so nobody it knew is known to be still
-- there: each counts again once they write or join.
UPDATE group_members SET left_at = seen_at;
-- The tickets made from a group's conversations, by the group.
CREATE INDEX tickets_group_chat ON tickets(chat_id, id) WHERE group_conversation IS NOT NULL;

-- The language the bot set the menu button of the customer's private chat
-- for (NULL: none of its own, the bot's default, in English). Where it
-- differs from their language, the bot sets one in theirs.
ALTER TABLE customers ADD COLUMN menu_lang TEXT;
CREATE INDEX customers_menu_due ON customers(id) WHERE language IS NOT menu_lang;

-- The server's own state between runs (key, value): e.g. the address the
-- chats' menu buttons were set to.
CREATE TABLE server_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
