"""The command line: one line per expected error, never a traceback."""

import pytest

from courselab.cli import build_parser


def commands():
    """Every command, and every step of a group such as `notebooks`, as argument lists."""
    found = []
    for name, sub in build_parser()._subparsers._group_actions[0].choices.items():
        found.append([name])
        if sub._subparsers is not None:
            found += [[name, step] for step in sub._subparsers._group_actions[0].choices]
    return found


@pytest.mark.parametrize("command", commands(), ids=" ".join)
def test_every_command_has_help_with_an_example(cli, command):
    result = cli(*command, "--help")
    assert result.returncode == 0
    assert "example: courselab " + " ".join(command) in result.stdout


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


def test_search_with_empty_text_exits_0_and_prints_nothing(cli, tmp_path):
    db = tmp_path / "c.db"
    cli("migrate", "--db", db)
    result = cli("search", "--db", db, "")
    assert (result.returncode, result.stdout) == (0, "")
