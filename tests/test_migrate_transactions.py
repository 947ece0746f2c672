"""db.transaction(): the real error surfaces, nested blocks are savepoints."""

import sqlite3

import pytest

from courselab.db import connect, transaction


@pytest.fixture
def conn(tmp_path):
    conn = connect(tmp_path / "t.db")
    conn.execute("CREATE TABLE t (a UNIQUE)")
    conn.execute("CREATE TRIGGER no_boom BEFORE INSERT ON t WHEN NEW.a = 'boom' "
                 "BEGIN SELECT RAISE(ROLLBACK, 'boom refused'); END")
    return conn


def rows(conn):
    return [r[0] for r in conn.execute("SELECT a FROM t ORDER BY a")]


def test_a_triggers_raise_rollback_reaches_the_caller_with_its_own_message(conn):
    with pytest.raises(sqlite3.IntegrityError, match="^boom refused$"):
        with transaction(conn):
            conn.execute("INSERT INTO t VALUES ('x')")
            conn.execute("INSERT INTO t VALUES ('boom')")
    assert rows(conn) == [] and not conn.in_transaction


def test_a_nested_block_that_fails_undoes_only_itself(conn):
    with transaction(conn):
        conn.execute("INSERT INTO t VALUES ('outer')")
        with pytest.raises(sqlite3.IntegrityError):
            with transaction(conn):
                conn.execute("INSERT INTO t VALUES ('inner')")
                conn.execute("INSERT INTO t VALUES ('outer')")
        conn.execute("INSERT INTO t VALUES ('after')")
    assert rows(conn) == ["after", "outer"]


def test_a_nested_block_that_succeeds_commits_with_the_outer_one(conn):
    with pytest.raises(ZeroDivisionError):
        with transaction(conn):
            with transaction(conn):
                conn.execute("INSERT INTO t VALUES ('inner')")
            1 / 0
    assert rows(conn) == []


def test_raise_rollback_in_a_nested_block_ends_everything_with_its_message(conn):
    with pytest.raises(sqlite3.IntegrityError, match="^boom refused$"):
        with transaction(conn):
            conn.execute("INSERT INTO t VALUES ('outer')")
            with transaction(conn):
                conn.execute("INSERT INTO t VALUES ('boom')")
    assert rows(conn) == [] and not conn.in_transaction


def test_a_commit_refused_by_a_deferred_foreign_key_rolls_back(tmp_path):
    conn = connect(tmp_path / "d.db")
    conn.execute("CREATE TABLE p (id PRIMARY KEY)")
    conn.execute("CREATE TABLE c (p REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        with transaction(conn):
            conn.execute("INSERT INTO c VALUES ('nobody')")
    assert not conn.in_transaction
    assert conn.execute("SELECT COUNT(*) FROM c").fetchone()[0] == 0
