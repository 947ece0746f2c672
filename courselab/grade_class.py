"""Grading a class: find each student's notebooks, grade them in parallel (grade.py grades one).

SUBMISSIONS holds one folder per student (the folder's name is the student's id) with that
student's notebooks, named as in `student/`. A stray file, a folder without notebooks, a
symbolic link (followed, it could lead out of SUBMISSIONS) is a problem line, not a crash.
Notebooks are graded in parallel, each worker process holding one notebook; a worker that dies
(a cell killed it, or the system ran out of memory) takes its pool down: the notebooks being
graded then are graded again, each in a process of its own, and those not taken up yet in a
new pool.
"""

import hashlib
import os
import re
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from . import sandbox
from .errors import CourselabError
from .grade import (
    Graded,
    Limits,
    Row,
    exercise_order,
    grade_notebook,
    series_exercises,
    series_names,
)

KILLED = ("the process grading this notebook was killed (a cell killed it, e.g. os.kill of its "
          "parent, or the system ran out of memory)")
_IGNORED = re.compile(r"^(\..*|\d\d\.db(-wal|-shm|-journal)?)$")  # hidden files, notebook dbs


def printable(name):
    """A file name as text that any UTF-8 file can hold: bytes that are not UTF-8 (a folder
    named on another system) are written as \\xNN."""
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _outside(path, root):
    """True if `path` is a symbolic link, or resolves to a place outside `root`."""
    return path.is_symlink() or not path.resolve().is_relative_to(root)


def collect(submissions, graded):
    """[(student, notebook path)] to grade; problems of folders and stray files go in `graded`."""
    submissions = Path(submissions)
    if not submissions.is_dir():
        raise CourselabError(f"{submissions} is not a folder: pass the folder that holds one "
                             "folder per student")
    entries = sorted(e for e in submissions.iterdir() if not e.name.startswith("."))
    if not entries:
        raise CourselabError(f"{submissions} is empty: pass the folder that holds one folder "
                             "per student")
    root, names, known = submissions.resolve(), series_names(), series_exercises()
    jobs = []
    for entry in entries:
        student = printable(entry.name)
        if _outside(entry, root):
            _bad(graded, student, "", "a symbolic link: not graded; copy the student's folder "
                                      "itself into the submissions")
            continue
        if not entry.is_dir():
            _bad(graded, student, "", "not a folder: each student's notebooks go in a "
                                      "folder named by the student's id")
            continue
        graded.submitted[student] = set()
        files = sorted(p for p in entry.iterdir() if p.is_file() and not _IGNORED.match(p.name))
        if not any(p.suffix == ".ipynb" for p in files):
            nested = next(entry.rglob("*.ipynb"), None)
            _bad(graded, student, "", "no notebooks (.ipynb) in the folder" + (
                f" (found {printable(str(nested.relative_to(entry)))}: move notebooks up into "
                "the student's folder)" if nested else ""))
        for path in files:
            notebook = printable(path.name)
            if _outside(path, root):
                _bad(graded, student, notebook, "a symbolic link to another file: not graded; "
                                                "submit the notebook itself")
            elif path.suffix != ".ipynb":
                _bad(graded, student, notebook, "not a notebook (.ipynb): not graded")
            elif path.name not in names:
                _bad(graded, student, notebook, "not a notebook of this series: name it "
                                                "as in student/")
            elif path.name in known:
                graded.submitted[student].add(path.name)
                jobs.append((student, path))
    return jobs


def _grade_in_worker(student, path, limits, scratch, started=None):
    """grade_notebook in a grading process; then no process the kernel started lives on.

    `started`, a file, is created first: the notebook was taken up by a worker.
    """
    if started:
        Path(started).touch()
    sandbox.adopt_orphans()
    try:
        return grade_notebook(student, path, limits, scratch)
    finally:
        sandbox.kill_children()


def _grade_in_pool(work, limits, scratch, workers, graded, bar):
    """Grade `work` in one pool of processes; return the jobs a broken pool left unfinished."""
    unfinished = []
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_grade_in_worker, student, path, limits, scratch,
                               _started(scratch, student, path)): (student, path)
                   for student, path in work}
        for future in as_completed(futures):
            student, path = futures[future]
            try:
                result = future.result()
            except BrokenProcessPool:
                unfinished.append((student, path))
                continue
            except Exception as exc:  # noqa: BLE001 - a bug must not cost the class its grades
                result = _failed(student, path.name,
                                 f"the grader failed ({type(exc).__name__}: {exc})")
            _add(graded, student, path.name, result)
            bar.update()
    return sorted(unfinished)


def _started(scratch, student, path):
    """The file a worker creates when it takes up the notebook `path` of `student`."""
    key = hashlib.sha256(f"{student}\0{path}".encode("utf-8", "surrogateescape")).hexdigest()
    return Path(scratch) / f"started-{key[:16]}"


def _grade_alone(student, path, limits, scratch):
    """grade_notebook in a process of its own; a killed process is this notebook's error."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        try:
            return pool.submit(_grade_in_worker, student, path, limits, scratch).result()
        except BrokenProcessPool:
            return _failed(student, path.name, KILLED)
        except Exception as exc:  # noqa: BLE001 - as in _grade_in_pool
            return _failed(student, path.name, f"the grader failed ({type(exc).__name__}: {exc})")


def _grade_each_alone(work, limits, scratch, workers, graded, bar):
    """Grade each notebook of `work` in a process of its own, `workers` at a time."""
    with ThreadPoolExecutor(workers) as threads:
        results = threads.map(lambda job: _grade_alone(*job, limits, scratch), work)
        for (student, path), result in zip(work, results, strict=True):
            _add(graded, student, path.name, result)
            bar.update()


def _failed(student, name, text):
    return [Row(student, name, e, "error", text) for e in series_exercises()[name]], [text]


def _add(graded, student, name, result):
    rows, problems = result
    graded.rows.extend(rows)
    graded.problems.extend((student, name, text) for text in problems)


def _bad(graded, student, notebook, text):
    graded.rows.append(Row(student, notebook, "", "error", text))
    graded.problems.append((student, notebook, text))


def grade(submissions, limits=None, jobs=None, progress=False):
    """Grade every notebook under `submissions`; return a Graded.

    `jobs` workers run at once (default: one per core); `progress` shows a tqdm bar on stderr.
    """
    from tqdm import tqdm

    limits = limits or Limits()
    graded = Graded()
    work = collect(submissions, graded)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(work) or 1))
    # Every kernel's folder is made in this one, removed even if a worker was killed.
    scratch = tempfile.mkdtemp(prefix="courselab-grade-")
    try:
        with tqdm(total=len(work), unit="notebook", disable=not progress) as bar:
            pending = work
            while pending:
                unfinished = _grade_in_pool(pending, limits, scratch, workers, graded, bar)
                # A killed worker broke the pool. The notebooks being graded then go each to a
                # process of its own, so that only the one that killed it gets the error; those
                # not taken up yet go to a new pool.
                taken = [job for job in unfinished if _started(scratch, *job).exists()]
                pending = [job for job in unfinished if job not in taken] if taken else []
                _grade_each_alone(taken or unfinished, limits, scratch, workers, graded, bar)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    order = {v: i for i, v in enumerate(sorted({(r.student, r.notebook) for r in graded.rows}))}
    graded.rows.sort(key=lambda r: (order[(r.student, r.notebook)], exercise_order(r.exercise)))
    return graded
