"""Hostile input: search text, SQL injection, broken fixtures and unusable database files.

Whatever a person types or points courselab at, the answer is a result or a one-line
error naming the problem: never a traceback, never a changed database.
"""

import ctypes
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from courselab import cli, fixtures, migrate, prerequisites, queries
from courselab.db import connect
from courselab.errors import CourselabError, FixtureError, MigrationError
from courselab.search import search_courses

REPO = Path(__file__).resolve().parent.parent
ENV = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}

NASTY_SEARCHES = [
    "", " ", '"', "'", '""', '"sql', "sql\"", "'; DROP TABLE courses; --",
    "NEAR(", "NEAR(sql design, 2)", "NEAR", "AND OR NOT", "sql AND", "OR", "NOT sql", "AND",
    "*", "sql*", "^", "^sql", "title:", "title:sql", "description:document", "{title}: sql",
    "-", "-sql", "+", "+sql", "(", ")", "(sql", "sql)", ":", "()", "sql OR 1=1",
    "rowid = 1", "courses_fts MATCH 'x'", "%", "_", "\\", "\x00", "sql\x00design",
    "x" * 100_000, "sql " * 25_000, "é" * 10_000, "SQL Fundamentals", "Ünïcödé", "データベース",
    "🙂", "sql 🙂 design", "\u200b", "\ufeff", "\udcff", "sql\udcffdesign", "\n\t\r",
]
# Pieces of FTS5 query syntax, for the fuzzer to combine.
FTS_PIECES = ["NEAR(", "AND", "OR", "NOT", "*", "^", ":", "title:", "description:", "(", ")",
              '"', "'", "-", "+", "{", "}", ",", "sql", "design", "document", "databases"]
INJECTIONS = [
    "c-sql' OR '1'='1", "c-sql'; DROP TABLE courses; --", '" OR 1=1 --', "1 OR 1=1",
    "') UNION SELECT id, title, id FROM courses --", "u-ada' --", "%", "*", "",
    "'; DELETE FROM users; --", "\x00", "c-sql\x00",
]


@pytest.fixture(scope="module")
def catalog_db():
    """A shared in-memory database at head with the fixtures (tests must only read it)."""
    conn = connect(":memory:")
    migrate.migrate(conn)
    fixtures.load(conn)
    return conn


def published(conn):
    return {row[0] for row in conn.execute("SELECT id FROM courses WHERE is_published = 1")}


def assert_safe_search(conn, text, limit=20):
    rows = search_courses(conn, text, limit=limit)
    assert {row["id"] for row in rows} <= published(conn)
    assert len(rows) <= limit
    return rows


# -- search ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", NASTY_SEARCHES, ids=lambda t: repr(t[:30]))
def test_nasty_search_text_is_never_an_error_and_finds_only_published_courses(catalog_db, text):
    assert_safe_search(catalog_db, text)


@given(text=st.text())
@settings(max_examples=settings().max_examples * 4)
def test_any_search_text_is_never_an_error_and_finds_only_published_courses(catalog_db, text):
    assert_safe_search(catalog_db, text)


@given(pieces=st.lists(st.sampled_from(FTS_PIECES), max_size=12),
       glue=st.sampled_from(["", " "]))
@settings(max_examples=settings().max_examples * 4)
def test_any_mix_of_query_syntax_is_plain_text(catalog_db, pieces, glue):
    assert_safe_search(catalog_db, glue.join(pieces))


def test_an_unpublished_course_is_never_found_even_by_its_own_words(catalog_db):
    (title, description), = catalog_db.execute(
        "SELECT title, description FROM courses WHERE id = 'c-nosql'").fetchall()
    for text in [title, description, *title.split(), *description.split()]:
        assert "c-nosql" not in {row["id"] for row in assert_safe_search(catalog_db, text, 100)}


def test_search_still_finds_real_words_among_operators(catalog_db):
    # Operator characters vanish; operator words (AND, NEAR) are words every match must have.
    for text in ["sql*", "^sql", "sql:", "(sql)", '"sql"', "-sql", "+sql", "'SQL'", "{sql}"]:
        assert "c-sql" in {row["id"] for row in assert_safe_search(catalog_db, text)}, text


# -- SQL injection through every function that takes text or ids -------------------------

