"""Failure injection: failing migrations, killed processes, concurrent runners and readers.

Nothing may half-apply: a migration that fails at its last statement, a process killed
with SIGKILL mid-migration or mid-load, two runners at once, a reader during a long load.
"""

import csv
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from courselab import fixtures, migrate
from courselab.db import connect
from courselab.errors import MigrationError

REPO = Path(__file__).resolve().parent.parent
ENV = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
MIGRATIONS = migrate.discover()  # challenge migrations (011+) are covered as they appear

# A statement that fails at run time whatever the state (name is NOT NULL).
FAILING = "INSERT INTO schema_migrations (version, name) VALUES ('999', NULL);\n"


def courselab(*args):
    """The command line of the real CLI."""
    return [sys.executable, "-m", "courselab", *map(str, args)]


def run(*args, cwd):
    return subprocess.run(courselab(*args), capture_output=True, text=True, cwd=cwd, env=ENV,
                          timeout=120)


def dump(conn):
    return list(conn.iterdump())


def copy_migrations(tmp_path):
    directory = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, directory)
    return directory


def fail_before_commit(path):
    """Insert FAILING just before the file's final COMMIT: it fails at its last statement."""
    text = path.read_text()
    head, sep, tail = text.rpartition("COMMIT;")
    assert sep, f"{path.name} has no COMMIT;"
    path.write_text(head + FAILING + sep + tail)


def previous(version):
    return f"{int(version) - 1:03d}" if int(version) > 1 else "0"


def write_slow_migration(directory, rows):
    """Add NNN_fill_slow_table.sql after the last migration: one long statement in the middle."""
    version = f"{len(migrate.discover(directory)) + 1:03d}"
    (directory / f"{version}_fill_slow_table.sql").write_text(f"""\
-- A test migration that takes a while, so a process can be killed in the middle of it.
BEGIN;
CREATE TABLE slow_fill (n INTEGER, t TEXT);
CREATE INDEX idx_slow_fill_t ON slow_fill (t);
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {rows})
INSERT INTO slow_fill SELECT n, hex(randomblob(16)) FROM seq;
INSERT INTO schema_migrations (version, name) VALUES ('{version}', 'fill_slow_table');
COMMIT;
""")
    (directory / f"{version}_fill_slow_table.down.sql").write_text(
        "BEGIN;\nDROP TABLE slow_fill;\n"
        f"DELETE FROM schema_migrations WHERE version = '{version}';\nCOMMIT;\n")
    return version


