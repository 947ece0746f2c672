"""The `courselab` command: a thin layer over the package's modules.

Expected failures (CourselabError) print one line on stderr and exit 1; a traceback
means a bug.
"""

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

from . import bench, dashboard, engines, fixtures, generate, maintenance, migrate
from .db import connect
from .errors import CourselabError

DEFAULT_DB = "courselab.db"

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
                             f"URL (default: {DEFAULT_DB})")


def _migrations_option(parser):
    parser.add_argument("--migrations", type=Path, default=None,
                        help="directory of NNN_name.sql files (default: the repo's migrations/)")


def cmd_migrate(args):
    engine = engines.for_db(args.db)
    conn = engine.open(args.db, create=True)
    done = engine.migrate(conn, args.migrations, args.to,
                          on_step=lambda m: print(f"applied {m.up.name}"))
    print(f"{args.db}: at version {engine.version(conn) or 0} ({len(done)} applied now)")


def cmd_rollback(args):
    engine = engines.for_db(args.db)
    conn = engine.open(args.db)
    engine.rollback(conn, args.migrations, args.to, args.force,
                    on_step=lambda m: print(f"undone {m.down.name}"))
    print(f"{args.db}: at version {engine.version(conn) or 0}")


def cmd_status(args):
    engine = engines.for_db(args.db)
    conn = engine.open(args.db, readonly=True)
    for migration, state in engine.status(conn, args.migrations):
        print(f"{state:8} {migration.version} {migration.name}")


def cmd_load(args):
    engine = engines.for_db(args.db)
    conn = engine.open(args.db)
    loaded = engine.load(conn, args.directory)
    summary = ", ".join(f"{table} {count}" for table, count in loaded.items())
    print(f"loaded {sum(loaded.values())} rows: {summary}")


def cmd_search(args):
    engine = engines.for_db(args.db)
    for row in engine.search(engine.open(args.db), args.text, args.limit):
        print(f"{row[0]}\t{row[1]}")


def cmd_check(args):
    engine = engines.for_db(args.db)
    conn = engine.open(args.db)
    if args.repair:
        for change in engine.repair(conn) or ["nothing to repair"]:
            print(f"repair: {change}")
    results = engine.run_checks(conn, args.migrations)
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'} {result.name}")
        for problem in result.problems:
            print(f"     {problem}")
    failed = [result for result in results if not result.ok]
    if failed:
        fixes = "; ".join(result.fix for result in failed)
        raise CourselabError(f"{len(failed)} invariant(s) broken. To fix: {fixes}")


def cmd_dashboard(args):
    conn = connect(args.db, create=False)
    for heading, report in dashboard.REPORTS:
        rows = report(conn)
        print(f"== {heading}")
        print("\t".join(rows[0].keys()) if rows else "(none)")
        for row in rows:
            print("\t".join("" if value is None else str(value) for value in row))


