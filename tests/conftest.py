"""Shared fixtures: every test gets its own temporary database, never a shared file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from courselab import fixtures, migrate
from courselab.db import connect

REPO = Path(__file__).resolve().parent.parent

# Hypothesis budgets. "quick" (the default) keeps the suite fast; a deeper search:
#   COURSELAB_HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/test_properties.py
# No deadline: a database step's time varies with the machine, not with the input.
settings.register_profile("quick", deadline=None, max_examples=50, stateful_step_count=30)
settings.register_profile("long", deadline=None, max_examples=1000, stateful_step_count=60)
settings.load_profile(os.environ.get("COURSELAB_HYPOTHESIS_PROFILE", "quick"))


@pytest.fixture
def make_db(tmp_path):
    """Factory: make_db(to=None, load=True, name='test') -> connection to a new file database."""
    def make(to=None, load=True, name="test"):
        conn = connect(tmp_path / f"{name}.db")
        migrate.migrate(conn, to=to)
        if load:
            fixtures.load(conn)
        return conn
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


@pytest.fixture
def pg_url(pg_cluster):
    """The URL of a new, empty PostgreSQL database, dropped after the test."""
    import uuid

    from courselab import postgres

    name = f"t_{uuid.uuid4().hex[:12]}"
    with postgres.connect(pg_cluster.url()) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield pg_cluster.url(name)
    with postgres.connect(pg_cluster.url()) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
