"""A scratch database on the server of a connection, for `check` to migrate and compare with.

Reached with the connection's own parameters (password, host or socket directory, port,
options), never left behind: dropped afterwards, through a new connection if the first one
was lost meanwhile. Each is named with its creation time, so one whose check was killed
before it could drop it is dropped by a later check, once it is an hour old.
"""

import re
import time
import uuid
from contextlib import contextmanager, suppress

from .errors import CourselabError, DatabaseOpenError
from .postgres import reason

PREFIX = "courselab_scratch_"
NAME = re.compile(rf"{PREFIX}(\d+)_[0-9a-f]{{8}}")
STALE_AFTER = 3600  # seconds: no check keeps its scratch database this long


def conninfo(conn, dbname):
    """A connection string for database `dbname` with every other parameter of `conn`."""
    from psycopg.conninfo import make_conninfo

    params = conn.info.get_parameters()  # what was given (URL, environment), but the password
    if conn.info.password:
        params["password"] = conn.info.password
    params["dbname"] = dbname
    return make_conninfo(**params)


@contextmanager
def scratch_database(conn):
    """A new empty database on `conn`'s server, yielded as a connection, dropped afterwards.

    Raises psycopg's InsufficientPrivilege when the role may not create databases,
    DatabaseOpenError when the new database cannot be reached, and CourselabError naming
    the database when it could not be dropped.
    """
    import psycopg

    _drop_stale(conn)
    name = f"{PREFIX}{int(time.time())}_{uuid.uuid4().hex[:8]}"
    reach, home = conninfo(conn, name), conninfo(conn, conn.info.dbname)
    conn.execute(f"CREATE DATABASE {name}")
    try:
        try:
            scratch = psycopg.connect(reach, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise DatabaseOpenError(f"cannot connect to the scratch database {name} "
                                    f"({reason(exc)})") from None
        with scratch:
            yield scratch
    finally:
        _drop(conn, home, name)


def _drop(conn, home, name):
    """Drop database `name` over `conn`, or over a new connection to `home` if `conn` is lost."""
    import psycopg

    drop = f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    try:
        conn.execute(drop)
        return
    except psycopg.Error:
        pass  # the connection was lost (terminated, timed out): try a new one
    try:
        with psycopg.connect(home, autocommit=True, connect_timeout=10) as again:
            again.execute(drop)
    except psycopg.Error as exc:
        raise CourselabError(f"the scratch database {name} is left on the server "
                             f"({reason(exc)}); drop it (DROP DATABASE {name}) or let a later "
                             "check drop it") from None


def _drop_stale(conn):
    """Drop the scratch databases older than STALE_AFTER that nobody is connected to."""
    import psycopg

    cutoff = time.time() - STALE_AFTER
    for (name,) in conn.execute("SELECT datname FROM pg_database "
                                "WHERE starts_with(datname, %s)", (PREFIX,)).fetchall():
        found = NAME.fullmatch(name)
        if found and int(found[1]) < cutoff:
            # Without FORCE: one still in use, or another role's, stays (its check drops it).
            with suppress(psycopg.Error):
                conn.execute(f"DROP DATABASE IF EXISTS {name}")
