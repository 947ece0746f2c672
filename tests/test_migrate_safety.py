"""The runner keeps its promise with files that students write: whole or nothing, no data lost."""

import hashlib
import re
import shutil
import sqlite3
import subprocess

import pytest

from courselab import checks, fixtures, migrate, search, sqlfile
from courselab.db import connect, table_names
from courselab.errors import MigrationError

from .conftest import table_objects

CHILDREN_OF_USERS = ["enrollments", "progress", "reviews", "quiz_attempts", "bookmarks"]


@pytest.fixture
def project(tmp_path):
    """(migrations copy, connection) at the latest version with the fixtures loaded."""
    directory = tmp_path / "migrations"
    shutil.copytree(migrate.MIGRATIONS_DIR, directory, ignore=shutil.ignore_patterns("postgresql"))
    conn = connect(tmp_path / "p.db")
    migrate.migrate(conn, directory)
    fixtures.load(conn)
    return directory, conn


def next_version(directory):
    return f"{len(migrate.discover(directory)) + 1:03d}"


def write(directory, name, body, version=None, record=True, before="", after=""):
    """Write migration NNN_name.sql: before, BEGIN, body, its record, COMMIT, after."""
    version = version or next_version(directory)
    insert = (f"INSERT INTO schema_migrations (version, name) VALUES ('{version}', '{name}');\n"
              if record else "")
    path = directory / f"{version}_{name}.sql"
    path.write_text(f"{before}BEGIN;\n{body}{insert}COMMIT;\n{after}")
    return path


def counts(conn, tables):
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


def rebuild(conn, table, where="", check=None, legacy=True, keep=True, leave_out=None):
    """The body of SQLite's 12-step rebuild of `table`, adding a CHECK if given.

    legacy: PRAGMA legacy_alter_table=ON before the RENAME (other tables' triggers name
    `table`); keep: create the old table's triggers and indexes again (step 8), all but the
    one named `leave_out`.
    """
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    create = sql.replace(f"CREATE TABLE {table}", f"CREATE TABLE {table}_new", 1)
    if check:
        create = create[:create.rindex(")")] + f",\n    CHECK ({check})\n)"
    objects = [f"{sql};\n" for _kind, name, sql in table_objects(conn, table)
               if keep and name != leave_out]
    return (f"{create};\nINSERT INTO {table}_new SELECT * FROM {table}{where};\n"
            f"DROP TABLE {table};\n" + ("PRAGMA legacy_alter_table=ON;\n" if legacy else "")
            + f"ALTER TABLE {table}_new RENAME TO {table};\n" + "".join(objects)
            + "PRAGMA foreign_key_check;\n")


def users_rebuild(conn, where="", check="email LIKE '%@%'"):
    return rebuild(conn, "users", where, check)


def refused(conn, directory, match, call=migrate.migrate, **kwargs):
    """Run `call`, expect MigrationError matching `match`, and the database unchanged."""
    before = list(conn.iterdump())
    with pytest.raises(MigrationError, match=match) as error:
        call(conn, directory, **kwargs)
    assert list(conn.iterdump()) == before
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert not conn.in_transaction
    return str(error.value)


# The table rebuild

def test_the_documented_table_rebuild_keeps_every_child_row_and_adds_its_check(project):
    directory, conn = project
    before = counts(conn, CHILDREN_OF_USERS + ["users"])
    write(directory, "rebuild_users", users_rebuild(conn),
          before="PRAGMA foreign_keys=OFF;\n", after="PRAGMA foreign_keys=ON;\n")
    assert [m.name for m in migrate.migrate(conn, directory)] == ["rebuild_users"]
    assert counts(conn, CHILDREN_OF_USERS + ["users"]) == before
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        conn.execute("INSERT INTO users (id, name, email) VALUES ('u-x', 'X', 'no-at')")
    conn.execute("DELETE FROM users WHERE id = 'u-ada'")  # the cascades still follow
    left = conn.execute("SELECT COUNT(*) FROM enrollments WHERE user_id = 'u-ada'").fetchone()
    assert left[0] == 0


@pytest.mark.parametrize("pragma", ["PRAGMA foreign_keys = 0;", "pragma foreign_keys='off';",
                                    "PRAGMA main.foreign_keys=false;\nPRAGMA foreign_keys;"])
def test_foreign_keys_off_is_understood_in_its_other_spellings(project, pragma):
    directory, conn = project
    before = counts(conn, CHILDREN_OF_USERS)
    write(directory, "rebuild_users", users_rebuild(conn), before=f"{pragma}\n")
    migrate.migrate(conn, directory)
    assert counts(conn, CHILDREN_OF_USERS) == before


