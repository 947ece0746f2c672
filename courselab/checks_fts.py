"""The search index's check and repair: courses_fts against courses, and whether 'rebuild' helps.

FTS5's 'rebuild' fixes an index whose entries differ from courses. It cannot fix an index
whose own tables are damaged (its config row deleted, its data emptied, a shadow table
dropped): FTS5 then refuses to open the table at all. check tells the two apart by trying
the rebuild and rolling it back, so it suggests `--repair` only where it works.
"""

import sqlite3

from .db import exists
from .errors import DatabaseBusyError
from .search import to_match_query, tokenize_option

REBUILD = "INSERT INTO courses_fts(courses_fts) VALUES ('rebuild')"
INTEGRITY = "INSERT INTO courses_fts(courses_fts, rank) VALUES ('integrity-check', 1)"
# In a problem: the damage is beyond 'rebuild' (run_checks then gives CANNOT_FIX).
BEYOND_REBUILD = "and FTS5's 'rebuild' fails"
FIX = "search index: `courselab check --repair` rebuilds it"
CANNOT_FIX = ("search index: its FTS5 tables are damaged beyond 'rebuild', so --repair cannot "
              "fix it; restore the file from a backup, or rebuild the database (`courselab "
              "migrate` a new file, then load the data)")


def raise_if_busy(exc):
    """Raise DatabaseBusyError if `exc` says another connection holds the lock."""
    # A decoding error is raised by Python's sqlite3 module: it has no sqlite_errorname.
    name = getattr(exc, "sqlite_errorname", None)
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or "locked" in str(exc):
        raise DatabaseBusyError("database is busy: another connection holds its write lock; "
                                "run this again when that writer has finished") from None


def fts_problems(conn, sample=20):
    """Problems of courses_fts: integrity-check against courses, and sample searches.

    A courses_fts that is missing is schema drift, reported by that check. A problem that
    'rebuild' cannot fix says BEYOND_REBUILD.
    """
    if not exists(conn, "courses_fts"):
        return []
    error, rebuild_error = _trial(conn)
    if error and rebuild_error:
        return [f"courses_fts does not match courses ({error}), {BEYOND_REBUILD} "
                f"({rebuild_error})"]
    if error:
        return [f"courses_fts does not match courses ({error})"]
    problems = []
    tokenize = tokenize_option(conn)
    rows = conn.execute("SELECT id, title, rowid FROM courses WHERE is_published = 1 "
                        "ORDER BY id LIMIT ?", (sample,))
    for course_id, title, rowid in rows.fetchall():
        query = to_match_query(title, tokenize) if isinstance(title, str) else None
        # Asked for this course's rowid: a title shared by many courses cannot push it out.
        if query and not conn.execute("SELECT 1 FROM courses_fts WHERE courses_fts MATCH ? "
                                      "AND rowid = ?", (query, rowid)).fetchone():
            problems.append(f"course {course_id}: search for its title {title!r} does not find it")
    return problems


def rebuild(conn):
    """Rebuild courses_fts inside a savepoint; None, or FTS5's error (the savepoint undone)."""
    conn.execute("SAVEPOINT fts_rebuild")
    try:
        conn.execute(REBUILD)
    except sqlite3.DatabaseError as exc:
        raise_if_busy(exc)
        conn.execute("ROLLBACK TO fts_rebuild")
        return str(exc)
    finally:
        conn.execute("RELEASE fts_rebuild")
    return None


def _trial(conn):
    """(integrity-check's error or None, the error of a trial rebuild or None); changes nothing.

    A read-only file refuses both (they are written as INSERTs): they run in a memory copy.
    """
    try:
        return _undone(conn, _integrity_then_rebuild)
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", None) != "SQLITE_READONLY":
            raise_if_busy(exc)
            return str(exc), None
    copy = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.backup(copy)
        return _undone(copy, _integrity_then_rebuild)
    except sqlite3.DatabaseError as exc:
        return str(exc), None
    finally:
        copy.close()


def _integrity_then_rebuild(conn):
    try:
        conn.execute(INTEGRITY)
        return None, None
    except sqlite3.DatabaseError as exc:
        if getattr(exc, "sqlite_errorname", None) == "SQLITE_READONLY":
            raise
        raise_if_busy(exc)
        error = str(exc)
    try:
        conn.execute(REBUILD)
        return error, None
    except sqlite3.DatabaseError as exc:
        raise_if_busy(exc)
        return error, str(exc)


def _undone(conn, work):
    """work(conn) in a transaction rolled back afterwards.

    Outside a transaction it is BEGIN IMMEDIATE: the write lock is waited for through the busy
    timeout. A deferred transaction's first write on a fresh WAL connection fails at once with
    SQLITE_BUSY while another connection writes, without waiting.
    """
    if conn.in_transaction:
        conn.execute("SAVEPOINT fts_check")
        try:
            return work(conn)
        finally:
            conn.execute("ROLLBACK TO fts_check")
            conn.execute("RELEASE fts_check")
    conn.execute("BEGIN IMMEDIATE")
    try:
        return work(conn)
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
