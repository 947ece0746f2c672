"""The claims of notebooks 10-15 (indexes, counters, search, queries, decisions, rollback).

Each test repeats what a notebook shows, on its own temporary database, so a change that breaks
a lesson fails here with a readable message, not only in nbval. Timings are never asserted:
where a notebook measures, the test asserts the plans and results behind the measurement.
"""

import json
import re
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

import courselab
from courselab import checks, fixtures, migrate, queries
from courselab.db import table_names
from courselab.errors import MigrationError
from courselab.search import search_courses, to_match_query, words
from courselab.workbook import query_plan

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def rows(conn, sql, params=()):
    """All rows of `sql` as plain tuples."""
    return [tuple(row) for row in conn.execute(sql, params)]


def value(conn, sql, params=()):
    """The first column of the first row of `sql`."""
    return conn.execute(sql, params).fetchone()[0]


def plan_lines(conn, sql, params=()):
    """The plan of `sql` as a list of lines without indentation."""
    return [line.strip() for line in query_plan(conn, sql, params).splitlines()]


def counters(conn, course_id, columns):
    """The named counter columns of one course, as a tuple."""
    return tuple(conn.execute(f"SELECT {', '.join(columns)} FROM courses WHERE id = ?",
                              (course_id,)).fetchone())


# 10 Indexes

SECTIONS_IN_ORDER = "SELECT id, title FROM sections WHERE course_id = ? ORDER BY position"
REVIEWS_OF_COURSE = "SELECT id, rating FROM reviews WHERE course_id = ?"
ENROLLMENTS_OF_COURSE = "SELECT user_id FROM enrollments WHERE course_id = ?"
CATALOG_FILTER = "SELECT id, title FROM courses WHERE is_published = 1 AND difficulty = ?"
DELETE_COURSE = "DELETE FROM courses WHERE id = ?"

NOTEBOOK_10_QUERIES = [
    (SECTIONS_IN_ORDER, ("c-sql",),
     "SEARCH sections USING INDEX idx_sections_position (course_id=?)"),
    (REVIEWS_OF_COURSE, ("c-sql",),
     "SEARCH reviews USING INDEX idx_reviews_course_id (course_id=?)"),
    (ENROLLMENTS_OF_COURSE, ("c-sql",),
     "SEARCH enrollments USING INDEX idx_enrollments_course_id (course_id=?)"),
    (CATALOG_FILTER, ("beginner",),
     "SEARCH courses USING INDEX idx_courses_difficulty (difficulty=?)"),
]


@pytest.mark.parametrize("sql, params, _after", NOTEBOOK_10_QUERIES)
def test_before_008_each_query_of_notebook_10_scans(make_db, sql, params, _after):
    db = make_db(to="007")
    lines = plan_lines(db, sql, params)
    assert lines[0].startswith("SCAN ")
    assert not any(line.startswith("SEARCH") for line in lines)


def test_before_008_sections_in_order_are_scanned_then_sorted(make_db):
    db = make_db(to="007")
    assert plan_lines(db, SECTIONS_IN_ORDER, ("c-sql",)) == [
        "SCAN sections", "USE TEMP B-TREE FOR ORDER BY"]


def test_enrollments_primary_key_starts_with_user_id_so_a_course_lookup_scans_it(make_db):
    db = make_db(to="007")
    assert plan_lines(db, ENROLLMENTS_OF_COURSE, ("c-sql",)) == [
        "SCAN enrollments USING COVERING INDEX sqlite_autoindex_enrollments_1"]
    assert rows(db, "SELECT name FROM pragma_index_info('sqlite_autoindex_enrollments_1') "
                    "ORDER BY seqno") == [("user_id",), ("course_id",)]


def test_at_007_every_index_comes_from_a_primary_key_or_unique_constraint(make_db):
    db = make_db(to="007")
    names = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")]
    assert len(names) == 13
    assert all(name.startswith("sqlite_autoindex_") for name in names)


def first_columns(conn, table):
    """The first column of each index of `table`."""
    return {conn.execute(f"PRAGMA index_info('{index[1]}')").fetchone()[2]
            for index in conn.execute(f"PRAGMA index_list('{table}')")}


def test_sqlite_indexes_the_parent_end_of_a_foreign_key_but_not_the_child_end(make_db):
    db = make_db(to="007")
    assert [(row[1], row[2]) for row in db.execute("PRAGMA index_list('courses')")] == [
        ("sqlite_autoindex_courses_1", 1)]
    for child in ("sections", "reviews", "enrollments"):
        assert "course_id" not in first_columns(db, child), child
    assert "course_id" in first_columns(db, "course_tags")


