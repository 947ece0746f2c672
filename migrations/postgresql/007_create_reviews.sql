-- 007_create_reviews.sql (PostgreSQL) — the same table(s) as migrations/007_create_reviews.sql.
-- Dialect: the SQL is SQLite's but for the timestamp default (TEXT, UTC, as in 001).
BEGIN;

CREATE TABLE reviews (
    id         TEXT    NOT NULL PRIMARY KEY,
    user_id    TEXT    NOT NULL,
    course_id  TEXT    NOT NULL,
    rating     INTEGER NOT NULL CHECK (rating IN (1, 2, 3, 4, 5)),
    body       TEXT,
    created_at TEXT    NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
    FOREIGN KEY (user_id)   REFERENCES users(id)   ON DELETE CASCADE,
    FOREIGN KEY (course_id) REFERENCES courses(id) ON DELETE CASCADE,
    UNIQUE (user_id, course_id)                             -- one review per user per course
);

INSERT INTO schema_migrations (version, name) VALUES ('007', 'create_reviews');
COMMIT;
