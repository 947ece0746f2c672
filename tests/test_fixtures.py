"""Fixture loading: everything or nothing, and file:line for the row at fault."""

import csv
import io
import shutil
import subprocess

import pytest

from courselab import checks, fixtures, progress_counters
from courselab.errors import FixtureError

APP_TABLES = ["users", "courses", "sections", "lessons", "tags", "course_tags",
              "enrollments", "progress", "reviews"]


def rows_in_data(table):
    with open(fixtures.DATA_DIR / f"{table}.csv", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(fixtures.DATA_DIR, target)
    return target


def total_rows(conn):
    return sum(conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in APP_TABLES)


@pytest.mark.parametrize("table", APP_TABLES)
def test_every_fixture_row_is_loaded(make_db, table):
    conn = make_db(to="010")
    assert conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == rows_in_data(table)


def test_load_order_puts_parents_before_children(make_db):
    order = fixtures.load_order(make_db(to="010", load=False))
    assert order.index("courses") < order.index("sections") < order.index("lessons")
    assert order.index("users") < order.index("reviews")
    assert order.index("lessons") < order.index("progress")


def test_loading_at_an_early_version_loads_only_the_tables_that_exist(make_db):
    loaded = fixtures.load(make_db(to="003", load=False))
    assert set(loaded) == {"users", "courses", "sections", "lessons"}


def replace_field(path, line, column, value):
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    row = next(csv.reader([lines[line - 1]]))
    row[header.index(column)] = value
    lines[line - 1] = ",".join(f'"{v}"' if "," in v else v for v in row)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("file, line, column, value, reason", [
    ("reviews.csv", 8, "rating", "7", "CHECK constraint failed: rating IN (1, 2, 3, 4, 5)"),
    ("reviews.csv", 3, "course_id", "c-missing", "course_id 'c-missing' has no row in courses"),
    ("users.csv", 4, "id", "u-ada", "duplicate: UNIQUE constraint failed: users.id"),
    ("users.csv", 5, "email", "ada@example.com", "UNIQUE constraint failed: users.email"),
    ("courses.csv", 2, "title", "", "NOT NULL constraint failed: courses.title"),
    ("enrollments.csv", 6, "user_id", "u-nobody", "user_id 'u-nobody' has no row in users"),
])
def test_bad_row_names_file_line_and_reason_and_loads_nothing(make_db, data_copy, file, line,
                                                              column, value, reason):
    conn = make_db(to="010", load=False)
    replace_field(data_copy / file, line, column, value)
    with pytest.raises(FixtureError) as error:
        fixtures.load(conn, data_copy)
    assert str(error.value).startswith(f"{file}:{line}: ")
    assert reason in str(error.value)
    assert total_rows(conn) == 0


def test_row_with_missing_field_is_refused(make_db, data_copy):
    path = data_copy / "tags.csv"
    path.write_text(path.read_text() + "t-broken\n")
    with pytest.raises(FixtureError, match=r"^tags.csv:7: 1 fields, expected 2"):
        fixtures.load(make_db(to="010", load=False), data_copy)


def test_unknown_header_column_is_refused(make_db, data_copy):
    path = data_copy / "tags.csv"
    path.write_text(path.read_text().replace("id,name", "id,nmae", 1))
    with pytest.raises(FixtureError, match=r"^tags.csv:1: unknown column 'nmae'"):
        fixtures.load(make_db(to="010", load=False), data_copy)


def test_file_not_in_utf8_is_refused_with_its_line(make_db, data_copy):
    path = data_copy / "users.csv"
    path.write_bytes(path.read_bytes() + "u-zoe,Zoë Ray,zoe@example.com,2026-01-11 10:00:00\n"
                     .encode("latin-1"))
    with pytest.raises(FixtureError, match=r"^users.csv:8: not UTF-8"):
        fixtures.load(make_db(to="010", load=False), data_copy)


def test_missing_fixture_directory_is_refused(make_db, tmp_path):
    with pytest.raises(FixtureError, match="no such fixtures directory"):
        fixtures.load(make_db(to="010", load=False), tmp_path / "nope")


def test_loading_into_a_database_with_no_tables_is_refused_with_what_to_do(make_db, data_copy):
    with pytest.raises(FixtureError, match=r"no tables to load into; run `courselab migrate` "
                                           "first$"):
        fixtures.load(make_db(to="0", load=False), data_copy)


@pytest.mark.parametrize("make, reason", [
    (lambda path: path.mkdir(), "users.csv: a folder, not a file"),
    (lambda path: path.symlink_to(path.parent / "gone.csv"),
     "users.csv: a link to a file that does not exist"),
])
def test_a_fixture_that_is_a_folder_or_a_dangling_link_is_refused_and_loads_nothing(
        make_db, data_copy, make, reason):
    conn = make_db(to="010", load=False)
    (data_copy / "users.csv").unlink()
    make(data_copy / "users.csv")
    with pytest.raises(FixtureError, match=f"^{reason}"):
        fixtures.load(conn, data_copy)
    assert total_rows(conn) == 0


def test_an_unreadable_fixture_is_refused_with_its_name_and_loads_nothing(make_db, data_copy,
                                                                         monkeypatch):
    # chmod 000 would not stop root (CI containers): refuse the read itself instead.
    conn = make_db(to="010", load=False)
    read_bytes = fixtures.Path.read_bytes

    def refuse_users(path):
        if path.name == "users.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(fixtures.Path, "read_bytes", refuse_users)
    with pytest.raises(FixtureError, match=r"^users.csv: cannot be read \(Permission denied\)"):
        fixtures.load(conn, data_copy)
    assert total_rows(conn) == 0


def test_loading_twice_is_refused_and_keeps_the_first_load(db):
    before = total_rows(db)
    with pytest.raises(FixtureError, match="duplicate"):
        fixtures.load(db)
    assert total_rows(db) == before


def export(conn, directory):
    """Every table of `conn` as `sqlite3 -csv -header` writes it (counters included)."""
    directory.mkdir()
    path = conn.execute("PRAGMA database_list").fetchone()["file"]
    for table in fixtures.load_order(conn):
        result = subprocess.run(["sqlite3", "-csv", "-header", path, f"SELECT * FROM {table}"],
                                capture_output=True, check=True)
        (directory / f"{table}.csv").write_bytes(result.stdout)
    return directory


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 shell")
def test_an_export_with_counter_columns_is_refused_at_courses_csv_and_loads_nothing(
        make_db, db, tmp_path):
    exported = export(db, tmp_path / "export")
    target = make_db(load=False, name="target")
    with pytest.raises(FixtureError, match=r"^courses.csv:1: lesson_count, enrollment_count, "
                                           r"review_count, rating_sum, avg_rating(, \w+)*: "):
        fixtures.load(target, exported)
    assert total_rows(target) == 0


@pytest.mark.skipif(shutil.which("sqlite3") is None, reason="needs the sqlite3 shell")
def test_an_export_without_its_counter_columns_reloads_with_every_counter_right(
        make_db, db, tmp_path):
    exported = export(db, tmp_path / "export")
    counters = ({(c.table, c.column) for c in checks.COUNTERS} | progress_counters.COLUMNS)
    for table in {table for table, _column in counters}:
        path = exported / f"{table}.csv"
        rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
        keep = [i for i, name in enumerate(rows[0]) if (table, name) not in counters]
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f, lineterminator="\r\n").writerows([[r[i] for i in keep] for r in rows])
    target = make_db(load=False, name="target")
    fixtures.load(target, exported)
    assert checks.counter_drift(target) == []
    assert total_rows(target) == total_rows(db)