def test_a_rebuild_that_leaves_a_dangling_reference_is_refused_naming_file_and_table(project):
    directory, conn = project
    path = write(directory, "rebuild_users", users_rebuild(conn, where=" WHERE id <> 'u-ada'"),
                 before="PRAGMA foreign_keys=OFF;\n", after="PRAGMA foreign_keys=ON;\n")
    message = refused(conn, directory, "foreign key check failed")
    assert re.search(rf"^{path.name}:\d+: .* row\(s\) of \w+ reference no row of users", message)


def test_without_its_own_foreign_key_check_a_rebuild_is_still_checked_before_commit(project):
    directory, conn = project
    body = users_rebuild(conn, where=" WHERE id <> 'u-ada'")
    body = body.replace("PRAGMA foreign_key_check;\n", "")
    write(directory, "rebuild_users", body, before="PRAGMA foreign_keys = off;\n")
    refused(conn, directory, "foreign key check failed")


def test_a_rebuild_without_foreign_keys_off_is_refused_before_its_drop_cascades(project):
    directory, conn = project
    write(directory, "rebuild_users", users_rebuild(conn))
    refused(conn, directory, r":\d+: DROP TABLE users with foreign keys on would delete .* "
                             "PRAGMA foreign_keys=OFF; before BEGIN")


def test_renaming_the_old_table_first_is_refused_since_its_references_follow_the_rename(project):
    directory, conn = project
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'tags'").fetchone()[0]
    body = (f"ALTER TABLE tags RENAME TO tags_old;\n{sql};\n"
            "INSERT INTO tags SELECT * FROM tags_old;\nDROP TABLE tags_old;\n")
    write(directory, "rebuild_tags", body, before="PRAGMA foreign_keys=OFF;\n")
    refused(conn, directory, "course_tags has a foreign key to tags_old, which does not exist")


def courses_rebuild(conn, legacy):
    return rebuild(conn, "courses", legacy=legacy)


def test_a_rebuild_without_legacy_alter_table_renames_as_a_rebuild_and_triggers_still_fire(
        project):
    # enrollments' triggers name courses: a plain RENAME would fail on them once courses is gone
    directory, conn = project
    write(directory, "rebuild_courses", courses_rebuild(conn, legacy=False),
          before="PRAGMA foreign_keys=OFF;\n")
    migrate.migrate(conn, directory)
    assert conn.execute("PRAGMA legacy_alter_table").fetchone()[0] == 0
    conn.execute("UPDATE courses SET title = 'SQL, again' WHERE id = 'c-sql'")
    titles = conn.execute("SELECT DISTINCT course_title FROM enrollments WHERE course_id = 'c-sql'")
    assert [tuple(row) for row in titles] == [("SQL, again",)]


def test_with_legacy_alter_table_the_rebuild_applies_and_the_setting_does_not_leak(project):
    directory, conn = project
    enrollments = conn.execute("SELECT COUNT(*) FROM enrollments").fetchone()[0]
    write(directory, "rebuild_courses", courses_rebuild(conn, legacy=True),
          before="PRAGMA foreign_keys=OFF;\n")
    migrate.migrate(conn, directory)
    assert conn.execute("SELECT COUNT(*) FROM enrollments").fetchone()[0] == enrollments
    assert conn.execute("PRAGMA legacy_alter_table").fetchone()[0] == 0
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    before = conn.execute("SELECT enrollment_count FROM courses WHERE id = 'c-sql'").fetchone()[0]
    conn.execute("DELETE FROM enrollments WHERE course_id = 'c-sql' AND rowid = "
                 "(SELECT MIN(rowid) FROM enrollments WHERE course_id = 'c-sql')")
    after = conn.execute("SELECT enrollment_count FROM courses WHERE id = 'c-sql'").fetchone()[0]
    assert after == before - 1  # the counter triggers on enrollments still update courses


@pytest.mark.parametrize("table, lost", [
    ("users", "trigger users_name_to_enrollments"),
    ("courses", "index idx_courses_catalog"),
    ("courses", "trigger courses_fts_update"),
])
def test_a_rebuild_that_forgets_a_trigger_or_index_of_the_old_table_gets_it_back(
        project, table, lost):
    directory, conn = project
    kind, name = lost.split()
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    write(directory, f"rebuild_{table}", rebuild(conn, table, leave_out=name),
          before="PRAGMA foreign_keys=OFF;\n")
    migrate.migrate(conn, directory)
    assert conn.execute("SELECT type, sql FROM sqlite_master WHERE name = ?",
                        (name,)).fetchone()[:] == (kind, sql)


