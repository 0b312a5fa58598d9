-- 0005: the sender looks up each chat's oldest waiting message.
CREATE INDEX outbox_chat ON outbox(chat_id, id);
