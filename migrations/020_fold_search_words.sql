-- 020_fold_search_words.sql
-- Changes: courses_fts is declared again with tokenize="unicode61 remove_diacritics 2": the
--          same columns, the same rows, the same three triggers of 010.
-- Why: 010's tokenizer (unicode61, which removes diacritics "1" by default) takes the accent
--      off a letter that carries one (`cafe` finds `Café`) but not off a letter that carries
--      two, such as Vietnamese `ệ`, unless the text was stored decomposed: `viet` found a
--      title typed `Việt` on macOS and not the same title typed on Windows. Option 2 removes
--      them all. PostgreSQL's 020 makes its search column fold accents and cut paths and host
--      names into words, as unicode61 does; with both, the two engines fold alike.
-- How: as in 018, an FTS5 table's options cannot be altered: it is dropped, created again
--      and rebuilt from courses. 010's triggers name courses_fts and keep the new table in
--      sync. courselab's search reads the option from the declaration and cuts typed text
--      into words as this tokenizer does.
-- Requires: 018.
BEGIN;

DROP TABLE courses_fts;

CREATE VIRTUAL TABLE courses_fts USING fts5(
    title, description, content="courses", content_rowid=rowid,
    tokenize="unicode61 remove_diacritics 2"
);

INSERT INTO courses_fts(courses_fts) VALUES ('rebuild');

INSERT INTO schema_migrations (version, name) VALUES ('020', 'fold_search_words');
COMMIT;
