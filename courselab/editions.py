"""The instructor and student editions of the notebooks, and a student's reset.

The instructor edition is `notebooks/`: every exercise has a solution cell tagged `solution`
followed by a check cell (`check("10.2")`). The student edition (`student/`) is generated from
it: each solution cell becomes an empty answer cell (`%%sql` / `-- your query here`, tagged
`exercise`), cells tagged `instructor` are dropped, check and hint cells lose their outputs,
and every other cell is copied with its outputs. The slide style (`rise.css`, which RISE loads
from the notebook's folder) is copied beside them.

The notebooks' databases live in `databases/` beside the notebooks (workbook.DATABASES): a
reset deletes that folder's databases (and any NN.db left beside the notebooks by an older
version), nothing else.
"""

import copy
import hashlib
import re
from pathlib import Path

import nbformat

from . import ladder, resources
from .errors import CourselabError, ExerciseError
from .notebooks import NOTEBOOKS, numbered, series

STUDENT = resources.student_dir()  # the repository's student/, or the one the wheel carries
DATABASE = re.compile(r"^\d\d\.db(-wal|-shm|-journal)?$")
ANY_DATABASE = re.compile(r"\.db(-wal|-shm|-journal)?$")
DATABASES = "databases"
SLIDE_STYLE = "rise.css"
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([^"']+)["']""")
CHECK_OR_HINT = re.compile(r"""\b(check|hint|solution)\(\s*["']""")
SQL_PLACEHOLDER = "-- your query here"
PYTHON_PLACEHOLDER = "# your code here"


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def exercises(nb, name="notebook"):
    """[(exercise id, solution cell)] of a notebook; each solution must be followed by a check."""
    found = []
    cells = nb.cells
    for index, cell in enumerate(cells):
        if "solution" not in _tags(cell):
            continue
        following = next((c for c in cells[index + 1:] if c.cell_type == "code"), None)
        match = following and CHECK_CALL.search(following.source)
        if not match:
            raise ExerciseError(f"{name}: the solution cell {cell.get('id', index)} is not "
                                "followed by a check(\"ID\") cell")
        found.append((match.group(1), cell))
    return found


def placeholder(source):
    """The empty answer cell that replaces a solution: its cell magic and a comment."""
    first = source.strip().splitlines()[0] if source.strip() else ""
    if first.startswith("%%"):
        return f"{first}\n{SQL_PLACEHOLDER if first.startswith('%%sql') else PYTHON_PLACEHOLDER}"
    if first.startswith("%sql"):
        return f"%%sql\n{SQL_PLACEHOLDER}"
    return PYTHON_PLACEHOLDER


def _clear(cell):
    cell.outputs = []
    cell.execution_count = None


def student_edition(nb):
    """A copy of an instructor notebook with solutions emptied and instructor notes dropped."""
    nb = copy.deepcopy(nb)
    kept = []
    for cell in nb.cells:
        tags = _tags(cell)
        if "instructor" in tags:
            continue
        if "solution" in tags:
            cell.source = placeholder(cell.source)
            cell.metadata["tags"] = ["exercise" if t == "solution" else t for t in tags]
            _clear(cell)
        elif cell.cell_type == "code" and (CHECK_OR_HINT.search(cell.source)
                                           or "reveal" in tags):  # shown after a prediction
            _clear(cell)
        kept.append(cell)
    nb.cells = kept
    return nb


def _text(nb):
    return nbformat.writes(nb) + "\n"


def student_texts(source=NOTEBOOKS):
    """{file name: text of its student edition} for every numbered instructor notebook.

    The Markdown files beside them (the glossary, the cheat sheet) are carried as they are.
    """
    texts = {p.name: _text(student_edition(nbformat.read(p, as_version=4)))
             for p in series(source)}
    texts.update({p.name: p.read_text(encoding="utf-8") for p in sorted(Path(source).glob("*.md"))})
    return texts


def write_student(source=NOTEBOOKS, target=STUDENT, prune=True, solutions=False):
    """Write the student edition into `target`; return the names written.

    Only notebooks whose text changes are written. With `prune`, numbered notebooks in
    `target` that no longer exist in `source` are deleted (never with a student's folder).
    With `solutions`, `solutions.json` lets `hint(ID, 3)` show each reference solution (for
    self-learners); without, any old one is removed (graded classes, the default).
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    texts = _edition_files(source)
    ladder.write_solutions(ladder.solutions_of(
        pair for path in series(source)
        for pair in exercises(nbformat.read(path, as_version=4), path.name)), target, solutions)
    written = []
    for name, text in texts.items():
        path = target / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(name)
    if prune:
        for path in series(target):
            if path.name not in texts:
                path.unlink()
                written.append(path.name)
    return written


def refuse_student_target(source, target):
    """Raise CourselabError unless `source` holds the series and `target` can take its student
    edition: not a file, not the instructor edition, not a student's answered notebooks."""
    numbered(source, "--notebooks")
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise CourselabError(f"--student {target} is a file: give the student edition's folder")
    notebooks = {path.name: _cells(path) for path in series(target)}  # each read once
    if target.resolve() == Path(source).resolve() or any(
            "solution" in _tags(cell) for cells in notebooks.values() for cell in cells):
        raise CourselabError(f"--student {target} holds the instructor edition (cells tagged "
                             "solution), which the student edition would empty: give another "
                             "folder")
    answered = [name for name, cells in notebooks.items()
                if any(cell.source != placeholder(cell.source)
                       for cell in cells if "exercise" in _tags(cell))]
    if answered:
        raise CourselabError(f"--student {target} holds a student's answers ({answered[0]}): "
                             f"`courselab reset --dir {target}` gives a student clean "
                             "notebooks, after asking")


def _edition_files(source):
    """{file name: text} of the student edition: its notebooks and the slide style."""
    texts = student_texts(source)
    style = Path(source) / SLIDE_STYLE
    if style.exists():
        texts[SLIDE_STYLE] = style.read_text(encoding="utf-8")
    return texts


def stale_student(source=NOTEBOOKS, target=STUDENT):
    """Names of student edition files that are missing, different or left over."""
    texts = _edition_files(source)
    stale = [name for name, text in texts.items()
             if not (Path(target) / name).exists()
             or (Path(target) / name).read_text(encoding="utf-8") != text]
    return stale + [p.name for p in series(target) if p.name not in texts]


def answers_problems(answers, source=NOTEBOOKS):
    """What makes an answers dict out of date with the solutions (empty list: up to date)."""
    problems, seen = [], set()
    for path in series(source):
        for exercise_id, cell in exercises(nbformat.read(path, as_version=4), path.name):
            seen.add(exercise_id)
            entry = answers.get(exercise_id)
            digest = hashlib.sha256(cell.source.encode("utf-8")).hexdigest()
            if entry is None:
                problems.append(f"{exercise_id} ({path.name}) has no recorded answer")
            elif entry.get("notebook") != path.name or entry.get("solution_sha256") != digest:
                problems.append(f"{exercise_id} ({path.name}): the solution changed")
    problems += [f"{key} is recorded but no notebook has it" for key in answers if key not in seen]
    return problems


# -- A student's reset ----------------------------------------------------------------------

def reset_plan(folder, source=None):
    """(files to write {name: text}, databases to delete) for resetting a student's folder.

    The clean files are the student edition handed out (STUDENT: its notebooks, notes and
    slide style), or the one generated from the instructor notebooks in `source`. Refuses a
    folder that is a file, or that holds the instructor edition (its solutions would be lost).
    """
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise CourselabError(f"{folder} is a file, not a folder: pass the student's folder "
                             "with --dir")
    if any(_has_solutions(path) for path in series(folder)):
        raise CourselabError(f"{folder} holds the instructor edition (cells tagged solution): "
                             "reset gives a student's folder clean notebooks; pass the "
                             "student's folder with --dir")
    if source and not series(source):
        raise CourselabError(f"no numbered notebooks in {source}: pass the instructor "
                             "notebooks' folder with --notebooks")
    texts = _edition_files(source) if source else _handed_out()
    replace = {name: text for name, text in texts.items() if not _holds(folder / name, text)}
    databases = sorted(p for p in folder.glob("*.db*") if DATABASE.match(p.name))
    databases += sorted(p for p in (folder / DATABASES).glob("*.db*")
                        if ANY_DATABASE.search(p.name))
    return replace, databases


def _holds(path, text):
    """True if `path` is a file holding exactly `text`."""
    try:
        return path.is_file() and path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def _handed_out():
    """{file name: text} of the student edition as handed out (STUDENT)."""
    paths = [*series(STUDENT), *sorted(STUDENT.glob("*.md")), STUDENT / SLIDE_STYLE]
    texts = {p.name: p.read_text(encoding="utf-8") for p in paths if p.is_file()}
    if not any(name.endswith(".ipynb") for name in texts):
        raise CourselabError(f"no student edition in {STUDENT}: reinstall courselab, or pass "
                             "the instructor notebooks' folder with --notebooks")
    return texts


def _has_solutions(path):
    return any("solution" in _tags(cell) for cell in _cells(path))


def _cells(path):
    """The cells of the notebook at `path`; none if nbformat cannot read it."""
    try:
        return nbformat.read(path, as_version=4).cells
    except Exception:  # noqa: BLE001 - a student's broken notebook is reset, not judged
        return []


def reset(folder, replace, databases):
    """Write clean files and delete notebook databases; touch nothing else.

    Every file is first written beside its target, then moved over it: a folder that cannot
    be written changes nothing. Raises CourselabError naming a file that cannot be replaced.
    """
    folder = Path(folder)
    staged = [(folder / f".{name}.reset", folder / name) for name in replace]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for (temporary, _target), text in zip(staged, replace.values(), strict=True):
            temporary.write_text(text, encoding="utf-8")
    except OSError as exc:
        for temporary, _target in staged:
            temporary.unlink(missing_ok=True)
        raise CourselabError(f"{exc.filename}: cannot write it ({exc.strerror}); nothing was "
                             "changed: make the folder writable and run reset again") from None
    for done, (temporary, target) in enumerate(staged):
        try:
            temporary.replace(target)
        except OSError as exc:
            for left, _target in staged[done:]:
                left.unlink(missing_ok=True)
            raise CourselabError(f"{target}: cannot replace it ({exc.strerror}); {done} file(s) "
                                 "were reset before it and no database was deleted: make it "
                                 "writable and run reset again") from None
    for path in databases:
        path.unlink(missing_ok=True)
