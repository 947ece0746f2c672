"""The synthetic data generator: deterministic, consistent, loaded fast and atomically."""

import hashlib
import re
import shutil
import sqlite3
import subprocess
import sys
import types

import pytest

from courselab import bulkload, checks, generate, postgres
from courselab.errors import CourselabError
from tests.conftest import REPO


def table_digest(conn, table):
    """A hash of every row of `table`, in a fixed order."""
    digest = hashlib.sha256()
    columns = ", ".join(generate.COLUMNS[table])
    for row in conn.execute(f"SELECT {columns} FROM {table} ORDER BY {columns}"):
        digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def scalar(conn, sql, *params):
    return conn.execute(sql, params).fetchone()[0]


@pytest.fixture
def generated(make_db):
    """A head database (no fixtures) filled with the class dataset, seed 0."""
    conn = make_db(load=False, name="generated")
    counts = generate.generate(conn, "class", seed=0)
    return conn, counts


def test_every_invariant_holds_after_generating(generated):
    conn, _counts = generated
    assert [(r.name, r.problems) for r in checks.run_checks(conn) if not r.ok] == []


def test_the_counts_returned_are_the_rows_in_each_table(generated):
    conn, counts = generated
    assert counts == {table: scalar(conn, f"SELECT COUNT(*) FROM {table}")
                      for table in generate.COLUMNS}
    assert counts["courses"] == generate.SCALES["class"].courses
    assert counts["users"] == generate.SCALES["class"].users


def test_the_same_seed_gives_identical_rows_and_another_seed_different_rows(make_db):
    first, second, other = (make_db(load=False, name=n) for n in ("a", "b", "c"))
    generate.generate(first, "class", seed=7)
    generate.generate(second, "class", seed=7)
    generate.generate(other, "class", seed=8)
    for table in generate.COLUMNS:
        assert table_digest(first, table) == table_digest(second, table), table
    assert table_digest(first, "users") != table_digest(other, "users")
    assert table_digest(first, "enrollments") != table_digest(other, "enrollments")


def test_rows_do_not_depend_on_the_process_hash_seed():
    """String hashing changes per process (PYTHONHASHSEED); the rows must not."""
    script = ("import hashlib; from courselab import generate; d = hashlib.sha256()\n"
              "for row in generate.rows('class', 5): d.update(repr(row).encode())\n"
              "print(d.hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True, env={"PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)},
                              ).stdout for seed in ("1", "2")}
    assert len(digests) == 1 and len(digests.pop()) == 65


def test_users_have_names_and_distinct_emails(generated):
    conn, counts = generated
    assert scalar(conn, "SELECT COUNT(DISTINCT email) FROM users") == counts["users"]
    assert scalar(conn, "SELECT COUNT(*) FROM users WHERE name NOT LIKE '% %' "
                        "OR email NOT LIKE '%_@example.___'") == 0


def test_courses_have_titles_and_descriptions_of_several_sentences(generated):
    conn, _counts = generated
    for title, description in conn.execute("SELECT title, description FROM courses"):
        assert title and description.count(". ") >= 2, (title, description)


def test_progress_only_covers_lessons_of_courses_the_user_enrolled_in(generated):
    conn, counts = generated
    assert counts["progress"] > 0
    assert scalar(conn, """
        SELECT COUNT(*) FROM progress p
        JOIN lessons l  ON l.id = p.lesson_id
        JOIN sections s ON s.id = l.section_id
        WHERE NOT EXISTS (SELECT 1 FROM enrollments e
                          WHERE e.user_id = p.user_id AND e.course_id = s.course_id)""") == 0


def test_an_enrollment_is_completed_exactly_when_every_lesson_is_done(generated):
    conn, _counts = generated
    rows = conn.execute("""
        SELECT e.completed_at IS NOT NULL AS completed,
               c.lesson_count = (SELECT COUNT(*) FROM progress p
                                 JOIN lessons l  ON l.id = p.lesson_id
                                 JOIN sections s ON s.id = l.section_id
                                 WHERE p.user_id = e.user_id AND s.course_id = e.course_id)
                 AS all_done
        FROM enrollments e JOIN courses c ON c.id = e.course_id""").fetchall()
    assert all(row["completed"] == row["all_done"] for row in rows)
    assert {row["completed"] for row in rows} == {0, 1}


def test_enrollments_go_to_published_courses_only(generated):
    conn, _counts = generated
    assert scalar(conn, "SELECT COUNT(*) FROM enrollments e JOIN courses c "
                        "ON c.id = e.course_id WHERE c.is_published = 0") == 0
    assert scalar(conn, "SELECT COUNT(*) FROM courses WHERE is_published = 0") > 0