@pytest.mark.parametrize("name, suggestion", [("enrolments.csv", "did you mean enrollments.csv"),
                                               ("Users.csv", "did you mean users.csv"),
                                               ("notes.csv", "the tables are")])
def test_a_file_that_names_no_table_is_refused_with_the_nearest_name(make_db, data_copy, name,
                                                                      suggestion):
    (data_copy / "enrollments.csv").rename(data_copy / name)
    conn = make_db(load=False)
    with pytest.raises(FixtureError, match=rf"^{name}: no table .*{suggestion}"):
        fixtures.load(conn, data_copy)
    assert total_rows(conn) == 0


@pytest.mark.parametrize("name", ["schema_migrations.csv", "courses_fts.csv"])
def test_a_file_for_a_table_that_is_not_data_is_refused(make_db, data_copy, name):
    (data_copy / name).write_text("version,name\n", encoding="utf-8")
    with pytest.raises(FixtureError, match=rf"^{name}: .*delete this file"):
        fixtures.load(make_db(load=False), data_copy)


def test_a_header_only_file_with_an_unknown_column_is_refused(make_db, data_copy):
    (data_copy / "tags.csv").write_text("id,nmae\n", encoding="utf-8")
    with pytest.raises(FixtureError, match=r"^tags.csv:1: unknown column 'nmae'"):
        fixtures.load(make_db(load=False), data_copy)


@pytest.mark.parametrize("blank", ["   ", ",", " , ", "\t,"])
def test_a_row_of_blanks_is_refused_with_its_line(make_db, data_copy, blank):
    path = data_copy / "tags.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:3] + [blank] + lines[3:]) + "\n", encoding="utf-8")
    with pytest.raises(FixtureError, match=r"^tags.csv:4: a row of blanks"):
        fixtures.load(make_db(load=False), data_copy)


def test_a_bom_crlf_file_with_multi_line_fields_loads_and_reports_the_right_line(make_db,
                                                                               data_copy):
    path = data_copy / "courses.csv"
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    description = rows[0].index("description")
    for row in rows[1:]:
        row[description] = "First line.\r\nSecond line.\nThird line."
    rows[-1][rows[0].index("title")] = ""  # NOT NULL: refused, on the line the row starts
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    first_line_of_last_row = 1 + 3 * (len(rows) - 2) + 1
    with pytest.raises(FixtureError, match=rf"^courses.csv:{first_line_of_last_row}: NOT NULL"):
        fixtures.load(make_db(load=False), data_copy)
    rows.pop()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
    conn = make_db(load=False, name="ok")
    alone = data_copy.parent / "alone"
    alone.mkdir()
    shutil.copy(path, alone / "courses.csv")
    fixtures.load(conn, alone)
    assert conn.execute("SELECT DISTINCT description FROM courses").fetchall()[0][0] == \
        "First line.\r\nSecond line.\nThird line."


def test_a_trigger_raise_during_load_names_its_message_and_the_row(make_db, data_copy):
    conn = make_db(load=False)
    conn.execute("CREATE TRIGGER boom BEFORE INSERT ON tags WHEN NEW.name = 'boom' "
                 "BEGIN SELECT RAISE(ROLLBACK, 'boom refused'); END")
    path = data_copy / "tags.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "t-boom,boom\n", encoding="utf-8")
    line = len(text.splitlines()) + 1
    with pytest.raises(FixtureError, match=rf"^tags.csv:{line}: boom refused"):
        fixtures.load(conn, data_copy)
    assert total_rows(conn) == 0 and not conn.in_transaction
