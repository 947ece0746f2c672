"""The `courselab` command line: its commands and their arguments, its errors and exit codes.

What each command does is in commands.py (maintenance.py for `notebooks` and `schema`).
Expected failures (CourselabError) print one line on stderr and exit 1; a traceback
means a bug.
"""

import argparse
import os
import sqlite3
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import commands as run
from . import generate, maintenance
from .engines import shown
from .errors import CourselabError

DEFAULT_DB = "courselab.db"
# The modules of pyproject.toml's extras: a command that needs one says which extra to install.
EXTRAS = {**dict.fromkeys(("ipykernel", "IPython", "jupyter_client", "matplotlib", "nbclient",
                           "nbconvert", "pandas", "sql", "sqlalchemy"), "notebooks"),
          "psycopg": "postgresql"}

# SQLite's integers are 64-bit: a larger number cannot even reach a query.
SQLITE_MAX_INT = 2 ** 63 - 1


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line like every other courselab error."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def whole_number(low, high=SQLITE_MAX_INT):
    """An argparse type: a whole number from `low` to `high`, else a one-line error."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range ({low} to {high})")
        return value
    parse.__name__ = "number"
    return parse


def _db_option(parser):
    parser.add_argument("--db", default=DEFAULT_DB,
                        help=f"SQLite database file, or a postgresql://user@host:port/dbname "
                             f"URL (postgres:// too; no other scheme) (default: {DEFAULT_DB})")


def _migrations_option(parser):
    parser.add_argument("--migrations", type=Path, default=None,
                        help="directory of NNN_name.sql files (default: the repo's migrations/)")


def add_command(parent, name, func, help_text, example):
    """Add command `name` to the subparsers `parent`: its help, an example, its function."""
    sub = parent.add_parser(name, help=help_text, description=help_text,
                            epilog=f"example: {example}")
    sub.set_defaults(func=func, db=None)
    return sub


def _version():
    """The installed package's version; a source folder run with PYTHONPATH has none."""
    try:
        return version("courselab")
    except PackageNotFoundError:
        return "(not installed: run from its source folder)"


