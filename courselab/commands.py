"""What each `courselab` command does: one function per command, given argparse's namespace.

The command line (cli.py) parses the arguments and turns a CourselabError into one line;
these functions print their results and raise CourselabError for what a person must fix.
"""

import sys
import time
from decimal import Decimal
from pathlib import Path

from . import bench, dashboard, engines, fixtures, migrate
from .db import connect
from .errors import CourselabError
from .outputs import writable_folder


def _open(args, **options):
    """(engine, connection) for the database `--db` names, SQLite or PostgreSQL."""
    engine = engines.for_db(args.db)
    return engine, engine.open(args.db, **options)


def cmd_migrate(args):
    engine, conn = _open(args, create=True)
    done = engine.migrate(conn, args.migrations, args.to,
                          on_step=lambda m: print(f"applied {m.up.name}"))
    print(f"{engines.shown(args.db)}: at version {engine.version(conn) or 0} "
          f"({len(done)} applied now)")


def cmd_rollback(args):
    engine, conn = _open(args)
    done = engine.rollback(conn, args.migrations, args.to, args.force,
                           on_step=lambda m: print(f"undone {m.down.name}"))
    # Nothing undone: the database was there already, or another connection got there first.
    nothing = "" if done else "nothing to undo, "
    print(f"{engines.shown(args.db)}: {nothing}at version {engine.version(conn) or 0}")


def cmd_status(args):
    engine, conn = _open(args, readonly=True)
    for migration, state in engine.status(conn, args.migrations):
        print(f"{state:8} {migration.version} {migration.name}")


def cmd_load(args):
    engine, conn = _open(args)
    # Both checks before anything is loaded, for both engines: a database at version 0
    # would skip every file in silence; a folder or a dangling link named users.csv is
    # refused here rather than met halfway through the load.
    if not engine.version(conn):
        raise CourselabError(fixtures.NO_TABLES)
    fixtures.fixture_files(args.directory)
    loaded = engine.load(conn, args.directory)
    summary = ", ".join(f"{table} {count}" for table, count in loaded.items())
    print(f"loaded {sum(loaded.values())} rows: {summary}")


def cmd_search(args):
    engine, conn = _open(args)
    for row in engine.search(conn, args.text, args.limit):
        print(f"{row[0]}\t{row[1]}")


def cmd_check(args):
    engine, conn = _open(args)
    if args.repair:
        for change in engine.repair(conn, args.migrations) or ["nothing to repair"]:
            print(f"repair: {change}")
    results = engine.run_checks(conn, args.migrations)
    # Never migrated (an empty file, another program's database): checking found nothing.
    if all(result.ok for result in results) and not engine.keeps_versions(conn):
        raise CourselabError(f"{engines.shown(args.db)}: no migration applied and none of "
                             "courselab's tables, so nothing to check: run `courselab migrate` "
                             "first")
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'} {result.name}")
        for problem in result.problems:
            print(f"     {problem}")
    failed = [result for result in results if not result.ok]
    if failed:
        fixes = "; ".join(result.fix for result in failed)
        raise CourselabError(f"{len(failed)} invariant(s) broken. To fix: {fixes}")


def _cell(value):
    """A report's value as the dashboard prints it, the same text on both engines."""
    if value is None:
        return ""
    # PostgreSQL's NUMERIC keeps the scale of ROUND(x, 2) (4.40), SQLite's REAL does not
    # (4.4): both are printed as the float they are.
    return str(float(value) if isinstance(value, Decimal) else value)


def cmd_dashboard(args):
    engine, conn = _open(args)
    dashboard.check_version(engine.version(conn))  # before a line is printed
    for heading, report in dashboard.REPORTS:
        rows = [dict(row) for row in report(conn)]
        print(f"== {heading}")
        print("\t".join(rows[0]) if rows else "(none)")
        for row in rows:
            print("\t".join(_cell(value) for value in row.values()))


