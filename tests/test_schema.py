"""The schema at work: constraints, cascades, counters and the search index."""

import shutil
import sqlite3
import subprocess

import pytest

from courselab import checks, queries
from courselab.db import connect


def count(conn, sql, *params):
    return conn.execute(sql, params).fetchone()[0]


def course(conn, course_id):
    return conn.execute("SELECT * FROM courses WHERE id = ?", (course_id,)).fetchone()


def test_the_four_course_queries_give_the_hand_computed_answers(db):
    # From data/*.csv: enrollments per published course, lessons via sections, reviews.
    catalog = [(r["id"], r["enrollment_count"], r["lesson_count"], r["review_count"],
                r["avg_rating"]) for r in queries.catalog(db)]
    assert sorted(catalog, key=lambda r: (-r[1], r[0])) == [
        ("c-sql", 4, 6, 3, pytest.approx(13 / 3)),
        ("c-design", 3, 4, 2, 4.0),
        ("c-perf", 3, 3, 1, 5.0),
        ("c-python", 2, 3, 1, 4.0),
    ]
    detail = queries.course_detail(db, "c-design")
    assert [r["lesson_id"] for r in detail] == ["l-design-1", "l-design-2", "l-design-3",
                                                "l-design-4"]
    progress = {r["title"]: r["percent_complete"] for r in queries.user_progress(db, "u-ada")}
    assert progress == {"SQL Fundamentals": 100.0, "Relational Database Design": 50.0,
                        "SQLite Performance": 0.0}


@pytest.mark.parametrize("sql", [
    "INSERT INTO users (id, name) VALUES ('u-x', 'No Email')",
    "INSERT INTO users (id, name, email) VALUES ('u-x', 'Ada Again', 'ada@example.com')",
    "INSERT INTO courses (id, title, difficulty) VALUES ('c-x', 'T', 'expert')",
    "INSERT INTO reviews (id, user_id, course_id, rating) VALUES ('r-x', 'u-donald', 'c-sql', 0)",
    "INSERT INTO reviews (id, user_id, course_id, rating) VALUES ('r-x', 'u-donald', 'c-sql', 6)",
    "INSERT INTO reviews (id, user_id, course_id, rating) VALUES ('r-x', 'u-ada', 'c-sql', 3)",
    "INSERT INTO enrollments (user_id, course_id) VALUES ('u-ada', 'c-sql')",
    "INSERT INTO progress (user_id, lesson_id) VALUES ('u-ada', 'l-sql-1')",
    "INSERT INTO course_tags (course_id, tag_id) VALUES ('c-sql', 't-sql')",
    "INSERT INTO sections (id, course_id, title) VALUES ('s-x', 'c-missing', 'Orphan')",
])
def test_constraints_refuse_bad_rows(db, sql):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(sql)


def test_defaults_fill_created_at_difficulty_and_counters(db):
    db.execute("INSERT INTO courses (id, title) VALUES ('c-new', 'New')")
    row = course(db, "c-new")
    assert row["created_at"] is not None and row["difficulty"] == "beginner"
    assert (row["is_published"], row["lesson_count"], row["review_count"],
            row["avg_rating"]) == (0, 0, 0, None)


def foreign_keys(conn):
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return [(t, fk[3], fk[2], fk[4]) for t in tables
            for fk in conn.execute(f"PRAGMA foreign_key_list('{t}')")]


def test_every_foreign_key_cascades_its_parent_deletion(make_db):
    for child, column, parent, parent_column in foreign_keys(make_db(name="probe")):
        conn = make_db(name=f"{child}-{column}")
        value = conn.execute(f"SELECT {column} FROM {child} LIMIT 1").fetchone()
        assert value is not None, f"fixtures have no {child} row to test its {column} cascade"
        conn.execute(f"DELETE FROM {parent} WHERE {parent_column} = ?", (value[0],))
        assert count(conn, f"SELECT COUNT(*) FROM {child} WHERE {column} = ?", value[0]) == 0, \
            f"{child}.{column} survived the deletion of its {parent}"
        assert checks.counter_drift(conn) == []


