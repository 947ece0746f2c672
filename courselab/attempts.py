"""A student's attempts: which cell answers which exercise, and a fresh start for each retry.

`workbook.start()` calls `watch()`, which registers two IPython hooks. JupyterLab sends each
cell's id with the code it runs; the notebook file beside the kernel says which cell is the
answer cell of which exercise (the code cell right before a `check("NN.k")` cell). With that:

- `answer_for("22.3")` is what 22.3's own answer cell last showed, or None if it has not run,
  whatever ran last;
- the first time an answer cell runs, the database is copied (sqlite3's backup API, in
  memory); each re-run of that cell first restores the copy into the live connection, so a
  wrong attempt (an index created on the wrong column, an UPDATE of the wrong row) never
  blocks the right one. `db` and `%sql` both see the restored file.

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


_state = {"conn": None, "cells": {}, "answers": {}, "snapshots": {}, "last": None,
          "last_id": None, "known": set(), "checking": False, "watching": False, "ids_seen": False}


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
    _state.update(conn=conn, answers={}, snapshots={}, last=None, last_id=None,
                  cells=answer_cells(notebook) if notebook else {},
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
    if exercise is None or conn is None:
        return
    snapshot = _state["snapshots"].get(exercise)
    if snapshot is not None:
        _restore(conn, snapshot)
    elif _size(conn) <= SNAPSHOT_LIMIT:
        _state["snapshots"][exercise] = _copy(conn)


def _after_cell(result):
    if _state["checking"]:
        return
    answer = Answer(result.info.raw_cell, result.result,
                    result.error_before_exec or result.error_in_exec)
    cell_id = getattr(result.info, "cell_id", None)
    _state["last"], _state["last_id"] = answer, cell_id
    exercise = _state["cells"].get(cell_id)
    if exercise is not None:
        _state["answers"][exercise] = answer


def answer_for(exercise_id):
    """What the exercise's own answer cell last showed (None: not run), for check().

    If that cell has not run, a cell the student added (one the notebook file does not show)
    run last still counts; another exercise's answer cell never does. Without cell ids, or
    for an exercise the notebook file does not show, the last answer.
    """
    if _state["ids_seen"] and exercise_id in _state["cells"].values():
        own = _state["answers"].get(exercise_id)
        if own is None and _state["last_id"] not in _state["known"]:
            return _state["last"]
        return own
    return _state["last"]


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
