"""courselab: a course platform in SQLite, built one numbered migration at a time."""

from .db import connect, transaction
from .errors import CourselabError, FixtureError, MigrationError
from .fixtures import load as load_fixtures
from .search import search_courses

__all__ = ["connect", "transaction", "CourselabError", "FixtureError", "MigrationError",
           "load_fixtures", "search_courses"]
