"""Where the migrations, fixtures, exercise answers and student edition live, as real paths.

An installed wheel carries them inside the package (`courselab/migrations`, `courselab/data`,
`courselab/student`, mapped from the repository's top-level `migrations/`, `data/` and
`student/` by pyproject.toml); in a
checkout (`PYTHONPATH=.`, an editable install, the notebooks) they are the top-level folders
beside the package. Both are found through importlib.resources.
"""

import atexit
from contextlib import ExitStack
from importlib.resources import as_file, files
from pathlib import Path

# A packaged resource may need extracting to a real file (a zipped install): keep it until exit.
_extracted = ExitStack()
atexit.register(_extracted.close)


def _path(name):
    """Real path of `name` shipped in the package, else of the checkout's top-level `name`."""
    packaged = files("courselab") / name
    if packaged.is_dir() or packaged.is_file():
        return _extracted.enter_context(as_file(packaged))
    return Path(__file__).resolve().parent.parent / name


def migrations_dir():
    """The folder of numbered migrations (`NNN_name.sql` and `NNN_name.down.sql`)."""
    return _path("migrations")


def data_dir():
    """The folder of fixture CSV files, one per table."""
    return _path("data")


def answers_file():
    """The generated file of expected exercise answers (`make answers`)."""
    return _path("exercises.json")


def student_dir():
    """The student edition: the numbered notebooks handed out, their slide style, the notes."""
    return _path("student")