def test_after_a_rebuild_that_forgot_the_search_trigger_search_still_follows_a_new_title(
        project):
    directory, conn = project
    write(directory, "rebuild_courses", rebuild(conn, "courses", leave_out="courses_fts_update"),
          before="PRAGMA foreign_keys=OFF;\n")
    migrate.migrate(conn, directory)
    conn.execute("UPDATE courses SET title = 'Zanzibar' WHERE id = 'c-sql'")
    assert [r["id"] for r in search.search_courses(conn, "zanzibar")] == ["c-sql"]
    assert checks.fts_problems(conn) == []


def test_a_forgotten_index_that_no_longer_fits_the_new_table_is_refused(project):
    directory, conn = project
    body = ("CREATE TABLE tags_new (id TEXT PRIMARY KEY, label TEXT NOT NULL);\n"
            "INSERT INTO tags_new SELECT id, name FROM tags;\nDROP TABLE tags;\n"
            "ALTER TABLE tags_new RENAME TO tags;\n")
    conn.execute("CREATE INDEX idx_tags_name ON tags(name)")
    write(directory, "rebuild_tags", body, before="PRAGMA foreign_keys=OFF;\n")
    message = refused(conn, directory, "DROP TABLE tags also dropped its index idx_tags_name, "
                                       "which does not fit the new tags")
    assert "DROP INDEX idx_tags_name first" in message


def test_a_rebuild_may_leave_out_what_it_drops_by_name_first(project):
    directory, conn = project
    body = "DROP TRIGGER users_name_to_enrollments;\n" + rebuild(conn, "users", keep=False)
    write(directory, "rebuild_users", body, before="PRAGMA foreign_keys=OFF;\n")
    migrate.migrate(conn, directory)
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'users_name_to_enrollments'"
                        ).fetchone() is None


def test_after_the_documented_rebuild_of_users_the_name_copies_still_follow(project):
    directory, conn = project
    write(directory, "rebuild_users", users_rebuild(conn), before="PRAGMA foreign_keys=OFF;\n")
    migrate.migrate(conn, directory)
    conn.execute("UPDATE users SET name = 'Ada L.' WHERE id = 'u-ada'")
    copies = conn.execute("SELECT DISTINCT user_name FROM enrollments WHERE user_id = 'u-ada'")
    assert [tuple(row) for row in copies] == [("Ada L.",)]


def test_foreign_keys_are_on_again_after_a_rebuild_fails_on_a_sql_error(project):
    directory, conn = project
    write(directory, "broken", "SELECT nope FROM nowhere;\n", before="PRAGMA foreign_keys=OFF;\n")
    refused(conn, directory, "no such table: nowhere")


@pytest.mark.parametrize("pragma, message", [
    ("PRAGMA foreign_keys=OFF;", "PRAGMA foreign_keys does nothing inside a transaction"),
    ("PRAGMA main.foreign_keys = 0;", "PRAGMA foreign_keys does nothing inside"),
    ("PRAGMA journal_mode=DELETE;", "PRAGMA journal_mode cannot take effect"),
    ("pragma recursive_triggers = off;", "PRAGMA recursive_triggers cannot take effect"),
])
def test_a_pragma_that_cannot_work_inside_the_transaction_is_refused_before_anything_runs(
        project, pragma, message):
    directory, conn = project
    path = write(directory, "pragma", f"DELETE FROM reviews;\n{pragma}\n")
    refused(conn, directory, rf"^{path.name}:3: {message}")


def test_foreign_keys_off_after_commit_is_refused(project):
    directory, conn = project
    write(directory, "fk_off_after", "CREATE TABLE thing (a);\n",
          after="PRAGMA foreign_keys=OFF;\n")
    refused(conn, directory, "would leave foreign keys off")


# Transaction statements

@pytest.mark.parametrize("stray", [
    "/* done */ COMMIT;", "COMMIT\tTRANSACTION;", "ROLLBACK;", "END;", "end transaction;",
    "commit;", "SAVEPOINT s;", "RELEASE s;", "BEGIN;", "BEGIN\nIMMEDIATE;", "ROLLBACK TO s;",
    "-- the end\n  COMMIT /* here */ ;",
])
def test_a_transaction_statement_mid_file_is_refused_before_anything_runs(project, stray):
    directory, conn = project
    path = write(directory, "stray", f"CREATE TABLE thing (a);\nDELETE FROM reviews;\n{stray}\n"
                                     "CREATE TABLE thing2 (b);\n")
    message = refused(conn, directory, "would end or split the migration's transaction")
    assert message.startswith(f"{path.name}:")


