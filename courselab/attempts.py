"""A student's attempts: which cell answers which exercise, and a fresh start for each retry.

`workbook.start()` calls `watch()`, which registers two IPython hooks. JupyterLab sends each
cell's id with the code it runs; the notebook file beside the kernel says which cell is the
answer cell of which exercise (the code cell right before a `check("NN.k")` cell). With that:

- `answer_for("22.3")` is what 22.3's own answer cell last showed, or None if it has not run,
  whatever ran last;
- the first time an answer cell runs, the database is copied (sqlite3's backup API, in
  memory); each re-run of that cell first restores the copy into the live connection, so a
  wrong attempt (an index created on the wrong column, an UPDATE of the wrong row) never
  blocks the right one. `db` and `%sql` both see the restored file. If another cell changed
  the database since (a migration cell run after the answer, another exercise's answer), the
  copy would undo that work too: the re-run then starts from the database as it is, says so
  in one line, and its copy is taken anew.

Where no cell ids arrive (nbval, nbclient) or the notebook file is not found, the answer is
what the last cell showed (cells that call `check` or `hint` do not count), as before.
"""

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")
CHECK_OR_HINT = re.compile(r"""\b(check|hint)\(\s*["']""")
SNAPSHOT_LIMIT = 64 * 2**20  # bytes: larger databases (notebook 23's) are not copied


@dataclass
class Answer:
    """What a cell produced: its source, the value it showed, or the error it raised."""

    source: str | None = None
    value: object = None
    error: BaseException | None = None


_state = {"conn": None, "name": None, "cells": {}, "answers": {}, "snapshots": {},
          "stale": set(), "stamp": None, "last": None, "last_id": None, "known": set(),
          "checking": False, "watching": False, "ids_seen": False}
STALE = ("({}: other cells changed the database since this cell last ran, so this run starts "
         "from the database as it is now; to start clean, run the setup cell again)")
CLOSED = "(db is closed: run the setup cell again to start over)"


def _cells(notebook):
    return json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"] if notebook else []


def answer_cells(notebook):
    """{cell id: exercise id} of a notebook file: the code cell before each check cell."""
    found, previous = {}, None
    for cell in _cells(notebook):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        match = CHECK_CALL.search(source)
        if match and previous is not None and previous.get("id"):
            found.setdefault(previous["id"], match.group(1))
        previous = None if CHECK_OR_HINT.search(source) else cell
    return found


def notebook_of(name, folder="."):
    """The notebook in `folder` whose setup cell calls workbook.start("NN"), or None."""
    for path in sorted(Path(folder).glob(f"{name}-*.ipynb")):
        if re.search(rf"""workbook\.start\(\s*\\?["']{re.escape(name)}\\?["']""",
                     path.read_text(encoding="utf-8")):
            return path
    return None


def begin(conn, name):
    """Start over for notebook `name`: forget answers and copies; track its answer cells."""
    for snapshot in _state["snapshots"].values():
        snapshot.close()
    notebook = notebook_of(name)
    _state.update(conn=conn, name=name, answers={}, snapshots={}, stale=set(), stamp=None,
                  last=None, last_id=None, cells=answer_cells(notebook) if notebook else {},
                  known={cell.get("id") for cell in _cells(notebook)})


def watch(ipython=None):
    """Register the hooks that see every cell (idempotent; no-op outside IPython)."""
    if ipython is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        ipython = get_ipython()
    if ipython is None or _state["watching"]:
        return
    ipython.events.register("pre_run_cell", _before_cell)
    ipython.events.register("post_run_cell", _after_cell)
    _state["watching"] = True


def checking():
    """Called by check() and hint(): the running cell is not an answer."""
    _state["checking"] = True


def _before_cell(info):
    _state["checking"] = False
    cell_id = getattr(info, "cell_id", None)
    _state["ids_seen"] |= bool(cell_id)
    exercise = _state["cells"].get(cell_id)
    conn = _state["conn"]
    if conn is None:
        return
    try:
        if exercise is not None:
            _fresh_start(conn, exercise)
        _state["stamp"] = _stamp(conn)
    except sqlite3.ProgrammingError:  # the student closed `db`
        _state["stamp"] = None
        if exercise is not None:
            print(CLOSED)
    except sqlite3.Error as exc:  # never IPython's "Error in callback" dump
        _state["stamp"] = None
        print(f"(this cell runs on the database as it is now: {exc})")


