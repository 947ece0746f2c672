"""The migration runner: order, atomicity, checksums, rollback."""

import shutil

import pytest

from courselab import migrate, sqlfile
from courselab.errors import MigrationError

COURSE_MIGRATIONS = [
    ("001", "create_users"), ("002", "create_courses_and_sections"), ("003", "create_lessons"),
    ("004", "create_tags_and_course_tags"), ("005", "create_enrollments"),
    ("006", "create_progress"), ("007", "create_reviews"), ("008", "add_indexes"),
    ("009", "add_denormalized_columns_and_triggers"), ("010", "add_courses_fts"),
]


@pytest.fixture
def migrations_copy(tmp_path):
    """A private copy of the course's migrations 001-010 that a test may break."""
    target = tmp_path / "migrations"
    target.mkdir()
    for migration in migrate.discover()[:10]:
        shutil.copy(migration.up, target)
        shutil.copy(migration.down, target)
    return target


def schema(conn):
    return sorted(tuple(r) for r in conn.execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"))


def test_migrate_applies_the_course_migrations_in_order_with_their_names(make_db):
    conn = make_db(load=False)
    rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert [tuple(r) for r in rows[:10]] == COURSE_MIGRATIONS


def test_migrate_records_the_checksum_of_each_file(make_db):
    conn = make_db(load=False)
    by_version = {m.version: m.checksum for m in migrate.discover()}
    for version, checksum in conn.execute("SELECT version, checksum FROM schema_migrations"):
        assert checksum == by_version[version]


def test_migrate_twice_applies_nothing_the_second_time(make_db):
    conn = make_db(load=False)
    assert migrate.migrate(conn) == []


def test_migrate_to_a_version_stops_there(make_db):
    conn = make_db(to="004", load=False)
    assert migrate.current_version(conn) == "004"
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'enrollments'").fetchone() is None


@pytest.mark.parametrize("to", ["7", "007", 7])
def test_versions_may_be_written_with_or_without_zeros(make_db, to):
    conn = make_db(load=False, to="001")
    migrate.migrate(conn, to=to)
    assert migrate.current_version(conn) == "007"


def test_unknown_target_version_is_refused_with_the_known_range(make_db):
    conn = make_db(load=False, to="001")
    with pytest.raises(MigrationError, match=r"unknown migration version '42'.*001\.\."):
        migrate.migrate(conn, to="42")


def test_migrate_to_a_version_below_the_current_one_is_refused(make_db):
    conn = make_db(load=False)
    with pytest.raises(MigrationError, match="use rollback"):
        migrate.migrate(conn, to="003")


def test_failing_migration_leaves_database_unchanged(make_db, migrations_copy):
    conn = make_db(to="010")
    top = migrate.current_version(conn)
    before = list(conn.iterdump())
    broken = migrations_copy / f"{int(top) + 1:03d}_break_things.sql"
    broken.write_text("BEGIN;\nCREATE TABLE partial (x INTEGER);\nDELETE FROM reviews;\n"
                      "INSERT INTO no_such_table VALUES (1);\n"
                      f"INSERT INTO schema_migrations (version, name) VALUES "
                      f"('{int(top) + 1:03d}', 'break_things');\nCOMMIT;\n")
    with pytest.raises(MigrationError) as error:
        migrate.migrate(conn, migrations_copy)
    assert f"{broken.name}:4: no such table: no_such_table" in str(error.value)
    assert list(conn.iterdump()) == before


def test_runner_recovers_once_the_broken_file_is_fixed(make_db, migrations_copy):
    conn = make_db(load=False, to="010")
    broken = migrations_copy / "011_add_thing.sql"
    broken.write_text("BEGIN;\nCREATE TABLE thing (x);\nSELECT nope FROM nowhere;\n"
                      "INSERT INTO schema_migrations (version, name) VALUES ('011', 'add_thing');\n"
                      "COMMIT;\n")
    with pytest.raises(MigrationError):
        migrate.migrate(conn, migrations_copy)
    broken.write_text(broken.read_text().replace("SELECT nope FROM nowhere;\n", ""))
    assert [m.version for m in migrate.migrate(conn, migrations_copy)] == ["011"]


def test_migration_that_does_not_record_itself_is_rolled_back(make_db, migrations_copy):
    conn = make_db(load=False, to="009")
    path = migrations_copy / "010_add_courses_fts.sql"
    path.write_text(path.read_text().replace("INSERT INTO schema_migrations", "-- INSERT INTO x"))
    with pytest.raises(MigrationError, match="must end with INSERT INTO schema_migrations"):
        migrate.migrate(conn, migrations_copy, to="010")
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'courses_fts'").fetchone() is None


def test_edited_applied_migration_is_refused_naming_the_file(make_db, migrations_copy):
    conn = make_db(load=False, to="010")
    path = migrations_copy / "008_add_indexes.sql"
    path.write_text(path.read_text().replace("ON courses(", "ON courses(created_at, ", 1))
    with pytest.raises(MigrationError, match="008_add_indexes.sql was edited"):
        migrate.migrate(conn, migrations_copy)


@pytest.mark.parametrize("name, message", [
    ("003_duplicate_number.sql", "version 003 is already used"),
    ("012_skips_eleven.sql", "expected version"),
    ("notes.sql", "not a migration name"),
    ("099_orphan.down.sql", "no matching up migration"),
])
def test_bad_migration_directory_is_refused(migrations_copy, name, message):
    (migrations_copy / name).write_text("SELECT 1;\n")
    with pytest.raises(MigrationError, match=message):
        migrate.discover(migrations_copy)


def test_split_statements_keeps_trigger_bodies_whole_and_reports_lines():
    sql = ("-- header\nBEGIN;\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;\n"
           "  SELECT 2;\nEND;\n\nINSERT INTO b VALUES ('x;y');\nCOMMIT;\n")
    statements = sqlfile.split_statements(sql)
    assert [s.line for s in statements] == [2, 3, 8, 9]
    assert statements[1].text.endswith("END;")
    assert "'x;y'" in statements[2].text


def test_up_then_down_to_zero_then_up_gives_an_identical_schema(make_db):
    conn = make_db(load=False)
    first = schema(conn)
    migrate.rollback(conn, to=0)
    assert [r[1] for r in schema(conn)] == ["schema_migrations"]
    migrate.migrate(conn)
    assert schema(conn) == first


@pytest.mark.parametrize("version", [m.version for m in migrate.discover()])
def test_rolling_back_one_step_gives_the_schema_below_and_reapplying_restores_it(make_db,
                                                                                version):
    below = f"{int(version) - 1:03d}"
    conn = make_db(load=False, to=version)
    first = schema(conn)
    migrate.rollback(conn, to=below)
    assert migrate.current_version(conn) == (below if version != "001" else "")
    if version != "001":
        assert schema(conn) == schema(make_db(load=False, to=below, name="below"))
    migrate.migrate(conn, to=version)
    assert schema(conn) == first


def test_rollback_with_data_refuses_to_drop_tables_holding_rows(db):
    with pytest.raises(MigrationError, match=r"would delete \d+ rows of \w+; pass --force"):
        migrate.rollback(db, to=0)
    assert migrate.current_version(db) == migrate.discover()[-1].version


def test_rollback_of_derived_objects_keeps_the_data(make_db):
    db = make_db(to="010")  # above 010, challenge tables hold fixture rows
    reviews = db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    migrate.rollback(db, to="007")
    assert db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == reviews
    assert not db.execute("SELECT 1 FROM sqlite_master WHERE name LIKE 'idx_%' "
                          "OR name LIKE 'courses_fts%' OR type = 'trigger'").fetchone()


def test_rollback_with_force_drops_tables_holding_rows(db):
    migrate.rollback(db, to=0, force=True)
    assert migrate.current_version(db) == ""


def test_rollback_above_the_current_version_is_refused(make_db):
    conn = make_db(load=False, to="003")
    with pytest.raises(MigrationError, match="use migrate"):
        migrate.rollback(conn, to="005")


def test_rollback_without_a_down_file_is_refused_before_changing_anything(make_db,
                                                                          migrations_copy):
    conn = make_db(load=False, to="003")
    (migrations_copy / "003_create_lessons.down.sql").unlink()
    with pytest.raises(MigrationError, match="cannot be rolled back"):
        migrate.rollback(conn, migrations_copy, to="001")
    assert migrate.current_version(conn) == "003"


def test_status_lists_applied_pending_and_edited(make_db, migrations_copy):
    conn = make_db(load=False, to="002")
    path = migrations_copy / "001_create_users.sql"
    path.write_text(path.read_text().replace("CREATE TABLE users (",
                                             "CREATE TABLE users (nick TEXT,"))
    states = {m.version: state for m, state in migrate.status(conn, migrations_copy)}
    assert states["001"] == "edited"
    assert states["002"] == "applied"
    assert states["003"] == "pending"


def test_a_file_edited_between_two_reads_is_read_anew(tmp_path):
    path = tmp_path / "001_create_a.sql"
    path.write_text("CREATE TABLE a (x);\n")
    first = sqlfile.checksum(path)
    path.write_text("CREATE TABLE a (y);\n")
    assert sqlfile.checksum(path) != first
    assert [s.text for s in sqlfile.parse(path).body] == ["CREATE TABLE a (y);"]
    path.write_text("-- the first text again\nCREATE TABLE a (x);\n")
    assert sqlfile.checksum(path) == first