@pytest.mark.parametrize("text", [
    "/* 0NN: add thing\n   over two lines */\nBEGIN;\n{body}COMMIT;\n",
    "\ufeffBEGIN;\n{body}COMMIT;\n",
    "BEGIN\nTRANSACTION;\n{body}COMMIT\tTRANSACTION;\n",
    "begin immediate;\n{body}end;\n",
    "BEGIN;\r\n{body}COMMIT;\r\n",
    "BEGIN;\r{body}COMMIT;\r",
    "{body}",
    "BEGIN;\nCREATE TRIGGER t AFTER INSERT ON thing BEGIN\n  SELECT 1;\nEND;\n{body}COMMIT;\n",
])
def test_legitimate_files_apply_whole(project, text):
    directory, conn = project
    version = next_version(directory)
    body = ("CREATE TABLE IF NOT EXISTS thing (a);\nINSERT INTO thing VALUES (42);\n"
            "DELETE FROM reviews WHERE id = (SELECT MIN(id) FROM reviews);\n"
            f"INSERT INTO schema_migrations (version, name) VALUES ('{version}', 'add_thing');\n")
    if "TRIGGER" in text:
        text = "BEGIN;\nCREATE TABLE thing (a);\n" + text.removeprefix("BEGIN;\n")
    sep = "\r" if text.endswith("COMMIT;\r") else "\n"
    path = directory / f"{version}_add_thing.sql"
    path.write_bytes(text.format(body=body.replace("\n", sep)).encode("utf-8"))
    reviews = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    assert [m.name for m in migrate.migrate(conn, directory)] == ["add_thing"]
    assert conn.execute("SELECT a FROM thing").fetchall()[0][0] == 42
    assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == reviews - 1
    assert dict((m.version, s) for m, s in migrate.status(conn, directory))[version] == "applied"


def test_a_file_with_begin_and_no_commit_is_refused(project):
    directory, conn = project
    path = directory / f"{next_version(directory)}_open.sql"
    path.write_text("BEGIN;\nCREATE TABLE thing (a);\n")
    refused(conn, directory, "BEGIN without a closing COMMIT")


def test_a_trigger_raise_rollback_during_a_migration_is_reported_and_nothing_is_kept(project):
    directory, conn = project
    conn.execute("CREATE TRIGGER no_tags BEFORE INSERT ON tags BEGIN "
                 "SELECT RAISE(ROLLBACK, 'no new tags'); END")
    path = write(directory, "add_tag", "CREATE TABLE thing (a);\n"
                                       "INSERT INTO tags (id, name) VALUES ('t-x', 'x');\n")
    refused(conn, directory, rf"^{path.name}:3: no new tags")


def test_migrate_inside_an_open_transaction_is_refused(project):
    directory, conn = project
    conn.execute("BEGIN")
    with pytest.raises(MigrationError, match="inside a transaction"):
        migrate.migrate(conn, directory)
    conn.execute("ROLLBACK")


# One version per file

def test_a_migration_that_also_records_the_next_version_is_refused(project):
    directory, conn = project
    version = next_version(directory)
    later = f"{int(version) + 1:03d}"
    path = write(directory, "add_thing", "CREATE TABLE thing (a);\nINSERT INTO schema_migrations "
                 f"(version, name) VALUES ('{later}', 'add_later');\n")
    write(directory, "add_later", "CREATE TABLE later (a);\n", version=later)
    message = refused(conn, directory, f"also changes the row of version {later}")
    assert message.startswith(path.name)


@pytest.mark.parametrize("statement", [
    "DELETE FROM schema_migrations WHERE version = '005';",
    "UPDATE schema_migrations SET checksum = NULL WHERE version = '001';",
])
def test_a_migration_that_changes_another_versions_row_is_refused(project, statement):
    directory, conn = project
    write(directory, "meddle", f"{statement}\n")
    refused(conn, directory, "also changes the row of version")


def test_a_down_file_that_removes_other_versions_is_refused(project):
    directory, conn = project
    newest, below = migrate.discover(directory)[-1], migrate.discover(directory)[-2]
    down = newest.down
    down.write_text(down.read_text().replace(f"WHERE version = '{newest.version}'",
                                             f"WHERE version >= '{below.version}'"))
    refused(conn, directory, f"also changes the row of version {below.version}",
            call=migrate.rollback, to=below.version, force=True)


# The rollback guard

