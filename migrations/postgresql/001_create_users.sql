-- 001_create_users.sql (PostgreSQL) — the same users table as migrations/001.
-- Dialect: PostgreSQL checks types, so `TEXT NOT NULL PRIMARY KEY` needs no NULL caveat
-- (a PRIMARY KEY is NOT NULL here); timestamps stay TEXT in SQLite's 'YYYY-MM-DD HH:MM:SS'
-- (UTC) so that both engines hold and return the same rows. A PostgreSQL-only platform
-- would use `timestamptz DEFAULT now()`.
BEGIN;

CREATE TABLE users (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
);

INSERT INTO schema_migrations (version, name) VALUES ('001', 'create_users');
COMMIT;
