-- 010_add_courses_fts.sql (PostgreSQL) — full-text search over course titles and
-- descriptions, the contract of migrations/010: every word must match, raw user text is
-- safe, unpublished courses are never returned (courselab.search adds that filter).
-- Dialect: PostgreSQL has no FTS5. A generated `tsvector` column on courses holds each
-- course's words and a GIN index answers `@@` queries: no separate index table, so no
-- 'rebuild' and no sync triggers (PostgreSQL recomputes the column on every write of
-- title or description, and never on a counter update: the column depends on those two).
-- The 'simple' configuration lower-cases and splits words without stemming, like FTS5's
-- unicode61 tokenizer; unlike unicode61 it keeps diacritics (résumé ≠ resume).
-- Ranking: ts_rank weights title words (A) over description words (B); FTS5's bm25 also
-- weighs how rare a word is, so the two engines may order equal matches differently.
BEGIN;

ALTER TABLE courses ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce(description, '')), 'B')
) STORED;

CREATE INDEX courses_fts ON courses USING GIN (search);

INSERT INTO schema_migrations (version, name) VALUES ('010', 'add_courses_fts');
COMMIT;
