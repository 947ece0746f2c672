"""Design-first exercises: a student's own schema checked by what it does, never by its text.

In notebooks 18, 20 and 21 the student designs a migration from a short specification before
the project's is shown. Its solution cell carries `-- probe: NAME` (a probe of behaviours.py);
`check("18.1")` copies the notebook's database (`databases/18.db`) into memory with the
backup API and tries the behaviours the specification asks for, in order. The first that fails
is named in one line ("a course can still require itself"), without saying how to fix it. Afterwards
`adopt(db, to="011")` replaces the student's tables with the project's migration.
"""

import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

from . import fixtures, migrate
from .behaviours import PROBES, Flaw, interrupted
from .db import apply_pragmas
from .errors import ExerciseError
from .sqlmagic import interruptible

INTERRUPTED = ("the check was stopped by Kernel > Interrupt before it had tried every behaviour: "
               "if it never ended, look for a trigger or view of your design that never ends")
_NAMED = re.compile(r"^\s*(?:--|#)\s*probe:\s*(\w+)\s*$", re.MULTILINE | re.IGNORECASE)


# -- Scratch copies, verdicts, and the project's design afterwards ---------------------------

def named_in(source):
    """The probe a solution cell names with `-- probe: NAME`, or None."""
    match = _NAMED.search(source or "")
    return match.group(1).lower() if match else None


def scratch_copy(path):
    """An in-memory copy of the database at `path` (sqlite3 backup API), pragmas set."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        copy = sqlite3.connect(":memory:", isolation_level=None)
        source.backup(copy)
    finally:
        source.close()
    apply_pragmas(copy)
    return copy


def first_flaw(probe, path):
    """The one-line flaw of the design in the database at `path`, or None if it passes."""
    if probe not in PROBES:
        return f"no probe named {probe!r} (an instructor fixes the solution's `-- probe:` line)"
    if not Path(path).exists():
        return f"there is no {path} yet: run the notebook's first cell, then your design"
    conn = scratch_copy(path)
    interruptible(conn)  # a design's trigger that never ends: Kernel > Interrupt stops it
    try:
        PROBES[probe](conn)
    except Flaw as flaw:
        return str(flaw)
    except sqlite3.Error as exc:  # the design broke the rows the behaviours need themselves
        if interrupted(exc):
            return INTERRUPTED
        return (f"the specification's behaviours could not be tried on this design: "
                f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()
    return None


def database_of(exercise_id):
    """The notebook database an exercise runs on: `18.1` -> `databases/18.db` (workbook.start)."""
    from .workbook import DATABASES  # workbook imports exercises, which imports this module

    return DATABASES / f"{exercise_id.split('.')[0]}.db"


def judge(exercise_id, answer, expected):
    """(ok, reason) for a design exercise, as fingerprints.compare gives for a query."""
    if answer.error is not None:
        return False, f"your cell raised {type(answer.error).__name__}: {answer.error}; fix it " \
                      "and run it again"
    flaw = first_flaw(expected["probe"], database_of(exercise_id))
    return (True, "every behaviour of the specification holds") if flaw is None else (False, flaw)


def reference_entry(exercise_id, answer):
    """The answers-file fields of a design exercise; ExerciseError if the reference fails."""
    probe = named_in(answer.source)
    flaw = first_flaw(probe, database_of(exercise_id))
    if flaw:
        raise ExerciseError(f"{exercise_id}: the reference design fails its own probe: {flaw}")
    return {"probe": probe}


def adopt(conn, to):
    """Replace whatever the notebook added since its migration by the project's up to `to`.

    Drops every table, view, trigger and index that a fresh database at the current version
    does not have (the student's design), migrates to `to`, and loads the fixtures of
    the new tables. Prints one line.
    """
    current = migrate.current_version(conn)
    reference = sqlite3.connect(":memory:", isolation_level=None)
    migrate.migrate(reference, to=current)
    keep = {row[0] for row in reference.execute("SELECT name FROM sqlite_master")}
    reference.close()
    before = set(_tables(conn))
    extra = [(kind, name) for kind, name in conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
        "ORDER BY CASE type WHEN 'trigger' THEN 0 WHEN 'view' THEN 1 WHEN 'index' THEN 2 "
        "ELSE 3 END, name") if name not in keep]
    conn.execute("PRAGMA foreign_keys = OFF")  # the student's tables may reference each other
    try:
        for kind, name in extra:
            conn.execute(f'DROP {kind.upper()} IF EXISTS "{name}"')
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    migrate.migrate(conn, to=to)
    new = [t for t in _tables(conn) if t not in before or t in {n for _, n in extra}]
    loaded = _load_tables(conn, new)
    rows = ", ".join(f"{t} {n}" for t, n in loaded.items()) or "none"
    print(f"your design replaced by the project's migrations up to {to}; rows loaded: {rows}")


def _tables(conn):
    return [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]


def _load_tables(conn, tables):
    """Load the fixtures of `tables` only (the others are loaded already)."""
    files = [fixtures.DATA_DIR / f"{t}.csv" for t in tables]
    files = [f for f in files if f.exists()]
    if not files:
        return {}
    with tempfile.TemporaryDirectory() as folder:
        for csv in files:
            shutil.copy(csv, folder)
        return fixtures.load(conn, folder)
