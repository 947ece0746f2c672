"""What the notebooks show and keep: %sql tables, the ER diagram, answer cells, retries."""

import re
import sqlite3
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from courselab import attempts, diagram, migrate, sqlmagic, workbook
from courselab.db import connect
from courselab.errors import DatabaseOpenError, MigrationError


def result_set(columns, rows):
    from sql.run import ResultSet

    proxy = SimpleNamespace(returns_rows=True, keys=lambda: columns, fetchall=lambda: rows)
    return ResultSet(proxy, SimpleNamespace(autolimit=0, style="DEFAULT"))


def test_a_sql_table_aligns_text_left_and_numbers_right_and_never_wraps():
    html = sqlmagic.result_html(result_set(["id", "rating"], [("c-sql", 4.5), ("c-perf", None)]))
    assert '<td style="text-align: left; white-space: nowrap">c-sql</td>' in html
    assert '<td style="text-align: right; white-space: nowrap">4.5</td>' in html
    assert '<th style="text-align: right; white-space: nowrap">rating</th>' in html
    assert ">NULL</td>" in html


def test_a_statement_without_rows_shows_no_table():
    assert sqlmagic.result_html(SimpleNamespace(keys=None)) is None


def test_the_er_diagram_is_a_png_as_wide_as_its_columns_of_tables(make_db):
    conn = make_db(to="007", load=False)
    picture = diagram.png(conn)
    assert picture.startswith(b"\x89PNG")
    width = int.from_bytes(picture[16:20], "big")
    _columns, _keys, boxes, (expected, _height) = diagram.layout(conn)
    assert width == expected and len(boxes) == 9
    x = {table: left for table, (left, _top, _h) in boxes.items()}
    assert x["courses"] < x["sections"] < x["lessons"] < x["progress"]


def test_the_er_diagram_is_also_an_svg_of_the_same_size_identical_on_every_run(make_db):
    import xml.etree.ElementTree as ET

    conn = make_db(to="007", load=False)
    picture = diagram.svg(conn)
    root = ET.fromstring(picture.encode())
    _columns, _keys, _boxes, (width, height) = diagram.layout(conn)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert float(root.get("width").removesuffix("pt")) * 100 / 72 == pytest.approx(width)
    assert float(root.get("height").removesuffix("pt")) * 100 / 72 == pytest.approx(height)
    assert "<text" not in picture  # glyphs as paths: the same picture without our fonts
    assert diagram.svg(conn) == picture  # no date or random ids: a re-run stores no diff


def test_the_er_diagram_output_carries_mermaid_svg_png_and_its_source_as_text(make_db,
                                                                             monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    from courselab import workbook

    shown = []
    shell = InteractiveShell.instance()
    monkeypatch.setattr(shell.display_pub, "publish", lambda data, **_kw: shown.append(data))
    conn = make_db(to="007", load=False)
    workbook.show_er_diagram(conn)
    (data,) = shown
    assert set(data) == {"text/vnd.mermaid", "image/svg+xml", "image/png", "text/plain"}
    assert data["text/plain"] == data["text/vnd.mermaid"] == diagram.mermaid(conn)


def test_the_er_diagram_in_words_names_every_relationship(make_db):
    words = diagram.summary(make_db(to="007", load=False))
    assert "Each row of courses has many rows of" in words
    assert "progress (by user_id)" in words and "lessons (by section_id)" in words


def test_the_answer_cell_of_an_exercise_is_the_code_cell_before_its_check(tmp_path):
    cells = [new_code_cell('db = workbook.start("90")'), new_markdown_cell("**90.1** ..."),
             new_code_cell("%%sql\nSELECT 1"), new_code_cell('check("90.1")'),
             new_markdown_cell("**90.2** ..."), new_code_cell("x = 1"),
             new_code_cell('hint("90.2")'), new_code_cell('check("90.2")')]
    nb = new_notebook(cells=cells)
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    nbformat.write(nb, tmp_path / "90-Sample.ipynb")
    assert attempts.notebook_of("90", tmp_path) == tmp_path / "90-Sample.ipynb"
    assert attempts.answer_cells(tmp_path / "90-Sample.ipynb") == {"cell-2": "90.1"}


def test_a_restored_copy_is_what_every_connection_to_the_wal_file_reads(tmp_path):
    live = connect(tmp_path / "live.db")
    other = sqlite3.connect(tmp_path / "live.db")
    live.execute("CREATE TABLE t (x)")
    live.execute("INSERT INTO t VALUES (1)")
    copy = attempts._copy(live)
    other.execute("INSERT INTO t VALUES (2)")
    other.commit()
    live.execute("BEGIN")
    live.execute("CREATE INDEX wrong ON t (x)")  # a wrong attempt left a transaction open
    attempts._restore(live, copy)
    assert other.execute("SELECT x FROM t").fetchall() == [(1,)]
    assert live.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall() == []
    assert live.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize("name", ["../precious", "a/b", "", "00 ", 5, None])
def test_a_notebook_name_that_is_not_one_is_refused_and_deletes_nothing(tmp_path, monkeypatch,
                                                                       name):
    (tmp_path / "nb").mkdir()
    monkeypatch.chdir(tmp_path / "nb")  # databases/../../precious.db is tmp_path's
    (tmp_path / "precious.db").write_text("a student's own database")
    with pytest.raises(DatabaseOpenError, match="is not a notebook's name: give its number"):
        workbook.start(name)
    assert (tmp_path / "precious.db").read_text() == "a student's own database"


@pytest.mark.parametrize("version, part, says", [
    ("999", None, "no migration '999': give its version as text of three digits, 001 to"),
    (11, None, "no migration 11"),
    ("011", 99, "part=99: migration 011 has parts 0 to"),
    ("011", "2", "part='2': migration 011 has parts 0 to"),
])
def test_show_migration_names_a_version_or_part_that_is_not_there(version, part, says):
    with pytest.raises(MigrationError, match=re.escape(says)):
        workbook.show_migration(version, part=part)


def test_a_notebook_at_version_0_starts_with_no_fixtures_to_load(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    conn = workbook.start("t0", to="0")
    assert migrate.current_version(conn) == ""
