"""Helpers for the notebooks: a fresh database per notebook, and views of it.

Every notebook starts with `db = workbook.start("05", to="005")`: it deletes that
notebook's database (`databases/05.db`, out of the way of the notebooks), migrates it to the
version the notebook teaches, loads the fixtures the schema can hold, points the `%sql` magic
at it (sqlmagic.py) and starts tracking the answer cells (attempts.py). Running it again, in
the same kernel, starts the notebook over: `db` and `%sql` both get the fresh database.
"""

import io
import itertools
import re
from contextlib import redirect_stdout
from pathlib import Path

from . import attempts, diagram, fixtures, migrate, sqlmagic
from .db import connect, table_names
from .errors import DatabaseOpenError, MigrationError

MIGRATIONS = migrate.MIGRATIONS_DIR
DATABASES = Path("databases")  # relative to the notebook's folder (the kernel's directory)
_PLAN_CALLS = itertools.count()
_open = {}  # notebook name -> the connection start() returned, closed on a re-run


NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # "05": a notebook's number, or a short name


def database_path(name):
    """Where notebook `name`'s database lives: databases/<name>.db (folder created).

    Raises DatabaseOpenError for a name that is not letters, digits, - and _ ("05"): one
    with a / or .. would put the database, deleted on every start, outside databases/.
    """
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise DatabaseOpenError(f"{name!r} is not a notebook's name: give its number as text, "
                                'as in workbook.start("05")')
    try:
        DATABASES.mkdir(exist_ok=True)
    except OSError as exc:
        raise DatabaseOpenError(f"{DATABASES}/: cannot create the folder of the notebooks' "
                                f"databases here ({exc.strerror}); open the workbook from a "
                                "folder you can write to") from None
    return DATABASES / f"{name}.db"


def fresh_database(name, to=None, load=True):
    """Create databases/<name>.db from nothing; return its connection.

    Migrates up to version `to` (default: all) and, with `load`, loads the fixtures of
    every table that exists at that version.
    """
    path = database_path(name)
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        except OSError as exc:
            raise DatabaseOpenError(f"{path}{suffix}: cannot delete it to start afresh "
                                    f"({exc.strerror}); delete it yourself, or restart the "
                                    "kernel if another notebook holds it") from None
    conn = connect(path)
    migrate.migrate(conn, to=to)
    if load and migrate.current_version(conn):  # before 001 there is no table to load
        fixtures.load(conn)
    return conn


def start(name, to=None, load=True):
    """Give a notebook its own fresh database and connect the %sql magic to it.

    Prints one line: the database, its version and the rows loaded per table.
    Returns a courselab connection (sqlite3) to the same file.
    """
    ipython = _ipython()
    if ipython is not None:
        # Errors show as one line (type and message): what a student needs, and no paths;
        # set first, so that a setup cell that fails says it in one line too.
        with redirect_stdout(io.StringIO()):
            ipython.run_line_magic("xmode", "Minimal")
    if name in _open:  # a re-run: let go of the old file before deleting it
        _open.pop(name).close()
    conn = fresh_database(name, to, load)
    sqlmagic.interruptible(conn)
    _open[name] = conn
    if ipython is not None:
        sqlmagic.connect(ipython, database_path(name).as_posix())
        attempts.watch(ipython)
    attempts.begin(conn, name)
    version = migrate.current_version(conn) or "0"
    counts = ", ".join(f"{t} {conn.execute(f'SELECT COUNT(*) FROM {t}').fetchone()[0]}"
                       for t in table_names(conn) if t != "schema_migrations")
    print(f"{database_path(name).as_posix()} at version {version}"
          + (f"; rows: {counts}" if counts else ""))
    return conn


def _ipython():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def show_chart(fig, alt):
    """Display a matplotlib figure as a PNG with alt text, and close it.

    `alt` says what the chart shows, for readers who cannot see it: it is the output's
    text/plain, which text viewers, screen readers and nbval read instead of the picture.
    (A PNG, not an SVG: a notebook not yet trusted shows no SVG, in Lab or RISE.)
    """
    import base64

    import matplotlib.pyplot as plt
    from IPython.display import display

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    display({"image/png": base64.b64encode(buffer.getvalue()).decode(), "text/plain": alt},
            metadata={"image/png": {"alt": alt}}, raw=True)


def migration_source(version, down=False):
    """The text of a migration file, by version ('005'), for showing in a notebook."""
    migration = next((m for m in migrate.discover() if m.version == version), None)
    if migration is None:
        known = [m.version for m in migrate.discover()]
        raise MigrationError(f"no migration {version!r}: give its version as text of three "
                             f"digits, {known[0]} to {known[-1]}")
    return (migration.down if down else migration.up).read_text(encoding="utf-8")


def migration_parts(version, down=False):
    """A migration's blocks: its header, then each statement with its comment (blank-line split)."""
    text = migration_source(version, down).strip()
    return [block.strip() for block in text.split("\n\n") if block.strip()]


def show_migration(version, down=False, part=None):
    """Display a migration file as a highlighted SQL block.

    A long migration fits a slide a table or a trigger at a time: `part=3` shows its third
    block (see migration_parts; 0 is the header), `part=slice(1, 3)` the first two after it.
    """
    from IPython.display import Markdown, display

    text = migration_source(version, down).rstrip()
    if part is not None:
        parts = migration_parts(version, down)
        if not isinstance(part, int | slice) or isinstance(part, int) and not (
                -len(parts) <= part < len(parts)):
            raise MigrationError(f"part={part!r}: migration {version} has parts 0 to "
                                 f"{len(parts) - 1} (a number, or a slice such as slice(1, 3))")
        text = "\n\n".join(parts[part] if isinstance(part, slice) else [parts[part]])
    display(Markdown(f"```sql\n{text}\n```"))


class QueryPlan(str):
    """A query plan: a string that a notebook shows as its lines, not as a quoted repr."""

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def query_plan(conn, sql, params=()):
    """The EXPLAIN QUERY PLAN lines of `sql`, indented by depth, as one QueryPlan string."""
    # sqlite3 caches prepared statements by their text, and a cached EXPLAIN is not
    # re-planned after a DROP INDEX: a comment unique to this call forces a fresh plan.
    rows = conn.execute(f"EXPLAIN QUERY PLAN {sql}\n-- plan {next(_PLAN_CALLS)}", params).fetchall()
    depth = {0: -1}
    lines = []
    for node_id, parent, _unused, detail in rows:
        depth[node_id] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node_id] + detail)
    return QueryPlan("\n".join(lines))


def er_diagram(conn):
    """A Mermaid erDiagram of the live schema (tables, columns, foreign keys)."""
    return diagram.mermaid(conn)


def show_er_diagram(conn):
    """Display the ER diagram: the Mermaid source, and an SVG drawn here for RISE.

    JupyterLab and the HTML export draw the Mermaid source; RISE, which cannot, shows the
    SVG, or the PNG of it while the notebook is not trusted. text/plain stays the source
    (what nbval compares).
    """
    import base64

    from IPython.display import display

    source = diagram.mermaid(conn)
    display({"text/vnd.mermaid": source, "image/svg+xml": diagram.svg(conn),
             "image/png": base64.b64encode(diagram.png(conn)).decode(),
             "text/plain": source}, raw=True)
