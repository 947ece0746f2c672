"""The engine a `--db` names, and the platform's verbs on each: SQLite or PostgreSQL.

A path is a SQLite file; `postgresql://user@host:port/dbname` is a PostgreSQL server.
The CLI asks `for_db(db)` for an Engine and calls the same verbs whichever it is, and
shows a URL with `shown(url)`, its password hidden.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from . import checks, fixtures, generate, migrate, pg_data, pg_generate, postgres
from .db import connect, exists
from .errors import CourselabError
from .search import search_courses

# Any `scheme://` opens a URL, never a SQLite path, even a scheme courselab does not take.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
# A URL's password: user:PASSWORD@host, or the password=... option of its query, which
# ends at the next option, or where a message goes on after the URL (": reason").
_USER_PASSWORD = re.compile(r"(://[^/@:\s]*:)[^/@\s]*@")
_PASSWORD_OPTION = re.compile(r"(\bpassword=)[^&\s]*?(?=&|:?\s|:?$)")


@dataclass(frozen=True)
class Engine:
    """One engine's implementation of each verb the CLI offers."""

    name: str
    open: Callable       # open(db, create=False, readonly=False) -> connection
    migrate: Callable    # migrate(conn, directory, to, on_step) -> [Migration]
    rollback: Callable   # rollback(conn, directory, to, force, on_step) -> [Migration]
    status: Callable     # status(conn, directory) -> [(Migration, state)]
    version: Callable    # version(conn) -> '015' ('' for none)
    load: Callable       # load(conn, directory) -> {table: rows}
    run_checks: Callable  # run_checks(conn, directory) -> [checks.Result]
    repair: Callable     # repair(conn, directory) -> [what changed]
    search: Callable     # search(conn, text, limit) -> rows (id, title, ...)
    generate: Callable   # generate(conn, scale, seed, progress) -> {table: rows}
    keeps_versions: Callable  # keeps_versions(conn) -> has a schema_migrations table


def _open_postgres(db, create=False, readonly=False):
    return postgres.connect(db)


SQLITE = Engine(
    name="SQLite",
    open=lambda db, create=False, readonly=False: connect(db, create=create, readonly=readonly),
    migrate=migrate.migrate,
    rollback=lambda conn, directory, to, force, on_step: migrate.rollback(
        conn, directory, to, force=force, on_step=on_step),
    status=migrate.status,
    version=migrate.current_version,
    load=fixtures.load,
    run_checks=checks.run_checks,
    repair=checks.repair,
    search=search_courses,
    generate=generate.generate,
    keeps_versions=lambda conn: exists(conn, "schema_migrations"),
)

POSTGRESQL = Engine(
    name="PostgreSQL",
    open=_open_postgres,
    migrate=postgres.migrate_up,
    rollback=lambda conn, directory, to, force, on_step: postgres.rollback(
        conn, directory, to, force=force, on_step=on_step),
    status=postgres.status,
    version=postgres.current_version,
    load=lambda conn, directory: pg_data.load(conn, directory or fixtures.DATA_DIR),
    run_checks=pg_data.run_checks,
    repair=pg_data.repair,
    search=pg_data.search_courses,
    generate=lambda conn, scale, seed, progress=False: pg_generate.generate_into(
        conn, scale, seed),
    keeps_versions=lambda conn: conn.execute(
        "SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0],
)


def for_db(db):
    """POSTGRESQL for a postgresql:// (or postgres://) URL, SQLITE for a path.

    Raises CourselabError for any other URL (postgresql+psycopg://, POSTGRESQL://, ...),
    rather than take it for a file path, and for a URL naming no database, with which
    libpq would silently connect to the database named like the user (`postgres`).
    """
    scheme = _SCHEME.match(str(db))
    if not scheme:
        return SQLITE
    if not postgres.is_url(db):
        raise CourselabError(f"{shown(db)}: URL scheme {scheme.group(1)}:// is not supported; "
                             "give postgresql://user@host:port/dbname (or postgres://...)")
    # Split by hand: urlsplit raises on what libpq reports itself (a bad IPv6 address).
    location, _, query = str(db).split("://", 1)[1].partition("?")
    if not location.partition("/")[2].strip("/") and not parse_qs(query).get("dbname"):
        raise CourselabError(f"{shown(db)}: names no database; add its name after the host, "
                             "as in postgresql://user@host:port/dbname")
    return POSTGRESQL


def shown(text):
    """`text` with the password of any URL in it replaced by ***, for messages and output."""
    text = _USER_PASSWORD.sub(r"\1***@", str(text))
    return _PASSWORD_OPTION.sub(r"\1***", text)
