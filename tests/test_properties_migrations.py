"""A student writes migrations: whatever they write, it applies whole or changes nothing.

A hypothesis state machine adds user-written migrations to a copy of the course's ones, on a
database with the fixtures: table rebuilds (with or without foreign keys off, step 8 or
legacy_alter_table, keeping every row or leaving a dangling reference), files with a stray
transaction statement, files that record the wrong versions, and legitimate files in many
spellings. After each step either the migration applied whole (recorded, its effects there,
every row kept, the rebuilt table with all its triggers and indexes) or it was refused and
the database dump is what it was; foreign keys are ON and nothing dangles.
"""

import atexit
import re
import shutil
import sqlite3
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from courselab import fixtures, migrate
from courselab.db import connect, table_names
from courselab.errors import MigrationError

from .conftest import table_objects

# Tables a rebuild may target, with a child table and column that reference them. Other
# tables' triggers name courses and users: their RENAME works with or without the file's
# legacy_alter_table, since the runner renames as a rebuild.
REBUILDS = {"users": ("enrollments", "user_id"), "tags": ("course_tags", "tag_id"),
            "courses": ("enrollments", "course_id")}
STRAYS = ["COMMIT;", "/* done */ COMMIT;", "COMMIT\tTRANSACTION;", "ROLLBACK;", "END;",
          "end transaction;", "SAVEPOINT s;", "RELEASE s;", "BEGIN;", "rollback to s;",
          "-- bye\nCOMMIT;"]
OPENINGS = ["BEGIN;", "BEGIN TRANSACTION;", "BEGIN\nTRANSACTION;", "begin immediate;",
            "/* a header */\nBEGIN;", "-- a header\nBEGIN;"]
CLOSINGS = ["COMMIT;", "COMMIT\tTRANSACTION;", "END;", "end transaction;", "COMMIT /* ok */;"]


@cache
def template():
    """A database file at the latest version with the fixtures loaded (built once)."""
    folder = Path(tempfile.mkdtemp(prefix="courselab-props-"))
    atexit.register(shutil.rmtree, folder, True)
    conn = connect(folder / "template.db")
    migrate.migrate(conn)
    fixtures.load(conn)
    conn.close()
    return folder / "template.db"


def dump(conn):
    return list(conn.iterdump())