def test_a_foreign_key_to_a_column_without_a_unique_index_is_a_mismatch(make_db):
    db = make_db(to=0, load=False)
    db.execute("CREATE TABLE parent (code TEXT)")
    db.execute("CREATE TABLE child (code TEXT REFERENCES parent(code))")
    db.execute("INSERT INTO parent VALUES ('a')")
    with pytest.raises(sqlite3.OperationalError, match="foreign key mismatch"):
        db.execute("INSERT INTO child VALUES ('a')")


def test_before_008_a_course_delete_scans_three_child_tables(make_db):
    db = make_db(to="007")
    assert plan_lines(db, DELETE_COURSE, ("c-sql",)) == [
        "SEARCH courses USING INDEX sqlite_autoindex_courses_1 (id=?)",
        "SCAN reviews USING COVERING INDEX sqlite_autoindex_reviews_2",
        "SCAN enrollments USING COVERING INDEX sqlite_autoindex_enrollments_1",
        "SEARCH course_tags USING COVERING INDEX sqlite_autoindex_course_tags_1 (course_id=?)",
        "SCAN sections",
    ]


@pytest.mark.parametrize("sql, params, after", NOTEBOOK_10_QUERIES)
def test_after_008_each_query_searches_the_index_notebook_10_names(make_db, sql, params, after):
    db = make_db(to="007")
    assert [m.version for m in migrate.migrate(db, to="008")] == ["008"]
    assert plan_lines(db, sql, params) == [after]


def test_008_adds_the_course_texts_ten_indexes_and_one_on_course_tags_tag_id(make_db):
    db = make_db(to="008")
    course_text = {"idx_sections_course_id", "idx_lessons_section_id", "idx_enrollments_course_id",
                   "idx_progress_lesson_id", "idx_reviews_course_id", "idx_reviews_user_id",
                   "idx_sections_position", "idx_lessons_position", "idx_courses_published",
                   "idx_courses_difficulty"}
    added = {row[0] for row in db.execute("SELECT name FROM sqlite_master "
                                          "WHERE type = 'index' AND name LIKE 'idx_%'")}
    assert added - course_text == {"idx_course_tags_tag_id"}
    assert course_text <= added
    assert rows(db, "SELECT name FROM pragma_index_info('idx_course_tags_tag_id')") == [("tag_id",)]


def test_after_008_a_course_delete_searches_every_child_table(make_db):
    db = make_db(to="008")
    assert plan_lines(db, DELETE_COURSE, ("c-sql",)) == [
        "SEARCH courses USING INDEX sqlite_autoindex_courses_1 (id=?)",
        "SEARCH reviews USING COVERING INDEX idx_reviews_course_id (course_id=?)",
        "SEARCH enrollments USING COVERING INDEX idx_enrollments_course_id (course_id=?)",
        "SEARCH course_tags USING COVERING INDEX sqlite_autoindex_course_tags_1 (course_id=?)",
        "SEARCH sections USING COVERING INDEX idx_sections_course_id (course_id=?)",
    ]


def test_idx_sections_position_serves_the_cascade_when_idx_sections_course_id_is_dropped(make_db):
    db = make_db(to="008")
    db.execute("BEGIN")
    db.execute("DROP INDEX idx_sections_course_id")
    lines = plan_lines(db, DELETE_COURSE, ("c-sql",))
    db.execute("ROLLBACK")
    assert lines[-1] == "SEARCH sections USING COVERING INDEX idx_sections_position (course_id=?)"
    restored = plan_lines(db, DELETE_COURSE, ("c-sql",))
    assert restored[-1].endswith("idx_sections_course_id (course_id=?)")


def test_idx_lessons_position_serves_lookups_when_idx_lessons_section_id_is_dropped(make_db):
    db = make_db(to="008")
    db.execute("BEGIN")
    db.execute("DROP INDEX idx_lessons_section_id")
    lines = plan_lines(db, "SELECT id FROM lessons WHERE section_id = ?", ("s-sql-1",))
    db.execute("ROLLBACK")
    assert lines == ["SEARCH lessons USING INDEX idx_lessons_position (section_id=?)"]


def test_query_plan_is_not_a_stale_cached_plan_after_drop_index(make_db):
    db = make_db(to="008")
    assert "idx_reviews_course_id" in query_plan(db, REVIEWS_OF_COURSE, ("c-sql",))
    db.execute("DROP INDEX idx_reviews_course_id")
    assert "idx_reviews_course_id" not in query_plan(db, REVIEWS_OF_COURSE, ("c-sql",))


