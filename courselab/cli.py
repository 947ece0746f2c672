"""The `courselab` command: a thin layer over the package's modules.

Expected failures (CourselabError) print one line on stderr and exit 1; a traceback
means a bug.
"""

import argparse
import sqlite3
import sys
import time
from pathlib import Path

from . import bench, checks, dashboard, fixtures, generate, migrate
from .db import connect
from .errors import CourselabError
from .search import search_courses

DEFAULT_DB = "courselab.db"


def _db_option(parser):
    parser.add_argument("--db", default=DEFAULT_DB, type=Path,
                        help=f"SQLite database file (default: {DEFAULT_DB})")


def _migrations_option(parser):
    parser.add_argument("--migrations", type=Path, default=None,
                        help="directory of NNN_name.sql files (default: the repo's migrations/)")


def cmd_migrate(args):
    conn = connect(args.db)
    done = migrate.migrate(conn, args.migrations, args.to,
                           on_step=lambda m: print(f"applied {m.up.name}"))
    print(f"{args.db}: at version {migrate.current_version(conn) or 0}"
          f" ({len(done)} applied now)")


def cmd_rollback(args):
    conn = connect(args.db, create=False)
    migrate.rollback(conn, args.migrations, args.to, force=args.force,
                     on_step=lambda m: print(f"undone {m.down.name}"))
    print(f"{args.db}: at version {migrate.current_version(conn) or 0}")


def cmd_status(args):
    conn = connect(args.db, create=False)
    for migration, state in migrate.status(conn, args.migrations):
        print(f"{state:8} {migration.version} {migration.name}")


def cmd_load(args):
    conn = connect(args.db, create=False)
    loaded = fixtures.load(conn, args.directory)
    summary = ", ".join(f"{table} {count}" for table, count in loaded.items())
    print(f"loaded {sum(loaded.values())} rows: {summary}")


def cmd_search(args):
    conn = connect(args.db, create=False)
    for row in search_courses(conn, args.text, limit=args.limit):
        print(f"{row['id']}\t{row['title']}")


def cmd_check(args):
    conn = connect(args.db, create=False)
    if args.repair:
        for change in checks.repair(conn) or ["nothing to repair"]:
            print(f"repair: {change}")
    failed = 0
    for result in checks.run_checks(conn, args.migrations):
        print(f"{'ok  ' if result.ok else 'FAIL'} {result.name}")
        for problem in result.problems:
            print(f"     {problem}")
        failed += not result.ok
    if failed:
        raise CourselabError(f"{failed} invariant(s) broken; `courselab check --repair` "
                             "recomputes counters and the search index")


def cmd_dashboard(args):
    conn = connect(args.db, create=False)
    for heading, report in dashboard.REPORTS:
        rows = report(conn)
        print(f"== {heading}")
        print("\t".join(rows[0].keys()) if rows else "(none)")
        for row in rows:
            print("\t".join("" if value is None else str(value) for value in row))


def cmd_generate(args):
    conn = connect(args.db, create=False)
    start = time.perf_counter()
    counts = generate.generate(conn, args.scale, args.seed, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - start
    total = sum(counts.values())
    print(f"{args.db}: generated {total:,} rows ({args.scale}, seed {args.seed}) in "
          f"{seconds:.1f} s, {total / seconds:,.0f} rows/s")
    for table, count in counts.items():
        print(f"  {table:12} {count:>10,}")

def cmd_bench(args):
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = bench.run(args.scale, args.seed, workdir=args.out.parent,
                       progress=sys.stderr.isatty(),
                       say=lambda line: print(f"bench: {line}", file=sys.stderr))
    args.out.write_text(report, encoding="utf-8")
    print(report, end="")
    print(f"bench: written to {args.out}", file=sys.stderr)


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
    parser = argparse.ArgumentParser(
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
    sub.add_argument("--limit", type=int, default=20, help="most results to show (default 20)")

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
    sub.add_argument("--seed", type=int, default=0, help="same seed, same rows (default 0)")

    sub = command("bench", cmd_bench,
                  "Build a dataset in a temporary database and measure what each design "
                  "decision buys, as ratios; print and save a markdown report.",
                  "courselab bench --scale medium --out build/bench.md", db=False)
    sub.add_argument("--scale", choices=list(generate.SCALES), default="large",
                     help="dataset to build (default: large, a few minutes)")
    sub.add_argument("--seed", type=int, default=0, help="seed of the dataset (default 0)")
    sub.add_argument("--out", type=Path, default=Path("build/bench.md"),
                     help="markdown file to write (default: build/bench.md)")

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
    return parser


def main(argv=None):
    """Run the CLI; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CourselabError as exc:
        print(f"courselab {args.command}: {exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:
        # Locked, read-only, disk full, a damaged file: the database's state, not a bug.
        # Subclasses such as IntegrityError do mean a bug: keep their traceback.
        if type(exc) not in (sqlite3.OperationalError, sqlite3.DatabaseError):
            raise
        where = f"{args.db}: " if args.db else ""
        print(f"courselab {args.command}: {where}{exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"courselab {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