ID_FUNCTIONS = {
    "queries.course_detail": lambda conn, text: queries.course_detail(conn, text),
    "queries.user_progress": lambda conn, text: queries.user_progress(conn, text),
    "search_courses": lambda conn, text: search_courses(conn, text),
    "prerequisites.direct_prerequisites":
        lambda conn, text: prerequisites.direct_prerequisites(conn, text),
    "prerequisites.all_prerequisites":
        lambda conn, text: prerequisites.all_prerequisites(conn, text),
    "prerequisites.missing_prerequisites":
        lambda conn, text: prerequisites.missing_prerequisites(conn, text, text),
    "prerequisites.eligible_courses":
        lambda conn, text: prerequisites.eligible_courses(conn, text),
}


def _outcome(call):
    """The rows a call returns, or the kind of error it refuses an unknown id with."""
    try:
        return [tuple(row) for row in call()]
    except CourselabError as exc:  # prerequisites: "no course 'zz-unknown'", for any text
        return type(exc).__name__


@pytest.mark.parametrize("name", ID_FUNCTIONS)
def test_sql_injection_through_ids_is_just_an_unknown_id_and_changes_nothing(catalog_db, name):
    before = list(catalog_db.iterdump())
    unknown = _outcome(lambda: ID_FUNCTIONS[name](catalog_db, "zz-unknown"))
    for text in INJECTIONS:
        result = _outcome(lambda text=text: ID_FUNCTIONS[name](catalog_db, text))
        if name == "search_courses":
            assert {row[0] for row in result} <= published(catalog_db)
        else:
            assert result == unknown, text
    assert list(catalog_db.iterdump()) == before


@given(text=st.text(max_size=60))
@settings(max_examples=settings().max_examples * 2)
def test_any_id_text_finds_nothing_for_an_unknown_id(catalog_db, text):
    known = {row[0] for row in catalog_db.execute("SELECT id FROM courses UNION "
                                                  "SELECT id FROM users")}
    if text not in known:
        assert queries.course_detail(catalog_db, text) == []
        assert queries.user_progress(catalog_db, text) == []


@pytest.mark.parametrize("to", ["010; DROP TABLE users", "0 OR 1=1", "'; --", "-1", "1e3", "x"])
def test_a_hostile_version_is_refused_before_anything_runs(make_db, to):
    conn = make_db(to="005")
    before = list(conn.iterdump())
    with pytest.raises(MigrationError, match="unknown migration version"):
        migrate.migrate(conn, to=to)
    with pytest.raises(MigrationError, match="unknown migration version"):
        migrate.rollback(conn, to=to)
    assert list(conn.iterdump()) == before


def main_cli(capsys, *args):
    """Run the CLI in this process (fast); returns (status, stdout, stderr).

    An exception escaping main() would be the traceback a user sees: it fails the test.
    """
    status = cli.main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, status, out.encode(), err.encode())


def run_cli(*args, cwd, preexec_fn=None):
    return subprocess.run([sys.executable, "-m", "courselab", *args], capture_output=True,
                          cwd=cwd, env=ENV, timeout=60, preexec_fn=preexec_fn)


def one_line_error(result):
    """Exit 1, exactly one line on stderr, no traceback anywhere; returns that line."""
    out, err = result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace")
    assert "Traceback" not in out + err, err
    assert result.returncode == 1, (result.returncode, out, err)
    assert len(err.splitlines()) == 1, err
    return err.strip()


