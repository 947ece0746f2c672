"""What the instructor's model answers claim, asserted on the database they talk about."""

import sqlite3

import pytest

from courselab import workbook


def plan(conn, sql, params=()):
    return workbook.query_plan(conn, sql, params)


def refused(conn, sql):
    try:
        conn.execute(sql)
    except sqlite3.IntegrityError:
        return True
    return False


def test_03_1_unique_is_case_sensitive_unless_the_column_says_nocase():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE binary (email TEXT UNIQUE)")
    conn.execute("CREATE TABLE nocase (email TEXT UNIQUE COLLATE NOCASE)")
    for table in ("binary", "nocase"):
        conn.execute(f"INSERT INTO {table} VALUES ('ada@example.com')")
    assert not refused(conn, "INSERT INTO binary VALUES ('ADA@example.com')")
    assert refused(conn, "INSERT INTO nocase VALUES ('ADA@example.com')")
    conn.execute("INSERT INTO nocase VALUES ('é@example.com')")
    assert not refused(conn, "INSERT INTO nocase VALUES ('É@example.com')")  # ASCII only


def test_07_2_an_integer_id_costs_no_index_and_unique_adds_one(make_db):
    db = make_db(to="005")
    db.execute("CREATE TABLE enrollments_by_id (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, "
               "course_id TEXT NOT NULL, UNIQUE (user_id, course_id))")
    indexes = db.execute("SELECT name, origin FROM pragma_index_list('enrollments_by_id')")
    assert [tuple(row) for row in indexes] == [("sqlite_autoindex_enrollments_by_id_1", "u")]
    # 005's enrollments, keyed by the pair: the same one index, and no id column
    assert [r[1] for r in db.execute("SELECT * FROM pragma_index_list('enrollments')")] == [
        "sqlite_autoindex_enrollments_1"]
    assert "id" not in [r[1] for r in db.execute("PRAGMA table_info(enrollments)")]


def test_09_1_the_course_texts_range_check_lets_a_half_star_in_as_a_real():
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE theirs (rating INTEGER CHECK (rating >= 1 AND rating <= 5))")
    conn.execute("CREATE TABLE ours (rating INTEGER CHECK (rating IN (1, 2, 3, 4, 5)))")
    conn.execute("INSERT INTO theirs VALUES (4.5)")
    assert conn.execute("SELECT rating, typeof(rating) FROM theirs").fetchone() == (4.5, "real")
    assert refused(conn, "INSERT INTO ours VALUES (4.5)")


def test_11_1_moving_a_lesson_fires_lesson_count_update_only_when_section_id_changes(db):
    counts = "SELECT id, lesson_count FROM courses WHERE id IN ('c-sql', 'c-design') ORDER BY id"
    before = dict(db.execute(counts).fetchall())
    db.execute("UPDATE lessons SET title = title || '!' WHERE id = 'l-sql-1'")
    assert dict(db.execute(counts).fetchall()) == before
    db.execute("UPDATE lessons SET section_id = 's-design-1' WHERE id = 'l-sql-1'")
    assert dict(db.execute(counts).fetchall()) == {"c-sql": before["c-sql"] - 1,
                                                   "c-design": before["c-design"] + 1}
    db.execute("DROP TRIGGER lesson_count_update")
    db.execute("UPDATE lessons SET section_id = 's-sql-1' WHERE id = 'l-sql-1'")
    assert dict(db.execute(counts).fetchall())["c-sql"] == before["c-sql"] - 1


def _fts_ids(db, query):
    return [r[0] for r in db.execute(
        "SELECT c.id FROM courses_fts JOIN courses c ON c.rowid = courses_fts.rowid "
        "WHERE courses_fts MATCH ? ORDER BY courses_fts.rank, c.id", (query,))]


def test_12_1_like_finds_sql_inside_a_word_and_a_prefix_query_does_not(db):
    like = "SELECT id FROM courses WHERE title LIKE '%sql%' OR description LIKE '%sql%' ORDER BY id"
    assert [r[0] for r in db.execute(like)] == sorted(_fts_ids(db, "sql*"))  # fixtures: same
    db.execute("UPDATE courses SET description = 'NoSQL and PostgreSQL' WHERE id = 'c-nosql'")
    assert "c-nosql" in [r[0] for r in db.execute(like)]
    assert "c-nosql" not in _fts_ids(db, "sql*")


def test_12_3_the_shorter_description_ranks_first_for_a_word_both_have_once(db):
    words = db.execute(
        "SELECT c.id, d.sz FROM courses c JOIN courses_fts_docsize d ON d.id = c.rowid "
        "WHERE c.id IN ('c-sql', 'c-perf')").fetchall()
    # docsize holds a varint per column (title, description): both fit in one byte each here
    sizes = {course: (blob[0], blob[1]) for course, blob in words}
    assert sizes == {"c-sql": (2, 16), "c-perf": (2, 17)}
    assert _fts_ids(db, "query") == ["c-sql", "c-perf"]


def test_13_2_without_the_id_the_second_place_is_a_tie(db):
    ties = db.execute("SELECT id FROM courses WHERE is_published = 1 AND enrollment_count = 3 "
                      "ORDER BY id").fetchall()
    assert [r[0] for r in ties] == ["c-design", "c-perf"]


@pytest.mark.parametrize("step", ["SETUP", "RECURSIVE STEP"])
def test_18_2_both_steps_walking_upwards_use_the_second_column_index(db, step):
    sql = ("WITH RECURSIVE unlocked(id) AS (SELECT course_id FROM course_prerequisites "
           "WHERE prerequisite_id = 'c-sql' UNION SELECT cp.course_id FROM course_prerequisites "
           "cp JOIN unlocked ON cp.prerequisite_id = unlocked.id) SELECT id FROM unlocked")
    rows = db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
    parent = next(r[0] for r in rows if r[3] == step)
    children = [r[3] for r in rows if r[1] == parent]
    assert any("USING INDEX idx_course_prerequisites_prerequisite_id" in c for c in children)


def test_21_2_the_lesson_to_bookmarks_step_uses_the_covering_lesson_index(db):
    text = plan(db, "SELECT COUNT(b.lesson_id) FROM lessons l "
                    "LEFT JOIN bookmarks b ON b.lesson_id = l.id")
    assert "SEARCH b USING COVERING INDEX idx_bookmarks_lesson_id (lesson_id=?)" in text
    db.execute("DROP INDEX idx_bookmarks_lesson_id")
    assert "idx_bookmarks_lesson_id" not in plan(db, "SELECT COUNT(b.lesson_id) FROM lessons l "
                                                     "LEFT JOIN bookmarks b ON b.lesson_id = l.id")
