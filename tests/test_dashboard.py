"""The admin dashboard: each query against answers computed by hand from data/*.csv."""

import gc
import random
import shutil

import pytest

from courselab import dashboard, progress_counters
from courselab.generate import generate


def rows(result):
    return [tuple(row) for row in result]


def test_most_popular_courses_by_enrollment(db):
    # data/enrollments.csv per course: c-sql 4 (ada, alan, grace, barbara), c-design 3
    # (ada, grace, edgar), c-perf 3 (ada, grace, donald), c-python 2 (alan, barbara),
    # c-nosql 0. c-design and c-perf tie at 3: by id.
    assert rows(dashboard.most_popular_courses(db)) == [
        ("c-sql", "SQL Fundamentals", 1, 4),
        ("c-design", "Relational Database Design", 1, 3),
        ("c-perf", "SQLite Performance", 1, 3),
        ("c-python", "Python for Data Analysis", 1, 2),
        ("c-nosql", "Document Databases", 0, 0),
    ]
    assert rows(dashboard.most_popular_courses(db, limit=1)) == [
        ("c-sql", "SQL Fundamentals", 1, 4)]


def test_highest_rated_courses_by_bayesian_average(db):
    # data/reviews.csv: c-sql 5+4+4 = 13 over 3, c-perf 5 over 1, c-design 3+5 = 8 over 2,
    # c-python 4 over 1. Platform mean C = 30 / 7 = 4.2857; m = 5, so m * C = 21.4286.
    #   c-perf   (21.4286 + 5)  / (5 + 1) = 4.4048 -> 4.40
    #   c-sql    (21.4286 + 13) / (5 + 3) = 4.3036 -> 4.30
    #   c-python (21.4286 + 4)  / (5 + 1) = 4.2381 -> 4.24
    #   c-design (21.4286 + 8)  / (5 + 2) = 4.2041 -> 4.20
    # c-nosql has no review and is left out.
    assert rows(dashboard.highest_rated_courses(db)) == [
        ("c-perf", "SQLite Performance", 1, 5.0, 4.4),
        ("c-sql", "SQL Fundamentals", 3, 4.33, 4.3),
        ("c-python", "Python for Data Analysis", 1, 4.0, 4.24),
        ("c-design", "Relational Database Design", 2, 4.0, 4.2),
    ]


def test_with_no_prior_weight_the_bayesian_average_is_the_plain_average(db):
    assert [(row["id"], row["bayesian_rating"])
            for row in dashboard.highest_rated_courses(db, prior_weight=0)] == [
        ("c-perf", 5.0), ("c-sql", 4.33), ("c-design", 4.0), ("c-python", 4.0)]


def test_one_five_star_review_does_not_beat_500_reviews_averaging_4_8(make_db):
    # c-one: a single 5. c-many: 400 fives and 100 fours = 2400 / 500 = 4.8. c-other:
    # 400 threes and 100 fours = 1600 / 500 = 3.2, so the platform mean is not 4.8 itself.
    # C = (5 + 2400 + 1600) / 1001 = 4.001; m * C = 5 * 4.001 = 20.005.
    #   c-one  (20.005 + 5)    / (5 + 1)   = 4.168 -> 4.17
    #   c-many (20.005 + 2400) / (5 + 500) = 4.792 -> 4.79
    # The plain average (m = 0) ranks c-one first: 5.0 > 4.8.
    conn = make_db(load=False)
    conn.executemany("INSERT INTO users (id, name, email) VALUES (?, ?, ?)",
                     [(f"u{i}", f"U{i}", f"u{i}@example.com") for i in range(1001)])
    for course in ("c-one", "c-many", "c-other"):
        conn.execute("INSERT INTO courses (id, title) VALUES (?, ?)", (course, course))
    ratings = ([("c-one", 5)] + [("c-many", 5)] * 400 + [("c-many", 4)] * 100
               + [("c-other", 3)] * 400 + [("c-other", 4)] * 100)
    conn.executemany("INSERT INTO reviews (id, user_id, course_id, rating) VALUES (?, ?, ?, ?)",
                     [(f"r{i}", f"u{i}", course, rating)
                      for i, (course, rating) in enumerate(ratings)])
    ranked = [(row["id"], row["bayesian_rating"]) for row in dashboard.highest_rated_courses(conn)]
    assert ranked[:2] == [("c-many", 4.79), ("c-one", 4.17)]
    plain = [row["id"] for row in dashboard.highest_rated_courses(conn, prior_weight=0)]
    assert plain[:2] == ["c-one", "c-many"]