def test_events_happen_in_order(generated):
    conn, _counts = generated
    assert scalar(conn, """
        SELECT COUNT(*) FROM enrollments e
        JOIN users u ON u.id = e.user_id JOIN courses c ON c.id = e.course_id
        WHERE e.enrolled_at < u.created_at OR e.enrolled_at < c.created_at
           OR e.completed_at < e.enrolled_at""") == 0
    assert scalar(conn, """
        SELECT COUNT(*) FROM progress p
        JOIN lessons l ON l.id = p.lesson_id JOIN sections s ON s.id = l.section_id
        JOIN enrollments e ON e.user_id = p.user_id AND e.course_id = s.course_id
        WHERE p.completed_at <= e.enrolled_at""") == 0
    assert scalar(conn, "SELECT COUNT(*) FROM reviews r JOIN enrollments e "
                        "USING (user_id, course_id) WHERE r.created_at <= e.enrolled_at") == 0


def test_ratings_are_spread_and_lean_positive(generated):
    conn, counts = generated
    spread = dict(conn.execute("SELECT rating, COUNT(*) FROM reviews GROUP BY rating"))
    assert len(spread) >= 4
    assert spread.get(4, 0) + spread.get(5, 0) > counts["reviews"] / 2
    assert scalar(conn, "SELECT COUNT(*) FROM reviews r LEFT JOIN enrollments e "
                        "USING (user_id, course_id) WHERE e.user_id IS NULL") == 0


def test_rows_are_generated_lazily():
    stream = generate.rows("large")
    assert isinstance(stream, types.GeneratorType)
    assert next(stream)[0] == "users"


def test_batches_are_bounded_and_parents_come_first(make_db, monkeypatch):
    """With tiny batches every flush still inserts parents before children (FKs are ON)."""
    monkeypatch.setattr(bulkload, "BATCH_ROWS", 50)
    sizes = []

    class Recording:
        def __init__(self, conn):
            self.conn = conn

        def __getattr__(self, name):
            return getattr(self.conn, name)

        def executemany(self, sql, rows):
            sizes.append(len(rows))
            return self.conn.executemany(sql, rows)

    conn = make_db(load=False)
    counts = generate.generate(Recording(conn), "class")
    assert max(sizes) == 50 and sum(sizes) == sum(counts.values())
    assert all(r.ok for r in checks.run_checks(conn))


def test_batches_groups_rows_by_table_without_exceeding_the_size():
    stream = [("a", 1), ("b", 1), ("a", 2), ("a", 3), ("b", 2), ("c", 1)]
    assert list(bulkload.batches(stream, size=2)) == [
        ("a", [1]), ("a", [2, 3]), ("b", [1]), ("b", [2]), ("c", [1])]


def test_the_load_suspends_the_counter_and_search_triggers_and_keeps_the_rules(make_db):
    conn = make_db(load=False)
    names = bulkload.derived_triggers(conn, generate.COLUMNS)
    assert {"review_stats_insert", "enrollment_count_insert", "courses_fts_update",
            "lessons_done_progress_insert", "lessons_done_lesson_delete"} <= set(names)
    assert not any("prerequisite" in name for name in names)


def test_a_later_counter_trigger_is_suspended_during_the_load_and_back_after(make_db):
    # A second trigger keeping review_count: fired per row it would count every review twice.
    conn = make_db(load=False)
    trigger = ("CREATE TRIGGER zz_review_count AFTER INSERT ON reviews BEGIN "
               "UPDATE courses SET review_count = review_count + 1 WHERE id = NEW.course_id; END")
    conn.execute(trigger)
    assert "zz_review_count" in bulkload.derived_triggers(conn, generate.COLUMNS)
    generate.generate(conn, "class")
    assert checks.counter_drift(conn) == []
    assert scalar(conn, "SELECT sql FROM sqlite_master WHERE name = 'zz_review_count'") == trigger