def build_parser():
    """The parser of every command; each sets `func`, the function that runs it."""
    parser = Parser(
        prog="courselab", description="Build, check and query the courselab SQLite database.")
    parser.add_argument("--version", action="version",
                        version=f"courselab {_version()} (SQLite {sqlite3.sqlite_version})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help_text, example, db=True):
        sub = add_command(commands, name, func, help_text, example)
        if db:
            _db_option(sub)
        return sub

    sub = command("migrate", run.cmd_migrate,
                  "Apply pending migrations, in order, each atomically.",
                  "courselab migrate --db course.db --to 008")
    _migrations_option(sub)
    sub.add_argument("--to", help="stop at this version (default: the last)")

    sub = command("rollback", run.cmd_rollback, "Undo migrations, newest first, down to a version.",
                  "courselab rollback --db course.db --to 007")
    _migrations_option(sub)
    sub.add_argument("--to", required=True, help="version to stay at (0 undoes everything)")
    sub.add_argument("--force", action="store_true",
                     help="roll back even if tables that hold rows would be dropped")

    sub = command("status", run.cmd_status, "List migrations as applied, pending or edited.",
                  "courselab status --db course.db")
    _migrations_option(sub)

    sub = command("load", run.cmd_load,
                  "Load CSV fixtures into a migrated database, all or nothing.",
                  "courselab load --db course.db data/")
    sub.add_argument("directory", nargs="?", type=Path,
                     help="directory of <table>.csv files (default: the repo's data/)")

    sub = command("search", run.cmd_search, "Search published courses; any text is safe.",
                  "courselab search --db course.db 'sql indexes'")
    sub.add_argument("text", help="words to find in titles and descriptions")
    sub.add_argument("--limit", type=whole_number(1), default=20,
                     help="most results to show (default 20)")

    sub = command("check", run.cmd_check, "Verify every invariant; exit 1 if one is broken.",
                  "courselab check --db course.db --repair")
    _migrations_option(sub)
    sub.add_argument("--repair", action="store_true",
                     help="first recompute counters and rebuild the search index")

    command("dashboard", run.cmd_dashboard,
            "Print the admin dashboard: five reports, tab-separated.",
            "courselab dashboard --db course.db")

    sub = command("generate", run.cmd_generate,
                  "Fill a migrated database with synthetic data (deterministic for a seed).",
                  "courselab generate --db big.db --scale large --seed 1")
    sub.add_argument("--scale", choices=list(generate.SCALES), default="class",
                     help="class: 30 courses, 200 users; medium: 1,000 and 10,000; large: "
                          "10,000 and 100,000, over 2 million rows (default: class)")
    sub.add_argument("--seed", type=whole_number(0), default=0,
                     help="same seed, same rows (default 0)")

    sub = command("bench", run.cmd_bench,
                  "Build a dataset in a temporary database and measure what each design "
                  "decision buys, as ratios; print and save a markdown report.",
                  "courselab bench --scale medium --out build/bench.md", db=False)
    sub.add_argument("--grading", type=whole_number(1), metavar="STUDENTS", default=None,
                     help="instead, time `courselab grade` on a synthetic class of STUDENTS "
                          "students x 3 notebooks (30 is a class)")
    sub.add_argument("--jobs", type=whole_number(1), default=None,
                     help="with --grading: notebooks graded at once (default: one per core)")
    sub.add_argument("--scale", choices=list(generate.SCALES), default="large",
                     help="dataset to build (default: large, a few minutes)")
    sub.add_argument("--seed", type=whole_number(0), default=0,
                     help="seed of the dataset (default 0)")
    sub.add_argument("--out", type=Path, default=Path("build/bench.md"),
                     help="markdown file to write (default: build/bench.md)")
    sub.add_argument("--pg", metavar="URL", default=None,
                     help="also load the dataset into this empty PostgreSQL database "
                          "(postgresql://...) and compare the load and the dashboard with SQLite")

    sub = command("grade", run.cmd_grade,
                  "Grade a class: re-run every submitted notebook (stored outputs are never "
                  "trusted) and write a verdict per student and exercise, a summary and a class "
                  "report. WARNING: student code runs as YOUR user, with your files within its "
                  "reach (clean environment, temporary folder, CPU/memory/file-size limits, but "
                  "no sandbox): grade untrusted submissions inside a container (see README).",
                  "courselab grade submissions/ --out grades.csv --report report.html", db=False)
    sub.add_argument("submissions", type=Path,
                     help="folder with one folder per student (named by the student's id) "
                          "holding that student's notebooks, named as in student/")
    sub.add_argument("--out", type=Path, required=True,
                     help="grades CSV to write; the summary goes beside it (NAME-summary.csv)")
    sub.add_argument("--report", type=Path, default=None,
                     help="class report, one offline HTML file (default: --out with .html)")
    sub.add_argument("--timeout", type=int, default=60,
                     help="seconds a cell may run before it is stopped (default 60)")
    sub.add_argument("--jobs", type=int, default=None,
                     help="notebooks graded at once (default: one per core)")
    sub.add_argument("--quiet", action="store_true", help="no progress bar")

    sub = command("reset", run.cmd_reset,
                  "Give a student clean notebooks and fresh databases, after asking; other "
                  "files in the folder are left alone.",
                  "courselab reset --dir student --db build/courselab.db", db=False)
    sub.add_argument("--dir", type=Path, default=Path("student"),
                     help="the student's notebook folder (default: student)")
    sub.add_argument("--notebooks", type=Path, default=None,
                     help="instructor notebooks to make the clean copies from (default: "
                          "the student edition as handed out)")
    sub.add_argument("--db", type=Path, default=None,
                     help="also rebuild this database with every migration and the fixtures")
    sub.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    maintenance.register(commands, add_command)
    return parser


def main(argv=None):
    """Run the CLI; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
        sys.stdout.flush()  # inside the try: a reader that left (`| head`) is seen here
    except BrokenPipeError:
        # Nobody reads the rest: stop quietly, as `cat | head` does, and keep Python from
        # failing again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, the status a shell gives a command cut off by a pipe
    except CourselabError as exc:
        print(f"courselab {args.command}: {shown(exc)}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:
        # Locked, read-only, disk full, a damaged file: the database's state, not a bug.
        # Subclasses such as IntegrityError do mean a bug: keep their traceback.
        if type(exc) not in (sqlite3.OperationalError, sqlite3.DatabaseError):
            raise
        where = f"{args.db}: " if args.db else ""
        reason = str(exc)
        if "locked" in reason or "busy" in reason:
            reason = ("database is busy: another connection holds its write lock; "
                      "run this again when that writer has finished")
        print(f"courselab {args.command}: {where}{reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"courselab {args.command}: interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        print(f"courselab {args.command}: needs {exc.name}, which is not installed: "
              f'pip install "courselab[{extra}]"', file=sys.stderr)
        return 1
    except Exception as exc:
        if not type(exc).__module__.startswith("psycopg"):
            raise
        # PostgreSQL's refusal of a statement or a lost connection: one line, like SQLite's.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        server = args.db or getattr(args, "pg", None)  # bench has --pg, not --db
        print(f"courselab {args.command}: {shown(server)}: {shown(reason)}", file=sys.stderr)
        return 1
    return 0