def write_bulk_fixtures(directory, users):
    """A fixture directory with `users` new users, one new course and their enrollments."""
    directory.mkdir()
    with open(directory / "users.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "email"])
        writer.writerows((f"u-bulk-{i}", f"User {i}", f"bulk{i}@example.com")
                         for i in range(users))
    (directory / "courses.csv").write_text("id,title,is_published\nc-bulk,Bulk Course,1\n")
    with open(directory / "enrollments.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["user_id", "course_id"])
        writer.writerows((f"u-bulk-{i}", "c-bulk") for i in range(users))
    return directory


def wait_for(condition, process, timeout=30):
    """Poll until condition() is true while `process` still runs; fail if it ended first."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, "the process finished before it could be killed"
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def kill(process):
    assert process.poll() is None, "the process finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


def writing(db_path):
    """True while another connection holds the database's write lock (its transaction is open)."""
    probe = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def wal_size(db_path):
    wal = Path(f"{db_path}-wal")
    return wal.stat().st_size if wal.exists() else 0


# -- a migration failing at its last statement ---------------------------------------------

@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda m: m.up.name)
def test_migration_failing_at_its_last_statement_leaves_the_database_as_it_was(
        tmp_path, migration):
    directory = copy_migrations(tmp_path)
    conn = connect(tmp_path / "test.db")
    migrate.migrate(conn, directory, to=previous(migration.version))
    if migrate.current_version(conn):  # before 001 there is no table to load into
        fixtures.load(conn)
    before = dump(conn)
    fail_before_commit(directory / migration.up.name)
    with pytest.raises(MigrationError, match=migration.up.name):
        migrate.migrate(conn, directory)
    assert dump(conn) == before
    assert migrate.current_version(conn) == ("" if migration.version == "001"
                                             else previous(migration.version))


@pytest.mark.parametrize("migration", [m for m in MIGRATIONS if m.down],
                         ids=lambda m: m.down.name)
def test_rollback_failing_at_its_last_statement_leaves_the_database_as_it_was(
        tmp_path, migration):
    directory = copy_migrations(tmp_path)
    conn = connect(tmp_path / "test.db")
    migrate.migrate(conn, directory, to=migration.version)
    fixtures.load(conn)
    before = dump(conn)
    fail_before_commit(directory / migration.down.name)
    with pytest.raises(MigrationError, match=migration.down.name):
        migrate.rollback(conn, directory, to=previous(migration.version), force=True)
    assert dump(conn) == before


# -- a process killed in the middle ----------------------------------------------------

def test_migrate_killed_mid_migration_leaves_a_database_that_checks_and_resumes(tmp_path):
    directory = copy_migrations(tmp_path)
    last_real = MIGRATIONS[-1].version
    slow = write_slow_migration(directory, rows=200_000)
    db_path = tmp_path / "test.db"
    conn = connect(db_path)
    migrate.migrate(conn, directory, to="010")
    fixtures.load(conn)
    process = subprocess.Popen(courselab("migrate", "--db", db_path, "--migrations", directory),
                               cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    # Kill once the slow migration has started writing (every earlier one is committed).
    wait_for(lambda: migrate.current_version(conn) == last_real and wal_size(db_path) > 2**20,
             process)
    kill(process)

    assert migrate.current_version(conn) == last_real, "the killed migration was recorded"
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'slow_fill'").fetchone()
    conn.close()
    check = run("check", "--db", db_path, "--migrations", directory, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    again = run("migrate", "--db", db_path, "--migrations", directory, cwd=tmp_path)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    conn = connect(db_path, create=False)
    assert migrate.current_version(conn) == slow
    assert conn.execute("SELECT COUNT(*) FROM slow_fill").fetchone()[0] == 200_000
    assert run("check", "--db", db_path, "--migrations", directory, cwd=tmp_path).returncode == 0


def test_load_killed_mid_way_leaves_a_database_that_checks_and_resumes(tmp_path):
    data = write_bulk_fixtures(tmp_path / "bulk", users=60_000)
    db_path = tmp_path / "test.db"
    conn = connect(db_path)
    migrate.migrate(conn, to="005")
    conn.close()
    process = subprocess.Popen(courselab("load", "--db", db_path, data), cwd=tmp_path, env=ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # The load's transaction is open once it holds the write lock; a moment later it is under
    # way, still uncommitted (60,000 users and enrollments take seconds).
    wait_for(lambda: writing(db_path), process)
    time.sleep(0.2)
    assert writing(db_path), "the load committed before it could be killed"
    kill(process)

    conn = connect(db_path, create=False)
    assert conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM enrollments").fetchone()[0] == 0
    conn.close()
    assert run("check", "--db", db_path, cwd=tmp_path).returncode == 0
    resumed = run("migrate", "--db", db_path, cwd=tmp_path)
    assert resumed.returncode == 0 and resumed.stderr == "", resumed.stderr
    loaded = run("load", "--db", db_path, data, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    conn = connect(db_path, create=False)
    assert conn.execute("SELECT enrollment_count FROM courses WHERE id = 'c-bulk'").fetchone()[0] \
        == 60_000
    check = run("check", "--db", db_path, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


# -- two runners at once ---------------------------------------------------------------

@pytest.mark.parametrize("slow", [False, True], ids=["race-on-a-new-file", "one-waits"])
def test_two_migrate_processes_at_once_apply_each_migration_exactly_once(tmp_path, slow):
    directory = copy_migrations(tmp_path)
    if slow:  # the second runner arrives while the first holds the write lock
        write_slow_migration(directory, rows=50_000)
    expected = [m.version for m in migrate.discover(directory)]
    for round_ in range(3):
        db_path = tmp_path / f"race{round_}.db"
        processes = [subprocess.Popen(courselab("migrate", "--db", db_path, "--migrations",
                                                directory),
                                      cwd=tmp_path, env=ENV, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                     for _ in range(2)]
        outputs = [p.communicate(timeout=60) for p in processes]
        assert [p.returncode for p in processes] == [0, 0], outputs
        assert [err for _out, err in outputs] == ["", ""]
        applied = [line.split()[1] for out, _err in outputs for line in out.splitlines()
                   if line.startswith("applied ")]
        assert sorted(applied) == sorted(m.up.name for m in migrate.discover(directory))
        conn = connect(db_path, create=False)
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations "
                                               "ORDER BY version")]
        assert versions == expected
        conn.close()


# -- a reader during a long write --------------------------------------------------------

def test_reader_during_a_bulk_load_sees_before_or_after_and_is_never_locked(tmp_path, db):
    data = write_bulk_fixtures(tmp_path / "bulk", users=30_000)
    db_path = db.execute("PRAGMA database_list").fetchone()["file"]
    before = db.execute("SELECT COUNT(*) FROM enrollments").fetchone()[0]
    reader = connect(db_path, create=False)
    seen, reads_during_load = set(), 0
    writer = subprocess.Popen(courselab("load", "--db", db_path, data), cwd=tmp_path, env=ENV,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while writer.poll() is None:
        writing = wal_size(db_path) > 2**20
        reader.execute("BEGIN")  # one snapshot for the three reads
        count = reader.execute("SELECT COUNT(*) FROM enrollments").fetchone()[0]
        counted = reader.execute("SELECT SUM(enrollment_count) FROM courses").fetchone()[0]
        catalog = reader.execute("SELECT id FROM courses WHERE is_published = 1").fetchall()
        reader.execute("COMMIT")
        assert count == counted, "counters and rows read from different states"
        seen.add((count, len(catalog)))
        reads_during_load += writing and writer.poll() is None
    assert writer.returncode == 0, writer.stderr.read()
    after = reader.execute("SELECT COUNT(*) FROM enrollments").fetchone()[0]
    assert after == before + 30_000
    published = len(reader.execute("SELECT id FROM courses WHERE is_published = 1").fetchall())
    assert seen <= {(before, published - 1), (after, published)}
    assert reads_during_load > 10, "the reader never overlapped the load"