# 11 Denormalized counters

COURSE_TEXT_009 = """
BEGIN;
CREATE TRIGGER enrollment_count_insert AFTER INSERT ON enrollments BEGIN
UPDATE courses SET enrollment_count = enrollment_count + 1 WHERE id = NEW.course_id;
END;
CREATE TRIGGER enrollment_count_delete AFTER DELETE ON enrollments BEGIN
UPDATE courses SET enrollment_count = enrollment_count - 1 WHERE id = OLD.course_id;
END;
CREATE TRIGGER review_stats_insert AFTER INSERT ON reviews BEGIN
UPDATE courses SET
review_count = review_count + 1,
avg_rating = (SELECT AVG(rating) FROM reviews WHERE course_id = NEW.course_id)
WHERE id = NEW.course_id;
END;
CREATE TRIGGER review_stats_delete AFTER DELETE ON reviews BEGIN
UPDATE courses SET
review_count = review_count - 1,
avg_rating = (SELECT AVG(rating) FROM reviews WHERE course_id = OLD.course_id)
WHERE id = OLD.course_id;
END;
INSERT INTO schema_migrations (version, name)
VALUES ('009', 'add_denormalized_columns_and_triggers');
COMMIT;
"""

ALL_COUNTERS = ("lesson_count", "enrollment_count", "review_count", "rating_sum", "avg_rating")


def test_before_009_every_counter_is_at_its_default(make_db):
    db = make_db(to="008")
    assert rows(db, "SELECT DISTINCT lesson_count, enrollment_count, review_count, avg_rating "
                    "FROM courses") == [(0, 0, 0, None)]
    assert value(db, "SELECT COUNT(*) FROM enrollments") == 12
    assert value(db, "SELECT COUNT(*) FROM reviews") == 7


@pytest.fixture
def course_text_db(make_db):
    """A database at 008 with the course text's 009 triggers, then the fixtures loaded."""
    db = make_db(to="008", load=False, name="course")
    db.executescript(COURSE_TEXT_009)
    assert sum(fixtures.load(db).values()) == 5 + 5 + 6 + 9 + 12 + 7 + 9 + 17 + 18
    return db


def test_course_text_triggers_count_enrollments_and_reviews_but_never_lessons(course_text_db):
    db = course_text_db
    assert rows(db, "SELECT id, enrollment_count, review_count, lesson_count FROM courses "
                    "ORDER BY id") == [
        ("c-design", 3, 2, 0), ("c-nosql", 0, 0, 0), ("c-perf", 3, 1, 0),
        ("c-python", 2, 1, 0), ("c-sql", 4, 3, 0)]
    assert value(db, "SELECT COUNT(*) FROM lessons") == 17


def test_course_text_triggers_leave_avg_rating_stale_after_a_rating_edit(course_text_db):
    db = course_text_db
    assert value(db, "SELECT avg_rating FROM courses WHERE id = 'c-sql'") == pytest.approx(13 / 3)
    db.execute("UPDATE reviews SET rating = 1 WHERE id = 'r-1'")
    assert value(db, "SELECT AVG(rating) FROM reviews WHERE course_id = 'c-sql'") == 3.0
    assert value(db, "SELECT avg_rating FROM courses WHERE id = 'c-sql'") == pytest.approx(13 / 3)


def test_009_computes_the_counters_from_rows_already_there(make_db):
    db = make_db(to="008")
    assert [m.version for m in migrate.migrate(db, to="009")] == ["009"]
    assert rows(db, "SELECT id, lesson_count, enrollment_count, review_count, rating_sum, "
                    "ROUND(avg_rating, 2) FROM courses ORDER BY id") == [
        ("c-design", 4, 3, 2, 8, 4.0), ("c-nosql", 1, 0, 0, 0, None),
        ("c-perf", 3, 3, 1, 5, 5.0), ("c-python", 3, 2, 1, 4, 4.0),
        ("c-sql", 6, 4, 3, 13, 4.33)]


