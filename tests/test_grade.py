"""Grading a class: `courselab grade` re-runs real notebooks built from student/ and notebooks/.

One class is graded once (module fixture) through the CLI, and each test reads what an
instructor reads: grades.csv, its summary and the HTML report.
"""

import base64
import copy
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from courselab import grade, grade_kernel, grade_report, kernel_start
from courselab.cli import main
from courselab.errors import CourselabError
from courselab.grade_bench import WRONG_SQL, answered, blank, solved, write

from .conftest import REPO, on_taken_port

USERS, LESSONS, COURSES = "03-Users.ipynb", "05-Lessons.ipynb", "04-Courses-And-Sections.ipynb"
TIMEOUT = 10
NOT_UTF8 = os.fsdecode(b"caf\xe9")  # a folder named on a system whose names are Latin-1
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


def _check_cell(nb, exercise_id, source):
    """A copy of `nb` whose check cell of `exercise_id` holds `source`."""
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb.cells) if c.source.strip() == f'check("{exercise_id}")')
    nb.cells[index].source = source
    return nb


def _cheats():
    """Wrong answers with verdicts forged: a hook printing one, a check cell printing one."""
    hook = ("get_ipython().events.register('pre_run_cell', "
            "lambda *a: print('03.2: right ✓ (hook)'))")
    nb = answered(answered(solved(USERS), "03.2", hook), "03.3", WRONG_SQL)
    return _check_cell(nb, "03.3", 'check("03.3") if False else print("03.3: right ✓ (fake)")')


