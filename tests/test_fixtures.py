"""Fixture loading: everything or nothing, and file:line for the row at fault."""

import csv
import shutil

import pytest

from courselab import fixtures
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


def test_loading_twice_is_refused_and_keeps_the_first_load(db):
    before = total_rows(db)
    with pytest.raises(FixtureError, match="duplicate"):
        fixtures.load(db)
    assert total_rows(db) == before