def test_009_triggers_follow_every_step_of_notebook_11(make_db):
    db = make_db(to="009")
    db.execute("INSERT INTO lessons (id, section_id, title, slug, position) "
               "VALUES ('l-sql-7', 's-sql-3', 'Window functions', 'window-functions', 3)")
    assert counters(db, "c-sql", ["lesson_count"]) == (7,)

    db.execute("UPDATE reviews SET rating = 1 WHERE id = 'r-1'")
    assert counters(db, "c-sql", ["review_count", "rating_sum", "avg_rating"]) == (3, 9, 3.0)

    db.execute("INSERT INTO enrollments (user_id, course_id, enrolled_at) "
               "VALUES ('u-donald', 'c-sql', '2026-04-10 10:00:00')")
    db.execute("INSERT INTO reviews (id, user_id, course_id, rating, created_at) "
               "VALUES ('r-8', 'u-donald', 'c-sql', 2, '2026-04-11 10:00:00')")
    assert counters(db, "c-sql", ["enrollment_count", "review_count", "rating_sum", "avg_rating"]) \
        == (5, 4, 11, 2.75)

    db.execute("DELETE FROM reviews WHERE id = 'r-2'")
    assert counters(db, "c-sql", ["review_count", "rating_sum"]) == (3, 7)
    assert value(db, "SELECT ROUND(avg_rating, 2) FROM courses WHERE id = 'c-sql'") == 2.33

    db.execute("DELETE FROM users WHERE id = 'u-grace'")
    assert rows(db, "SELECT id, enrollment_count, review_count, rating_sum, avg_rating "
                    "FROM courses WHERE id IN ('c-sql', 'c-design', 'c-perf') ORDER BY id") == [
        ("c-design", 2, 2, 8, 4.0), ("c-perf", 2, 0, 0, None), ("c-sql", 4, 2, 3, 1.5)]

    db.execute("DELETE FROM sections WHERE id = 's-sql-3'")
    assert counters(db, "c-sql", ["lesson_count"]) == (4,)
    assert checks.counter_drift(db) == []


def test_a_course_without_reviews_has_a_null_average(make_db):
    db = make_db(to="009")
    assert counters(db, "c-nosql", ALL_COUNTERS) == (1, 0, 0, 0, None)


# 12 Full-text search

FTS_SEARCH = ("SELECT c.id FROM courses_fts JOIN courses c ON c.rowid = courses_fts.rowid "
              "WHERE courses_fts MATCH ? ORDER BY c.id")


def test_like_finds_sql_inside_sqlite_and_scans_courses(make_db):
    db = make_db(to="009")
    sql = "SELECT id FROM courses WHERE title LIKE ? OR description LIKE ? ORDER BY id"
    assert rows(db, sql, ("%sql%", "%sql%")) == [("c-perf",), ("c-sql",)]
    assert plan_lines(db, "SELECT id FROM courses WHERE title LIKE ? OR description LIKE ?",
                      ("%sql%", "%sql%")) == ["SCAN courses"]


def test_external_content_fts_table_is_empty_until_rebuilt(make_db):
    db = make_db(to="009")
    db.execute("CREATE VIRTUAL TABLE scratch_fts USING fts5(title, description, content=courses)")
    assert value(db, "SELECT COUNT(*) FROM scratch_fts") == 5
    assert value(db, "SELECT COUNT(*) FROM scratch_fts WHERE scratch_fts MATCH 'sql'") == 0
    with pytest.raises(sqlite3.DatabaseError, match="malformed"):
        db.execute("INSERT INTO scratch_fts(scratch_fts, rank) VALUES ('integrity-check', 1)")
    db.execute("INSERT INTO scratch_fts(scratch_fts) VALUES ('rebuild')")
    assert value(db, "SELECT COUNT(*) FROM scratch_fts WHERE scratch_fts MATCH 'sql'") == 1
    db.execute("DROP TABLE scratch_fts")
    assert [m.version for m in migrate.migrate(db, to="010")] == ["010"]


def test_match_finds_words_and_ranks_the_text_with_fewer_words_first(make_db):
    db = make_db(to="010")
    assert rows(db, FTS_SEARCH, ("sql",)) == [("c-sql",)]
    ranked = rows(db, "SELECT c.id, courses_fts.rank FROM courses_fts "
                      "JOIN courses c ON c.rowid = courses_fts.rowid "
                      "WHERE courses_fts MATCH 'database' ORDER BY courses_fts.rank, c.id")
    assert [course for course, _rank in ranked] == ["c-design", "c-python"]
    assert ranked[0][1] < ranked[1][1] < 0
    texts = rows(db, "SELECT id, title || ' ' || description FROM courses")
    counts = {course: len(words(text)) for course, text in texts}
    assert (counts["c-design"], counts["c-python"]) == (16, 19)


