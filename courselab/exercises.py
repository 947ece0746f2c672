"""Checked exercises: `check("10.2")` says in one line whether the answer is right.

For a student: an answer cell (a `%%sql` query, or Python ending with the value to check),
then a check cell `check("10.2")`. `check` judges the exercise's own answer cell (attempts.py):
the table it shows, the value it ends with (a DataFrame, rows, a cursor, a number, a string)
or the error it raised, for exercises that ask for a statement the database refuses;
`check("10.3", value)` judges a value instead. `hint("10.2")` or `check(..., hint=True)` adds
a hint. A blank or never-run answer cell is "not answered yet". "Right" means the same columns
(any order and case), the same rows (floats to 6 places, 4.0 == 4), in order only where the
exercise says so. The verdict is one line of text (what nbval compares), coloured in JupyterLab.

For an author: the expected answers are in `exercises.json`, generated from the solution cells
(tagged `solution`, with optional `-- ordered` and `-- hint: ...` comments) by `make answers`:
per exercise its hint and the result's fingerprint (fingerprints.py: names, counts, hashes),
so a notebook can test a guess but not read the answer.
With COURSELAB_RECORD_ANSWERS=<file>, `check` records the solution's fingerprint instead of
comparing (how `make answers` works); COURSELAB_EXERCISES=<file> reads another answers file.
"""

import hashlib
import html
import json
import os
import re
from pathlib import Path

from . import attempts, ladder, probes, resources
from .attempts import Answer
from .errors import ExerciseError
from .fingerprints import compare, error_table, fingerprint, table