@pytest.mark.parametrize("drop", [
    "-- bookmarks go away\nDROP TABLE bookmarks;", 'DROP TABLE "bookmarks";',
    "DROP TABLE main.bookmarks;", "DROP TABLE IF EXISTS bookmarks;", "drop table bookmarks;",
    "DROP TABLE [bookmarks];", "DELETE FROM bookmarks;\nDROP TABLE bookmarks;",
    "DELETE FROM bookmarks WHERE note IS NULL;\nDROP TABLE bookmarks;",
])
def test_rollback_refuses_a_down_file_that_deletes_rows_however_it_is_written(project, drop):
    directory, conn = project
    down = next(directory.glob("014_*.down.sql"))
    down.write_text(f"BEGIN;\n{drop}\nINSERT INTO tags (id, name) VALUES ('t-trace', 'trace');\n"
                    "DELETE FROM schema_migrations WHERE version = '014';\nCOMMIT;\n")
    rows = conn.execute("SELECT COUNT(*) FROM bookmarks").fetchone()[0]
    refused(conn, directory, rf"^{down.name} would delete {rows} rows of bookmarks; pass --force",
            call=migrate.rollback, to="013")
    migrate.rollback(conn, directory, to="013", force=True)
    assert conn.execute("SELECT COUNT(*) FROM tags WHERE id = 't-trace'").fetchone()[0] == 1


def test_rollback_counts_the_rows_a_cascade_would_remove(project):
    directory, conn = project
    path = write(directory, "add_nothing", "")
    down = path.with_name(path.stem + ".down.sql")
    down.write_text(f"BEGIN;\nDELETE FROM users WHERE id = 'u-ada';\nDELETE FROM "
                    f"schema_migrations WHERE version = '{path.name[:3]}';\nCOMMIT;\n")
    migrate.migrate(conn, directory)
    refused(conn, directory, rf"^{down.name} would delete \d+ rows of \w+ \(and \d+ rows of "
                             r"other tables\); pass --force", call=migrate.rollback,
            to=migrate.discover(directory)[-2].version)


def test_a_refused_rollback_of_several_files_undoes_none_of_them(project):
    directory, conn = project
    refused(conn, directory, "014_create_bookmarks.down.sql would delete", call=migrate.rollback,
            to="013")
    assert migrate.current_version(conn) == migrate.discover(directory)[-1].version


# Checksums

def copy_with_newline(directory, target, newline, bom=b""):
    target.mkdir()
    for path in directory.iterdir():
        target.joinpath(path.name).write_bytes(bom + path.read_bytes().replace(b"\n", newline))
    return target


@pytest.mark.parametrize("newline, bom", [(b"\r\n", b""), (b"\r", b""), (b"\n", b"\xef\xbb\xbf")])
def test_line_endings_and_a_bom_are_not_edits(project, tmp_path, newline, bom):
    directory, conn = project
    other = copy_with_newline(directory, tmp_path / "other", newline, bom)
    assert {s for _, s in migrate.status(conn, other)} == {"applied"}
    assert migrate.migrate(conn, other) == []


def test_a_comment_only_edit_is_not_an_edit_but_a_change_of_sql_is(project):
    directory, conn = project
    path = directory / "002_create_courses_and_sections.sql"
    text = path.read_text()
    path.write_text("-- a corrected header line\n" + text.replace("-- ", "--   ", 3))
    assert dict((m.version, s) for m, s in migrate.status(conn, directory))["002"] == "applied"
    path.write_text(text.replace("'Untitled'", "'Nameless'") if "'Untitled'" in text
                    else text.replace("CREATE TABLE sections (", "CREATE TABLE sections (x,"))
    assert dict((m.version, s) for m, s in migrate.status(conn, directory))["002"] == "edited"


def test_a_string_literal_keeps_its_spaces_in_the_checksum(tmp_path):
    one, two = tmp_path / "001_a.sql", tmp_path / "001_b.sql"
    one.write_text("INSERT INTO t VALUES ('a  b');\n")
    two.write_text("INSERT INTO t VALUES ('a b');\n")
    assert sqlfile.checksum(one) != sqlfile.checksum(two)


def test_a_database_with_raw_byte_checksums_is_not_edited_and_migrate_upgrades_them(project):
    directory, conn = project
    for m in migrate.discover(directory):
        conn.execute("UPDATE schema_migrations SET checksum = ? WHERE version = ?",
                     (hashlib.sha256(m.up.read_bytes()).hexdigest(), m.version))
    assert {s for _, s in migrate.status(conn, directory)} == {"applied"}
    migrate.migrate(conn, directory)
    stored = dict(conn.execute("SELECT version, checksum FROM schema_migrations").fetchall())
    assert stored == {m.version: m.checksum for m in migrate.discover(directory)}


