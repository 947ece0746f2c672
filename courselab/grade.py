"""Grading a class: re-run every submitted notebook and give each exercise a verdict.

SUBMISSIONS holds one folder per student (the folder's name is the student's id) with that
student's notebooks, named as in `student/`. Each notebook runs from its submitted file
(stored outputs are never read), in a fresh limited kernel (see `sandbox`), one cell at a time
with a timeout per cell. Each exercise's check cell is run with the real `check`, and its
one-line answer becomes the verdict:

    right        check said right ✓
    wrong        check said not yet; detail is the reason the student saw
    unanswered   the answer cell is still the placeholder
    error        the answer cell raised, the check cell is missing, or the file is unusable
    timeout      the answer cell ran past the timeout and was stopped

Bad input (a folder without notebooks, a file that is not a notebook or not JSON, a notebook
of another series, a file over the size cap, a symbolic link, a kernel that dies) is a verdict
and a problem line, never a crash. Notebooks are graded in parallel, each worker holding one
notebook; a worker that dies (a cell killed it, or the system ran out of memory) takes its pool
down, so the notebooks it left unfinished are graded again, each in a process of its own.

The submitted check cell is not run as written: the grader runs `check("NN.k")` itself (with
the literal answer a letter question passes, `check("04.1", "a")`) and reads the verdict from
what that call displayed, never from what the cell or a hook printed. An answer cell left
empty (or only comments, or a bare `%%sql`) is unanswered without running `check`, which
would judge the cell run before it.
"""

import ast
import os
import re
import shutil
import tempfile
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import nbformat
from nbformat.warnings import MissingIDFieldWarning

from . import editions, exercises, sandbox
from .errors import CourselabError
from .grade_kernel import Kernel, Unrecoverable

VERDICTS = ("right", "wrong", "unanswered", "error", "timeout")
_CHECK_LINE = re.compile(r"""^check\(\s*["'](\d\d\.\d+)["']""")
KILLED = ("the process grading this notebook was killed (a cell killed it, e.g. os.kill of its "
          "parent, or the system ran out of memory)")
_IGNORED = re.compile(r"^(\..*|\d\d\.db(-wal|-shm|-journal)?)$")  # hidden files, notebook dbs


@dataclass
class Limits:
    """Per-cell timeout, per-kernel CPU seconds, memory and file size, submitted file size."""

    timeout: int = 60
    cpu_seconds: int = 900
    memory_mb: int = 4096
    file_mb: int = 512
    max_notebook_mb: int = 20

    def kernel(self):
        return self.cpu_seconds, self.memory_mb, self.file_mb


@dataclass
class Row:
    student: str
    notebook: str
    exercise: str
    verdict: str
    detail: str = ""


@dataclass
class Graded:
    """The class's verdict rows, the problem lines, and who submitted what."""

    rows: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # (student, notebook, text)
    submitted: dict = field(default_factory=dict)  # student -> set of notebook names


def series_exercises():
    """{notebook file name: [exercise ids in order]} for every notebook with exercises."""
    by_notebook = {}
    for exercise_id, entry in exercises.expected_answers().items():
        by_notebook.setdefault(entry["notebook"], []).append(exercise_id)
    return {name: sorted(ids, key=exercise_order) for name, ids in by_notebook.items()}


def exercise_order(exercise_id):
    return [int(part) for part in exercise_id.split(".") if part.isdigit()]


def series_names():
    """File names of the series: those with exercises and the rest of `student/`."""
    return set(series_exercises()) | {p.name for p in editions.series(editions.STUDENT)}


# -- Reading a submission --------------------------------------------------------------------

class BadNotebook(Exception):
    """A submitted file that cannot be graded; the message says why, in one line."""