def cmd_generate(args):
    engine, conn = _open(args)
    start = time.perf_counter()
    counts = engine.generate(conn, args.scale, args.seed, progress=sys.stderr.isatty())
    seconds = time.perf_counter() - start
    total = sum(counts.values())
    print(f"{engines.shown(args.db)}: generated {total:,} rows ({args.scale}, seed {args.seed}) in "
          f"{seconds:.1f} s, {total / seconds:,.0f} rows/s")
    for table, count in counts.items():
        print(f"  {table:12} {count:>10,}")


def _bench_out(out):
    """Refuse, before anything is measured, an --out the report could not be written to."""
    if out.is_dir():
        raise CourselabError(f"--out {out}: a folder, not a file; give a file name, such as "
                             f"{out / 'bench.md'}")
    writable_folder(out, "--out")  # the report, and the bench's work folder beside it
    if out.exists():
        try:  # open it as the report will (access() says yes to root, whatever the file is)
            with open(out, "a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise CourselabError(f"--out {out}: cannot write it ({exc.strerror}); give a file "
                                 "you can write") from None


def cmd_bench(args):
    if args.grading is not None:
        from . import grade_bench  # starts kernels: only this measurement needs it

        print(grade_bench.measure(args.grading, jobs=args.jobs, progress=sys.stderr.isatty()))
        return
    # A URL courselab does not take, or one naming no database, is refused by for_db.
    if args.pg is not None and engines.for_db(args.pg) is not engines.POSTGRESQL:
        raise CourselabError(f"--pg {args.pg!r}: not a PostgreSQL URL; give "
                             "postgresql://user@host:port/dbname")
    _bench_out(args.out)
    report = bench.run(args.scale, args.seed, workdir=args.out.parent,
                       progress=sys.stderr.isatty(), pg_url=args.pg,
                       say=lambda line: print(f"bench: {line}", file=sys.stderr))
    args.out.write_text(report, encoding="utf-8")
    print(report, end="")
    print(f"bench: written to {args.out}", file=sys.stderr)


def cmd_grade(args):
    # nbclient and matplotlib are imported by these modules: only for this command
    from . import grade, grade_class, grade_report

    if args.timeout < 1 or (args.jobs is not None and args.jobs < 1):
        raise CourselabError("--timeout and --jobs take a whole number of at least 1")
    out, _summary, report = grade_report.output_paths(args.out, args.report)  # before grading
    graded = grade_class.grade(args.submissions, grade.Limits(timeout=args.timeout), args.jobs,
                               progress=not args.quiet and sys.stderr.isatty())
    written = [*grade_report.write_csv(graded, out), grade_report.write_report(graded, report)]
    print(grade_report.summary_line(graded))
    print("written: " + ", ".join(str(p) for p in written))


def _confirm(question):
    """Ask on stdin; only an answer starting with y is a yes (no input at all is a no)."""
    print(question, end=" ", flush=True)
    try:
        return input().strip().lower().startswith("y")
    except (EOFError, RuntimeError):  # RuntimeError: no stdin at all (closed, `<&-`)
        print()
        return False


SQLITE_HEADER = b"SQLite format 3\x00"


def _refuse_to_rebuild(path):
    """Raise CourselabError unless reset may delete `path` and build a database there: a
    missing or empty file, or a SQLite database, in a folder (never a folder, nor a file
    of another kind, which deleting would lose)."""
    if path.is_dir():
        raise CourselabError(f"--db {path} is a folder: give the database file, such as "
                             f"{path / 'courselab.db'}")
    writable_folder(path, "--db", create=False)  # built there once the person says yes
    try:
        with open(path, "rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CourselabError(f"--db {path}: cannot read it ({exc.strerror})") from None
    if head and head != SQLITE_HEADER:
        raise CourselabError(f"--db {path} is not a SQLite database, and reset would delete it: "
                             "give the workbook's database (build/courselab.db)")


def cmd_reset(args):
    from . import editions  # imports nbformat: only this command needs it

    if args.db:
        _refuse_to_rebuild(args.db)
    replace, databases = editions.reset_plan(args.dir, args.notebooks)
    edited = [name for name in replace if name.endswith(".ipynb") and (args.dir / name).exists()]
    steps = [f"write {len(replace)} clean file(s) of the student edition into {args.dir}/"
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
    print(f"reset done: {len(replace)} file(s) written, {len(databases)} database(s) deleted")