def test_courses_with_no_reviews(db):
    # data/reviews.csv reviews c-sql, c-perf, c-design, c-python: only c-nosql has none.
    assert rows(dashboard.courses_without_reviews(db)) == [
        ("c-nosql", "Document Databases", 0, 0)]


def test_users_who_enrolled_but_never_started(db):
    # An enrollment is "never started" when data/progress.csv has no lesson of that course
    # for that user: ada has no l-perf-*, barbara no l-sql-* and no l-python-*, donald no
    # l-perf-*. Every other enrollment has at least one lesson. Oldest enrollment first.
    assert rows(dashboard.enrolled_never_started(db)) == [
        ("u-barbara", "Barbara Liskov", "c-sql", "SQL Fundamentals", "2026-03-08 15:00:00"),
        ("u-barbara", "Barbara Liskov", "c-python", "Python for Data Analysis",
         "2026-03-09 15:30:00"),
        ("u-donald", "Donald Knuth", "c-perf", "SQLite Performance", "2026-03-10 17:00:00"),
        ("u-ada", "Ada Lovelace", "c-perf", "SQLite Performance", "2026-04-02 09:30:00"),
    ]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_never_started_report_leaves_the_cycle_collector_as_it_found_it(db, enabled):
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        cycle = []
        cycle.append(cycle)
        dashboard.enrolled_never_started(db)
        assert gc.isenabled() == enabled and gc.get_freeze_count() == 0
        del cycle
        assert gc.collect() >= 1  # what was young then is collected by a full collection
    finally:
        (gc.enable if was else gc.disable)()


def test_the_never_started_report_leaves_a_callers_frozen_objects_frozen(db):
    mine = [[]]
    gc.freeze()  # gc.get_objects() lists every tracked object but the frozen ones
    try:
        assert len(dashboard.enrolled_never_started(db)) > 0
        assert gc.get_freeze_count() > 0
        assert not any(o is mine for o in gc.get_objects())
    finally:
        gc.unfreeze()


def test_progress_in_another_course_does_not_count_as_starting(db):
    # u-donald starts c-sql's first lesson: his c-perf enrollment is still never started.
    db.execute("INSERT INTO progress (user_id, lesson_id) VALUES ('u-donald', 'l-sql-1')")
    assert ("u-donald", "c-perf") in [(r["user_id"], r["course_id"])
                                      for r in dashboard.enrolled_never_started(db)]
    db.execute("INSERT INTO progress (user_id, lesson_id) VALUES ('u-donald', 'l-perf-2')")
    assert "u-donald" not in [r["user_id"] for r in dashboard.enrolled_never_started(db)]


def test_average_completion_rate_per_course(db):
    # Lessons done in the enrolled course / lessons of the course, per enrollment:
    #   c-sql (6):    ada 6/6 = 100, alan 1/6 = 16.7, grace 3/6 = 50, barbara 0
    #                 -> (100 + 16.667 + 50 + 0) / 4 = 41.7; 1 completed_at (ada)
    #   c-design (4): ada 2/4 = 50, grace 1/4 = 25, edgar 1/4 = 25 -> 100 / 3 = 33.3
    #   c-perf (3):   ada 0, grace 3/3 = 100, donald 0             -> 100 / 3 = 33.3
    #   c-python (3): alan 1/3 = 33.3, barbara 0                   -> 16.7
    #   c-nosql (1):  no enrollment                                -> NULL, last
    assert rows(dashboard.completion_rates(db)) == [
        ("c-sql", "SQL Fundamentals", 6, 4, 41.7, 1),
        ("c-design", "Relational Database Design", 4, 3, 33.3, 0),
        ("c-perf", "SQLite Performance", 3, 3, 33.3, 0),
        ("c-python", "Python for Data Analysis", 3, 2, 16.7, 0),
        ("c-nosql", "Document Databases", 1, 0, None, 0),
    ]


def test_every_report_runs_on_an_empty_database(make_db):
    conn = make_db(load=False)
    assert {heading: rows(report(conn)) for heading, report in dashboard.REPORTS} == {
        heading: [] for heading, _ in dashboard.REPORTS}


