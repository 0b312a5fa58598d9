-- 0023: an organisation's tickets shared with its people in the mini app
-- (docs/miniapp.md, "Company"). Off until a supervisor turns it on
-- (`relay-server org share NAME on`). Who may see them is who is still in
-- one of its groups: the bot records a leave, and a return clears it.
ALTER TABLE organisations ADD COLUMN app_shared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE group_members ADD COLUMN left_at INTEGER;
-- The tickets made from a group's conversations, by the group.
CREATE INDEX tickets_group_chat ON tickets(chat_id, id) WHERE group_conversation IS NOT NULL;
