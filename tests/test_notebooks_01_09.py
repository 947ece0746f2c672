"""The claims of notebooks 01-09 (modelling, migrations 001-007), asserted outside the notebooks.

Each test repeats what a notebook shows, on its own temporary database, so a change that breaks
a lesson fails here with a readable message, not only in nbval.
"""

import shutil
import sqlite3

import pytest

from courselab import migrate, workbook
from courselab.errors import MigrationError


def rows(conn, sql, params=()):
    """All rows of `sql` as plain tuples."""
    return [tuple(row) for row in conn.execute(sql, params)]


def value(conn, sql, params=()):
    """The first column of the first row of `sql`."""
    return conn.execute(sql, params).fetchone()[0]


# 01 Entities and relationships

def test_schema_at_007_has_a_table_per_noun_plus_course_tags(make_db):
    db = make_db(to="007")
    assert rows(db, "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name <> 'schema_migrations' ORDER BY name") == [
        ("course_tags",), ("courses",), ("enrollments",), ("lessons",), ("progress",),
        ("reviews",), ("sections",), ("tags",), ("users",)]


def test_sections_per_course_show_one_to_many(make_db):
    db = make_db(to="007")
    assert rows(db, "SELECT c.id, COUNT(s.id) AS n FROM courses c "
                    "LEFT JOIN sections s ON s.course_id = c.id "
                    "GROUP BY c.id ORDER BY n DESC, c.id") == [
        ("c-sql", 3), ("c-design", 2), ("c-perf", 2), ("c-nosql", 1), ("c-python", 1)]


def test_enrollments_are_many_on_both_sides(make_db):
    db = make_db(to="007")
    assert rows(db, "SELECT user_id, COUNT(*) AS n FROM enrollments GROUP BY user_id "
                    "ORDER BY n DESC, user_id") == [
        ("u-ada", 3), ("u-grace", 3), ("u-alan", 2), ("u-barbara", 2),
        ("u-donald", 1), ("u-edgar", 1)]
    assert rows(db, "SELECT course_id, COUNT(*) AS n FROM enrollments GROUP BY course_id "
                    "ORDER BY n DESC, course_id") == [
        ("c-sql", 4), ("c-design", 3), ("c-perf", 3), ("c-python", 2)]


def test_enrollments_foreign_keys_point_at_courses_and_users_with_cascade(make_db):
    db = make_db(to="007")
    assert rows(db, "PRAGMA foreign_key_list('enrollments')") == [
        (0, 0, "courses", "course_id", "id", "NO ACTION", "CASCADE", "NONE"),
        (1, 0, "users", "user_id", "id", "NO ACTION", "CASCADE", "NONE")]


ALL_FOREIGN_KEYS = [
    ("courses", "course_tags", "course_id"), ("courses", "enrollments", "course_id"),
    ("courses", "reviews", "course_id"), ("courses", "sections", "course_id"),
    ("lessons", "progress", "lesson_id"), ("sections", "lessons", "section_id"),
    ("tags", "course_tags", "tag_id"), ("users", "enrollments", "user_id"),
    ("users", "progress", "user_id"), ("users", "reviews", "user_id")]


def test_schema_at_007_has_ten_cascading_foreign_keys(make_db):
    db = make_db(to="007", load=False)
    found = rows(db, 'SELECT f."table", m.name, f."from", f.on_delete FROM sqlite_master m '
                     "JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table' "
                     "ORDER BY 1, 2, 3")
    assert found == [(*fk, "CASCADE") for fk in ALL_FOREIGN_KEYS]


def test_junction_tables_are_the_children_of_two_parents(make_db):
    db = make_db(to="007", load=False)
    assert rows(db, "SELECT m.name FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f "
                    "WHERE m.type = 'table' GROUP BY m.name HAVING COUNT(*) = 2 "
                    "ORDER BY m.name") == [
        ("course_tags",), ("enrollments",), ("progress",), ("reviews",)]


def test_er_diagram_draws_every_foreign_key_and_the_courses_rowid_key(make_db):
    diagram = workbook.er_diagram(make_db(to="007", load=False))
    for parent, child, column in ALL_FOREIGN_KEYS:
        assert f'    {parent} ||--o{{ {child} : "{column}"' in diagram
    assert "        INTEGER rowid PK" in diagram
    assert "        TEXT id\n" in diagram.split("courses {")[1]