def test_a_renamed_applied_migration_is_refused_naming_both_names(project):
    directory, conn = project
    (directory / "008_add_indexes.sql").rename(directory / "008_add_more_indexes.sql")
    (directory / "008_add_indexes.down.sql").rename(directory / "008_add_more_indexes.down.sql")
    assert dict((m.version, s) for m, s in migrate.status(conn, directory))["008"] == "renamed"
    refused(conn, directory, "008_add_more_indexes.sql: version 008 was applied as "
                             "008_add_indexes.sql; give the file its old name back")


def test_status_reports_rows_without_a_checksum_and_rows_without_a_file(project):
    directory, conn = project
    conn.execute("UPDATE schema_migrations SET checksum = NULL WHERE version = '003'")
    newest = migrate.discover(directory)[-1]
    for path in directory.glob(f"{newest.version}_*"):
        path.unlink()
    states = {m.version: s for m, s in migrate.status(conn, directory)}
    assert states["003"] == "unverified" and states[newest.version] == "missing"


# Read-only status, no leftovers

def test_status_opens_the_file_read_only_and_keeps_its_journal_mode(tmp_path, cli):
    path = tmp_path / "plain.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE x (a)")
    raw.commit()
    raw.close()
    result = cli("status", "--db", path)
    assert result.returncode == 0, result.stderr
    assert "pending  001 create_users" in result.stdout
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("plain")) == ["plain.db"]


