-- 010_add_courses_fts.sql
-- Adds: courses_fts, a full-text index (FTS5) over course titles and descriptions.
-- Why: LIKE '%word%' scans every row and cannot rank; MATCH uses an inverted index and bm25.
-- Requires: 002 (courses and its stable rowid column).
--
-- Fixes to the course text, and why:
-- * An external-content table (content=courses) stores no text of its own and is NOT kept
--   in sync by SQLite: it starts empty and goes stale on every change to courses.
--   'rebuild' fills it from the rows already there; three triggers keep it in sync.
-- * The update trigger fires only when title or description change (UPDATE OF ...), so a
--   counter update on a course does not rewrite its index entries.
-- * content_rowid names courses' declared `rowid INTEGER PRIMARY KEY` (see 002), which
--   VACUUM and dump/reload keep; a hidden rowid could be renumbered under the index.
-- * The 'delete' command must be given the old values exactly as they were indexed.
BEGIN;

CREATE VIRTUAL TABLE courses_fts USING fts5(
    title, description, content=courses, content_rowid=rowid
);

INSERT INTO courses_fts(courses_fts) VALUES ('rebuild');

CREATE TRIGGER courses_fts_insert AFTER INSERT ON courses BEGIN
    INSERT INTO courses_fts(rowid, title, description)
    VALUES (NEW.rowid, NEW.title, NEW.description);
END;

CREATE TRIGGER courses_fts_delete AFTER DELETE ON courses BEGIN
    INSERT INTO courses_fts(courses_fts, rowid, title, description)
    VALUES ('delete', OLD.rowid, OLD.title, OLD.description);
END;

CREATE TRIGGER courses_fts_update AFTER UPDATE OF title, description, rowid ON courses BEGIN
    INSERT INTO courses_fts(courses_fts, rowid, title, description)
    VALUES ('delete', OLD.rowid, OLD.title, OLD.description);
    INSERT INTO courses_fts(rowid, title, description)
    VALUES (NEW.rowid, NEW.title, NEW.description);
END;

INSERT INTO schema_migrations (version, name) VALUES ('010', 'add_courses_fts');
COMMIT;