def _cleared():
    """Answers emptied after the previous exercise was solved: an empty cell, a bare magic;
    and cells without ids, as older Jupyter wrote them."""
    nb = json.loads(json.dumps(answered(answered(solved(USERS), "03.2", ""), "03.3", "%%sql\n")))
    for cell in nb["cells"]:
        cell.pop("id", None)
    return nb


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
    # Jobs after kurt's are pending when his cell kills the grader's worker process.
    killer = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
    write(answered(solved(USERS), "03.2", killer), sub / "kurt", USERS)
    (sub / "lena").mkdir()
    (sub / "lena" / USERS).write_text(json.dumps(_cleared()), encoding="utf-8")
    write(_cheats(), sub / "mona", USERS)
    nina = _check_cell(blank(COURSES), "04.1", 'check("04.1", "c")')
    # A process detached from the kernel's session, which would outlive the kernel.
    detach = ("import pathlib, subprocess, sys\nchild = subprocess.Popen([sys.executable, '-c', "
              "'import time; time.sleep(300)'], start_new_session=True)\n"
              f"pathlib.Path({str(root / 'orphan.pid')!r}).write_text(str(child.pid))")
    nina.cells.append(nbformat.v4.new_code_cell(detach))
    write(nina, sub / "nina", COURSES)
    broken = json.loads(json.dumps(solved(USERS)))
    broken["cells"][3]["source"] = 5
    (sub / "olga").mkdir()
    (sub / "olga" / USERS).write_text(json.dumps(broken), encoding="utf-8")
    (sub / "pete").mkdir()
    (sub / "pete" / USERS).symlink_to(REPO / "notebooks" / USERS)  # the instructor's solutions
    ignores_interrupt = ("import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                         "while True:\n    time.sleep(1)")
    write(answered(solved(LESSONS), "05.1", ignores_interrupt), sub / "quinn", LESSONS)
    (sub / NOT_UTF8).mkdir()
    (sub / NOT_UTF8 / "notes.txt").write_text("my notes", encoding="utf-8")
    out = root / "grades.csv"
    (root / "tmp").mkdir()  # the grader's temporary folders: empty again once it has ended
    env = {**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(root / "tmp")}
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
    return rows, summary, report, result, out, root


def verdicts(graded, student, notebook):
    return {r["exercise"]: (r["verdict"], r["detail"]) for r in graded[0]
            if r["student"] == student and r["notebook"] == notebook}


def test_the_run_ends_cleanly_without_a_traceback(graded):
    result = graded[3]
    assert "Traceback" not in result.stdout + result.stderr
    assert "graded" in result.stdout


def test_the_terminal_shows_no_library_warning_and_no_temporary_folder_is_left(graded):
    assert "Warning" not in graded[3].stderr  # nbformat's MissingIDFieldWarning for lena's cells
    assert list((graded[5] / "tmp").iterdir()) == []


def test_a_cell_that_kills_the_grading_process_costs_only_its_own_notebook(graded):
    kurt = verdicts(graded, "kurt", USERS)
    assert {v for v, _ in kurt.values()} == {"error"} and "was killed" in kurt["03.1"][1]
    failed = {r["student"] for r in graded[0] if "worker" in r["detail"] or "killed" in
              r["detail"]}
    assert failed == {"kurt"}
    assert verdicts(graded, "quinn", LESSONS)["05.2"][0] == "right"  # graded after kurt


def test_an_emptied_answer_cell_is_unanswered_not_judged_on_the_cell_before(graded):
    lena = verdicts(graded, "lena", USERS)
    assert lena == {"03.1": ("right", "2 rows"), "03.2": ("unanswered", ""),
                    "03.3": ("unanswered", "")}


def test_a_verdict_printed_by_a_hook_or_an_edited_check_cell_does_not_count(graded):
    mona = verdicts(graded, "mona", USERS)
    assert mona["03.1"][0] == "right"
    assert mona["03.2"][0] == "wrong" and "hook" not in mona["03.2"][1]
    assert mona["03.3"][0] == "wrong" and "fake" not in mona["03.3"][1]


def test_a_process_a_kernel_detached_does_not_outlive_the_grading(graded):
    pid = int((graded[5] / "orphan.pid").read_text(encoding="utf-8"))
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        state = "gone"
    if state not in ("gone", "Z"):
        os.kill(pid, signal.SIGKILL)
    assert state in ("gone", "Z")


def test_a_letter_answered_in_the_check_cell_is_still_judged(graded):
    nina = verdicts(graded, "nina", COURSES)
    assert nina["04.1"] == ("right", "c it is")
    assert nina["04.2"][0] == nina["04.3"][0] == "unanswered"


def test_a_cell_whose_source_is_not_text_makes_only_that_file_unusable(graded):
    olga = verdicts(graded, "olga", USERS)
    assert {v for v, _ in olga.values()} == {"error"}
    assert olga["03.1"][1] == "not a Jupyter notebook (a cell is not an object with text source)"


def test_a_symbolic_link_to_a_file_outside_the_submissions_is_not_graded(graded):
    assert "symbolic link" in verdicts(graded, "pete", USERS)[""][1]
    assert "pete / 03-Users.ipynb: a symbolic link" in \
        graded[2].find(id="problems").find_next("ul").text


def test_a_cell_that_ignores_the_interrupt_is_a_timeout_and_the_rest_is_still_graded(graded):
    quinn = verdicts(graded, "quinn", LESSONS)
    assert quinn["05.1"][0] == "timeout"
    assert quinn["05.2"][0] == quinn["05.3"][0] == "right"


def test_a_folder_name_that_is_not_utf8_is_written_escaped(graded):
    assert "caf\\xe9" in {r["student"] for r in graded[0]}
    assert "caf\\xe9: not a folder" not in graded[2].text
    assert "caf\\xe9 / notes.txt: not a notebook" in graded[2].find(id="problems").find_next(
        "ul").text


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
    assert f"bob: {COURSES}, {LESSONS}" in missing
    assert f"ivan: {USERS}, {COURSES}, {LESSONS}" in missing
    problems = report.find(id="problems").find_next("ul").text
    for expected in ("erin / 03-Users.ipynb: not valid JSON", "ivan: no notebooks",
                     "frank / 05-Lessons.ipynb: the kernel died", "hank / 05-Lessons.ipynb",
                     "gina / 99-Other-Series.ipynb", "erin / notes.txt",
                     "olga / 03-Users.ipynb: not a Jupyter notebook"):
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


def test_a_kernel_that_dies_before_answering_is_started_again(taken_port, monkeypatch):
    # The first kernel is told to bind a port another process holds (the race jupyter_client
    # leaves between choosing a free port and the kernel binding it): it dies at once.
    manager, made = on_taken_port(grade_kernel.AsyncKernelManager, taken_port, dying=1)
    monkeypatch.setattr(grade_kernel, "AsyncKernelManager", manager)
    with grade_kernel.Kernel((60, 4000, 100), timeout=30) as kernel:
        answered = kernel.run("print(6 * 7)")
    assert len(made) == 2 and kernel.restarts == 0
    assert answered.status == "ok" and answered.text == "42\n"


def test_a_kernel_that_never_starts_is_the_notebooks_error_after_three_attempts(taken_port,
                                                                                monkeypatch):
    manager, _made = on_taken_port(grade_kernel.AsyncKernelManager, taken_port,
                                   dying=kernel_start.ATTEMPTS)
    monkeypatch.setattr(grade_kernel, "AsyncKernelManager", manager)
    kernel = grade_kernel.Kernel((60, 4000, 100), timeout=30)
    with pytest.raises(RuntimeError, match="died"), kernel:
        pass
    assert kernel.launches == kernel_start.ATTEMPTS
    assert not kernel.folder.exists()  # removed though the kernel never started


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


@pytest.fixture
def one_student(tmp_path, monkeypatch):
    """A submissions folder whose only file is not a notebook: grading it starts no kernel."""
    (tmp_path / "sub" / "ada").mkdir(parents=True)
    (tmp_path / "sub" / "ada" / "notes.txt").write_text("my notes", encoding="utf-8")
    (tmp_path / "afile").write_text("", encoding="utf-8")
    (tmp_path / "adir").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_an_output_folder_gone_while_grading_is_one_line_not_a_traceback(one_student, capsys,
                                                                         monkeypatch):
    from courselab import grade_class

    grade_all = grade_class.grade

    def grade_then_lose_the_folder(*args, **kwargs):
        graded = grade_all(*args, **kwargs)
        shutil.rmtree(one_student / "out")  # deleted, or its disk unmounted, meanwhile
        return graded

    monkeypatch.setattr(grade_class, "grade", grade_then_lose_the_folder)
    status = main(["grade", "sub", "--out", "out/g.csv", "--quiet"])
    err = capsys.readouterr().err
    assert status == 1 and len(err.splitlines()) == 1, err
    assert err.startswith("courselab grade: out/g.csv: cannot write it (No such file or "
                          "directory): free the disk or the folder and grade again")


@pytest.mark.parametrize("options, expected", [
    (["--out", "g.html"], "--report g.html is the same file as --out: give --out a .csv name"),
    (["--out", "g.csv", "--report", "g.csv"], "--report g.csv is the same file as --out"),
    (["--out", "g.csv", "--report", "g-summary.csv"], "is the same file as the summary"),
    (["--out", "afile/g.csv"], "--out afile/g.csv: "),
    (["--out", "adir"], "--out adir is a folder: give a file name such as adir/grades.csv"),
    (["--out", "g.csv", "--report", "adir"], "--report adir is a folder"),
    (["--out", "g.csv", "--report", "afile/r.html"], "--report afile/r.html: "),
    # /proc takes no new file, even root's: the folder is tried with a file, not by its mode
    (["--out", "/proc/g.csv"], "--out /proc/g.csv: cannot write in /proc ("),
    (["--out", "g.csv", "--report", "/proc/r.html"], "--report /proc/r.html: cannot write in"),
])
def test_output_paths_that_cannot_be_written_are_refused_before_grading(one_student, capsys,
                                                                        options, expected):
    status = main(["grade", "sub", *options, "--quiet"])
    stderr = capsys.readouterr().err
    assert status == 1 and expected in stderr and len(stderr.splitlines()) == 1
    assert not (one_student / "g.csv").exists() and not (one_student / "g.html").exists()


def test_the_report_folder_is_created_like_the_grades_folder(one_student, capsys):
    assert main(["grade", "sub", "--out", "g.csv", "--report", "new/r.html", "--quiet"]) == 0
    assert (one_student / "new" / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE")


def test_an_empty_submissions_folder_is_one_line_and_a_failure(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    status = main(["grade", str(tmp_path / "empty"), "--out", str(tmp_path / "g.csv")])
    stderr = capsys.readouterr().err
    assert status == 1 and "is empty" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "g.csv").exists()


def test_a_failed_write_leaves_the_previous_grades_whole(tmp_path):
    out = tmp_path / "g.csv"
    out.write_text("the previous grades\n", encoding="utf-8")

    class Unwritable:
        def __str__(self):
            raise OSError("disk full")

    rows = [grade.Row("ada", USERS, "03.1", "right"), grade.Row(Unwritable(), USERS, "03.2", "")]
    with pytest.raises(CourselabError, match=r"g.csv: cannot write it \(disk full\): free the "):
        grade_report.write_csv(grade.Graded(rows=rows), out)
    assert out.read_text(encoding="utf-8") == "the previous grades\n"
    assert [p.name for p in tmp_path.iterdir()] == ["g.csv"]
