"""Connections: pragmas on, clear errors when a file cannot be used."""

import os

import pytest

from courselab.db import connect, exists, schema_sql, transaction
from courselab.errors import DatabaseOpenError


def test_connection_has_foreign_keys_wal_busy_timeout_and_row_objects(tmp_path):
    conn = connect(tmp_path / "x.db")
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA recursive_triggers").fetchone()[0] == 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert conn.execute("PRAGMA cache_size").fetchone()[0] == -64 * 1024  # KiB: 64 MiB
    assert conn.execute("SELECT 1 AS one").fetchone()["one"] == 1


def test_in_memory_database_has_foreign_keys_on():
    assert connect(":memory:").execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_missing_directory_is_a_one_line_error(tmp_path):
    with pytest.raises(DatabaseOpenError, match="does not exist"):
        connect(tmp_path / "nowhere" / "x.db")


def test_missing_file_is_not_created_when_create_is_false(tmp_path):
    with pytest.raises(DatabaseOpenError, match="no such database"):
        connect(tmp_path / "x.db", create=False)
    assert not (tmp_path / "x.db").exists()


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(DatabaseOpenError, match="cannot open as a SQLite database"):
        connect(path)


def test_a_database_cut_short_says_it_is_damaged_and_what_to_do(tmp_path):
    path = tmp_path / "cut.db"
    conn = connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    os.truncate(path, path.stat().st_size - 4096)  # a copy that stopped one page short
    with pytest.raises(DatabaseOpenError, match=r"malformed\); the file is damaged: restore it "
                                                r"from a backup, or save what is left with "):
        connect(path)


def test_path_with_uri_special_characters_opens_that_exact_file(tmp_path):
    path = tmp_path / "a ?b#c%.db"
    connect(path).execute("CREATE TABLE t (x)")
    assert path.exists()


def test_transaction_rolls_back_on_error(tmp_path):
    conn = connect(tmp_path / "x.db")
    conn.execute("CREATE TABLE t (x)")
    with pytest.raises(RuntimeError), transaction(conn):
        conn.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("fails after the insert")
    assert conn.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0


def test_an_object_is_found_by_its_name_in_any_case_and_gives_its_sql(tmp_path):
    conn = connect(tmp_path / "x.db")
    conn.execute("CREATE TABLE Courses (id TEXT PRIMARY KEY)")
    conn.execute("CREATE INDEX idx_courses_id ON Courses(id)")
    assert exists(conn, "courses") and exists(conn, "IDX_COURSES_ID")
    assert not exists(conn, "lessons")
    assert schema_sql(conn, "courses") == "CREATE TABLE Courses (id TEXT PRIMARY KEY)"
    assert schema_sql(conn, "lessons") is None