@pytest.mark.parametrize("query, expected", [
    ("database", ["c-design", "c-python"]),
    ("databases", ["c-nosql", "c-sql"]),
    ("data*", ["c-design", "c-nosql", "c-python", "c-sql"]),
    ("query plans", ["c-perf"]),
    ('"query plans"', ["c-perf"]),
    ('"plans query"', []),
])
def test_prefix_and_phrase_queries_of_notebook_12(make_db, query, expected):
    db = make_db(to="010")
    assert [row[0] for row in rows(db, FTS_SEARCH, (query,))] == expected


def test_search_index_follows_an_insert_a_rename_and_a_delete(make_db):
    db = make_db(to="010")
    db.execute("INSERT INTO courses (id, title, description, is_published) VALUES ('c-window', "
               "'Window Functions', 'Running totals and rankings over partitions.', 1)")
    assert [row["id"] for row in search_courses(db, "window")] == ["c-window"]
    db.execute("UPDATE courses SET title = 'Analytic Queries' WHERE id = 'c-window'")
    assert search_courses(db, "window") == []
    assert [row["id"] for row in search_courses(db, "analytic")] == ["c-window"]
    db.execute("DELETE FROM courses WHERE id = 'c-window'")
    assert search_courses(db, "analytic") == []
    db.execute("INSERT INTO courses_fts(courses_fts, rank) VALUES ('integrity-check', 1)")
    assert checks.fts_problems(db) == []


@pytest.mark.parametrize("text, message", [
    ("c++", 'syntax error near "+"'), ("AND", 'syntax error near "AND"'),
    ('"', "unterminated string")])
def test_raw_user_text_in_match_is_a_syntax_error(make_db, text, message):
    db = make_db(to="010")
    with pytest.raises(sqlite3.OperationalError, match=re.escape(message)):
        db.execute(FTS_SEARCH, (text,)).fetchall()


@pytest.mark.parametrize("text, query, hits", [
    ("c++", '"c"', []),
    ("AND", '"AND"', ["c-design", "c-python", "c-sql", "c-perf"]),
    ('"', None, []),
    ("query plans", '"query" "plans"', ["c-perf"]),
    ("data*", '"data"', ["c-python"]),
    ("title:sql", '"title" "sql"', []),
    ("!!!", None, []),
])
def test_search_courses_makes_any_text_safe(make_db, text, query, hits):
    db = make_db(to="010")
    assert to_match_query(text) == query
    assert [row["id"] for row in search_courses(db, text)] == hits


def test_the_word_and_is_in_four_course_descriptions(make_db):
    db = make_db(to="010")
    assert value(db, "SELECT COUNT(*) FROM courses WHERE is_published = 1 "
                     "AND (' ' || description || ' ') LIKE '% and %'") == 4


def test_match_plan_reads_the_fts_index_then_courses_by_rowid(make_db):
    db = make_db(to="010")
    assert plan_lines(db, FTS_SEARCH, ("sql",)) == [
        "SCAN courses_fts VIRTUAL TABLE INDEX 0:M2",
        "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)",
        "USE TEMP B-TREE FOR ORDER BY"]


# 13 Application queries

CATALOG_STABLE = queries.CATALOG.replace("enrollment_count DESC", "enrollment_count DESC, id")
PROGRESS_ORDERED = queries.USER_PROGRESS + "ORDER BY c.title"
COURSE_SEARCH = """
SELECT c.*
FROM courses_fts
JOIN courses c ON c.rowid = courses_fts.rowid
WHERE courses_fts MATCH ?
AND c.is_published = 1
ORDER BY courses_fts.rank
"""


def test_catalog_order_by_enrollment_count_has_a_tie(make_db):
    db = make_db(to="010")
    assert rows(db, "SELECT enrollment_count, COUNT(*) FROM courses WHERE is_published = 1 "
                    "GROUP BY enrollment_count HAVING COUNT(*) > 1") == [(3, 2)]
    assert rows(db, "SELECT id FROM courses WHERE is_published = 1 AND enrollment_count = 3 "
                    "ORDER BY id") == [("c-design",), ("c-perf",)]


def test_stable_catalog_breaks_the_tie_by_id_and_keeps_the_plan(make_db):
    db = make_db(to="010")
    assert [row[0] for row in rows(db, CATALOG_STABLE)] == [
        "c-sql", "c-design", "c-perf", "c-python"]
    expected = ["SEARCH courses USING INDEX idx_courses_published (is_published=?)",
                "USE TEMP B-TREE FOR ORDER BY"]
    assert plan_lines(db, CATALOG_STABLE) == expected
    assert plan_lines(db, queries.CATALOG) == expected