def cmd_generate(args):
    engine = engines.for_db(args.db)
    conn = engine.open(args.db)
    start = time.perf_counter()
    counts = engine.generate(conn, args.scale, args.seed, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - start
    total = sum(counts.values())
    print(f"{args.db}: generated {total:,} rows ({args.scale}, seed {args.seed}) in "
          f"{seconds:.1f} s, {total / seconds:,.0f} rows/s")
    for table, count in counts.items():
        print(f"  {table:12} {count:>10,}")


def cmd_bench(args):
    if args.grading:
        from . import grade_bench  # starts kernels: only this measurement needs it

        print(grade_bench.measure(args.grading, jobs=args.jobs, progress=sys.stderr.isatty()))
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = bench.run(args.scale, args.seed, workdir=args.out.parent,
                       progress=sys.stderr.isatty(),
                       say=lambda line: print(f"bench: {line}", file=sys.stderr))
    args.out.write_text(report, encoding="utf-8")
    print(report, end="")
    print(f"bench: written to {args.out}", file=sys.stderr)


def cmd_grade(args):
    from . import grade, grade_report  # imports nbclient and matplotlib: only this command

    if args.timeout < 1 or (args.jobs is not None and args.jobs < 1):
        raise CourselabError("--timeout and --jobs take a whole number of at least 1")
    args.out.parent.mkdir(parents=True, exist_ok=True)  # fail now, not after grading
    graded = grade.grade(args.submissions, grade.Limits(timeout=args.timeout), args.jobs,
                         progress=not args.quiet and sys.stderr.isatty())
    written = [*grade_report.write_csv(graded, args.out),
               grade_report.write_report(graded, args.report or args.out.with_suffix(".html"))]
    print(grade_report.summary_line(graded))
    print("written: " + ", ".join(str(p) for p in written))


def _confirm(question):
    """Ask on stdin; only an answer starting with y is a yes (no input at all is a no)."""
    print(question, end=" ", flush=True)
    try:
        return input().strip().lower().startswith("y")
    except EOFError:
        print()
        return False


def cmd_reset(args):
    from . import editions  # imports nbformat: only this command needs it

    replace, databases = editions.reset_plan(args.dir, args.notebooks or editions.NOTEBOOKS)
    edited = [name for name in replace if (args.dir / name).exists()]
    steps = [f"write {len(replace)} clean notebook(s) into {args.dir}/"
             + (f" ({len(edited)} of them changed by you: your answers there are lost)"
                if edited else ""),
             f"delete {len(databases)} notebook database(s)"]
    if args.db:
        steps.append(f"rebuild {args.db} (all migrations, the fixtures)")
    if not (replace or databases or args.db):
        print(f"{args.dir}/ is already clean")
        return
    print("reset will " + "; ".join(steps) + ". Your other files stay as they are.")
    if not args.yes and not _confirm("Reset? [y/N]"):
        print("nothing changed (answer y, or pass --yes)")
        return
    editions.reset(args.dir, replace, databases)
    if args.db:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        args.db.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(args.db)
        migrate.migrate(conn)
        loaded = fixtures.load(conn)
        print(f"{args.db}: at version {migrate.current_version(conn)}, "
              f"{sum(loaded.values())} fixture rows")
        conn.close()
    print(f"reset done: {len(replace)} notebook(s) written, {len(databases)} database(s) deleted")


def build_parser():
    parser = Parser(
        prog="courselab", description="Build, check and query the courselab SQLite database.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help_text, example, db=True):
        sub = commands.add_parser(name, help=help_text, description=help_text,
                                  epilog=f"example: {example}")
        sub.set_defaults(func=func, db=None)
        if db:
            _db_option(sub)
        return sub

    sub = command("migrate", cmd_migrate, "Apply pending migrations, in order, each atomically.",
                  "courselab migrate --db course.db --to 008")
    _migrations_option(sub)
    sub.add_argument("--to", help="stop at this version (default: the last)")

    sub = command("rollback", cmd_rollback, "Undo migrations, newest first, down to a version.",
                  "courselab rollback --db course.db --to 007")
    _migrations_option(sub)
    sub.add_argument("--to", required=True, help="version to stay at (0 undoes everything)")
    sub.add_argument("--force", action="store_true",
                     help="roll back even if tables that hold rows would be dropped")

    sub = command("status", cmd_status, "List migrations as applied, pending or edited.",
                  "courselab status --db course.db")
    _migrations_option(sub)

    sub = command("load", cmd_load, "Load CSV fixtures into a migrated database, all or nothing.",
                  "courselab load --db course.db data/")
    sub.add_argument("directory", nargs="?", type=Path,
                     help="directory of <table>.csv files (default: the repo's data/)")

    sub = command("search", cmd_search, "Search published courses; any text is safe.",
                  "courselab search --db course.db 'sql indexes'")
    sub.add_argument("text", help="words to find in titles and descriptions")
    sub.add_argument("--limit", type=whole_number(1), default=20,
                     help="most results to show (default 20)")

    sub = command("check", cmd_check, "Verify every invariant; exit 1 if one is broken.",
                  "courselab check --db course.db --repair")
    _migrations_option(sub)
    sub.add_argument("--repair", action="store_true",
                     help="first recompute counters and rebuild the search index")

    command("dashboard", cmd_dashboard, "Print the admin dashboard: five reports, tab-separated.",
            "courselab dashboard --db course.db")

    sub = command("generate", cmd_generate,
                  "Fill a migrated database with synthetic data (deterministic for a seed).",
                  "courselab generate --db big.db --scale large --seed 1")
    sub.add_argument("--scale", choices=list(generate.SCALES), default="class",
                     help="class: 30 courses, 200 users; medium: 1,000 and 10,000; large: "
                          "10,000 and 100,000, over 2 million rows (default: class)")
    sub.add_argument("--seed", type=whole_number(0), default=0,
                     help="same seed, same rows (default 0)")

    sub = command("bench", cmd_bench,
                  "Build a dataset in a temporary database and measure what each design "
                  "decision buys, as ratios; print and save a markdown report.",
                  "courselab bench --scale medium --out build/bench.md", db=False)
    sub.add_argument("--grading", type=int, metavar="STUDENTS", default=None,
                     help="instead, time `courselab grade` on a synthetic class of STUDENTS "
                          "students x 3 notebooks (30 is a class)")
    sub.add_argument("--jobs", type=int, default=None,
                     help="with --grading: notebooks graded at once (default: one per core)")
    sub.add_argument("--scale", choices=list(generate.SCALES), default="large",
                     help="dataset to build (default: large, a few minutes)")
    sub.add_argument("--seed", type=whole_number(0), default=0,
                     help="seed of the dataset (default 0)")
    sub.add_argument("--out", type=Path, default=Path("build/bench.md"),
                     help="markdown file to write (default: build/bench.md)")

    sub = command("grade", cmd_grade,
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

    sub = command("reset", cmd_reset,
                  "Give a student clean notebooks and fresh databases, after asking; other "
                  "files in the folder are left alone.",
                  "courselab reset --dir student --db build/courselab.db", db=False)
    sub.add_argument("--dir", type=Path, default=Path("student"),
                     help="the student's notebook folder (default: student)")
    sub.add_argument("--notebooks", type=Path, default=None,
                     help="instructor notebooks the clean copies are made from "
                          "(default: the repo's notebooks/)")
    sub.add_argument("--db", type=Path, default=None,
                     help="also rebuild this database with every migration and the fixtures")
    sub.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    maintenance.register(commands)
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
        print(f"courselab {args.command}: {exc}", file=sys.stderr)
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
    except Exception as exc:
        if not type(exc).__module__.startswith("psycopg"):
            raise
        # PostgreSQL's refusal of a statement or a lost connection: one line, like SQLite's.
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"courselab {args.command}: {args.db}: {reason}", file=sys.stderr)
        return 1
    return 0