def test_sql_injection_through_cli_arguments_changes_nothing(tmp_path, db, capsys,
                                                             monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = db.execute("PRAGMA database_list").fetchone()["file"]
    before = list(db.iterdump())
    for text in INJECTIONS[:-2] + NASTY_SEARCHES:
        result = main_cli(capsys, "search", "--db", path, "--", text)  # "-sql" is text
        assert result.returncode == 0 and result.stderr == b"", result.stderr
    for command in ("migrate", "rollback"):
        one_line_error(main_cli(capsys, command, "--db", path, "--to", "010; DROP TABLE users"))
    one_line_error(main_cli(capsys, "load", "--db", path, "data'; DROP TABLE users; --"))
    one_line_error(main_cli(capsys, "search", "--db", "x'; DROP TABLE users; --.db", "sql"))
    with pytest.raises(SystemExit) as usage:  # argparse: a usage error, exit 2
        main_cli(capsys, "search", "--db", path, "--limit", "1; DROP TABLE users", "sql")
    assert usage.value.code == 2
    assert list(db.iterdump()) == before
    assert not list(tmp_path.glob("x*"))


def test_search_arguments_that_are_not_utf8_are_safe_in_a_real_process(tmp_path, db):
    path = db.execute("PRAGMA database_list").fetchone()["file"]
    result = run_cli("search", "--db", path, b"\xff\xfe sql \xc3", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    assert result.stdout.split(b"\t")[0] == b"c-sql"


# -- fixtures --------------------------------------------------------------------------------

def append(line):
    return lambda data: data + line


def header(old, new):
    return lambda data: data.replace(old, new, 1)


def drop_email(data):
    """users.csv without its (NOT NULL) email column."""
    rows = [line.split(b",") for line in data.splitlines()]
    return b"\n".join(b",".join(r[:2] + r[3:]) for r in rows) + b"\n"


# case: (file, edit of its bytes, line of the error, what the error says). The line is a
# number, "+1" (the line appended after the original's last) or "last" (the edited file's last).
BAD_FIXTURES = {
    "truncated-in-a-quoted-field": ("users.csv", append(b'u-x,"Unclosed name,x@example.com\n'),
                                    "+1", "malformed CSV"),
    "truncated-mid-row": ("courses.csv", lambda d: d[:d.rindex(b"\n", 0, -1) + 12],
                          "last", "2 fields, expected 7"),
    "truncated-mid-character": ("users.csv", append("u-x,Adà".encode()[:-1]), "+1", "not UTF-8"),
    "unknown-column": ("users.csv", header(b"email", b"e_mail"), 1, "unknown column 'e_mail'"),
    "missing-column": ("users.csv", drop_email, 2, "NOT NULL"),
    "column-twice": ("tags.csv", header(b"id,name", b"id,id"), 1, "named twice"),
    "injection-in-header": ("tags.csv", header(b"id,name", b'id,"name) VALUES (1, 2); --"'),
                            1, "unknown column"),
    "empty-file": ("users.csv", lambda d: b"", 1, "empty file"),
    "latin-1-bytes": ("users.csv", append("u-x,Zoë,zoe@example.com\n".encode("latin-1")),
                      "+1", "not UTF-8"),
    "utf-16": ("tags.csv", lambda d: d.decode().encode("utf-16"), 1, "not UTF-8"),
    "duplicate-key": ("users.csv", append(b"u-ada,Ada Again,ada2@example.com,2026-01-01\n"),
                      "+1", "duplicate"),
    "duplicate-unique": ("users.csv", append(b"u-new,Ada Again,ada@example.com,2026-01-01\n"),
                         "+1", "duplicate"),
    "dangling-user": ("enrollments.csv", append(b"u-nobody,c-sql,2026-03-01 10:00:00,\n"),
                      "+1", "'u-nobody' has no row in users"),
    "dangling-course": ("reviews.csv", append(b"r-x,u-ada,c-nowhere,4,ok,2026-03-01\n"),
                        "+1", "'c-nowhere' has no row in courses"),
    "rating-0": ("reviews.csv", append(b"r-x,u-edgar,c-perf,0,bad,2026-03-01\n"),
                 "+1", "rating=0"),
    "rating-6": ("reviews.csv", append(b"r-x,u-edgar,c-perf,6,bad,2026-03-01\n"),
                 "+1", "rating=6"),
    "rating-minus-1": ("reviews.csv", append(b"r-x,u-edgar,c-perf,-1,bad,2026-03-01\n"),
                       "+1", "rating=-1"),
    "rating-word": ("reviews.csv", append(b"r-x,u-edgar,c-perf,five,bad,2026-03-01\n"),
                    "+1", "rating=five"),
    "rating-empty": ("reviews.csv", append(b"r-x,u-edgar,c-perf,,bad,2026-03-01\n"),
                     "+1", "NOT NULL"),
    "extra-field": ("users.csv", append(b"u-x,X,x@example.com,2026-01-01,surplus\n"),
                    "+1", "5 fields, expected 4"),
    "missing-field": ("users.csv", append(b"u-x,X\n"), "+1", "2 fields, expected 4"),
    "bad-difficulty": ("courses.csv", header(b",beginner,", b",expert,"), 2, "difficulty=expert"),
}


def expected_line(data, where):
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    return {"+1": lines + 1, "last": lines}.get(where, where)


@pytest.mark.parametrize("case", BAD_FIXTURES)
def test_a_bad_fixture_is_refused_with_file_and_line_and_nothing_is_loaded(tmp_path, make_db,
                                                                          capsys, case):
    name, edit, where, reason = BAD_FIXTURES[case]
    data = tmp_path / "data"
    shutil.copytree(fixtures.DATA_DIR, data)
    original = (data / name).read_bytes()
    (data / name).write_bytes(edit(original))
    line = expected_line(original if where == "+1" else (data / name).read_bytes(), where)
    conn = make_db(load=False)
    before = list(conn.iterdump())
    with pytest.raises(FixtureError) as error:
        fixtures.load(conn, data)
    assert str(error.value).startswith(f"{name}:{line}: "), str(error.value)
    assert reason in str(error.value)
    assert list(conn.iterdump()) == before

    path = conn.execute("PRAGMA database_list").fetchone()["file"]
    message = one_line_error(main_cli(capsys, "load", "--db", path, data))
    assert f"{name}:{line}: " in message
    assert list(conn.iterdump()) == before


def test_a_fractional_rating_is_refused(tmp_path, make_db):
    data = tmp_path / "data"
    shutil.copytree(fixtures.DATA_DIR, data)
    with open(data / "reviews.csv", "ab") as f:
        f.write(b"r-x,u-edgar,c-perf,4.5,half,2026-03-01\n")
    with pytest.raises(FixtureError):
        fixtures.load(make_db(load=False), data)


# -- database files that cannot be used --------------------------------------------------------

COMMANDS = {"migrate": [], "status": [], "check": [], "load": [], "search": ["sql"],
            "rollback": ["--to", "0"]}


def make_bad_path(tmp_path, kind):
    if kind == "text-file":
        (tmp_path / "bad.db").write_text("id,name\nthis is a CSV, not a database\n")
    elif kind == "random-bytes":
        (tmp_path / "bad.db").write_bytes(hashlib.sha512(b"x").digest() * 64)
    elif kind == "directory":
        (tmp_path / "bad.db").mkdir()
    else:
        return tmp_path / "no-such-dir" / "bad.db"
    return tmp_path / "bad.db"


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("kind", ["text-file", "random-bytes", "directory", "missing-directory"])
def test_an_unusable_database_path_is_a_one_line_error(tmp_path, capsys, command, kind):
    path = make_bad_path(tmp_path, kind)
    message = one_line_error(main_cli(capsys, command, "--db", path, *COMMANDS[command]))
    assert str(path.name) in message
    reason = {"text-file": "not a database", "random-bytes": "not a database",
              "directory": "is a directory", "missing-directory": "no-such-dir"}[kind]
    assert reason in message
    assert not (tmp_path / "no-such-dir").exists()


def test_a_real_process_prints_one_line_for_a_file_that_is_not_a_database(tmp_path):
    path = make_bad_path(tmp_path, "text-file")
    for command in ("migrate", "check"):
        assert "not a database" in one_line_error(run_cli(command, "--db", str(path),
                                                          cwd=tmp_path))


@pytest.mark.parametrize("command", ["status", "check", "load", "search", "rollback"])
def test_no_command_but_migrate_creates_a_database(tmp_path, capsys, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    message = one_line_error(main_cli(capsys, command, "--db", "new.db", *COMMANDS[command]))
    assert "no such database" in message
    assert list(tmp_path.iterdir()) == []


def _drop_file_override():
    """In the child: lose root's power to write files whose mode forbids it."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0):  # PR_CAPBSET_DROP: gone after exec
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


@pytest.fixture
def as_user():
    """preexec_fn that makes file modes bind the child: needed when tests run as root."""
    if os.geteuid() != 0:
        return None
    probe = subprocess.run(["true"], preexec_fn=_drop_file_override, capture_output=True)
    if probe.returncode:  # pragma: no cover - a container without CAP_SETPCAP
        pytest.skip("running as root without CAP_SETPCAP: cannot make a file read-only for root")
    return _drop_file_override


@pytest.mark.parametrize("directory_writable", [True, False], ids=["dir-writable", "dir-read-only"])
def test_a_read_only_database_file_is_read_or_refused_in_one_line(tmp_path, make_db, as_user,
                                                                   directory_writable):
    make_db(to="010", load=False).close()  # empty: rollback may drop its tables
    folder = tmp_path
    path = folder / "test.db"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.chmod(0o444)
    if not directory_writable:
        folder.chmod(0o555)
    # Without a writable folder SQLite cannot make the WAL index (-shm) it needs even to read.
    readers = ("status", "check", "search") if directory_writable else ("status",)
    writers = ("migrate", "load", "rollback") if directory_writable else ("migrate",)
    try:
        results = {command: run_cli(command, "--db", str(path), *COMMANDS[command], cwd="/",
                                    preexec_fn=as_user) for command in readers + writers}
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    for command in writers:
        assert "readonly" in one_line_error(results[command]), command
    for command in readers:
        if directory_writable:
            assert results[command].returncode == 0, results[command].stderr
        else:
            one_line_error(results[command])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