def test_a_trigger_keeping_a_column_the_load_cannot_recompute_is_refused(make_db):
    conn = make_db(load=False)
    conn.execute("ALTER TABLE courses ADD COLUMN bookmark_total INTEGER NOT NULL DEFAULT 0")
    conn.execute("CREATE TRIGGER zz_total AFTER INSERT ON enrollments BEGIN "
                 "UPDATE courses SET bookmark_total = bookmark_total + 1 WHERE id = NEW.course_id; "
                 "END")
    with pytest.raises(bulkload.BulkLoadError, match="zz_total keeps courses.bookmark_total"):
        generate.generate(conn, "class")
    assert scalar(conn, "SELECT COUNT(*) FROM users") == 0
    assert scalar(conn, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'zz_total'") == 1


def test_a_row_breaking_a_foreign_key_fails_the_load_and_keeps_nothing(make_db, monkeypatch):
    rows = generate.rows

    def with_orphan(scale, seed):
        yield from rows(scale, seed)
        yield "progress", ("u-0000001", "l-nowhere", "2026-01-01 00:00:00")
    monkeypatch.setattr(generate, "rows", with_orphan)
    conn = make_db(load=False)
    with pytest.raises(bulkload.BulkLoadError, match="progress rowid .*: no row in lessons"):
        generate.generate(conn, "class")
    assert scalar(conn, "SELECT COUNT(*) FROM users") == 0
    assert scalar(conn, "PRAGMA foreign_keys") == 1


def test_foreign_keys_are_on_again_after_the_load(generated):
    conn, _counts = generated
    assert scalar(conn, "PRAGMA foreign_keys") == 1


def test_triggers_of_other_migrations_still_fire_during_the_load(make_db):
    conn = make_db(load=False)
    conn.execute("CREATE TABLE seen (user_id TEXT)")
    conn.execute("CREATE TRIGGER zz_seen AFTER INSERT ON enrollments BEGIN "
                 "INSERT INTO seen VALUES (NEW.user_id); END")
    counts = generate.generate(conn, "class")
    assert scalar(conn, "SELECT COUNT(*) FROM seen") == counts["enrollments"]


def test_schema_and_counters_triggers_are_back_after_the_load(make_db):
    conn = make_db(load=False)
    before = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    generate.generate(conn, "class")
    after = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    course = conn.execute("SELECT id, enrollment_count FROM courses WHERE is_published = 1 "
                          "ORDER BY id LIMIT 1").fetchone()
    conn.execute("INSERT INTO users (id, name, email) VALUES ('u-new', 'New', 'new@example.com')")
    conn.execute("INSERT INTO enrollments (user_id, course_id) VALUES ('u-new', ?)", (course[0],))
    assert scalar(conn, "SELECT enrollment_count FROM courses WHERE id = ?",
                  course[0]) == course[1] + 1


def test_a_failed_load_leaves_the_database_as_it_was(make_db):
    conn = make_db(load=False)
    conn.execute("INSERT INTO courses (id, title) VALUES ('c-000003', 'In the way')")
    before = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    cache = scalar(conn, "PRAGMA cache_size")
    with pytest.raises(sqlite3.IntegrityError):
        generate.generate(conn, "class")
    after = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    assert scalar(conn, "PRAGMA cache_size") == cache
    assert scalar(conn, "SELECT COUNT(*) FROM users") == 0
    assert scalar(conn, "SELECT COUNT(*) FROM courses") == 1


def test_generate_beside_the_fixtures_keeps_every_invariant(db):
    generate.generate(db, "class")
    assert scalar(db, "SELECT COUNT(*) FROM users WHERE id = 'u-ada'") == 1
    assert all(r.ok for r in checks.run_checks(db))


@pytest.mark.parametrize("to", ["009", None])
def test_generate_refuses_a_database_below_010_or_already_generated(make_db, to):
    conn = make_db(to=to, load=False)
    if to is None:
        generate.generate(conn, "class")
    with pytest.raises(CourselabError, match="010|already holds generated rows"):
        generate.generate(conn, "class")


def test_an_unknown_scale_is_refused_with_the_known_ones(make_db):
    with pytest.raises(CourselabError, match="class, medium, large"):
        generate.generate(make_db(load=False), "huge")


def test_cli_generate_prints_the_rows_of_each_table(cli, tmp_path):
    db = tmp_path / "g.db"
    assert cli("migrate", "--db", db).returncode == 0
    result = cli("generate", "--db", db, "--scale", "class", "--seed", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "generated" in lines[0] and "seed 3" in lines[0]
    assert lines[1].split() == ["users", "200"] and lines[3].split() == ["courses", "30"]
    assert cli("check", "--db", db).returncode == 0


def test_cli_generate_beside_the_fixtures_reports_the_rows_inserted_on_both_engines(
        cli, tmp_path, built_databases, make_pg_url):
    # The fixtures hold 5 of the generated tags: neither engine counts those it skipped.
    db, url = tmp_path / "g.db", make_pg_url(load=True)
    shutil.copyfile(built_databases(None, True), db)
    with postgres.connect(url) as conn:
        tags_before = scalar(conn, "SELECT COUNT(*) FROM tags")
    on_sqlite, on_pg = cli("generate", "--db", db), cli("generate", "--db", url)
    assert on_sqlite.returncode == on_pg.returncode == 0, on_sqlite.stderr + on_pg.stderr
    with postgres.connect(url) as conn:
        tags_added = scalar(conn, "SELECT COUNT(*) FROM tags") - tags_before
    assert f"  {'tags':12} {tags_added:>10,}" in on_pg.stdout.splitlines()
    assert on_pg.stdout.splitlines()[1:] == on_sqlite.stdout.splitlines()[1:]

    def total(result):
        return re.search(r"generated ([\d,]+) rows", result.stdout).group(1)
    assert total(on_pg) == total(on_sqlite)


def test_cli_generate_into_a_missing_database_is_one_line(cli):
    result = cli("generate", "--db", "missing.db")
    assert result.returncode == 1 and "no such database" in result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("content", ["courses", "'courses'", '"courses"', "[courses]", "`courses`"])
def test_an_fts_index_is_rebuilt_however_its_content_table_is_quoted(content):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE courses (title TEXT)")
    conn.execute(f"CREATE VIRTUAL TABLE idx USING fts5(title, content={content})")
    conn.execute("CREATE VIRTUAL TABLE other USING fts5(title, content=lessons)")
    assert bulkload.rebuilt_indexes(conn, ["courses"]) == ["idx"]