def test_a_read_only_connection_refuses_writes(tmp_path):
    connect(tmp_path / "x.db").execute("CREATE TABLE x (a)")
    conn = connect(tmp_path / "x.db", readonly=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        conn.execute("INSERT INTO x VALUES (1)")


def test_a_failing_first_migration_leaves_no_schema_migrations_behind(tmp_path):
    directory = tmp_path / "migrations"
    directory.mkdir()
    (directory / "001_broken.sql").write_text("BEGIN;\nCREATE TABLE a (x);\nSELECT nope;\n"
                                              "COMMIT;\n")
    conn = connect(tmp_path / "new.db")
    with pytest.raises(MigrationError, match="001_broken.sql:3"):
        migrate.migrate(conn, directory)
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_sql_csv_and_notebooks_are_checked_out_with_lf():
    root = migrate.MIGRATIONS_DIR.parent
    out = subprocess.run(["git", "check-attr", "eol", "migrations/001_create_users.sql",
                          "data/users.csv", "notebooks/17-Rolling-Back.ipynb"], cwd=root,
                         capture_output=True, text=True, check=True).stdout
    assert out.count("eol: lf") == 3, out


# Concurrent runs: what to undo is decided under the write lock, and checked at each step

def test_a_rollback_step_stops_when_another_connection_applied_a_later_version_meanwhile(
        project):
    directory, conn = project
    other = connect(conn.execute("PRAGMA database_list").fetchone()[2])
    head = migrate.current_version(conn)

    def migrate_up_again(migration):
        migrate.migrate(other, directory)  # re-applies what the rollback has just undone

    with pytest.raises(MigrationError, match=f"version {head} above it was applied meanwhile"):
        migrate.rollback(conn, directory, to="016", on_step=migrate_up_again)
    versions = [v for v, in conn.execute("SELECT version FROM schema_migrations")]
    assert versions == [m.version for m in migrate.discover(directory)]  # no hole


def test_a_migrate_step_stops_when_another_connection_undid_the_version_below_meanwhile(
        make_db):
    conn = make_db(to="016", load=False)
    other = connect(conn.execute("PRAGMA database_list").fetchone()[2])

    def roll_back_below(migration):
        if migration.version == "017":
            migrate.rollback(other, to="015")

    with pytest.raises(MigrationError, match="018_.*: version 017 below it is no longer applied"):
        migrate.migrate(conn, on_step=roll_back_below)
    versions = [v for v, in conn.execute("SELECT version FROM schema_migrations")]
    assert versions == [m.version for m in migrate.discover()][:15]  # no hole


def test_a_rollback_finds_less_to_do_when_another_connection_undid_it_first(make_db):
    conn = make_db(load=False)
    other = connect(conn.execute("PRAGMA database_list").fetchone()[2])
    seen = []

    def undo_everything_first(statement):
        # Runs as this connection starts its first BEGIN IMMEDIATE, before it holds the lock.
        if statement.startswith("BEGIN IMMEDIATE") and not seen:
            seen.append(migrate.rollback(other, to=0))

    conn.set_trace_callback(undo_everything_first)
    assert migrate.rollback(conn, to=0) == []
    assert len(seen[0]) == len(migrate.discover()) and migrate.current_version(conn) == ""


def test_a_rollback_with_nothing_left_to_undo_says_so_in_one_line(tmp_path, cli):
    assert cli("migrate", "--db", "t.db", "--to", "1").returncode == 0
    assert cli("rollback", "--db", "t.db", "--to", "0").returncode == 0
    again = cli("rollback", "--db", "t.db", "--to", "0")
    assert (again.returncode, again.stdout) == (0, "t.db: nothing to undo, at version 0\n")


def test_the_dry_run_keeps_each_down_files_own_foreign_key_setting(project):
    # 021's down file turns foreign keys off; 020's, a rebuild without it, cascades.
    directory, conn = project
    color = write(directory, "add_tag_color", "ALTER TABLE tags ADD COLUMN color TEXT;\n")
    color.with_name(color.stem + ".down.sql").write_text(
        "BEGIN;\nCREATE TABLE tags_new (id TEXT NOT NULL PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
        "INSERT INTO tags_new SELECT id, name FROM tags;\nDROP TABLE tags;\n"
        "ALTER TABLE tags_new RENAME TO tags;\n"
        f"DELETE FROM schema_migrations WHERE version = '{color.name[:3]}';\nCOMMIT;\n")
    note = write(directory, "add_note", "CREATE TABLE notes (id INTEGER PRIMARY KEY);\n")
    note.with_name(note.stem + ".down.sql").write_text(
        "PRAGMA foreign_keys=OFF;\nBEGIN;\nDROP TABLE notes;\n"
        f"DELETE FROM schema_migrations WHERE version = '{note.name[:3]}';\nCOMMIT;\n")
    migrate.migrate(conn, directory)
    tags = conn.execute("SELECT COUNT(*) FROM course_tags").fetchone()[0]
    refused(conn, directory, rf"^{color.stem}.down.sql would delete {tags} rows of course_tags",
            call=migrate.rollback, to=int(color.name[:3]) - 1)


# Virtual tables, triggers and views

def test_a_virtual_table_named_like_the_start_of_other_tables_hides_only_its_own_shadows(
        project):
    directory, conn = project
    write(directory, "add_course_search", "CREATE VIRTUAL TABLE course USING fts5(title);\n")
    migrate.migrate(conn, directory)
    tables = table_names(conn)
    assert {"course_tags", "course_prerequisites"} <= set(tables)
    assert not {"course", "course_data", "course_idx", "courses_fts_data"} & set(tables)
    write(directory, "rebuild_tags", "CREATE TABLE tags_new (id TEXT NOT NULL PRIMARY KEY, "
          "name TEXT NOT NULL UNIQUE);\nINSERT INTO tags_new SELECT id, name FROM tags;\n"
          "DROP TABLE tags;\nALTER TABLE tags_new RENAME TO tags;\n")
    refused(conn, directory, "DROP TABLE tags with foreign keys on would delete or change the "
                             r"\d+ rows of course_tags")


def test_renaming_the_old_table_first_is_refused_when_triggers_would_name_the_dropped_one(
        project):
    directory, conn = project
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'progress'").fetchone()[0]
    path = write(directory, "rebuild_progress", f"ALTER TABLE progress RENAME TO progress_old;\n"
                 f"{sql};\nINSERT INTO progress SELECT * FROM progress_old;\n"
                 "DROP TABLE progress_old;\n")
    message = refused(conn, directory, r"afterwards trigger \w+ fails \(no such table: "
                                       r"main\.progress_old\)")
    assert message.startswith(f"{path.name}: ") and "\n" not in message


def test_a_rebuild_that_leaves_a_view_naming_the_dropped_table_is_refused(project):
    directory, conn = project
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.execute("CREATE VIEW tv AS SELECT id, v FROM t")
    write(directory, "rebuild_t", "ALTER TABLE t RENAME TO t_old;\nCREATE TABLE t (id INTEGER "
          "PRIMARY KEY, v TEXT, w TEXT);\nINSERT INTO t (id, v) SELECT id, v FROM t_old;\n"
          "DROP TABLE t_old;\n")
    refused(conn, directory, r"afterwards view tv fails \(no such table: main\.t_old\)")


def test_a_trigger_created_again_in_another_letter_case_is_not_created_twice(project):
    directory, conn = project
    body = rebuild(conn, "users", keep=False) + (
        "CREATE TRIGGER Users_Name_To_Enrollments AFTER UPDATE OF name ON users BEGIN\n"
        "    UPDATE enrollments SET user_name = NEW.name WHERE user_id = NEW.id;\nEND;\n")
    write(directory, "rebuild_users", body, before="PRAGMA foreign_keys=OFF;\n")
    migrate.migrate(conn, directory)
    names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                         "AND name = 'users_name_to_enrollments' COLLATE NOCASE").fetchall()
    assert [n for n, in names] == ["Users_Name_To_Enrollments"]


