"""The command line: one line per expected error, never a traceback."""

import shutil
import sqlite3
import subprocess
import sys

import pytest

from courselab.cli import build_parser, main
from tests.conftest import REPO


def commands():
    """Every command, and every step of a group such as `notebooks`, as argument lists."""
    found = []
    for name, sub in build_parser()._subparsers._group_actions[0].choices.items():
        found.append([name])
        if sub._subparsers is not None:
            found += [[name, step] for step in sub._subparsers._group_actions[0].choices]
    return found


@pytest.mark.parametrize("command", commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exit_:  # in this process: argparse prints help and exits
        main([*command, "--help"])
    assert exit_.value.code == 0
    assert "example: courselab " + " ".join(command) in capsys.readouterr().out


def test_version_names_the_package_and_the_sqlite_it_runs_on(capsys):
    import sqlite3
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out == (
        f"courselab {version('courselab')} (SQLite {sqlite3.sqlite_version})\n")


def test_version_from_a_source_folder_without_the_package_installed(monkeypatch, capsys):
    """As in a clone run with PYTHONPATH, where no package metadata is found: every command
    still runs, and --version says where it runs from."""
    from importlib.metadata import PackageNotFoundError

    from courselab import cli

    def not_installed(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr(cli, "version", not_installed)
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith(
        "courselab (not installed: run from its source folder) (SQLite ")
    assert main(["schema"]) == 0


def test_migrate_load_status_check_and_search_work_end_to_end(cli, tmp_path):
    db = tmp_path / "c.db"
    assert cli("migrate", "--db", db).returncode == 0
    load = cli("load", "--db", db)
    assert load.returncode == 0 and "users 6" in load.stdout
    status = cli("status", "--db", db)
    assert status.returncode == 0 and "pending" not in status.stdout
    assert cli("check", "--db", db).returncode == 0
    search = cli("search", "--db", db, "fundamentals")
    assert search.stdout == "c-sql\tSQL Fundamentals\n"


@pytest.mark.parametrize("args, message", [
    (["status", "--db", "missing.db"], "no such database"),
    (["check", "--db", "missing.db"], "no such database"),
    (["migrate", "--db", "no/dir/x.db"], "does not exist"),
    (["migrate", "--db", "x.db", "--to", "999"], "unknown migration version"),
    (["rollback", "--db", "missing.db", "--to", "0"], "no such database"),
])
def test_expected_errors_are_one_line_on_stderr(cli, args, message):
    result = cli(*args)
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_read_only_commands_do_not_create_a_database(cli, tmp_path):
    cli("status", "--db", tmp_path / "new.db")
    cli("check", "--db", tmp_path / "new.db")
    assert not (tmp_path / "new.db").exists()


def test_load_of_a_bad_fixture_exits_1_with_file_and_line(cli, tmp_path):
    db = tmp_path / "c.db"
    cli("migrate", "--db", db)
    data = tmp_path / "data"
    data.mkdir()
    (data / "users.csv").write_text("id,name,email\nu-1,One,one@example.com\nu-2,Two,\n")
    result = cli("load", "--db", db, data)
    assert result.returncode == 1
    assert "users.csv:3: NOT NULL constraint failed: users.email" in result.stderr


def test_load_into_an_unmigrated_database_exits_1_saying_to_migrate(cli, tmp_path):
    db = tmp_path / "v0.db"
    assert cli("migrate", "--db", db, "--to", "0").returncode == 0
    result = cli("load", "--db", db)
    assert (result.returncode, result.stdout) == (1, "")
    (line,) = result.stderr.strip().splitlines()
    assert line == ("courselab load: this database has no tables to load into; "
                    "run `courselab migrate` first")


@pytest.mark.parametrize("make, reason", [
    (lambda path: path.mkdir(), "a folder, not a file"),
    (lambda path: path.symlink_to("/nonexistent"), "a link to a file that does not exist"),
])
def test_load_of_a_fixture_that_is_not_a_file_exits_1_naming_it(cli, built, tmp_path, make,
                                                                reason):
    data = tmp_path / "data"
    data.mkdir()
    make(data / "users.csv")
    result = cli("load", "--db", built, data)
    assert (result.returncode, result.stdout) == (1, "")
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"courselab load: users.csv: {reason}")


def test_load_into_postgresql_checks_the_version_and_the_files_first(cli, pg_url, tmp_path):
    assert cli("migrate", "--db", pg_url, "--to", "0").returncode == 0
    result = cli("load", "--db", pg_url)
    assert (result.returncode, result.stdout) == (1, "")
    assert "no tables to load into; run `courselab migrate` first" in result.stderr
    assert cli("migrate", "--db", pg_url, "--to", "005").returncode == 0
    data = tmp_path / "data"
    data.mkdir()
    (data / "users.csv").mkdir()
    result = cli("load", "--db", pg_url, data)
    assert (result.returncode, result.stdout) == (1, "")
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("courselab load: users.csv: a folder, not a file")


@pytest.mark.parametrize("args, message", [
    (["migrate", "--db", "postgresql+psycopg://u@127.0.0.1:1/vd"],
     "postgresql+psycopg://u@127.0.0.1:1/vd: URL scheme postgresql+psycopg:// is not supported"),
    (["status", "--db", "POSTGRESQL://u@127.0.0.1:1/vd"],
     "POSTGRESQL://u@127.0.0.1:1/vd: URL scheme POSTGRESQL:// is not supported"),
    (["migrate", "--db", "postgresql://u@127.0.0.1:1/", "--to", "001"],
     "postgresql://u@127.0.0.1:1/: names no database"),
    (["status", "--db", "postgresql://u@127.0.0.1:1"],
     "postgresql://u@127.0.0.1:1: names no database"),
    (["bench", "--scale", "class", "--pg", "postgres://u@127.0.0.1:1/?port=2"],
     "postgres://u@127.0.0.1:1/?port=2: names no database"),
])
def test_a_url_courselab_cannot_use_is_one_line_and_never_a_file(cli, tmp_path, args, message):
    result = cli(*args)
    assert (result.returncode, result.stdout) == (1, "")
    (line,) = result.stderr.splitlines()
    assert message in line and "postgresql://user@host:port/dbname" in line
    assert list(tmp_path.iterdir()) == []  # no SQLite file, no folder, no bench run


def test_a_password_in_a_url_is_never_shown(cli, pg_url):
    unreachable = cli("status", "--db", "postgresql://ann:s3cret@127.0.0.1:1/none?password=pw2")
    assert unreachable.returncode == 1 and "cannot connect" in unreachable.stderr
    assert "postgresql://ann:***@127.0.0.1:1/none?password=***: " in unreachable.stderr
    with_password = pg_url.replace("@", ":s3cret@", 1)  # the test server trusts: it connects
    assert cli("migrate", "--db", with_password).returncode == 0
    generated = cli("generate", "--db", with_password)
    assert generated.returncode == 0, generated.stderr
    assert generated.stdout.startswith(pg_url.replace("@", ":***@", 1) + ": generated ")
    for result in (unreachable, generated):
        assert "s3cret" not in result.stdout + result.stderr and "pw2" not in result.stderr


def test_search_with_empty_text_exits_0_and_prints_nothing(cli, tmp_path):
    db = tmp_path / "c.db"
    cli("migrate", "--db", db)
    result = cli("search", "--db", db, "")
    assert (result.returncode, result.stdout) == (0, "")


@pytest.fixture
def built(tmp_path, built_databases):
    """A migrated database with the fixtures, for commands that read one.

    A copy of one built in this process: `courselab migrate` and `load` are run end to end above.
    """
    db = tmp_path / "c.db"
    shutil.copyfile(built_databases(None, True), db)
    return db


@pytest.mark.parametrize("args, option", [
    (["search", "--limit", "99999999999999999999", "sql"], "--limit"),
    (["search", "--limit", str(2 ** 63), "sql"], "--limit"),
    (["search", "--limit", "-1", "sql"], "--limit"),
    (["search", "--limit", "0", "sql"], "--limit"),
    (["search", "--limit", "ten", "sql"], "--limit"),
    (["generate", "--seed", "9" * 30], "--seed"),
    (["generate", "--seed", "-5"], "--seed"),
    (["bench", "--seed", "9" * 30, "--scale", "class"], "--seed"),
    (["bench", "--grading", "0", "--scale", "class"], "--grading"),
    (["bench", "--grading", "-3"], "--grading"),
    (["bench", "--grading", "2", "--jobs", "-1"], "--jobs"),
])
def test_out_of_range_numbers_are_one_line_naming_the_option(cli, built, args, option):
    result = cli(*args[:1], *(["--db", built] if args[0] != "bench" else []), *args[1:])
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert option in line and "Traceback" not in line


def test_the_largest_sqlite_integer_is_a_valid_limit(cli, built):
    assert cli("search", "--db", built, "--limit", str(2 ** 63 - 1), "sql").stdout == \
        cli("search", "--db", built, "sql").stdout


@pytest.mark.parametrize("args", [["status"], ["check"], ["dashboard"], ["search", "sql"],
                                  ["load"], ["migrate"]])
def test_a_reader_that_goes_away_stops_the_command_quietly(built, args):
    # `courselab status | head -1`: the reader closes the pipe before the output is written.
    proc = subprocess.Popen([sys.executable, "-m", "courselab", args[0], "--db", str(built),
                             *args[1:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "BrokenPipe" not in stderr and "Traceback" not in stderr
    assert args[0] != "load" or stderr == "" or "duplicate" in stderr


def test_a_write_while_another_connection_holds_the_lock_is_one_line(cli, built):
    writer = sqlite3.connect(built, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE users SET name = name")
    try:
        result = cli("load", "--db", built)
    finally:
        writer.execute("ROLLBACK")
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert "busy" in line and "Traceback" not in line


@pytest.mark.parametrize("module, args, extra", [
    ("nbconvert", ["notebooks", "html", "OUT"], "notebooks"),
    ("nbclient", ["grade", "SUBMISSIONS", "--out", "OUT"], "notebooks"),
])
def test_a_command_whose_extra_is_not_installed_says_which_to_install(monkeypatch, capsys,
                                                                      tmp_path, module, args,
                                                                      extra):
    monkeypatch.setitem(sys.modules, module, None)  # `import module` fails as if not installed
    importers = ("courselab.grade", "courselab.notebooks")  # an earlier test may have run them
    for name in [n for n in sys.modules if n.startswith(importers)]:
        monkeypatch.delitem(sys.modules, name)
        monkeypatch.delattr(sys.modules["courselab"], name.split(".")[1], raising=False)
    (tmp_path / "SUBMISSIONS").mkdir()
    args = [str(tmp_path / a) if a in ("OUT", "SUBMISSIONS") else a for a in args]
    assert main(args) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (f"courselab {args[0]}: needs {module}, which is not installed: "
                    f'pip install "courselab[{extra}]"')