# 02 How a migration works

def test_database_at_001_records_001_with_its_checksum(make_db):
    db = make_db(to="001", load=False)
    assert rows(db, "SELECT version, name, checksum IS NOT NULL FROM schema_migrations") == [
        ("001", "create_users", 1)]
    assert value(db, "SELECT COUNT(*) FROM users") == 0


def test_migrating_to_002_applies_002_only_and_status_shows_the_rest_pending(make_db):
    db = make_db(to="001", load=False)
    assert [(m.version, m.name) for m in migrate.migrate(db, to="002")] == [
        ("002", "create_courses_and_sections")]
    assert [(m.version, m.name, state) for m, state in migrate.status(db)[:4]] == [
        ("001", "create_users", "applied"), ("002", "create_courses_and_sections", "applied"),
        ("003", "create_lessons", "pending"), ("004", "create_tags_and_course_tags", "pending")]
    assert migrate.migrate(db, to="002") == []


BROKEN_003 = """-- 003_create_drafts.sql: broken on purpose.
BEGIN;
CREATE TABLE drafts (
    id    TEXT PRIMARY KEY,
    title TEXT NOT NULL
);
CREATE INDEX idx_drafts_author ON drafts(author_id);
INSERT INTO schema_migrations (version, name) VALUES ('003', 'create_drafts');
COMMIT;
"""


@pytest.fixture
def broken_folder(tmp_path):
    """A copy of migrations 001-002 plus notebook 02's broken 003."""
    folder = tmp_path / "migrations"
    shutil.copytree(workbook.MIGRATIONS, folder,
                    ignore=lambda _dir, names: [n for n in names if n[:3] > "002"])
    (folder / "003_create_drafts.sql").write_text(BROKEN_003)
    (folder / "003_create_drafts.down.sql").write_text(
        "BEGIN;\nDROP TABLE drafts;\n"
        "DELETE FROM schema_migrations WHERE version = '003';\nCOMMIT;\n")
    return folder


