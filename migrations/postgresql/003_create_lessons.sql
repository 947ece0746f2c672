-- 003_create_lessons.sql (PostgreSQL) — the same table(s) as migrations/003_create_lessons.sql.
-- Dialect: the SQL is the same on both engines.
BEGIN;

CREATE TABLE lessons (
    id          TEXT    NOT NULL PRIMARY KEY,
    section_id  TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    slug        TEXT    NOT NULL,
    description TEXT,
    position    INTEGER NOT NULL DEFAULT 0,
    FOREIGN KEY (section_id) REFERENCES sections(id) ON DELETE CASCADE
);

INSERT INTO schema_migrations (version, name) VALUES ('003', 'create_lessons');
COMMIT;