def test_course_detail_lists_c_sql_in_reading_order_with_two_index_searches(make_db):
    db = make_db(to="010")
    assert [row[2] for row in queries.course_detail(db, "c-sql")] == [
        "l-sql-1", "l-sql-2", "l-sql-3", "l-sql-4", "l-sql-5", "l-sql-6"]
    assert plan_lines(db, queries.COURSE_DETAIL, ("c-sql",)) == [
        "SEARCH s USING INDEX idx_sections_position (course_id=?)",
        "SEARCH l USING INDEX idx_lessons_section_id (section_id=?)",
        "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY"]


def test_ada_progress_and_its_plan(make_db):
    db = make_db(to="010")
    assert rows(db, PROGRESS_ORDERED, ("u-ada",)) == [
        ("Relational Database Design", 4, 2, 50.0),
        ("SQL Fundamentals", 6, 6, 100.0),
        ("SQLite Performance", 3, 0, 0.0)]
    assert plan_lines(db, PROGRESS_ORDERED, ("u-ada",)) == [
        "MATERIALIZE course_progress",
        "SEARCH e USING COVERING INDEX sqlite_autoindex_enrollments_1 (user_id=?)",
        "SEARCH p USING COVERING INDEX sqlite_autoindex_progress_1 (user_id=? AND lesson_id=?) "
        "LEFT-JOIN",
        "CORRELATED LIST SUBQUERY 1",
        "SEARCH s USING INDEX idx_sections_position (course_id=?)",
        "SEARCH l USING INDEX idx_lessons_position (section_id=?)",
        "SCAN cp",
        "SEARCH c USING INDEX sqlite_autoindex_courses_1 (id=?)",
        "USE TEMP B-TREE FOR ORDER BY"]


def test_course_search_query_is_ordered_by_fts5_itself(make_db):
    db = make_db(to="010")
    assert [row["id"] for row in db.execute(COURSE_SEARCH, ("database",))] == [
        "c-design", "c-python"]
    assert plan_lines(db, COURSE_SEARCH, ("database",)) == [
        "SCAN courses_fts VIRTUAL TABLE INDEX 32:M2",
        "SEARCH c USING INTEGER PRIMARY KEY (rowid=?)"]


# 14 Design decisions

def test_a_uuid_made_by_the_application_is_a_text_key(make_db):
    db = make_db(to="010")
    user_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://courses.example.com/users/kay"))
    db.execute("INSERT INTO users (id, name, email) VALUES (?, 'Kay Nygaard', 'kay@example.com')",
               (user_id,))
    assert rows(db, "SELECT id, typeof(id) FROM users WHERE email = 'kay@example.com'") == [
        (user_id, "text")]


def test_the_sections_foreign_key_points_at_courses_and_cascades(make_db):
    db = make_db(to="010")
    assert rows(db, 'SELECT "from", "table", "to", on_delete '
                    "FROM pragma_foreign_key_list('sections')") == [
        ("course_id", "courses", "id", "CASCADE")]


def test_tags_have_several_courses_through_course_tags(make_db):
    db = make_db(to="010")
    assert rows(db, "SELECT t.name AS tag, COUNT(*) AS courses FROM tags t "
                    "JOIN course_tags ct ON ct.tag_id = t.id GROUP BY t.id "
                    "ORDER BY courses DESC, tag") == [
        ("sql", 3), ("design", 2), ("sqlite", 2), ("performance", 1), ("python", 1)]


def test_review_count_equals_the_counted_reviews_and_triggers_sit_on_five_tables(make_db):
    db = make_db(to="010")
    assert rows(db, "SELECT c.review_count, COUNT(r.id) FROM courses c "
                    "LEFT JOIN reviews r ON r.course_id = c.id GROUP BY c.id "
                    "HAVING c.review_count <> COUNT(r.id)") == []
    assert rows(db, "SELECT tbl_name, COUNT(*) FROM sqlite_master WHERE type = 'trigger' "
                    "GROUP BY tbl_name ORDER BY tbl_name") == [
        ("courses", 3), ("enrollments", 3), ("lessons", 3), ("reviews", 3), ("sections", 2)]


def test_reviews_of_a_course_use_the_foreign_key_index_and_phrase_search_finds_c_perf(make_db):
    db = make_db(to="010")
    assert plan_lines(db, REVIEWS_OF_COURSE, ("c-sql",)) == [
        "SEARCH reviews USING INDEX idx_reviews_course_id (course_id=?)"]
    assert [row["id"] for row in search_courses(db, "query plans")] == ["c-perf"]