def read_notebook(path, max_mb):
    """The notebook at `path`, or BadNotebook: too big, not UTF-8, not JSON, not a notebook."""
    size = path.stat().st_size
    if size > max_mb * 2**20:
        raise BadNotebook(f"file of {size / 2**20:.0f} MB, over the {max_mb} MB cap: not graded")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise BadNotebook("not a notebook (not UTF-8 text)") from None
    try:
        with warnings.catch_warnings():  # cells without ids (older Jupyter) are fine here
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            nb = nbformat.reads(text, as_version=4)
    except nbformat.reader.NotJSONError as exc:
        raise BadNotebook(f"not valid JSON ({str(exc).splitlines()[0][:80]})") from None
    except Exception as exc:  # noqa: BLE001 - nbformat raises many kinds for a non-notebook
        raise BadNotebook(f"not a Jupyter notebook ({type(exc).__name__})") from None
    if not isinstance(nb.get("cells"), list):
        raise BadNotebook("not a Jupyter notebook (no cells)")
    for cell in nb["cells"]:
        if not isinstance(cell, dict) or not isinstance(cell.get("source", ""), str):
            raise BadNotebook("not a Jupyter notebook (a cell is not an object with text source)")
    return nb


def check_id(source):
    """The exercise id if a cell is only a `check("NN.k"...)` call, else None."""
    lines = [line.strip() for line in source.splitlines()
             if line.strip() and not line.strip().startswith("#")]
    match = len(lines) == 1 and _CHECK_LINE.match(lines[0])
    return match.group(1) if match else None