def test_the_dashboard_command_prints_the_five_reports(cli):
    assert cli("migrate", "--db", "d.db").returncode == 0
    assert cli("load", "--db", "d.db").returncode == 0
    result = cli("dashboard", "--db", "d.db")
    assert result.returncode == 0, result.stderr
    headings = [line[3:] for line in result.stdout.splitlines() if line.startswith("== ")]
    assert headings == [heading for heading, _ in dashboard.REPORTS]
    assert "u-donald\tDonald Knuth\tc-perf\tSQLite Performance\t2026-03-10 17:00:00" in \
        result.stdout.splitlines()


def test_the_dashboard_command_prints_the_same_text_on_both_engines(cli, tmp_path, built_databases,
                                                                  make_pg_url):
    # PostgreSQL's NUMERIC keeps ROUND's scale (5.00): the command prints SQLite's 5.0.
    db = tmp_path / "d.db"
    shutil.copyfile(built_databases(None, True), db)
    on_sqlite = cli("dashboard", "--db", db)
    on_pg = cli("dashboard", "--db", make_pg_url(load=True))
    assert on_sqlite.returncode == on_pg.returncode == 0, on_sqlite.stderr + on_pg.stderr
    assert "c-perf\tSQLite Performance\t1\t5.0\t4.4" in on_pg.stdout.splitlines()
    assert on_pg.stdout == on_sqlite.stdout


@pytest.mark.parametrize("to", ["empty file", "0", "005", "008"])
def test_before_its_counters_are_kept_the_dashboard_command_prints_nothing_and_says_to_migrate(
        cli, tmp_path, to):
    # Its tables exist from 006, but before 009 nothing keeps the counters it reads: at 008
    # every course would show 0 enrollments.
    if to == "empty file":
        (tmp_path / "d.db").touch()
    else:
        assert cli("migrate", "--db", "d.db", "--to", to).returncode == 0
        assert cli("load", "--db", "d.db").returncode == (1 if to == "0" else 0)
    result = cli("dashboard", "--db", "d.db")
    assert (result.returncode, result.stdout) == (1, "")
    at = "0" if to == "empty file" else to
    assert result.stderr == (f"courselab dashboard: dashboard needs a database migrated to 009 "
                             f"or later (this one is at {at}); run `courselab migrate` first\n")


def test_the_dashboard_needs_the_migration_that_keeps_its_counters():
    assert dashboard.needed_version() == "009"


def test_notebook_19_example_one_review_of_5_against_500_averaging_4_8(db):
    # Fixture mean C = 30 / 7; m * C = 21.4286.
    #   one review of 5:   (21.4286 + 5)       / 6   = 4.4048 -> 4.40
    #   500 averaging 4.8: (21.4286 + 500 * 4.8) / 505 = 4.7949 -> 4.79
    m = dashboard.PRIOR_WEIGHT
    mean = db.execute("SELECT AVG(rating) FROM reviews").fetchone()[0]
    assert (m, mean) == (5, 30 / 7)
    assert round((m * mean + 5.0) / (m + 1), 2) == 4.4
    assert round((m * mean + 500 * 4.8) / (m + 500), 2) == 4.79


def test_grace_did_every_lesson_of_c_perf_but_her_enrollment_is_not_completed(db):
    # Why completion_rates reports `completed` beside the lesson-based average.
    done = db.execute("SELECT COUNT(*) FROM progress WHERE user_id = 'u-grace' "
                      "AND lesson_id LIKE 'l-perf-%'").fetchone()[0]
    completed_at = db.execute("SELECT completed_at FROM enrollments WHERE user_id = 'u-grace' "
                              "AND course_id = 'c-perf'").fetchone()[0]
    assert (done, completed_at) == (3, None)


def test_on_generated_data_fewer_reviews_mean_a_longer_pull_to_the_mean(make_db):
    # The Bayesian rating moves a course's average toward C by the factor m / (m + n):
    # it lies between the two, and the share of the distance it keeps grows with n.
    conn = make_db(to="014", load=False)
    counts = generate(conn, scale="class", seed=0)
    assert (counts["users"], counts["courses"]) == (200, 30)
    mean = conn.execute("SELECT AVG(rating) FROM reviews").fetchone()[0]
    m = dashboard.PRIOR_WEIGHT
    for row in dashboard.highest_rated_courses(conn, limit=1000):
        low, high = sorted((row["avg_rating"], mean))
        assert low - 0.01 <= row["bayesian_rating"] <= high + 0.01
        exact = (m * mean + row["avg_rating"] * row["review_count"]) / (m + row["review_count"])
        assert row["bayesian_rating"] == pytest.approx(exact, abs=0.01)