# Foreign keys checked by the runner and by COMMIT

def test_a_deferred_foreign_key_failing_at_commit_is_one_line_naming_the_file(project, cli):
    directory, conn = project
    path = write(directory, "add_badges", "CREATE TABLE badges (id INTEGER PRIMARY KEY);\n"
                 "CREATE TABLE user_badges (user_id TEXT NOT NULL REFERENCES users(id),\n"
                 "    badge_id INTEGER REFERENCES badges(id) DEFERRABLE INITIALLY DEFERRED);\n"
                 "INSERT INTO user_badges VALUES ('u-ada', 42);\n")
    before = list(conn.iterdump())
    result = cli("migrate", "--db", "p.db", "--migrations", directory)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    commit = path.read_text().splitlines().index("COMMIT;") + 1
    assert result.stderr.startswith(f"courselab migrate: {path.name}:{commit}: FOREIGN KEY "
                                    "constraint "
                                    "failed at COMMIT: a deferred foreign key is violated")
    assert list(conn.iterdump()) == before


def test_a_rebuild_leaving_children_referencing_a_non_unique_key_names_file_and_fix(project):
    directory, conn = project
    create = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'users'").fetchone()[0]
    create = create.replace("CREATE TABLE users", "CREATE TABLE users_new", 1)
    assert "PRIMARY KEY" in create
    body = (create.replace("PRIMARY KEY", "", 1) + ";\nINSERT INTO users_new SELECT * FROM "
            "users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;\n")
    path = write(directory, "rebuild_users", body, before="PRAGMA foreign_keys=OFF;\n")
    refused(conn, directory, rf"^{path.name}:\d+: foreign key mismatch - \"\w+\" referencing "
                             r"\"users\"; a foreign key must reference its parent's PRIMARY KEY "
                             "or UNIQUE columns")


def test_dropping_a_parent_table_names_the_drop_and_its_children(project):
    directory, conn = project
    path = write(directory, "drop_lessons", "\nDROP TABLE lessons;\n",
                 before="PRAGMA foreign_keys=OFF;\n")
    message = refused(conn, directory, rf"^{path.name}:4: DROP TABLE lessons leaves \w+")
    assert "bookmarks" in message and "renaming" not in message


# Files the runner cannot read, statements it refuses, names it must quote

@pytest.mark.parametrize("kind", ["dangling link", "directory"])
def test_a_migration_file_that_cannot_be_read_is_one_line_naming_it(project, cli, kind):
    directory, conn = project
    path = directory / f"{next_version(directory)}_add_thing.sql"
    if kind == "directory":
        path.mkdir()
    else:
        path.symlink_to(directory / "nowhere.sql")
    result = cli("migrate", "--db", "p.db", "--migrations", directory)
    assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"courselab migrate: {path.name}: cannot read (")


@pytest.mark.parametrize("statement", ["ATTACH DATABASE 'archive.db' AS archive;",
                                       "attach 'archive.db' as archive;", "DETACH archive;"])
def test_attach_and_detach_are_refused_before_anything_runs(project, tmp_path, statement):
    directory, conn = project
    path = write(directory, "archive", f"{statement}\nCREATE TABLE thing (a);\n")
    refused(conn, directory, rf"^{path.name}:2: (ATTACH|DETACH) would make the migration change "
                             "another database file")
    assert not (tmp_path / "archive.db").exists()


def test_a_table_whose_name_has_a_double_quote_is_migrated_and_guarded(project):
    directory, conn = project
    table = '"say ""hi"""'  # the table say "hi"
    write(directory, "add_greetings", f"CREATE TABLE {table} (id INTEGER PRIMARY KEY);\n"
          f"CREATE TABLE heard (g INTEGER REFERENCES {table}(id));\n"
          f"INSERT INTO {table} VALUES (1);\nINSERT INTO heard VALUES (1);\n")
    migrate.migrate(conn, directory)
    assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 1
    write(directory, "drop_greetings", f"DROP TABLE {table};\n")
    refused(conn, directory, 'DROP TABLE say "hi" with foreign keys on would delete or change '
                             "the 1 rows of heard")