def test_failing_migration_names_file_line_and_statement_and_leaves_nothing(make_db, broken_folder):
    db = make_db(to="002", load=False)
    with pytest.raises(MigrationError) as error:
        migrate.migrate(db, broken_folder)
    assert str(error.value) == (
        "003_create_drafts.sql:7: no such column: author_id "
        "(in: CREATE INDEX idx_drafts_author ON drafts(author_id)); "
        "nothing of this migration was applied")
    assert value(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'drafts'") == 0
    assert rows(db, "SELECT version, name FROM schema_migrations ORDER BY version") == [
        ("001", "create_users"), ("002", "create_courses_and_sections")]


def test_an_applied_migration_edited_afterwards_is_refused(make_db, broken_folder):
    db = make_db(to="002", load=False)
    with open(broken_folder / "001_create_users.sql", "a", encoding="utf-8") as file:
        file.write("CREATE INDEX idx_users_name ON users(name);\n")  # a comment is no edit
    with pytest.raises(MigrationError, match="^001_create_users.sql was edited after it was "
                                             "applied; restore it and put the change in a new "
                                             "migration$"):
        migrate.migrate(db, broken_folder)
    assert value(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'drafts'") == 0


# 03 Users

FRANCES = ("7c9e6679-7425-40de-944b-e07fc1f90ae7", "Frances Allen", "frances@example.com")


def test_users_start_with_six_fixture_users(make_db):
    db = make_db(to="001")
    assert [r[0] for r in rows(db, "SELECT id FROM users ORDER BY id")] == [
        "u-ada", "u-alan", "u-barbara", "u-donald", "u-edgar", "u-grace"]


def test_created_at_is_filled_by_its_default(make_db):
    db = make_db(to="001")
    db.execute("INSERT INTO users (id, name, email) VALUES (?, ?, ?)", FRANCES)
    assert rows(db, "SELECT id, created_at IS NOT NULL FROM users WHERE email = ?",
                (FRANCES[2],)) == [(FRANCES[0], 1)]


@pytest.mark.parametrize("sql, message", [
    ("INSERT INTO users (id, email) VALUES ('u-nameless', 'nameless@example.com')",
     "NOT NULL constraint failed: users.name"),
    ("INSERT INTO users (id, name, email) VALUES ('u-ada-2', 'Ada Again', 'ada@example.com')",
     "UNIQUE constraint failed: users.email"),
    ("INSERT INTO users (id, name, email) VALUES ('u-ada', 'Another Ada', 'another@example.com')",
     "UNIQUE constraint failed: users.id"),
])
def test_users_constraints_refuse_with_the_error_the_notebook_shows(make_db, sql, message):
    db = make_db(to="001")
    db.execute("INSERT INTO users (id, name, email) VALUES (?, ?, ?)", FRANCES)
    with pytest.raises(sqlite3.IntegrityError, match=f"^{message}$"):
        db.execute(sql)
    assert value(db, "SELECT COUNT(*) FROM users") == 7


# 04 Courses and sections

def test_sections_per_course_at_002(make_db):
    db = make_db(to="002")
    assert rows(db, "SELECT course_id, COUNT(*) AS n FROM sections GROUP BY course_id "
                    "ORDER BY n DESC, course_id") == [
        ("c-sql", 3), ("c-design", 2), ("c-perf", 2), ("c-nosql", 1), ("c-python", 1)]


def test_counters_on_courses_are_zero_before_009(make_db):
    db = make_db(to="002")
    assert rows(db, "SELECT id, lesson_count, review_count, avg_rating, enrollment_count "
                    "FROM courses ORDER BY id") == [
        (course, 0, 0, None, 0)
        for course in ["c-design", "c-nosql", "c-perf", "c-python", "c-sql"]]


def test_declared_rowid_is_the_primary_key_and_numbers_courses_in_file_order(make_db):
    db = make_db(to="002")
    keys = [(r[1], r[5]) for r in db.execute("PRAGMA table_info('courses')") if r[5]]
    assert keys == [("rowid", 1)]
    assert rows(db, "SELECT rowid, id FROM courses ORDER BY rowid") == [
        (1, "c-sql"), (2, "c-design"), (3, "c-perf"), (4, "c-python"), (5, "c-nosql")]


def test_hidden_rowid_of_a_text_keyed_table_is_not_kept_by_dump_and_reload():
    source = sqlite3.connect(":memory:")
    source.execute("CREATE TABLE t (id TEXT PRIMARY KEY)")
    source.executemany("INSERT INTO t VALUES (?)", [("a",), ("b",), ("c",)])
    source.execute("DELETE FROM t WHERE id = 'a'")
    copy = sqlite3.connect(":memory:")
    copy.executescript("\n".join(source.iterdump()))
    assert rows(source, "SELECT rowid, id FROM t ORDER BY id") == [(2, "b"), (3, "c")]
    assert rows(copy, "SELECT rowid, id FROM t ORDER BY id") == [(1, "b"), (2, "c")]


def test_unknown_difficulty_is_refused_by_check(make_db):
    db = make_db(to="002")
    with pytest.raises(sqlite3.IntegrityError,
                       match=r"^CHECK constraint failed: difficulty IN "
                             r"\('beginner', 'intermediate', 'advanced'\)$"):
        db.execute("INSERT INTO courses (id, title, difficulty) "
                   "VALUES ('c-expert', 'Expert SQL', 'expert')")


def test_deleting_a_course_deletes_its_sections(make_db):
    db = make_db(to="002")
    counts = ("SELECT (SELECT COUNT(*) FROM sections WHERE course_id = 'c-design'), "
              "(SELECT COUNT(*) FROM sections)")
    assert rows(db, counts) == [(2, 9)]
    db.execute("DELETE FROM courses WHERE id = 'c-design'")
    assert rows(db, counts) == [(0, 7)]


# 05 Lessons

def test_lessons_per_course_through_sections(make_db):
    db = make_db(to="003")
    assert rows(db, "SELECT s.course_id, COUNT(l.id) AS n FROM sections s "
                    "JOIN lessons l ON l.section_id = s.id GROUP BY s.course_id "
                    "ORDER BY n DESC, s.course_id") == [
        ("c-sql", 6), ("c-design", 4), ("c-perf", 3), ("c-python", 3), ("c-nosql", 1)]


def test_course_detail_orders_by_section_then_lesson_position(make_db):
    db = make_db(to="003")
    assert rows(db, "SELECT s.position, l.position, l.title FROM sections s "
                    "JOIN lessons l ON l.section_id = s.id WHERE s.course_id = 'c-sql' "
                    "ORDER BY s.position, l.position, l.id") == [
        (1, 1, "What is a database?"), (1, 2, "Your first SELECT"), (2, 1, "Inner joins"),
        (2, 2, "Outer joins"), (3, 1, "GROUP BY"), (3, 2, "HAVING")]


def test_deleting_a_course_cascades_to_sections_and_their_lessons(make_db):
    db = make_db(to="003")
    counts = ("SELECT (SELECT COUNT(*) FROM sections WHERE course_id = 'c-perf'), "
              "(SELECT COUNT(*) FROM lessons WHERE section_id IN ('s-perf-1', 's-perf-2')), "
              "(SELECT COUNT(*) FROM lessons)")
    assert rows(db, counts) == [(2, 3, 17)]
    db.execute("DELETE FROM courses WHERE id = 'c-perf'")
    assert rows(db, counts) == [(0, 0, 14)]


# 06 Tags

THREE_COURSES_FOUR_TAGS = "c.id IN ('c-sql', 'c-design', 'c-perf') AND t.name <> 'python'"


def test_join_without_on_pairs_three_courses_with_four_tags_twelve_times(make_db):
    db = make_db(to="004")
    assert rows(db, "SELECT COUNT(DISTINCT c.id), COUNT(DISTINCT t.id), COUNT(*) "
                    f"FROM courses c JOIN tags t WHERE {THREE_COURSES_FOUR_TAGS}") == [(3, 4, 12)]


def test_join_through_course_tags_keeps_the_six_real_pairs(make_db):
    db = make_db(to="004")
    assert rows(db, "SELECT c.id, t.name FROM courses c JOIN course_tags ct ON ct.course_id = c.id "
                    f"JOIN tags t ON t.id = ct.tag_id WHERE {THREE_COURSES_FOUR_TAGS} "
                    "ORDER BY c.id, t.name") == [
        ("c-design", "design"), ("c-design", "sql"), ("c-perf", "performance"),
        ("c-perf", "sqlite"), ("c-sql", "sql"), ("c-sql", "sqlite")]


def test_courses_per_tag(make_db):
    db = make_db(to="004")
    assert rows(db, "SELECT t.name, COUNT(ct.course_id) AS n FROM tags t "
                    "LEFT JOIN course_tags ct ON ct.tag_id = t.id GROUP BY t.id "
                    "ORDER BY n DESC, t.name") == [
        ("sql", 3), ("design", 2), ("sqlite", 2), ("performance", 1), ("python", 1)]


def test_duplicate_course_tag_pair_is_refused(make_db):
    db = make_db(to="004")
    with pytest.raises(sqlite3.IntegrityError, match="^UNIQUE constraint failed: "
                                                     "course_tags.course_id, course_tags.tag_id$"):
        db.execute("INSERT INTO course_tags (course_id, tag_id) VALUES ('c-sql', 't-sql')")


# 07 Enrollments

def test_ada_has_three_enrollments_and_completed_one(make_db):
    db = make_db(to="005")
    assert rows(db, "SELECT course_id, completed_at FROM enrollments WHERE user_id = 'u-ada' "
                    "ORDER BY enrolled_at, course_id") == [
        ("c-sql", "2026-03-20 18:00:00"), ("c-design", None), ("c-perf", None)]


def test_duplicate_enrollment_is_refused_by_the_composite_key(make_db):
    db = make_db(to="005")
    with pytest.raises(sqlite3.IntegrityError, match="^UNIQUE constraint failed: "
                                                     "enrollments.user_id, enrollments.course_id$"):
        db.execute("INSERT INTO enrollments (user_id, course_id) VALUES ('u-ada', 'c-sql')")


def test_composite_key_comes_with_a_unique_autoindex(make_db):
    db = make_db(to="005")
    assert rows(db, "PRAGMA index_list('enrollments')") == [
        (0, "sqlite_autoindex_enrollments_1", 1, "pk", 0)]
    assert [r[2] for r in db.execute("PRAGMA index_info('sqlite_autoindex_enrollments_1')")] == [
        "user_id", "course_id"]


def test_lookup_by_user_searches_the_autoindex_and_by_course_scans_before_008(make_db):
    db = make_db(to="005")
    assert workbook.query_plan(
        db, "SELECT course_id, enrolled_at FROM enrollments WHERE user_id = ?", ("u-ada",)) == \
        "SEARCH enrollments USING INDEX sqlite_autoindex_enrollments_1 (user_id=?)"
    assert workbook.query_plan(
        db, "SELECT user_id, enrolled_at FROM enrollments WHERE course_id = ?", ("c-sql",)) == \
        "SCAN enrollments"


def test_id_keyed_enrollments_accept_the_duplicate_and_scan(make_db):
    db = make_db(to="005")
    db.executescript("""
        CREATE TABLE enrollments_by_id (
            id          INTEGER PRIMARY KEY,
            user_id     TEXT NOT NULL REFERENCES users(id),
            course_id   TEXT NOT NULL REFERENCES courses(id),
            enrolled_at TEXT NOT NULL DEFAULT (datetime('now')));
        INSERT INTO enrollments_by_id (user_id, course_id, enrolled_at)
        SELECT user_id, course_id, enrolled_at FROM enrollments ORDER BY user_id, course_id;
        INSERT INTO enrollments_by_id (user_id, course_id) VALUES ('u-ada', 'c-sql');
    """)
    assert rows(db, "SELECT id FROM enrollments_by_id "
                    "WHERE user_id = 'u-ada' AND course_id = 'c-sql' ORDER BY id") == [(3,), (13,)]
    assert rows(db, "PRAGMA index_list('enrollments_by_id')") == []
    plan = workbook.query_plan(
        db, "SELECT course_id, enrolled_at FROM enrollments_by_id WHERE user_id = ?", ("u-ada",))
    assert plan == "SCAN enrollments_by_id"


# 08 Progress

def test_grace_completed_seven_lessons(make_db):
    db = make_db(to="006")
    assert value(db, "SELECT COUNT(*) FROM progress WHERE user_id = 'u-grace'") == 7


def test_completing_a_lesson_twice_is_refused(make_db):
    db = make_db(to="006")
    with pytest.raises(sqlite3.IntegrityError,
                       match="^UNIQUE constraint failed: progress.user_id, progress.lesson_id$"):
        db.execute("INSERT INTO progress (user_id, lesson_id) VALUES ('u-grace', 'l-sql-1')")


def test_on_conflict_do_nothing_keeps_the_first_completion(make_db):
    db = make_db(to="006")
    cursor = db.execute("INSERT INTO progress (user_id, lesson_id) VALUES ('u-grace', 'l-sql-1') "
                        "ON CONFLICT (user_id, lesson_id) DO NOTHING")
    assert cursor.rowcount == 0
    assert rows(db, "SELECT completed_at FROM progress "
                    "WHERE user_id = 'u-grace' AND lesson_id = 'l-sql-1'") == [
        ("2026-03-04 08:00:00",)]


def test_grace_completed_lessons_per_course_and_of_how_many(make_db):
    db = make_db(to="006")
    assert rows(db, "SELECT s.course_id, COUNT(*) FROM progress p "
                    "JOIN lessons l ON l.id = p.lesson_id JOIN sections s ON s.id = l.section_id "
                    "WHERE p.user_id = 'u-grace' GROUP BY s.course_id ORDER BY s.course_id") == [
        ("c-design", 1), ("c-perf", 3), ("c-sql", 3)]
    assert rows(db, "SELECT s.course_id, COUNT(*), COUNT(p.lesson_id) FROM sections s "
                    "JOIN lessons l ON l.section_id = s.id "
                    "LEFT JOIN progress p ON p.lesson_id = l.id AND p.user_id = 'u-grace' "
                    "WHERE s.course_id IN "
                    "(SELECT course_id FROM enrollments WHERE user_id = 'u-grace') "
                    "GROUP BY s.course_id ORDER BY s.course_id") == [
        ("c-design", 4, 1), ("c-perf", 3, 3), ("c-sql", 6, 3)]


def test_grace_completed_every_perf_lesson_but_her_enrollment_is_not_completed(make_db):
    db = make_db(to="006")
    assert value(db, "SELECT completed_at FROM enrollments "
                     "WHERE user_id = 'u-grace' AND course_id = 'c-perf'") is None


# 09 Reviews

def add_review(conn, review_id, user_id, course_id, rating):
    """Insert a review without body, as the notebook's cells do."""
    conn.execute("INSERT INTO reviews (id, user_id, course_id, rating) VALUES (?, ?, ?, ?)",
                 (review_id, user_id, course_id, rating))


def test_reviews_per_course_and_their_average(make_db):
    db = make_db(to="007")
    assert rows(db, "SELECT course_id, COUNT(*), ROUND(AVG(rating), 2) FROM reviews "
                    "GROUP BY course_id ORDER BY course_id") == [
        ("c-design", 2, 4.0), ("c-perf", 1, 5.0), ("c-python", 1, 4.0), ("c-sql", 3, 4.33)]


@pytest.mark.parametrize("rating", [0, 6])
def test_rating_outside_one_to_five_is_refused(make_db, rating):
    db = make_db(to="007")
    with pytest.raises(sqlite3.IntegrityError,
                       match=r"^CHECK constraint failed: rating IN \(1, 2, 3, 4, 5\)$"):
        add_review(db, "r-x", "u-donald", "c-perf", rating)


def test_rating_five_is_accepted_but_four_and_a_half_is_not(make_db):
    db = make_db(to="007")
    add_review(db, "r-8", "u-donald", "c-perf", 5)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        add_review(db, "r-h", "u-alan", "c-python", 4.5)
    assert rows(db, "SELECT id, rating FROM reviews WHERE id IN ('r-8', 'r-h') ORDER BY id") == [
        ("r-8", 5)]


def test_second_review_of_the_same_course_is_refused(make_db):
    db = make_db(to="007")
    with pytest.raises(sqlite3.IntegrityError,
                       match="^UNIQUE constraint failed: reviews.user_id, reviews.course_id$"):
        add_review(db, "r-9", "u-ada", "c-sql", 1)


def test_upsert_updates_the_existing_review_and_creates_none(make_db):
    db = make_db(to="007")
    db.execute("INSERT INTO reviews (id, user_id, course_id, rating, body) "
               "VALUES ('r-9', 'u-ada', 'c-sql', 4, 'Still good on a second read.') "
               "ON CONFLICT (user_id, course_id) "
               "DO UPDATE SET rating = excluded.rating, body = excluded.body")
    assert rows(db, "SELECT id, course_id, rating, body FROM reviews WHERE user_id = 'u-ada' "
                    "ORDER BY course_id") == [
        ("r-5", "c-design", 3, "Normalization section felt rushed."),
        ("r-1", "c-sql", 4, "Still good on a second read.")]
    assert value(db, "SELECT COUNT(*) FROM reviews") == 7


def test_deleting_a_user_cascades_to_reviews_enrollments_and_progress(make_db):
    db = make_db(to="007")
    add_review(db, "r-8", "u-donald", "c-perf", 5)
    counts = ("SELECT (SELECT COUNT(*) FROM reviews WHERE user_id = 'u-grace'), "
              "(SELECT COUNT(*) FROM enrollments WHERE user_id = 'u-grace'), "
              "(SELECT COUNT(*) FROM progress WHERE user_id = 'u-grace'), "
              "(SELECT COUNT(*) FROM reviews)")
    assert rows(db, counts) == [(2, 3, 7, 8)]
    db.execute("DELETE FROM users WHERE id = 'u-grace'")
    assert rows(db, counts) == [(0, 0, 0, 6)]


def test_a_foreign_key_to_enrollments_would_refuse_reviews_of_courses_not_taken(make_db):
    db = make_db(to="007")
    db.execute("CREATE TABLE enrolled_reviews (user_id TEXT, course_id TEXT, rating INTEGER, "
               "FOREIGN KEY (user_id, course_id) REFERENCES enrollments(user_id, course_id))")
    db.execute("INSERT INTO enrolled_reviews VALUES ('u-ada', 'c-sql', 5)")
    with pytest.raises(sqlite3.IntegrityError, match="^FOREIGN KEY constraint failed$"):
        db.execute("INSERT INTO enrolled_reviews VALUES ('u-donald', 'c-sql', 5)")