@pytest.mark.parametrize("change, course_id, column, expected", [
    ("INSERT INTO lessons (id, section_id, title, slug) VALUES ('l-x', 's-sql-1', 'X', 'x')",
     "c-sql", "lesson_count", 7),
    ("DELETE FROM lessons WHERE id = 'l-sql-1'", "c-sql", "lesson_count", 5),
    ("DELETE FROM sections WHERE id = 's-sql-2'", "c-sql", "lesson_count", 4),
    ("UPDATE lessons SET section_id = 's-perf-1' WHERE id = 'l-sql-1'",
     "c-perf", "lesson_count", 4),
    ("UPDATE sections SET course_id = 'c-perf' WHERE id = 's-sql-3'", "c-sql", "lesson_count", 4),
    ("INSERT INTO enrollments (user_id, course_id) VALUES ('u-edgar', 'c-sql')",
     "c-sql", "enrollment_count", 5),
    ("DELETE FROM enrollments WHERE user_id = 'u-ada' AND course_id = 'c-sql'",
     "c-sql", "enrollment_count", 3),
    ("DELETE FROM users WHERE id = 'u-grace'", "c-sql", "enrollment_count", 3),
    ("UPDATE enrollments SET course_id = 'c-python' WHERE user_id = 'u-grace' "
     "AND course_id = 'c-sql'", "c-python", "enrollment_count", 3),
    ("INSERT INTO reviews (id, user_id, course_id, rating) VALUES ('r-x', 'u-donald', 'c-sql', 1)",
     "c-sql", "avg_rating", 14 / 4),
    ("UPDATE reviews SET rating = 1 WHERE id = 'r-1'", "c-sql", "avg_rating", 9 / 3),
    ("DELETE FROM reviews WHERE id = 'r-1'", "c-sql", "avg_rating", 8 / 2),
    ("DELETE FROM reviews WHERE id = 'r-4'", "c-perf", "avg_rating", None),
    ("DELETE FROM users WHERE id = 'u-ada'", "c-sql", "avg_rating", 8 / 2),
    ("UPDATE reviews SET course_id = 'c-perf' WHERE id = 'r-1'", "c-perf", "review_count", 2),
    ("INSERT OR REPLACE INTO reviews (id, user_id, course_id, rating) "
     "VALUES ('r-9', 'u-ada', 'c-sql', 1)", "c-sql", "avg_rating", 9 / 3),
    ("INSERT INTO reviews (id, user_id, course_id, rating) VALUES ('r-9', 'u-ada', 'c-sql', 2) "
     "ON CONFLICT (user_id, course_id) DO UPDATE SET rating = excluded.rating",
     "c-sql", "avg_rating", 10 / 3),
])
def test_counters_follow_every_change(db, change, course_id, column, expected):
    db.execute(change)
    value = course(db, course_id)[column]
    assert value == (pytest.approx(expected) if expected is not None else None)
    assert checks.counter_drift(db) == []


def search_ids(conn, word):
    return [r[0] for r in conn.execute(
        "SELECT c.id FROM courses_fts JOIN courses c ON c.rowid = courses_fts.rowid "
        "WHERE courses_fts MATCH ? ORDER BY c.id", (word,))]


def fts_integrity_ok(conn):
    conn.execute("INSERT INTO courses_fts(courses_fts, rank) VALUES ('integrity-check', 1)")
    return True


def test_search_index_is_filled_by_the_migration(db):
    assert search_ids(db, "fundamentals") == ["c-sql"]
    assert fts_integrity_ok(db)


def test_search_index_follows_insert_rename_and_delete(db):
    db.execute("INSERT INTO courses (id, title, description) VALUES ('c-x', 'Graph Theory', "
               "'Vertices and edges.')")
    assert search_ids(db, "vertices") == ["c-x"]
    db.execute("UPDATE courses SET title = 'Network Science' WHERE id = 'c-x'")
    assert search_ids(db, "graph") == [] and search_ids(db, "network") == ["c-x"]
    db.execute("DELETE FROM courses WHERE id = 'c-x'")
    assert search_ids(db, "network") == []
    assert fts_integrity_ok(db)


def index_blocks(conn):
    return conn.execute("SELECT id, block FROM courses_fts_data ORDER BY id").fetchall()


def test_counter_updates_do_not_rewrite_the_search_index(db):
    before = index_blocks(db)
    db.execute("INSERT INTO enrollments (user_id, course_id) VALUES ('u-edgar', 'c-sql')")
    assert course(db, "c-sql")["enrollment_count"] == 5
    assert index_blocks(db) == before
    db.execute("UPDATE courses SET title = 'SQL Basics' WHERE id = 'c-sql'")
    assert index_blocks(db) != before


def test_vacuum_keeps_course_rowids_and_the_search_index_in_step(db, tmp_path):
    db.execute("DELETE FROM courses WHERE id = 'c-sql'")  # leaves a gap in the rowids
    before = db.execute("SELECT id, rowid FROM courses ORDER BY id").fetchall()
    db.execute("VACUUM")
    assert db.execute("SELECT id, rowid FROM courses ORDER BY id").fetchall() == before
    assert fts_integrity_ok(db) and search_ids(db, "performance") == ["c-perf"]


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 shell")
def test_dump_and_reload_keeps_rowids_because_they_are_declared(db, tmp_path):
    db.execute("DELETE FROM courses WHERE id = 'c-sql'")
    source = db.execute("PRAGMA database_list").fetchone()[2]
    dump = subprocess.run(["sqlite3", source, ".dump"], capture_output=True, text=True,
                          check=True).stdout
    subprocess.run(["sqlite3", str(tmp_path / "reloaded.db")], input=dump, text=True, check=True)
    copy = connect(tmp_path / "reloaded.db")
    assert copy.execute("SELECT id, rowid FROM courses ORDER BY id").fetchall() == \
        db.execute("SELECT id, rowid FROM courses ORDER BY id").fetchall()
    assert fts_integrity_ok(copy) and search_ids(copy, "performance") == ["c-perf"]


def test_every_primary_key_column_refuses_null(db):
    # SQLite lets a non-INTEGER PRIMARY KEY hold NULL unless the column says NOT NULL.
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "AND sql NOT LIKE 'CREATE VIRTUAL%'")]
    nullable = [f"{table}.{column}" for table in tables
                for _cid, column, kind, notnull, _default, pk in
                db.execute(f"PRAGMA table_info('{table}')")
                if pk and not notnull and kind.upper() != "INTEGER"]
    assert nullable == []