def test_completion_is_rounded_half_up_where_a_float_average_rounds_down(make_db):
    # 12 lessons, 12 enrollments: 3 users did all 12, 9 did one. Exactly
    # 100 * (3 * 12 + 9) / (12 * 12) = 31.25 -> 31.3; AVG(100.0 * done / 12) gives 31.2.
    conn = make_db(load=False)
    conn.execute("INSERT INTO courses (id, title) VALUES ('c', 'C')")
    conn.execute("INSERT INTO sections (id, course_id, title) VALUES ('s', 'c', 'S')")
    conn.executemany("INSERT INTO lessons (id, section_id, title, slug) VALUES (?, 's', ?, ?)",
                     [(f"l{i}", f"L{i}", f"l{i}") for i in range(12)])
    conn.executemany("INSERT INTO users (id, name, email) VALUES (?, ?, ?)",
                     [(f"u{i}", f"U{i}", f"u{i}@example.com") for i in range(12)])
    conn.executemany("INSERT INTO enrollments (user_id, course_id) VALUES (?, 'c')",
                     [(f"u{i}",) for i in range(12)])
    conn.executemany("INSERT INTO progress (user_id, lesson_id) VALUES (?, ?)",
                     [(f"u{i}", f"l{j}") for i in range(12) for j in range(12 if i < 3 else 1)])
    float_avg = conn.execute("SELECT ROUND(AVG(100.0 * n / 12), 1) FROM (SELECT COUNT(*) AS n "
                             "FROM progress GROUP BY user_id)").fetchone()[0]
    assert float_avg == 31.2
    assert dashboard.completion_rates(conn)[0]["avg_completion"] == 31.3
    set_wise = conn.execute(dashboard.COMPLETION_RATES_SET_WISE).fetchone()
    assert set_wise["avg_completion"] == 31.3


def test_before_the_progress_counters_the_reports_give_the_same_rows(make_db):
    conn = make_db(to=f"{int(progress_counters.version()) - 1:03d}")
    assert not progress_counters.kept(conn)
    assert rows(dashboard.completion_rates(conn))[0] == ("c-sql", "SQL Fundamentals", 6, 4,
                                                         41.7, 1)
    assert len(dashboard.enrolled_never_started(conn)) == 4


def reports_equal_set_wise(conn):
    assert rows(dashboard.enrolled_never_started(conn)) == rows(
        conn.execute(dashboard.NEVER_STARTED_SET_WISE))
    assert rows(dashboard.completion_rates(conn)) == rows(
        conn.execute(dashboard.COMPLETION_RATES_SET_WISE))


def test_on_generated_data_the_reports_equal_the_base_table_queries_after_changes(make_db):
    conn = make_db(load=False)
    generate(conn, scale="class", seed=3)
    reports_equal_set_wise(conn)
    rng = random.Random(11)
    enrollments = conn.execute("SELECT user_id, course_id FROM enrollments "
                               "ORDER BY user_id, course_id").fetchall()
    lessons = [r[0] for r in conn.execute("SELECT id FROM lessons ORDER BY id")]
    sections = [r[0] for r in conn.execute("SELECT id FROM sections ORDER BY id")]
    courses = [r[0] for r in conn.execute("SELECT id FROM courses ORDER BY id")]
    for user, _course in rng.sample(enrollments, 60):
        conn.execute("INSERT OR IGNORE INTO progress (user_id, lesson_id) VALUES (?, ?)",
                     (user, rng.choice(lessons)))
    conn.execute("DELETE FROM progress WHERE rowid IN (SELECT rowid FROM progress "
                 "ORDER BY rowid LIMIT 40)")
    for user, course in rng.sample(enrollments, 20):
        conn.execute("DELETE FROM enrollments WHERE user_id = ? AND course_id = ?", (user, course))
    for user, course in rng.sample(enrollments, 20):
        conn.execute("INSERT OR IGNORE INTO enrollments (user_id, course_id) VALUES (?, ?)",
                     (user, course))
    for lesson in rng.sample(lessons, 10):
        conn.execute("UPDATE lessons SET section_id = ? WHERE id = ?",
                     (rng.choice(sections), lesson))
    for section in rng.sample(sections, 5):
        conn.execute("UPDATE sections SET course_id = ? WHERE id = ?",
                     (rng.choice(courses), section))
    conn.execute("DELETE FROM sections WHERE id IN (?, ?)", tuple(rng.sample(sections, 2)))
    conn.execute("DELETE FROM lessons WHERE id IN (?, ?, ?)", tuple(rng.sample(lessons, 3)))
    reports_equal_set_wise(conn)