class StudentMigrations(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="courselab-machine-"))
        self.directory = self.folder / "migrations"
        shutil.copytree(migrate.MIGRATIONS_DIR, self.directory)
        source = sqlite3.connect(template())
        self.conn = connect(self.folder / "db.db")
        source.backup(self.conn)
        source.close()
        self.things = 0

    def teardown(self):
        self.conn.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # helpers

    def version(self):
        return f"{len(migrate.discover(self.directory)) + 1:03d}"

    def attempt(self, name, text, applies):
        """Write NNN_name.sql, migrate, and check: applied whole, or refused with no change."""
        version = self.version()
        path = self.directory / f"{version}_{name}.sql"
        path.write_bytes(text.replace("{version}", version).encode("utf-8"))
        before, counts = dump(self.conn), self.counts()
        try:
            done = migrate.migrate(self.conn, self.directory)
        except MigrationError as error:
            assert str(error).startswith(path.name), str(error)
            assert dump(self.conn) == before
            path.unlink()
            assert not applies, f"{path.name} refused: {error}"
            return None
        assert applies, f"{path.name} applied:\n{text}"
        assert [m.version for m in done] == [version]
        assert migrate.applied(self.conn)[version][0] == name
        return counts

    def counts(self):
        return {t: self.conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
                for t in table_names(self.conn) if t != "schema_migrations"}

    def record(self, name):
        return f"INSERT INTO schema_migrations (version, name) VALUES ('{{version}}', '{name}');\n"

    # rules

    @rule(table=st.sampled_from(sorted(REBUILDS)), foreign_keys_off=st.booleans(),
          dangling=st.booleans(), own_check=st.booleans(), pragma_on_after=st.booleans(),
          legacy=st.booleans(), step_8=st.booleans())
    def rebuild(self, table, foreign_keys_off, dangling, own_check, pragma_on_after, legacy,
                step_8):
        child, column = REBUILDS[table]
        sql = self.conn.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                                (table,)).fetchone()[0]
        # A table renamed by an earlier rebuild is stored as CREATE TABLE "name".
        create = re.sub(rf'^CREATE TABLE "?{table}"?', f"CREATE TABLE {table}_new", sql)
        create = create[:create.rindex(")")] + ",\n    CHECK (length(id) > 0)\n)"
        # SQLite's step 8: the old table's indexes and triggers go with it; the file creates
        # them again, or else the runner does. Either way the table keeps every one of them.
        objects = table_objects(self.conn, table)
        again = "".join(f"{sql};\n" for _, _, sql in objects) if step_8 else ""
        victim = self.conn.execute(f"SELECT {column} FROM {child} LIMIT 1").fetchone()[0]
        where = f" WHERE id <> '{victim}'" if dangling else ""
        text = (("PRAGMA foreign_keys=OFF;\n" if foreign_keys_off else "") + "BEGIN;\n"
                f"{create};\nINSERT INTO {table}_new SELECT * FROM {table}{where};\n"
                f"DROP TABLE {table};\n"
                + ("PRAGMA legacy_alter_table=ON;\n" if legacy else "")
                + f"ALTER TABLE {table}_new RENAME TO {table};\n" + again
                + ("PRAGMA foreign_key_check;\n" if own_check else "")
                + self.record(f"rebuild_{table}") + "COMMIT;\n"
                + ("PRAGMA foreign_keys=ON;\n" if pragma_on_after else ""))
        counts = self.attempt(f"rebuild_{table}", text, applies=foreign_keys_off and not dangling)
        if counts is not None:
            assert self.counts() == counts
            assert table_objects(self.conn, table) == objects

    @rule(stray=st.sampled_from(STRAYS), position=st.integers(0, 3))
    def stray_transaction_statement(self, stray, position):
        body = ["CREATE TABLE stray (a);", "DELETE FROM reviews;",
                "INSERT INTO stray VALUES (1);", self.record("stray").strip()]
        body.insert(position, stray)
        self.attempt("stray", "BEGIN;\n" + "\n".join(body) + "\nCOMMIT;\n", applies=False)

    @rule(kind=st.sampled_from(["next", "existing", "none", "wrong name", "delete other"]))
    def wrong_recorded_version(self, kind):
        wrong = {
            "next": self.record("thing") + "INSERT INTO schema_migrations (version, name) "
                                           "VALUES ('999', 'later');\n",
            "existing": "UPDATE schema_migrations SET name = 'x' WHERE version = '001';\n"
                        + self.record("thing"),
            "none": "",
            "wrong name": self.record("other"),
            "delete other": self.record("thing") + "DELETE FROM schema_migrations "
                                                   "WHERE version = '002';\n",
        }[kind]
        self.attempt("thing", f"BEGIN;\nCREATE TABLE wrong (a);\n{wrong}COMMIT;\n", applies=False)

    @rule(opening=st.sampled_from(OPENINGS), closing=st.sampled_from(CLOSINGS),
          bom=st.booleans(), newline=st.sampled_from(["\n", "\r\n", "\r"]))
    def legitimate_file(self, opening, closing, bom, newline):
        self.things += 1
        table = f"thing{self.things}"
        body = (f"CREATE TABLE {table} (a);\nINSERT INTO {table} VALUES (42);\n"
                f"CREATE TRIGGER {table}_t AFTER INSERT ON {table} BEGIN\n"
                f"  UPDATE {table} SET a = a + 1 WHERE a = -1;\nEND;\n")
        text = f"{opening}\n{body}{self.record(table)}{closing}\n"
        text = ("\ufeff" if bom else "") + text.replace("\n", newline)
        if self.attempt(table, text, applies=True) is not None:
            assert self.conn.execute(f"SELECT a FROM {table}").fetchall()[0][0] == 42

    # invariants

    @invariant()
    def foreign_keys_are_on_and_nothing_dangles(self):
        assert self.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert self.conn.execute("PRAGMA legacy_alter_table").fetchone()[0] == 0
        assert self.conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert not self.conn.in_transaction

    @invariant()
    def every_applied_migration_matches_its_file(self):
        migrate.verify(self.conn, migrate.discover(self.directory))


TestStudentMigrations = StudentMigrations.TestCase
# Each step migrates a database file: fewer, shorter runs than the data machine's.
TestStudentMigrations.settings = settings(
    settings.default, max_examples=min(settings.default.max_examples, 8),
    stateful_step_count=min(settings.default.stateful_step_count, 6))
