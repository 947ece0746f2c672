"""The `courselab` command: a thin layer over the package's modules.

Expected failures (CourselabError) print one line on stderr and exit 1; a traceback
means a bug.
"""

import argparse
import sqlite3
import sys
from pathlib import Path

from . import checks, fixtures, migrate
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


def build_parser():
    parser = argparse.ArgumentParser(
        prog="courselab", description="Build, check and query the courselab SQLite database.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, func, help_text, example):
        sub = commands.add_parser(name, help=help_text, description=help_text,
                                  epilog=f"example: {example}")
        sub.set_defaults(func=func)
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
    return parser


def main(argv=None):
    """Run the CLI; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CourselabError as exc:
        print(f"courselab {args.command}: {exc}", file=sys.stderr)
        return 1
    except sqlite3.OperationalError as exc:  # locked, read-only, disk full: not a bug
        print(f"courselab {args.command}: {args.db}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"courselab {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0
