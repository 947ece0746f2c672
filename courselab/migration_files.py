"""The migration files: their names, their order, their pairs, their checksums.

A migration is `NNN_name.sql` (up) with `NNN_name.down.sql` beside it, numbered 001, 002, ...
without gaps; `discover` lists a folder's and refuses anything else.
"""

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from . import resources, sqlfile
from .errors import MigrationError

MIGRATIONS_DIR = resources.migrations_dir()
UP_PATTERN = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
DOWN_PATTERN = re.compile(r"^(\d{3})_([a-z0-9_]+)\.down\.sql$")


@dataclass(frozen=True)
class Migration:
    """One migration: its version, name and the paths of its up and down (or None) files."""

    version: str
    name: str
    up: Path
    down: Path | None

    @cached_property
    def checksum(self):
        """SHA-256 of the up file's SQL: an edit of a statement changes it.

        Comments, layout, line endings and a BOM do not count (sqlfile.checksum).
        """
        return sqlfile.checksum(self.up)

    def matches(self, stored):
        """Whether a checksum stored in schema_migrations is this file's (or its raw bytes')."""
        return stored == self.checksum or stored in sqlfile.legacy_checksums(self.up)


def discover(directory=None):
    """List the migrations in `directory`, in order, refusing gaps, duplicates and strays."""
    directory = Path(directory or MIGRATIONS_DIR)
    if not directory.is_dir():
        raise MigrationError(f"{directory}: no such migrations directory")
    ups, downs = {}, {}
    for path in sorted(directory.glob("*.sql")):
        match = DOWN_PATTERN.match(path.name) or UP_PATTERN.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: not a migration name; use NNN_verb_noun.sql "
                                 "and NNN_verb_noun.down.sql")
        found = downs if path.name.endswith(".down.sql") else ups
        version = match.group(1)
        if version in found:
            raise MigrationError(f"{path.name}: version {version} is already used by "
                                 f"{found[version].name}; give it the next free number")
        found[version] = path
    migrations = []
    for index, version in enumerate(sorted(ups), start=1):
        if version != f"{index:03d}":
            raise MigrationError(f"{ups[version].name}: expected version {index:03d} here; "
                                 "migration numbers must run 001, 002, ... without gaps")
        migrations.append(Migration(version, UP_PATTERN.match(ups[version].name).group(2),
                                    ups[version], downs.get(version)))
    for version, path in downs.items():
        if version not in ups or path.name != ups[version].stem + ".down.sql":
            raise MigrationError(f"{path.name}: no matching up migration")
    return migrations
