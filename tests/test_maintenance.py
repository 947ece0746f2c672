"""`courselab notebooks …` given a wrong path: one line naming it, and nothing written.

Found by trying each maintainer command with a missing, broken or misplaced argument: the
student edition written from a folder with no notebooks deleted every student notebook,
and written over the instructor edition or a student's folder it emptied solutions or
answers.
"""

import shutil

import nbformat
import pytest

from courselab import editions
from courselab.cli import main

from .conftest import REPO
from .test_editions import sample_notebook


@pytest.fixture
def places(tmp_path, monkeypatch):
    """A folder with a broken notebook, a text file, an empty folder and a series of one."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("my notes", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    (tmp_path / "series").mkdir()
    nbformat.write(sample_notebook(), tmp_path / "series" / "90-Sample.ipynb")
    return tmp_path


def _files(folder):
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("args, expected", [
    (["execute", "missing.ipynb"], "missing.ipynb: no such notebook"),
    (["execute", "broken.ipynb"], "broken.ipynb: not a notebook nbformat can read (Notebook "
                                  "does not appear to be JSON"),
    (["execute", "notes.txt"], "notes.txt: not a notebook nbformat can read"),
    (["execute", "empty"], "empty is a folder: give a notebook (.ipynb) file"),
    (["execute", "series/90-Sample.ipynb", "missing.ipynb"], "missing.ipynb: no such notebook"),
    (["slides", "missing.ipynb"], "missing.ipynb: no such notebook"),
    (["slides", "series/90-Sample.ipynb", "broken.ipynb"], "broken.ipynb: not a notebook"),
    (["html", "out", "--notebooks", "nowhere"], "--notebooks nowhere: no such folder"),
    (["html", "out", "--notebooks", "empty"], "--notebooks empty: no numbered notebooks"),
    (["student", "--notebooks", "nowhere", "--student", "student"],
     "--notebooks nowhere: no such folder"),
    (["student", "--notebooks", "empty", "--student", "series"],
     "--notebooks empty: no numbered notebooks (NN-Title.ipynb) there"),
    (["student", "--notebooks", "series", "--student", "notes.txt"],
     "--student notes.txt is a file: give the student edition's folder"),
    (["student", "--notebooks", "series", "--student", "series"],
     "--student series holds the instructor edition (cells tagged solution)"),
    (["answers", "--notebooks", "empty", "--answers", "a.json"],
     "--notebooks empty: no numbered notebooks"),
])
def test_a_wrong_path_is_one_line_and_nothing_is_written(places, capsys, args, expected):
    before = _files(places)
    assert main(["notebooks", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("courselab notebooks: ") and expected in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert _files(places) == before


@pytest.mark.parametrize("verify", [[], ["--verify"]])
def test_the_student_edition_is_never_written_over_the_instructor_edition(places, capsys,
                                                                          verify):
    """A copy of the instructor edition named as --student (a slip of the tab key)."""
    instructor = places / "instructor"
    shutil.copytree(REPO / "notebooks", instructor, ignore=shutil.ignore_patterns("databases"))
    before = _files(instructor)
    assert main(["notebooks", "student", *verify, "--student", "instructor"]) == 1
    assert "holds the instructor edition" in capsys.readouterr().err
    assert _files(instructor) == before


def test_a_students_answers_are_never_overwritten_by_the_student_edition(places, capsys):
    student = places / "alice"
    assert main(["notebooks", "student", "--notebooks", "series", "--student", "alice"]) == 0
    nb = nbformat.read(student / "90-Sample.ipynb", as_version=4)
    exercise = next(c for c in nb.cells if "exercise" in c.metadata.get("tags", []))
    assert exercise.source == editions.placeholder(exercise.source)  # a clean edition: rewritable
    assert main(["notebooks", "student", "--notebooks", "series", "--student", "alice"]) == 0
    exercise.source = "%%sql\nSELECT 42"  # Alice answers
    nbformat.write(nb, student / "90-Sample.ipynb")
    before = _files(student)
    capsys.readouterr()
    assert main(["notebooks", "student", "--notebooks", "series", "--student", "alice"]) == 1
    assert capsys.readouterr().err == (
        "courselab notebooks: --student alice holds a student's answers (90-Sample.ipynb): "
        "`courselab reset --dir alice` gives a student clean notebooks, after asking\n")
    assert _files(student) == before