def _fresh_start(conn, exercise):
    """Before an answer cell runs: restore its copy, or take one (see the module's text)."""
    snapshot = _state["snapshots"].get(exercise)
    if snapshot is not None and exercise not in _state["stale"]:
        _restore(conn, snapshot)
        return
    if snapshot is not None:
        print(STALE.format(exercise))
        snapshot.close()
        del _state["snapshots"][exercise]
        _state["stale"].discard(exercise)
    if _size(conn) <= SNAPSHOT_LIMIT:
        _state["snapshots"][exercise] = _copy(conn)


def _after_cell(result):
    cell_id = getattr(result.info, "cell_id", None)
    _note_changes(_state["cells"].get(cell_id))
    if _state["checking"]:
        return
    answer = Answer(result.info.raw_cell, result.result,
                    result.error_before_exec or result.error_in_exec)
    _state["last"], _state["last_id"] = answer, cell_id
    exercise = _state["cells"].get(cell_id)
    if exercise is not None:
        _state["answers"][exercise] = answer


def _note_changes(exercise):
    """If the cell that ran changed the database, the copies of the other answer cells are
    stale: restoring one would undo this cell's work."""
    before, conn = _state["stamp"], _state["conn"]
    if before is None or conn is None:
        return
    try:
        changed = _stamp(conn) != before
    except sqlite3.ProgrammingError:
        return
    if changed:
        _state["stale"] |= set(_state["snapshots"]) - {exercise}


def _stamp(conn):
    """What moves when anyone changes the database: this connection's row changes, the
    commits of other connections (%sql's) and the schema's version."""
    return (conn.total_changes, conn.execute("PRAGMA data_version").fetchone()[0],
            conn.execute("PRAGMA schema_version").fetchone()[0])


def answer_for(exercise_id):
    """What the exercise's own answer cell last showed (None: not run), for check().

    If that cell has not run, a cell the student added (one the notebook file does not show)
    run last still counts; another exercise's answer cell never does. Without cell ids, or
    for an exercise the notebook file does not show, the last answer.
    """
    if _state["ids_seen"] and exercise_id in _state["cells"].values():
        own = _state["answers"].get(exercise_id)
        if own is None and _state["last_id"] not in _state["known"]:
            own = _state["last"]
    else:
        own = _state["last"]
    return _readable_again(own)


def notebook_name():
    """The notebook whose answer cells are tracked: the name its setup cell gave
    workbook.start() ("06"), once the frontend sends cell ids; else None."""
    return _state["name"] if _state["ids_seen"] else None


def _readable_again(answer):
    """The answer with a cursor's rows fetched once and kept: a check run twice sees them."""
    if answer is not None and isinstance(answer.value, sqlite3.Cursor):
        cursor = answer.value
        answer.value = Fetched(cursor.description, cursor.fetchall())
    return answer


@dataclass
class Fetched:
    """A cursor's column descriptions and rows, read like the cursor (fingerprints.table)."""

    description: tuple | None
    rows: list

    def fetchall(self):
        return list(self.rows)


def _size(conn):
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    return pages * conn.execute("PRAGMA page_size").fetchone()[0]


def _copy(conn):
    snapshot = sqlite3.connect(":memory:")
    conn.backup(snapshot)
    return snapshot


def _restore(conn, snapshot):
    """Write the copy back through the live connection (WAL-safe, other connections see it).

    A wrong attempt may have left a transaction open, here or in %sql's connection: both are
    rolled back. Another connection still writing (a student's own) makes it say so instead:
    the backup API would wait for it forever.
    """
    from . import sqlmagic

    sqlmagic.end_transactions()
    if conn.in_transaction:
        conn.rollback()
    try:
        conn.execute("BEGIN IMMEDIATE")  # waits up to the busy timeout for other writers
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        print(f"(this answer runs on the database as it is now: could not restore it, {exc})")
        return
    snapshot.backup(conn)
    sqlmagic.reload_schemas()
