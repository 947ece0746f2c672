"""Record the expected answers from the instructor notebooks, and find stale editions.

    courselab notebooks answers            # run the solutions, write courselab/exercises.json
    courselab notebooks answers --verify   # exit 1 if student/ or exercises.json is stale

`answers` executes each notebook that has solution cells, in a temporary folder, with
COURSELAB_RECORD_ANSWERS set, so every check("ID") records the fingerprint of the solution
above it (see courselab/exercises.py); it then verifies that every solution was recorded.
"""

import json
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat

from . import editions, exercises
from .errors import ExerciseError, StaleError


@contextmanager
def _environment(name, value):
    """Set an environment variable (inherited by kernels started meanwhile), then restore it."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            del os.environ[name]
        else:
            os.environ[name] = old


def record_notebook(path):
    """Execute one instructor notebook in a temporary folder; return its recorded answers."""
    from .kernel_start import SteadyClient

    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        records = Path(tmp) / "answers.jsonl"
        with _environment(exercises.RECORD_ENV, str(records)):
            SteadyClient(nb, timeout=600, kernel_name="python3",
                         resources={"metadata": {"path": tmp}}).execute()
        lines = records.read_text(encoding="utf-8").splitlines() if records.exists() else []
    return [dict(json.loads(line), notebook=path.name) for line in lines]


def record_answers(source, answers_file):
    """Record the answers of every notebook with solutions; write them sorted by id."""
    answers = {}
    for path in editions.series(source):
        expected = editions.exercises(nbformat.read(path, as_version=4), path.name)
        if not expected:
            continue
        started = time.perf_counter()
        for entry in record_notebook(path):
            if entry["id"] in answers:
                raise ExerciseError(f"{path.name}: exercise {entry['id']} is also in "
                                 f"{answers[entry['id']]['notebook']}")
            answers[entry.pop("id")] = entry
        print(f"recorded {len(expected)} answers of {path.name} "
              f"in {time.perf_counter() - started:.1f} s")
    # One exercise per line: a changed solution shows as a one-line diff.
    lines = [f"{json.dumps(key)}: {json.dumps(answers[key], ensure_ascii=False)}"
             for key in sorted(answers)]
    text = "{\n" + ",\n".join(lines) + "\n}\n" if lines else "{}\n"
    Path(answers_file).write_text(text, encoding="utf-8")
    problems = editions.answers_problems(answers, source)
    if problems:
        raise ExerciseError("not recorded: " + "; ".join(problems))
    print(f"wrote {len(answers)} answers to {answers_file}")


def verify(source, answers_file):
    """Raise StaleError naming `make answers` if the answers file is out of date."""
    problems = editions.answers_problems(exercises.expected_answers(answers_file), source)
    if problems:
        raise StaleError(f"answers stale ({'; '.join(problems)}): run `make answers`")