TITLE = "SELECT title FROM courses WHERE id = 'c-sql'"


def test_journal_mode_is_wal_and_a_reader_is_not_blocked_by_an_open_write(make_db, tmp_path):
    db = make_db(to="010")
    assert value(db, "PRAGMA journal_mode") == "wal"
    reader = courselab.connect(tmp_path / "test.db")
    reader.execute("PRAGMA busy_timeout = 0")
    db.execute("BEGIN IMMEDIATE")
    db.execute("UPDATE courses SET title = 'SQL Basics' WHERE id = 'c-sql'")
    assert value(db, TITLE) == "SQL Basics"
    assert value(reader, TITLE) == "SQL Fundamentals"
    db.execute("COMMIT")
    assert value(reader, TITLE) == "SQL Basics"


def test_in_wal_a_writer_commits_while_a_reader_keeps_its_snapshot(make_db, tmp_path):
    db = make_db(to="010")
    reader = courselab.connect(tmp_path / "test.db")
    reader.execute("BEGIN")
    assert value(reader, TITLE) == "SQL Fundamentals"
    db.execute("UPDATE courses SET title = 'SQL Basics' WHERE id = 'c-sql'")
    assert value(reader, TITLE) == "SQL Fundamentals"
    reader.execute("COMMIT")
    assert value(reader, TITLE) == "SQL Basics"


def test_in_wal_two_writers_still_take_turns(make_db, tmp_path):
    db = make_db(to="010")
    other = courselab.connect(tmp_path / "test.db")
    other.execute("PRAGMA busy_timeout = 0")
    db.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        other.execute("BEGIN IMMEDIATE")
    db.execute("COMMIT")
    other.execute("BEGIN IMMEDIATE")
    other.execute("COMMIT")


def test_in_rollback_journal_mode_a_reader_blocks_the_writers_commit(make_db, tmp_path):
    db = make_db(to="010")
    copy = tmp_path / "journal.db"
    db.execute("VACUUM INTO ?", (str(copy),))
    writer = sqlite3.connect(copy, isolation_level=None, timeout=0)
    reader = sqlite3.connect(copy, isolation_level=None, timeout=0)
    assert value(writer, "PRAGMA journal_mode = DELETE") == "delete"
    reader.execute("BEGIN")
    assert value(reader, TITLE) == "SQL Fundamentals"
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE courses SET title = 'SQL Basics' WHERE id = 'c-sql'")
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        writer.execute("COMMIT")
    reader.execute("COMMIT")
    writer.execute("COMMIT")
    assert value(reader, TITLE) == "SQL Basics"


def test_a_seven_star_review_and_a_second_review_are_refused(make_db):
    db = make_db(to="010")
    insert = "INSERT INTO reviews (id, user_id, course_id, rating) VALUES (?, ?, 'c-sql', ?)"
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed: rating"):
        db.execute(insert, ("r-bad", "u-donald", 7))
    with pytest.raises(sqlite3.IntegrityError,
                       match=r"UNIQUE constraint failed: reviews.user_id, reviews.course_id"):
        db.execute(insert, ("r-again", "u-ada", 4))


CATALOG_WITHOUT_COUNTERS = """
SELECT c.id, c.title, c.description, c.difficulty, c.duration,
       c.lesson_count, AVG(r.rating) AS avg_rating, COUNT(r.id) AS review_count, c.enrollment_count
FROM courses c
LEFT JOIN reviews r ON r.course_id = c.id
WHERE c.is_published = 1
GROUP BY c.id
ORDER BY c.enrollment_count DESC, c.id
"""


