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
per exercise the column names, row count, `ordered` flag, hint and SHA-256 hashes (of the
result, its sorted rows, each column), so a notebook can test a guess but not read the answer.
With COURSELAB_RECORD_ANSWERS=<file>, `check` records the solution's fingerprint instead of
comparing (how `make answers` works); COURSELAB_EXERCISES=<file> reads another answers file.
"""

import hashlib
import html
import json
import math
import os
import re
from pathlib import Path

from . import attempts, ladder, probes, resources
from .attempts import Answer
from .errors import ExerciseError

ANSWERS_FILE = resources.answers_file()
RECORD_ENV = "COURSELAB_RECORD_ANSWERS"
FILE_ENV = "COURSELAB_EXERCISES"
DECIMALS = 6
_COMMENT = re.compile(r"^\s*(--|#)")
_MAGIC = re.compile(r"^\s*%%")
_HINT = re.compile(r"^\s*(?:--|#)\s*hint:\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)
_ORDERED = re.compile(r"^\s*(?:--|#)\s*ordered\s*$", re.MULTILINE | re.IGNORECASE)


_CELL_ABOVE = object()


def is_blank(source):
    """True if a cell holds nothing but a cell magic (`%%sql`), comments and blank lines."""
    return all(not line.strip() or _COMMENT.match(line) or _MAGIC.match(line)
               for line in source.splitlines())


# -- Turning any result into comparable columns and rows ------------------------------------

def _scalar(value):
    """One value in canonical form: Python types, floats rounded, integral floats as int."""
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python scalar
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        value = round(value, DECIMALS) + 0.0
        return int(value) if value.is_integer() else value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _is_row(item):
    return isinstance(item, (tuple, list, dict)) or hasattr(item, "keys")


def _row_columns(item):
    if isinstance(item, dict):
        return list(item)
    if hasattr(item, "keys") and not isinstance(item, (tuple, list)):  # sqlite3.Row
        return list(item.keys())
    return None


def _row_values(item):
    return list(item.values()) if isinstance(item, dict) else list(item)


def _columns_and_rows(value):
    if type(value).__name__ == "ResultSet":  # ipython-sql; no `keys` if no rows returned
        return list(getattr(value, "keys", [])), [list(row) for row in value]
    if hasattr(value, "to_frame") and hasattr(value, "index"):  # pandas Series
        return _columns_and_rows(value.to_frame())
    if hasattr(value, "itertuples") and hasattr(value, "columns"):  # pandas DataFrame
        if any(name is not None for name in value.index.names):
            value = value.reset_index()  # a named index (from groupby) is data
        return [str(c) for c in value.columns], [list(r) for r in value.itertuples(index=False)]
    if hasattr(value, "description") and hasattr(value, "fetchall"):  # sqlite3 cursor
        return [d[0] for d in value.description or ()], [list(r) for r in value.fetchall()]
    if isinstance(value, (list, tuple)) and value and all(_is_row(v) for v in value):
        return _row_columns(value[0]), [_row_values(v) for v in value]
    if isinstance(value, list):  # a list of values: one column
        return None, [[v] for v in value]
    if _is_row(value):  # one row: fetchone(), a dict, a tuple of values
        return _row_columns(value), [_row_values(value)]
    return None, [[value]]


def table(value):
    """(columns or None, rows) of a result: ResultSet, DataFrame, cursor, rows, a scalar.

    Columns are None when the value carries no names (a list of tuples, a number).
    """
    columns, rows = _columns_and_rows(value)
    return columns, [[_scalar(v) for v in row] for row in rows]


def _error_table(error):
    return ["error", "message"], [[type(error).__name__, str(error)]]


def _digest(*parts):
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sorted(rows):
    return sorted(rows, key=lambda row: json.dumps(row, ensure_ascii=False))


def fingerprint(exercise_id, columns, rows, ordered):
    """The stored form of a result: names, count and hashes, never the values themselves."""
    width = len(rows[0]) if rows else len(columns or [])
    return {
        "columns": columns,
        "width": width,
        "rows": len(rows),
        "ordered": ordered,
        "result_sha256": _digest(exercise_id, rows if ordered else _sorted(rows)),
        "rows_sha256": _digest(exercise_id, _sorted(rows)),
        "column_sha256": [_digest(exercise_id, i, sorted(json.dumps(r[i]) for r in rows))
                          for i in range(width)],
    }


# -- Comparing ------------------------------------------------------------------------------

def _align(columns, rows, expected):
    """Reorder a result's columns to the expected ones; return (rows, problem or None)."""
    if expected["columns"] is None or columns is None:
        width = len(rows[0]) if rows else len(columns or [])
        if rows and width != expected["width"]:
            return None, f"{_plural(width, 'column')} instead of {expected['width']}"
        return rows, None
    want = [c.lower() for c in expected["columns"]]
    have = [c.lower() for c in columns]
    missing = [c for c in expected["columns"] if c.lower() not in have]
    extra = [c for c in columns if c.lower() not in want]
    if missing or extra:
        parts = [f"missing column{'s' * (len(missing) > 1)} {', '.join(missing)}"] * bool(missing)
        parts += [f"extra column{'s' * (len(extra) > 1)} {', '.join(extra)}"] * bool(extra)
        return None, "; ".join(parts) + f" (expected: {', '.join(expected['columns'])})"
    order, used = [], set()
    for name in want:
        index = next(i for i, c in enumerate(have) if c == name and i not in used)
        used.add(index)
        order.append(index)
    return [[row[i] for i in order] for row in rows], None


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


