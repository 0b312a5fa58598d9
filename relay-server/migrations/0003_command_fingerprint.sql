-- 0003: remember what each applied command was, so an id reused for a
-- different command is refused instead of silently answered. NULL for
-- commands applied before this migration (they match any retry).
ALTER TABLE applied_commands ADD COLUMN command TEXT;
