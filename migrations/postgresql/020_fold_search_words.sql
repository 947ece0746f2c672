-- 020_fold_search_words.sql (PostgreSQL) — search finds a word with or without its accents,
-- and the parts of a path or host name, as SQLite's FTS5 index of 010 does.
-- Why: 010's column gives the text to the 'simple' configuration as it is. That keeps
--      accents (`cafe` did not find `Café`, which SQLite's unicode61 tokenizer folds), and
--      PostgreSQL's parser reads `docs/setup.py`, `query.plans` or `db.example.com` as one
--      file or host token (`setup`, `plans` or `example` found nothing), where unicode61
--      cuts at every character that is not a letter or a digit.
-- How: search_text() is the text as both engines' searches read it: decomposed (NFD), its
--      combining accents dropped, every punctuation character a space. course_search() is
--      010's weighted tsvector of it (title A, description B). The column is generated
--      again from it (a generated column's expression cannot be altered, so it is dropped
--      and added; the GIN index goes and comes with it), and courselab's search reads each
--      typed word through search_text() too. 010 is applied and may not be edited.
-- SQLite's 020 makes unicode61 fold a letter with two accents (Vietnamese `ệ`) too.
-- Difference left: a Greek accent is folded here in both forms; unicode61 folds only Latin
--      letters, so only in text stored decomposed (the accent is then a character of its own).
-- Requires: 010, and PostgreSQL 13 or later (normalize(); 010's generated column needs 12).
BEGIN;

CREATE FUNCTION search_text(t TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT regexp_replace(
        regexp_replace(normalize(t, NFD),
                       '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+',
                       '', 'g'),
        '[[:punct:]]+', ' ', 'g')
$$;

CREATE FUNCTION course_search(title TEXT, description TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('pg_catalog.simple', search_text(coalesce(title, ''))), 'A')
        || setweight(to_tsvector('pg_catalog.simple', search_text(coalesce(description, ''))),
                     'B')
$$;

ALTER TABLE courses DROP COLUMN search;
ALTER TABLE courses ADD COLUMN search tsvector
    GENERATED ALWAYS AS (course_search(title, description)) STORED;
CREATE INDEX courses_fts ON courses USING GIN (search);

INSERT INTO schema_migrations (version, name) VALUES ('020', 'fold_search_words');
COMMIT;
