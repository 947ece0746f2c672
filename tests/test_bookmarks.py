"""Migration 014: bookmarks, one per user per lesson, with when and an optional note."""

import sqlite3

import pytest

from courselab import migrate
from courselab.errors import MigrationError

# A user's bookmarks, newest first, with the course and lesson they point at (notebook 21).
MY_BOOKMARKS = """
SELECT c.title AS course, l.title AS lesson, b.note, b.created_at
FROM bookmarks b
JOIN lessons l  ON l.id = b.lesson_id
JOIN sections s ON s.id = l.section_id
JOIN courses c  ON c.id = s.course_id
WHERE b.user_id = ?
ORDER BY b.created_at DESC, b.lesson_id
"""


def schema(conn):
    return sorted(tuple(row) for row in conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


def count(conn, sql, *params):
    return conn.execute(sql, params).fetchone()[0]


def bookmark(conn, user_id, lesson_id, note=None):
    conn.execute("INSERT INTO bookmarks (user_id, lesson_id, note) VALUES (?, ?, ?)",
                 (user_id, lesson_id, note))


def test_a_users_bookmarks_newest_first(db):
    # data/bookmarks.csv: u-ada saved l-design-3 (2026-03-26, with a note) and l-perf-1
    # (2026-04-02, no note).
    rows = [tuple(row) for row in db.execute(MY_BOOKMARKS, ("u-ada",))]
    assert rows == [
        ("SQLite Performance", "EXPLAIN QUERY PLAN", None, "2026-04-02 10:00:00"),
        ("Relational Database Design", "Normal forms", "Re-read before the exam",
         "2026-03-26 09:00:00"),
    ]


def test_the_database_fills_in_when_a_bookmark_was_made(db):
    bookmark(db, "u-edgar", "l-design-2")
    created = count(db, "SELECT created_at FROM bookmarks WHERE user_id = 'u-edgar'")
    assert created == count(db, "SELECT datetime(?)", created)  # a valid timestamp


def test_a_lesson_is_bookmarked_once_per_user(db):
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        bookmark(db, "u-ada", "l-design-3", "again")


@pytest.mark.parametrize("note", ["", "x" * 501])
def test_a_note_is_absent_or_between_1_and_500_characters(db, note):
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        bookmark(db, "u-edgar", "l-design-2", note)


def test_notes_of_1_and_500_characters_are_accepted(db):
    bookmark(db, "u-edgar", "l-design-1", "x")
    bookmark(db, "u-edgar", "l-design-2", "x" * 500)
    assert count(db, "SELECT COUNT(*) FROM bookmarks WHERE user_id = 'u-edgar'") == 2


def test_a_bookmark_needs_an_existing_user_and_lesson(db):
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        bookmark(db, "u-nobody", "l-sql-1")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        bookmark(db, "u-ada", "l-missing")


def test_a_bookmark_goes_with_its_user_and_with_its_lesson(db):
    db.execute("DELETE FROM users WHERE id = 'u-ada'")  # had 2 of the 4 fixture bookmarks
    assert count(db, "SELECT COUNT(*) FROM bookmarks") == 2
    db.execute("DELETE FROM lessons WHERE id = 'l-sql-4'")  # u-grace's bookmark
    assert count(db, "SELECT COUNT(*) FROM bookmarks") == 1


def test_deleting_a_lesson_finds_its_bookmarks_through_an_index(db):
    plan = " ".join(row[3] for row in db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM bookmarks WHERE lesson_id = 'l-sql-4'"))
    assert "USING INDEX idx_bookmarks_lesson_id" in plan


def test_rolling_back_014_over_bookmarks_needs_force(db):
    with pytest.raises(MigrationError, match="4 rows of bookmarks"):
        migrate.rollback(db, to="013")
    migrate.rollback(db, to="013", force=True)
    assert count(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'bookmarks'") == 0


def test_an_upsert_changes_the_note_and_keeps_created_at(db):
    upsert = ("INSERT INTO bookmarks (user_id, lesson_id, note) VALUES ('u-ada', 'l-design-3', ?) "
              "ON CONFLICT (user_id, lesson_id) DO UPDATE SET note = excluded.note")
    db.execute(upsert, ("Done: normal forms are clear now",))
    row = db.execute("SELECT note, created_at FROM bookmarks "
                     "WHERE user_id = 'u-ada' AND lesson_id = 'l-design-3'").fetchone()
    assert tuple(row) == ("Done: normal forms are clear now", "2026-03-26 09:00:00")
    assert count(db, "SELECT COUNT(*) FROM bookmarks") == 4