def generator_sql():
    """The %%sql cell of notebook 16 that generates the larger dataset, without its magic line."""
    notebook = json.loads((NOTEBOOKS / "16-Two-Design-Questions.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    (cell,) = [s for s in sources if s.startswith("%%sql\nWITH RECURSIVE")]
    return cell.split("\n", 1)[1]


def test_catalog_without_counters_gives_the_same_rows_on_fixtures_and_generated_data(make_db):
    db = make_db(to="010")
    assert rows(db, CATALOG_WITHOUT_COUNTERS) == rows(db, CATALOG_STABLE)
    db.executescript(generator_sql())
    assert value(db, "SELECT COUNT(*) FROM courses "
                     "WHERE id LIKE 'gc-%' AND is_published = 1") == 2000
    assert value(db, "SELECT COUNT(*) FROM users WHERE id LIKE 'gu-%'") == 1000
    assert rows(db, "SELECT DISTINCT review_count FROM courses WHERE id LIKE 'gc-%'") == [(50,)]
    assert rows(db, "SELECT DISTINCT n FROM (SELECT COUNT(DISTINCT course_id) AS n FROM reviews "
                    "WHERE id LIKE 'gr-%' GROUP BY user_id)") == [(100,)]
    with_counters = rows(db, CATALOG_STABLE)
    assert len(with_counters) == 2004
    assert rows(db, CATALOG_WITHOUT_COUNTERS) == with_counters


def test_catalog_without_counters_joins_and_groups_every_review(make_db):
    db = make_db(to="010")
    assert plan_lines(db, CATALOG_WITHOUT_COUNTERS) == [
        "SEARCH c USING INDEX idx_courses_published (is_published=?)",
        "SEARCH r USING INDEX idx_reviews_course_id (course_id=?) LEFT-JOIN",
        "USE TEMP B-TREE FOR GROUP BY",
        "USE TEMP B-TREE FOR ORDER BY"]
    assert "reviews" not in query_plan(db, CATALOG_STABLE)


# 15 Rolling back

def schema(conn):
    """Every object of the database with its SQL, in a fixed order."""
    return rows(conn, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name")


def test_rollback_to_007_removes_the_objects_of_008_to_010_and_keeps_the_data(make_db):
    db = make_db(to="010")
    assert [m.version for m in migrate.rollback(db, to="007")] == ["010", "009", "008"]
    assert sorted(migrate.applied(db)) == ["001", "002", "003", "004", "005", "006", "007"]
    assert rows(db, "SELECT name FROM sqlite_master WHERE name LIKE 'idx_%' OR type = 'trigger' "
                    "OR name LIKE 'courses_fts%'") == []
    assert value(db, "SELECT COUNT(*) FROM reviews") == 7
    assert value(db, "SELECT review_count FROM courses WHERE id = 'c-sql'") == 3


def test_migrating_back_up_gives_the_identical_schema(make_db):
    db = make_db(to="010")
    at_010 = schema(db)
    # 10 tables + courses_fts and its 4 shadow tables; 13 key indexes + 11 of 008; 11 + 3 triggers.
    assert rows(db, "SELECT type, COUNT(*) FROM sqlite_master GROUP BY type ORDER BY type") == [
        ("index", 24), ("table", 15), ("trigger", 14)]
    migrate.rollback(db, to="007")
    assert [m.version for m in migrate.migrate(db, to="010")] == ["008", "009", "010"]
    assert schema(db) == at_010


def test_a_rollback_that_would_drop_reviews_is_refused_and_changes_nothing(make_db):
    db = make_db(to="010")
    at_010 = schema(db)
    with pytest.raises(MigrationError, match="007_create_reviews.down.sql would delete 7 rows "
                                             "of reviews; pass --force"):
        migrate.rollback(db, to="006")
    assert migrate.current_version(db) == "010"
    assert schema(db) == at_010


def test_a_forced_rollback_drops_reviews_and_migrating_up_restores_an_empty_table(make_db):
    db = make_db(to="010")
    at_010 = schema(db)
    assert [m.version for m in migrate.rollback(db, to="006", force=True)] == [
        "010", "009", "008", "007"]
    assert "reviews" not in table_names(db)
    assert [m.version for m in migrate.migrate(db, to="010")] == ["007", "008", "009", "010"]
    assert value(db, "SELECT COUNT(*) FROM reviews") == 0
    assert value(db, "SELECT review_count FROM courses WHERE id = 'c-sql'") == 0
    assert schema(db) == at_010


def test_an_applied_migration_edited_afterwards_is_refused(make_db, tmp_path):
    db = make_db(to="010")
    edited = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, edited)
    path = edited / "008_add_indexes.sql"
    original = path.read_text()
    path.write_text(original.replace(
        "\nINSERT INTO schema_migrations",
        "\nCREATE INDEX idx_courses_created_at ON courses(created_at);"
        "\nINSERT INTO schema_migrations"))
    assert path.read_text() != original
    assert [(m.version, state) for m, state in migrate.status(db, directory=edited)
            if state == "edited"] == [("008", "edited")]
    with pytest.raises(MigrationError, match="^008_add_indexes.sql was edited after it was "
                                             "applied; restore it and put the change in a new "
                                             "migration$"):
        migrate.migrate(db, directory=edited)
    assert migrate.current_version(db) == "010"