def literal_answer(source):
    """The answer a check cell passes as a literal (`check("04.1", "a")` -> "'a'"), or ""."""
    try:
        call = ast.parse(source, mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return ""
    if not (isinstance(call, ast.Call) and len(call.args) == 2):
        return ""
    try:
        return repr(ast.literal_eval(call.args[1]))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return ""


def check_call(exercise_id, answer=""):
    """The cell the grader runs for a check cell: `check("NN.k"[, answer])` and nothing of what
    the student wrote around it. Its value is the text `check` displayed."""
    answer = f", {answer}" if answer else ""
    return ("from IPython.utils.capture import capture_output as _courselab_capture\n"
            "from courselab.exercises import check as _courselab_check\n"
            "with _courselab_capture(stdout=False, stderr=False) as _courselab_seen:\n"
            f"    _courselab_check({exercise_id!r}{answer})\n"
            "'\\n'.join(str(o.data.get('text/plain', '')) for o in _courselab_seen.outputs)")


def code_cells(nb):
    """The sources of the code cells, empty ones included (an emptied answer cell counts)."""
    return [c.get("source", "") for c in nb["cells"] if c.get("cell_type") == "code"]


# -- From a check's line to a verdict ---------------------------------------------------------

def classify(exercise_id, text):
    """(verdict, detail) from what `check(exercise_id)` displayed."""
    lines = (line.strip() for line in text.splitlines())
    line = next((line for line in lines if line.startswith(f"{exercise_id}:")), None)
    if line is None:
        return "error", "check showed no verdict"
    said = line[len(exercise_id) + 1:].strip()
    said = said.split(" Hint: ")[0]
    if said.startswith("right"):
        return "right", said.removeprefix("right ✓").strip(" ()")
    if said.startswith("not answered yet"):
        return "unanswered", ""
    if said.startswith("not yet:"):
        return "wrong", said.removeprefix("not yet:").split(". Stuck?")[0].strip()
    return "error", said


def _verdict(exercise_id, answer, outcome, timeout):
    """The verdict of an exercise from its answer cell's and its check cell's outcomes."""
    if answer is not None and answer.status == "timeout":
        return "timeout", f"the answer cell ran over {timeout} s and was stopped"
    if answer is not None and answer.status == "dead":
        return "error", "the kernel died running the answer cell (os._exit, a crash or a limit)"
    if outcome.status == "error":
        return "error", f"check raised {outcome.error}"
    if outcome.status != "ok":
        return "error", f"the check cell did not finish ({outcome.status})"
    try:
        shown = ast.literal_eval(outcome.result)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        shown = None
    if not isinstance(shown, str):
        return "error", "check showed no verdict"
    verdict, detail = classify(exercise_id, shown)
    if verdict == "wrong" and answer is not None and answer.status == "error":
        return "error", detail
    return verdict, detail


def grade_notebook(student, path, limits, scratch=None):
    """([Row], [problem text]) for one submitted notebook; never raises for bad input.

    The kernel's temporary folder goes in `scratch` (default: the system's temporary folder).
    """
    name = path.name
    expected = series_exercises().get(name, [])
    try:
        nb = read_notebook(path, limits.max_notebook_mb)
    except BadNotebook as exc:
        return [Row(student, name, e, "error", str(exc)) for e in expected], [str(exc)]
    cells = code_cells(nb)
    if not any(check_id(source) in expected for source in cells):
        text = "not a courselab notebook of this series (none of its check cells)"
        return [Row(student, name, e, "error", text) for e in expected], [text]
    verdicts, problems, stopped, started = {}, [], None, False
    try:
        with Kernel(limits.kernel(), limits.timeout, scratch) as kernel:
            # answer: the last non-empty code cell since the previous check cell, and its outcome
            started, answer, answer_source = True, None, None
            for source in cells:
                exercise_id = check_id(source)
                if exercise_id in expected and exercise_id not in verdicts:
                    given = literal_answer(source)
                    if not given and (answer_source is None or exercises.is_blank(answer_source)):
                        # An emptied answer cell: `check` would judge the cell run before it.
                        verdicts[exercise_id] = ("unanswered", "")
                    else:
                        outcome = kernel.run(check_call(exercise_id, given))
                        verdicts[exercise_id] = _verdict(exercise_id, answer, outcome,
                                                         limits.timeout)
                    answer, answer_source = None, None
                    continue
                if not source.strip():
                    continue
                answer, answer_source = kernel.run(source), source
                if answer.status == "dead":
                    problems.append("the kernel died (restarted; later cells still graded)")
    except Unrecoverable as exc:
        stopped = f"grading stopped: {exc}"
    except Exception as exc:  # noqa: BLE001 - one notebook's failure must not stop the class
        stopped = (f"grading stopped ({type(exc).__name__}: {exc})" if started
                   else f"the kernel did not start ({type(exc).__name__}: {exc})")
    problems += [stopped] if stopped else []
    rows = []
    for e in expected:
        verdict, detail = verdicts.get(e) or (
            "error", stopped or f"no check(\"{e}\") cell in the notebook")
        rows.append(Row(student, name, e, verdict, " ".join(detail.split())))
    return rows, problems


# -- The class ---------------------------------------------------------------------------------

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


def _grade_in_worker(student, path, limits, scratch):
    """grade_notebook in a grading process; then no process the kernel started lives on."""
    sandbox.adopt_orphans()
    try:
        return grade_notebook(student, path, limits, scratch)
    finally:
        sandbox.kill_children()


def _grade_in_pool(work, limits, scratch, workers, graded, bar):
    """Grade `work` in one pool of processes; return the jobs a broken pool left unfinished."""
    unfinished = []
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_grade_in_worker, student, path, limits, scratch): (student, path)
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


def _grade_alone(student, path, limits, scratch):
    """grade_notebook in a process of its own; a killed process is this notebook's error."""
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        try:
            return pool.submit(_grade_in_worker, student, path, limits, scratch).result()
        except BrokenProcessPool:
            return _failed(student, path.name, KILLED)
        except Exception as exc:  # noqa: BLE001 - as in _grade_in_pool
            return _failed(student, path.name, f"the grader failed ({type(exc).__name__}: {exc})")


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
            unfinished = _grade_in_pool(work, limits, scratch, workers, graded, bar)
            # A killed worker broke the pool: each notebook it left goes to a process of its
            # own, so that only the one that killed it gets the error.
            with ThreadPoolExecutor(workers) as threads:
                results = threads.map(lambda job: _grade_alone(*job, limits, scratch),
                                      unfinished)
                for (student, path), result in zip(unfinished, results, strict=True):
                    _add(graded, student, path.name, result)
                    bar.update()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    order = {v: i for i, v in enumerate(sorted({(r.student, r.notebook) for r in graded.rows}))}
    graded.rows.sort(key=lambda r: (order[(r.student, r.notebook)], exercise_order(r.exercise)))
    return graded
