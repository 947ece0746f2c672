-- 020_fold_search_words.sql
-- Changes: nothing on SQLite; the version is recorded so that 020 is 020 in both series.
-- Why: PostgreSQL's 020 makes its search column fold accents (`cafe` finds `Café`) and cut
--      paths and host names into words (`setup` finds `docs/setup.py`). SQLite's FTS5 index
--      has done both since 010: its unicode61 tokenizer removes accents and ends a word at
--      any character that is not a letter or a digit.
-- Requires: 019.
BEGIN;
INSERT INTO schema_migrations (version, name) VALUES ('020', 'fold_search_words');
COMMIT;
