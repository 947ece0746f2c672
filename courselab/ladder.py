"""For self-learners: a ladder of help after `hint`, and questions answered with a letter.

The ladder: `hint("18.2")` gives the exercise's hint; `hint("18.2", 2)` a second one (the
solution's `-- hint 2: ...` comment, or else the SQL keywords of the reference solution in
order, its shape without its details); `hint("18.2", 3)` (or `solution("18.2")`) prints the
reference solution, but only in a student edition built with solutions allowed
(`make student SOLUTIONS=1` writes `solutions.json` beside the notebooks). Graded classes leave
it off, the default.

Letter questions: a solution cell that says `# choice: abcd` ends with the right letter
(`"b"`); one that says `# order: abcdef` ends with the letters of lines in the right order
(a Parsons problem). The student answers in the check itself, `check("13.4", "b")`, or in
the answer cell; a wrong letter is "not yet", never a hint at which one is right.
"""

import json
import re
from pathlib import Path

SOLUTIONS_FILE = "solutions.json"
_HINT2 = re.compile(r"^\s*(?:--|#)\s*hint 2:\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)
_LETTERS = re.compile(r"^\s*#\s*(choice|order):\s*([a-z]+)\s*$", re.MULTILINE)
_KEYWORDS = ("WITH RECURSIVE", "INSERT", "UPDATE", "DELETE", "CREATE TABLE", "CREATE INDEX",
             "CREATE TRIGGER", "SELECT", "FROM", "LEFT JOIN", "JOIN", "WHERE", "NOT EXISTS",
             "EXISTS", "UNION", "GROUP BY", "HAVING", "ORDER BY", "LIMIT", "ON CONFLICT",
             "MATCH", "COALESCE", "CASE", "COUNT", "SUM", "AVG", "MAX", "MIN", "ROUND")
_KEYWORD = re.compile(r"\b(" + "|".join(k.replace(" ", r"\s+") for k in _KEYWORDS) + r")\b",
                      re.IGNORECASE)
_COMMENT_LINE = re.compile(r"^\s*(?:--|#)\s*(hint( 2)?|probe|ordered|choice|order):.*$\n?",
                           re.MULTILINE | re.IGNORECASE)


# -- What `make answers` stores ------------------------------------------------------------

def entry_fields(source):
    """Ladder and letter fields for the answers file, from a reference solution's source."""
    fields = {"hint2": second_hint_of(source)}
    letters = _LETTERS.search(source)
    if letters:
        fields.update(letters=letters.group(2), order=letters.group(1) == "order")
    return fields


def second_hint_of(source):
    """The `-- hint 2:` comment, or the solution's SQL keywords in order of appearance."""
    explicit = _HINT2.findall(source)
    if explicit:
        return " ".join(explicit)
    body = _COMMENT_LINE.sub("", source)
    seen = []
    for match in _KEYWORD.finditer(body):
        word = " ".join(match.group(1).upper().split())
        if word not in seen:
            seen.append(word)
    return f"the reference solution uses {', '.join(seen)}" if seen else ""


# -- The notebook side ---------------------------------------------------------------------

def hint_line(exercise_id, expected, level):
    """The line `hint(exercise_id, level)` prints."""
    if level <= 1:
        return f"{exercise_id} hint: {expected.get('hint') or 'none for this one'}"
    if level == 2:
        return f"{exercise_id} second hint: {expected.get('hint2') or 'none for this one'}"
    return solution_text(exercise_id)


def solution_text(exercise_id, folder="."):
    """The reference solution of an exercise from `solutions.json`, or why there is none."""
    path = Path(folder) / SOLUTIONS_FILE
    solutions = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    if exercise_id in solutions:
        return f"{exercise_id} solution:\n{solutions[exercise_id]}"
    if not solutions:
        return f"{exercise_id}: solutions are not part of this edition (your instructor " \
               "decides); try hint(\"" + exercise_id + "\", 2)"
    return f"{exercise_id}: no such exercise"


def judge_letters(exercise_id, answer, expected, compare):
    """(ok, reason) for a letter question; `compare` is fingerprints.compare for the hash."""
    letters, value = expected["letters"], answer.value
    value = value.strip().lower() if isinstance(value, str) else value
    if expected.get("order"):
        if not isinstance(value, str) or sorted(value) != sorted(letters):
            return False, f"answer with the letters {', '.join(letters)}, each once, in the " \
                          f"order you choose, e.g. check(\"{exercise_id}\", \"{letters}\")"
    elif not isinstance(value, str) or len(value) != 1 or value not in letters:
        return False, f"answer with one letter of {', '.join(letters)}, e.g. " \
                      f"check(\"{exercise_id}\", \"{letters[0]}\")"
    ok, _ = compare(exercise_id, type(answer)(None, value), expected)
    if ok:
        return True, f"{value} it is"
    return False, ("not in that order" if expected.get("order") else f"not {value}") + \
        ": read the question again, then run the cells that follow to see why"


# -- The student edition -------------------------------------------------------------------

def solutions_of(exercise_cells):
    """{exercise id: solution source without its hint and marker comments}."""
    return {key: _COMMENT_LINE.sub("", cell.source).strip() for key, cell in exercise_cells}


def write_solutions(solutions, folder, allowed):
    """Write `solutions.json` into `folder` if allowed, else remove any old one."""
    path = Path(folder) / SOLUTIONS_FILE
    if allowed:
        text = json.dumps(solutions, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        path.write_text(text, encoding="utf-8")
    else:
        path.unlink(missing_ok=True)
