"""Grading a class: `courselab grade` re-runs real notebooks built from student/ and notebooks/.

One class is graded once (module fixture) through the CLI, and each test reads what an
instructor reads: grades.csv, its summary and the HTML report.
"""

import base64
import csv
import json
import os
import subprocess
import sys

import nbformat
import pytest
from bs4 import BeautifulSoup

from courselab import grade_kernel
from courselab.cli import main
from courselab.grade_bench import WRONG_SQL, answered, blank, solved, write

from .conftest import REPO

USERS, LESSONS = "03-Users.ipynb", "05-Lessons.ipynb"
TIMEOUT = 10
REVERSED = ("%%sql\nUPDATE lessons SET position = position + 1 WHERE section_id = 's-sql-1' "
            "AND position >= 2;\nINSERT INTO lessons (id, section_id, title, slug, position) "
            "VALUES ('l-sql-1b', 's-sql-1', 'Tables and keys', 'tables-and-keys', 2);\n"
            "SELECT id, position FROM lessons WHERE section_id = 's-sql-1' ORDER BY position DESC")


def _tampered():
    """The instructor's copy (stored outputs: right ✓ everywhere) with wrong answers and a
    check cell replaced by a print of a fake verdict."""
    nb = nbformat.read(REPO / "notebooks" / USERS, as_version=4)
    nb = answered(nb, "03.1", WRONG_SQL)
    checks = [i for i, c in enumerate(nb.cells) if c.source.strip() == 'check("03.2")']
    nb.cells[checks[0]].source = 'print("03.2: right ✓ (1 row)")'
    return answered(nb, "03.3", 'check = lambda *a: print("03.3: right ✓")')


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade a class of real notebooks once; return (csv rows, summary rows, report, output)."""
    root = tmp_path_factory.mktemp("class")
    sub = root / "submissions"
    write(solved(USERS), sub / "alice", USERS)
    write(solved(LESSONS), sub / "alice", LESSONS)
    write(blank(USERS), sub / "bob", USERS)
    write(_tampered(), sub / "carol", USERS)
    # A cell that never ends; asleep, not spinning, so that its TIMEOUT seconds leave the CPU
    # to the rest of the suite (the CPU limit has its own test below).
    never_ends = "import time\nwhile True:\n    time.sleep(1)"
    write(answered(solved(LESSONS), "05.1", never_ends), sub / "dave", LESSONS)
    (sub / "erin").mkdir()
    (sub / "erin" / USERS).write_text('{"cells": [', encoding="utf-8")
    (sub / "erin" / "notes.txt").write_text("my notes", encoding="utf-8")
    write(answered(solved(LESSONS), "05.2", "import os\nos._exit(1)"), sub / "frank", LESSONS)
    (sub / "gina").mkdir()
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    write(other, sub / "gina", USERS)
    write(other, sub / "gina", "99-Other-Series.ipynb")
    huge = solved(LESSONS)
    huge.cells.append(nbformat.v4.new_markdown_cell("x" * (21 * 2**20)))
    write(huge, sub / "hank", LESSONS)
    (sub / "ivan").mkdir()  # submitted nothing
    write(solved(USERS), sub / "judy" / "unzipped", USERS)  # one folder too deep
    zoe = answered(answered(solved(USERS), "03.1", "%%sql\nSELECT * FROM no_such_table"),
                   "03.2", WRONG_SQL)
    write(answered(zoe, "03.3", WRONG_SQL), sub / "zoë", USERS)
    write(answered(solved(LESSONS), "05.1", REVERSED), sub / "zoë", LESSONS)
    write(answered(solved(LESSONS), "05.1", REVERSED), sub / "=1+1", LESSONS)
    out = root / "grades.csv"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, "-m", "courselab", "grade", str(sub), "--out",
                             str(out), "--report", str(root / "report.html"), "--timeout",
                             str(TIMEOUT), "--jobs", "2"], capture_output=True, text=True,
                            env=env, cwd=root, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    with open(out, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    with open(root / "grades-summary.csv", newline="", encoding="utf-8-sig") as f:
        summary = list(csv.DictReader(f))
    report = BeautifulSoup((root / "report.html").read_text(encoding="utf-8"), "html.parser")
    return rows, summary, report, result, out


def verdicts(graded, student, notebook):
    return {r["exercise"]: (r["verdict"], r["detail"]) for r in graded[0]
            if r["student"] == student and r["notebook"] == notebook}


def test_the_run_ends_cleanly_without_a_traceback(graded):
    result = graded[3]
    assert "Traceback" not in result.stdout + result.stderr
    assert "graded" in result.stdout


def test_the_csv_has_one_row_per_student_and_exercise_and_opens_in_a_spreadsheet(graded):
    raw = graded[4].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert raw.decode("utf-8-sig").splitlines()[0] == "student,notebook,exercise,verdict,detail"
    keys = [(r["student"], r["notebook"], r["exercise"]) for r in graded[0]]
    assert len(keys) == len(set(keys))
    assert {r["verdict"] for r in graded[0]} <= {"right", "wrong", "unanswered", "error",
                                                 "timeout"}


def test_reference_answers_are_right(graded):
    assert set(verdicts(graded, "alice", USERS)) == {"03.1", "03.2", "03.3"}
    assert {v for v, _ in verdicts(graded, "alice", USERS).values()} == {"right"}
    assert {v for v, _ in verdicts(graded, "alice", LESSONS).values()} == {"right"}


def test_a_notebook_as_handed_out_is_unanswered(graded):
    assert {v for v, _ in verdicts(graded, "bob", USERS).values()} == {"unanswered"}


def test_stored_outputs_and_fake_checks_do_not_count(graded):
    carol = verdicts(graded, "carol", USERS)
    assert carol["03.1"][0] == "wrong" and "missing column" in carol["03.1"][1]
    assert carol["03.2"] == ("error", 'no check("03.2") cell in the notebook')
    assert carol["03.3"][0] == "wrong"  # rebinding check() does not judge


def test_wrong_answers_carry_the_reason_the_student_saw(graded):
    zoe = verdicts(graded, "zoë", USERS)
    assert zoe["03.1"][0] == "error" and "OperationalError" in zoe["03.1"][1]
    assert zoe["03.2"][0] == "wrong" and "without an error" in zoe["03.2"][1]
    assert verdicts(graded, "zoë", LESSONS)["05.1"] == (
        "wrong", "the right rows in the wrong order: look at your ORDER BY")


def test_a_runaway_cell_is_a_timeout_and_the_rest_is_still_graded(graded):
    dave = verdicts(graded, "dave", LESSONS)
    assert dave["05.1"][0] == "timeout"
    assert dave["05.2"][0] == dave["05.3"][0] == "right"


def test_a_dying_kernel_is_an_error_and_the_cells_after_it_are_still_graded(graded):
    frank = verdicts(graded, "frank", LESSONS)
    assert frank["05.1"][0] == "right"
    assert frank["05.2"][0] == "error" and "kernel died" in frank["05.2"][1]
    assert frank["05.3"][0] == "right"


def test_bad_input_becomes_a_verdict(graded):
    erin = verdicts(graded, "erin", USERS)
    assert {v for v, _ in erin.values()} == {"error"} and "not valid JSON" in erin["03.1"][1]
    assert verdicts(graded, "erin", "notes.txt")[""][0] == "error"
    assert "no notebooks" in verdicts(graded, "ivan", "")[""][1]
    assert "found unzipped/03-Users.ipynb" in verdicts(graded, "judy", "")[""][1]
    assert "not a courselab notebook" in verdicts(graded, "gina", USERS)["03.1"][1]
    assert "not a notebook of this series" in verdicts(graded, "gina",
                                                        "99-Other-Series.ipynb")[""][1]
    assert "cap" in verdicts(graded, "hank", LESSONS)["05.1"][1]


def test_a_value_a_spreadsheet_would_run_as_a_formula_is_quoted(graded):
    students = {r["student"] for r in graded[0]}
    assert "'=1+1" in students and "=1+1" not in students


def test_the_summary_totals_each_students_notebooks(graded):
    rows = {(r["student"], r["notebook"]): r for r in graded[1]}
    assert rows[("alice", USERS)]["right"] == "3"
    assert rows[("alice", "all")]["right"] == "6" and rows[("alice", "all")]["exercises"] == "6"
    assert rows[("dave", LESSONS)]["timeout"] == "1" and rows[("dave", LESSONS)]["right"] == "2"


def test_the_report_gives_each_exercise_its_share_right_and_common_reasons(graded):
    rows, report = graded[0], graded[2]
    cells = {tr.find("td").text: tr for tr in report.select("table.exercises tbody tr")}
    for exercise in ("03.1", "05.1"):
        mine = [r for r in rows if r["exercise"] == exercise]
        right = sum(r["verdict"] == "right" for r in mine)
        assert f"{right} of {len(mine)}" in cells[exercise].text
    assert "“the right rows in the wrong order: look at your ORDER BY”: 2 students" in \
        cells["05.1"].text
    assert "missing column email" in cells["03.1"].text
    assert "not valid JSON" not in cells["03.1"].text  # bad files are listed apart, below


def test_the_report_is_offline_and_its_chart_is_embedded_with_alt_text(graded):
    report = graded[2]
    for tag in report.find_all(True):
        for attribute in ("src", "href"):
            assert not str(tag.get(attribute, "")).startswith(("http:", "https:", "//"))
    image = report.find("img")
    assert image["src"].startswith("data:image/png;base64,")
    assert base64.b64decode(image["src"].split(",", 1)[1]).startswith(b"\x89PNG")
    assert "05.1" in image["alt"]


def test_the_report_names_missing_notebooks_and_every_bad_input(graded):
    report = graded[2]
    missing = report.find(id="missing").find_next("ul").text
    assert "bob: 05-Lessons.ipynb" in missing and "ivan: 03-Users.ipynb, 05-Lessons.ipynb" in \
        missing
    problems = report.find(id="problems").find_next("ul").text
    for expected in ("erin / 03-Users.ipynb: not valid JSON", "ivan: no notebooks",
                     "frank / 05-Lessons.ipynb: the kernel died", "hank / 05-Lessons.ipynb",
                     "gina / 99-Other-Series.ipynb", "erin / notes.txt"):
        assert expected in problems


# In this process: a subprocess would only add a second of importing nbclient and matplotlib.
def test_a_missing_submissions_folder_is_one_line_not_a_traceback(tmp_path, capsys):
    status = main(["grade", str(tmp_path / "nope"), "--out", str(tmp_path / "g.csv")])
    stderr = capsys.readouterr().err
    assert status == 1 and "Traceback" not in stderr
    assert "is not a folder" in stderr


def test_a_zero_timeout_is_refused_in_one_line(tmp_path, capsys):
    status = main(["grade", str(tmp_path), "--out", str(tmp_path / "g.csv"), "--timeout", "0"])
    stderr = capsys.readouterr().err
    assert status == 1 and "--timeout" in stderr
    assert "Traceback" not in stderr


def test_graded_code_runs_with_a_clean_environment_and_limits(monkeypatch):
    monkeypatch.setenv("COURSELAB_SECRET_FOR_TEST", "instructor's token")
    probe = ("import os, json, resource\nprint(json.dumps({'env': sorted(os.environ), "
             "'home': os.environ['HOME'], 'cwd': os.getcwd(), "
             "'limits': [resource.getrlimit(r)[0] for r in (resource.RLIMIT_CPU, "
             "resource.RLIMIT_AS, resource.RLIMIT_FSIZE)]}))")
    with grade_kernel.Kernel((123, 3000, 77), timeout=30) as kernel:
        seen = json.loads(kernel.run(probe).text)
        folder = kernel.folder
    assert "COURSELAB_SECRET_FOR_TEST" not in seen["env"]
    assert set(seen["env"]) >= {"PATH", "HOME", "PYTHONPATH", "LANG"}
    assert seen["home"].startswith(str(folder)) and seen["cwd"].startswith(str(folder))
    assert seen["limits"] == [123, 3000 * 2**20, 77 * 2**20]
    assert not folder.exists()  # removed once graded


def test_the_kernel_limits_stop_a_huge_file_and_a_cpu_hog():
    with grade_kernel.Kernel((2, 4000, 1), timeout=60) as kernel:
        written = kernel.run("open('big.bin', 'wb').write(b'x' * 2 * 2**20)")
        hog = kernel.run("while True:\n    pass")
        after = kernel.run("print('graded on')")
    assert written.status == "error" and "File too large" in written.error
    assert hog.status == "dead"  # SIGXCPU at 2 s of CPU, long before the 60 s timeout
    assert after.text == "graded on\n" and kernel.restarts == 1


def test_a_cell_printing_in_a_loop_keeps_a_bounded_output_and_its_error():
    flood = "for _ in range(400):\n    print('x' * 10000)\n"
    with grade_kernel.Kernel((60, 4000, 100), timeout=30) as kernel:
        printed = kernel.run(flood)
        failed = kernel.run(flood + "1 / 0")
    assert printed.status == "ok" and len(printed.text) < 2 * grade_kernel.OUTPUT_CAP < 4 * 10**6
    assert failed.status == "error" and failed.error.startswith("ZeroDivisionError")


def test_bench_times_grading_a_synthetic_class(cli):
    result = cli("bench", "--grading", "1", "--jobs", "1")
    assert result.returncode == 0, result.stderr
    assert "grading 1 students × 3 notebooks (3 notebooks, 9 verdicts)" in result.stdout