def compare(exercise_id, answer, expected):
    """(ok, reason): compare an Answer with an expected fingerprint."""
    wants_error = expected["columns"] == ["error", "message"]
    if answer.error is not None and not wants_error:
        return False, f"your cell raised {type(answer.error).__name__}: {answer.error}; fix it " \
                      "and run it again"
    if wants_error:
        if answer.error is None:
            return False, "your cell ran without an error; this exercise asks for a statement " \
                          "the database refuses"
        columns, rows = _error_table(answer.error)
    else:
        if answer.value is None:
            return False, "the cell above shows no result: end it with the query or the value " \
                          "to check"
        columns, rows = table(answer.value)
        if columns == [] and not rows:
            return False, "the cell above returns no table (its last statement is not a " \
                          "SELECT): end it with the query to check"
    rows, problem = _align(columns, rows, expected)
    if problem:
        return False, problem
    if len(rows) != expected["rows"]:
        return False, f"{_plural(len(rows), 'row')} instead of {expected['rows']}"
    mine = fingerprint(exercise_id, expected["columns"], rows, expected["ordered"])
    if mine["result_sha256"] == expected["result_sha256"]:
        return True, f"refused with {rows[0][0]}" if wants_error else _plural(len(rows), "row")
    if mine["rows_sha256"] == expected["rows_sha256"]:
        return False, "the right rows in the wrong order: look at your ORDER BY"
    if wants_error:
        if mine["column_sha256"][0] == expected["column_sha256"][0]:  # same exception type
            return False, f"the right kind of error, but not the one asked for ({answer.error})"
        return False, f"you got {rows[0][0]}: {rows[0][1]}; the exercise asks for another error"
    names = expected["columns"] or [f"#{i + 1}" for i in range(expected["width"])]
    wrong = [name for name, a, b in zip(names, mine["column_sha256"], expected["column_sha256"],
                                        strict=True) if a != b]
    if wrong:
        return False, f"the right shape, but the values of column{'s' * (len(wrong) > 1)} " \
                      f"{', '.join(wrong)} differ"
    return False, "each column holds the right values, but they are paired into rows differently"


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
    blank = answer is None or (answer.source is not None and is_blank(answer.source)
                               and answer.error is None)
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
        columns, rows = _error_table(answer.error)
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
    last = attempts.answer_for(exercise_id)
    if answer is not _CELL_ABOVE:
        last = Answer(last.source, answer, last.error) if last else Answer(None, answer)
    target = os.environ.get(RECORD_ENV)
    if target:
        record(exercise_id, last, target)
        print(f"{exercise_id}: recorded")
        return
    show(verdict(exercise_id, last, with_hint=hint))


def hint(exercise_id, level=1):
    """Print the hint of an exercise; level 2 a second hint, 3 the solution where allowed."""
    attempts.checking()
    expected = expected_answers().get(exercise_id)
    if expected is None:
        print(f"{exercise_id}: no such exercise")
    else:
        print(ladder.hint_line(exercise_id, expected, level))


def solution(exercise_id):
    """Print the reference solution, if this edition was built with solutions allowed."""
    attempts.checking()
    print(ladder.solution_text(exercise_id))
