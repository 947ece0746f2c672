"""Shared fixtures: every test gets its own temporary database, never a shared file."""

import functools
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from courselab import fixtures, kernel_start, migrate
from courselab.db import connect

REPO = Path(__file__).resolve().parent.parent

# Hypothesis budgets. "quick" (the default) keeps the suite fast; a deeper search:
#   COURSELAB_HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_properties.py
# No deadline: a database step's time varies with the machine, not with the input.
settings.register_profile("quick", deadline=None, max_examples=50, stateful_step_count=30)
settings.register_profile("long", deadline=None, max_examples=1000, stateful_step_count=60)
settings.load_profile(os.environ.get("COURSELAB_HYPOTHESIS_PROFILE", "quick"))


def _start_nbval_kernels_steadily():
    """nbval starts each notebook's kernel once, over TCP ports another kernel starting at the
    same time can be handed too; one that dies as it starts is started again, as courselab's
    own kernels are (courselab.kernel_start). A cell's failure is never retried."""
    from nbval import kernel as nbval_kernel

    start = nbval_kernel.start_new_kernel

    @functools.wraps(start)
    def start_steadily(*args, **kwargs):  # nbval stops a kernel that failed itself
        return kernel_start.again(lambda: start(*args, **kwargs), cleanup=lambda: None)

    nbval_kernel.start_new_kernel = start_steadily


_start_nbval_kernels_steadily()


@pytest.fixture
def taken_port():
    """A loopback port another program holds: a kernel told to bind it dies as it starts."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def on_taken_port(base, port, dying):
    """(A kernel manager class whose first `dying` kernels are told to bind `port`, the list
    of the managers it made)."""
    made = []

    class Manager(base):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            if len(made) < dying:
                self.cache_ports, self.shell_port = False, port
            made.append(self)

    return Manager, made


@pytest.fixture(scope="session")
def built_databases(tmp_path_factory):
    """built_databases(to, load) -> a closed database file migrated (and loaded) once a session."""
    built = {}

    def path(to, load):
        if (to, load) not in built:
            target = tmp_path_factory.mktemp("built") / "built.db"
            conn = connect(target)
            migrate.migrate(conn, to=to)
            if load:
                fixtures.load(conn)
            conn.close()  # the last connection: its WAL is checkpointed into the file
            built[(to, load)] = target
        return built[(to, load)]
    return path


@pytest.fixture
def make_db(tmp_path, built_databases):
    """Factory: make_db(to=None, load=True, name='test') -> connection to a new file database.

    Each is a copy of the file built_databases migrated once: the rows and schema of a fresh
    migration, in a millisecond instead of forty.
    """
    def make(to=None, load=True, name="test"):
        target = tmp_path / f"{name}.db"
        shutil.copyfile(built_databases(to, load), target)
        return connect(target)
    return make


@pytest.fixture
def db(make_db):
    """A database at the latest migration with the fixtures of data/ loaded."""
    return make_db()


@pytest.fixture
def cli(tmp_path):
    """Run `python -m courselab ARGS` in a temporary directory; return CompletedProcess."""
    def run(*args, timeout=120):
        return subprocess.run([sys.executable, "-m", "courselab", *map(str, args)],
                              capture_output=True, text=True, cwd=tmp_path, timeout=timeout,
                              env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    return run


@pytest.fixture
def quick_bench(monkeypatch):
    """`courselab bench` in this process, each query timed 3 times instead of for 0.3 s.

    Its tests assert the report's sections, never a time; the repetitions only cost seconds.
    """
    from courselab import bench

    monkeypatch.setattr(bench, "run", functools.partial(bench.run, budget=0))


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL server for this test session (skipped where none is installed)."""
    from courselab import pgserver

    if pgserver.bin_dir() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the PostgreSQL tests: .ci/run installs postgresql")
        pytest.skip(pgserver.HOW_TO_ENABLE)
    cluster = pgserver.Cluster().start(owner=os.getpid())
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_built(pg_cluster):
    """pg_built(to=None) -> the name of a database migrated to `to` with the fixtures loaded,
    built once a session to be copied by CREATE DATABASE ... TEMPLATE."""
    from courselab import pg_data, postgres

    built = {}

    def name(to=None):
        if to not in built:
            database = f"built_{to or 'head'}"
            with postgres.connect(pg_cluster.url()) as admin:
                admin.execute(f"CREATE DATABASE {database}")
            with postgres.connect(pg_cluster.url(database)) as conn:
                postgres.migrate_up(conn, to=to)
                pg_data.load(conn, fixtures.DATA_DIR)
            built[to] = database
        return built[to]
    return name


@pytest.fixture
def make_pg_url(pg_cluster, pg_built):
    """Factory: make_pg_url(to=None, load=False) -> the URL of a new PostgreSQL database,
    dropped after the test: empty, or with load=True a copy of pg_built(to)."""
    import uuid

    from courselab import postgres

    names = []

    def make(to=None, load=False):
        names.append(f"t_{uuid.uuid4().hex[:12]}")
        template = f" TEMPLATE {pg_built(to)}" if load else ""
        with postgres.connect(pg_cluster.url()) as admin:
            admin.execute(f"CREATE DATABASE {names[-1]}{template}")
        return pg_cluster.url(names[-1])
    yield make
    with postgres.connect(pg_cluster.url()) as admin:
        for name in names:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def pg_url(make_pg_url):
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    return make_pg_url()


@pytest.fixture
def pg(pg_url):
    """A connection to a new, empty PostgreSQL database."""
    from courselab import postgres

    conn = postgres.connect(pg_url)
    yield conn
    conn.close()


@pytest.fixture
def loaded(make_pg_url):
    """A PostgreSQL database at the newest version with the fixtures (a copy of one built per
    session)."""
    from courselab import postgres

    conn = postgres.connect(make_pg_url(load=True))
    yield conn
    conn.close()


def table_objects(conn, table):
    """[(type, name, sql)] of the indexes and triggers of `table`, by type and name."""
    return conn.execute("SELECT type, name, sql FROM sqlite_master WHERE tbl_name = ? "
                        "AND type IN ('index', 'trigger') AND sql IS NOT NULL "
                        "ORDER BY type, name", (table,)).fetchall()


# The files that run longest go first: `make test` hands out whole files (--dist loadfile), and
# one of these started last would leave a worker running it alone at the end.
LONGEST_FIRST = ("tests/test_editions.py", "tests/test_real_browser.py", "tests/test_grade.py",
                 "tests/test_real_kernel.py", "notebooks/24-The-Same-Design-On-PostgreSQL.ipynb",
                 "notebooks/23-Performance-At-Scale.ipynb")


def pytest_collection_modifyitems(items):
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