ANSWERS_FILE = resources.answers_file()
RECORD_ENV = "COURSELAB_RECORD_ANSWERS"
FILE_ENV = "COURSELAB_EXERCISES"
_COMMENT = re.compile(r"^\s*(--|#)")
_MAGIC = re.compile(r"^\s*%%")
_HINT = re.compile(r"^\s*(?:--|#)\s*hint:\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)
_ORDERED = re.compile(r"^\s*(?:--|#)\s*ordered\s*$", re.MULTILINE | re.IGNORECASE)


_CELL_ABOVE = object()


def is_blank(source):
    """True if a cell holds nothing but a cell magic (`%%sql`), comments and blank lines."""
    return all(not line.strip() or _COMMENT.match(line) or _MAGIC.match(line)
               for line in source.splitlines())


# -- The notebook functions -----------------------------------------------------------------

def expected_answers(path=None):
    """The answers file as a dict {exercise id: fingerprint with hint}."""
    path = Path(path or os.environ.get(FILE_ENV) or ANSWERS_FILE)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def verdict(exercise_id, answer, with_hint=False, answers=None):
    """The one line `check` prints for an Answer (None: nothing was run yet)."""
    answers = expected_answers() if answers is None else answers
    expected = answers.get(exercise_id)
    if expected is None:
        return f"{exercise_id}: no such exercise (an instructor runs `make answers` to add it)"
    # A blank cell's only possible error is its emptiness (IPython refuses a bare %%sql).
    blank = answer is None or (answer.source is not None and is_blank(answer.source))
    if "letters" in expected:  # a letter question may be answered in the check itself
        blank = answer is None or answer.value is None
    if blank:
        line = f"{exercise_id}: not answered yet: write your answer in the cell above, run " \
               "it, then run this cell"
    else:
        ok, reason = _judge(exercise_id, answer, expected)
        line = f"{exercise_id}: right ✓ ({reason})" if ok else \
            f"{exercise_id}: not yet: {reason}. Stuck? hint(\"{exercise_id}\")"
    if with_hint:
        line += f" Hint: {expected.get('hint') or 'none for this one'}"
    return line


def _judge(exercise_id, answer, expected):
    """(ok, reason) by the exercise's kind: a design (probes), a letter (ladder), a result."""
    if "probe" in expected:
        return probes.judge(exercise_id, answer, expected)
    if "letters" in expected:
        return ladder.judge_letters(exercise_id, answer, expected, compare)
    return compare(exercise_id, answer, expected)


def record(exercise_id, answer, path):
    """Append the fingerprint of a reference solution to the JSON-lines file `path`."""
    if answer is None or answer.source is None or is_blank(answer.source):
        raise ExerciseError(f"{exercise_id}: no solution cell ran before check(\"{exercise_id}\")")
    source = answer.source
    ordered = bool(_ORDERED.search(source))
    probe = probes.named_in(source)
    if probe:  # a design exercise: checked by behaviour, nothing to hash
        entry = {"id": exercise_id, **probes.reference_entry(exercise_id, answer)}
    elif answer.error is not None:
        columns, rows = error_table(answer.error)
    elif answer.value is None:
        raise ExerciseError(f"{exercise_id}: the solution cell shows no result; end it with "
                            "the query or the value to check")
    else:
        columns, rows = table(answer.value)
    if not probe:
        entry = {"id": exercise_id, **fingerprint(exercise_id, columns, rows, ordered)}
    entry.update(hint=" ".join(_HINT.findall(source)), **ladder.entry_fields(source),
                 solution_sha256=hashlib.sha256(source.encode("utf-8")).hexdigest())
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return entry


class Verdict(str):
    """A verdict line: plain text for nbval and terminals, coloured HTML in JupyterLab."""

    def _repr_pretty_(self, printer, _cycle):
        printer.text(str(self))

    def _repr_html_(self):
        right = " right ✓" in self
        colour, background = ("#1b5e20", "#e8f5e9") if right else ("#7a4f01", "#fff4e0")
        return (f'<div style="color: {colour}; background: {background}; padding: 0.3em 0.6em; '
                f'border-left: 0.3em solid {colour}">{html.escape(self)}</div>')


def show(line):
    """Display a verdict line (printed outside IPython)."""
    from IPython.display import display

    display(Verdict(line))


def check(exercise_id, answer=_CELL_ABOVE, *, hint=False):
    """Show one line: is the answer to exercise `exercise_id` right, or what differs.

    `answer` defaults to what the exercise's answer cell showed; pass a value to check it
    instead (the answer cell still counts as "not answered yet" while it is blank).
    """
    attempts.checking()
    attempts.watch()
    misnamed = _misnamed(exercise_id)
    if misnamed:
        show(misnamed)
        return
    last = attempts.answer_for(exercise_id)
    if answer is not _CELL_ABOVE:
        last = Answer(last.source, answer, last.error) if last else Answer(None, answer)
    target = os.environ.get(RECORD_ENV)
    if target:
        record(exercise_id, last, target)
        print(f"{exercise_id}: recorded")
        return
    show(verdict(exercise_id, last, with_hint=hint))


def _misnamed(exercise_id, function="check"):
    """The line for an id that is not text, or names another notebook's exercise; else None."""
    if not isinstance(exercise_id, str):
        return (f"{exercise_id!r}: write the exercise id as text, in quotes: "
                f'{function}("{exercise_id}")')
    notebook, owner = attempts.notebook_name(), exercise_id.split(".")[0]
    if function == "check" and notebook and owner != notebook \
            and exercise_id in expected_answers():
        return (f"{exercise_id}: an exercise of notebook {owner}, not of this one ({notebook}): "
                "check it there, after its answer cell")
    return None


def hint(exercise_id, level=1):
    """Print the hint of an exercise; level 2 a second hint, 3 the solution where allowed."""
    attempts.checking()
    misnamed = _misnamed(exercise_id, "hint")
    expected = None if misnamed else expected_answers().get(exercise_id)
    if misnamed:
        print(misnamed)
    elif expected is None:
        print(f"{exercise_id}: no such exercise")
    else:
        print(ladder.hint_line(exercise_id, expected, level))


def solution(exercise_id):
    """Print the reference solution, if this edition was built with solutions allowed."""
    attempts.checking()
    print(_misnamed(exercise_id, "solution") or ladder.solution_text(exercise_id))
