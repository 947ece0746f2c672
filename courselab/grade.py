"""Grading a notebook: re-run a submitted notebook and give each exercise a verdict.

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
and a problem line, never a crash. This module grades one notebook; grade_class.py finds the
class's notebooks and grades them in parallel.

The submitted check cell is not run as written: the grader runs `check("NN.k")` itself (with
the literal answer a letter question passes, `check("04.1", "a")`) and reads the verdict from
what that call displayed, never from what the cell or a hook printed. An answer cell left
empty (or only comments, or a bare `%%sql`) is unanswered without running `check`, which
would judge the cell run before it.
"""

import ast
import re
import warnings
from dataclasses import dataclass, field

import nbformat
from nbformat.warnings import MissingIDFieldWarning

from . import editions, exercises
from .grade_kernel import Kernel, Unrecoverable

VERDICTS = ("right", "wrong", "unanswered", "error", "timeout")
_CHECK_LINE = re.compile(r"""^check\(\s*["'](\d\d\.\d+)["']""")


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
