"""courselab as a package: the wheel works outside the checkout, and .venv is exactly the lock.

The wheel is built offline with the locked setuptools (--no-build-isolation) and unpacked into
a folder of its own, which is put first on the path of a run in another directory: what it
finds there is the wheel's content, not the checkout's.
"""

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from courselab import resources
from tests.conftest import REPO

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)", re.MULTILINE)


def _normal(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _lock():
    return {_normal(n): v for n, v in PIN.findall((REPO / "requirements.txt").read_text())}


def _requires(built):
    archive = zipfile.ZipFile(built)
    metadata = archive.read(next(n for n in archive.namelist() if n.endswith("METADATA")))
    return [Requirement(line.split(": ", 1)[1]) for line in metadata.decode().splitlines()
            if line.startswith("Requires-Dist:")]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """(wheel file, folder it is installed into with `pip install --target`)."""
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"  # a copy, so that building leaves no build/ or egg-info in the repo
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, source)
    for name in ("courselab", "migrations", "data", "student"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns(
            "__pycache__", "databases", "*.db", "*.db-*", ".ipynb_checkpoints"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(out / "dist"), str(source)],
                   check=True, capture_output=True, cwd=out)
    built = next((out / "dist").glob("courselab-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", "--target", str(out / "site"), str(built)],
                   check=True, capture_output=True)
    return built, out / "site"


def _run_installed(site, cwd, *args):
    code = ("import runpy, sys; import courselab; print(courselab.__file__, file=sys.stderr);"
            f" sys.argv = ['courselab', *{list(args)!r}]; runpy.run_module('courselab')")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=cwd, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                          timeout=120)


def test_the_wheel_carries_every_migration_fixture_and_the_answers(wheel):
    built, _ = wheel
    names = set(zipfile.ZipFile(built).namelist())
    expected = {f"courselab/migrations/{p.name}" for p in (REPO / "migrations").glob("*.sql")}
    expected |= {f"courselab/data/{p.name}" for p in (REPO / "data").glob("*.csv")}
    expected.add("courselab/exercises.json")
    assert expected - names == set()


def test_the_wheel_carries_the_student_edition_and_not_the_solutions(wheel):
    built, _ = wheel
    names = set(zipfile.ZipFile(built).namelist())
    handed_out = {f"courselab/student/{p.name}" for p in (REPO / "student").iterdir()
                  if p.suffix in (".ipynb", ".md") or p.name == "rise.css"}
    assert len(handed_out) > 20 and handed_out - names == set()
    assert not [n for n in names if n.endswith(".db") or n.startswith("notebooks/")
                or "solutions.json" in n]


def _closure(names):
    """The distributions `names` need, their own requirements included (no extras)."""
    from importlib.metadata import PackageNotFoundError, requires

    found, todo = set(), [_normal(n) for n in names]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        found.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:
            continue
        todo += [_normal(Requirement(r).name) for r in needs
                 if Requirement(r).marker is None or Requirement(r).marker.evaluate()]
    return found


def test_the_wheel_declares_what_the_command_line_imports(wheel, tmp_path):
    from importlib.metadata import packages_distributions

    built, site = wheel
    code = ("import json, runpy, sys\nstartup = set(sys.modules)\n"
            "for argv in (['migrate'], ['status']):\n"
            "    sys.argv = ['courselab', *argv, '--db', 'x.db']\n"
            "    try:\n        runpy.run_module('courselab', run_name='__main__')\n"
            "    except SystemExit:\n        pass\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in set(sys.modules) - startup})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                            timeout=120, check=True)
    owners = packages_distributions()
    used = {_normal(d) for m in json.loads(result.stdout.splitlines()[-1])
            for d in owners.get(m, []) if _normal(d) != "courselab"}
    declared = _closure(r.name for r in _requires(built) if r.marker is None)
    assert used and used - declared == set(), "imported by the command line, not declared"


def test_the_locked_versions_satisfy_every_declared_range(wheel):
    built, _ = wheel
    lock = _lock()
    outside = [f"{r} (lock: {lock.get(_normal(r.name))})" for r in _requires(built)
               if _normal(r.name) not in lock or lock[_normal(r.name)] not in r.specifier]
    assert outside == []


@pytest.mark.parametrize("args", [("migrate",), ("load",), ("check",), ("status",),
                                  ("search", "sql"), ("dashboard",)])
def test_the_installed_wheel_runs_each_command_from_another_directory(wheel, tmp_path, args):
    _, site = wheel
    if args != ("migrate",):
        assert _run_installed(site, tmp_path, "migrate", "--db", "x.db").returncode == 0
    if args not in (("migrate",), ("load",)):
        assert _run_installed(site, tmp_path, "load", "--db", "x.db").returncode == 0
    result = _run_installed(site, tmp_path, *args, "--db", "x.db")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith(str(site)), "runs the wheel, not the checkout"
    if args[0] == "search":
        assert "SQL Fundamentals" in result.stdout


def test_the_installed_wheel_knows_every_exercise(wheel, tmp_path):
    _, site = wheel
    known = sorted(json.loads((REPO / "courselab" / "exercises.json").read_text()))
    code = ("import json, sys, courselab.exercises as e\n"
            "for k in json.loads(sys.argv[1]): e.check(k, [('x',)])")
    result = subprocess.run([sys.executable, "-c", code, json.dumps(known)],
                            capture_output=True, text=True, cwd=tmp_path,
                            env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert result.returncode == 0, result.stderr
    said = result.stdout + result.stderr
    assert len(known) > 0 and "no such exercise" not in said.lower()
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == known


def test_installed_a_student_folder_is_reset_from_the_edition_the_wheel_carries(wheel, tmp_path):
    _, site = wheel
    (tmp_path / "class" / "databases").mkdir(parents=True)
    (tmp_path / "class" / "databases" / "03.db").write_text("old")
    (tmp_path / "class" / "notes.txt").write_text("mine")
    result = _run_installed(site, tmp_path, "reset", "--dir", "class", "--yes")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "class"
    for name in ("03-Users.ipynb", "rise.css", "Glossary.md"):
        assert (folder / name).read_text() == (REPO / "student" / name).read_text(), name
    assert (folder / "notes.txt").read_text() == "mine"
    assert not (folder / "databases" / "03.db").exists()


def test_installed_the_series_is_the_handed_out_edition(wheel, tmp_path):
    _, site = wheel
    code = "from courselab import grade; print(' '.join(sorted(grade.series_names())))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
                            timeout=120, check=True)
    assert result.stdout.split() == sorted(p.name for p in (REPO / "student").glob("*.ipynb"))


@pytest.mark.parametrize("args, says", [
    (("notebooks", "nav", "--verify"), "maintains a clone of the repository"),
    (("notebooks", "student"), "maintains a clone of the repository"),
    (("bench", "--grading", "1"), "not from an installed package"),
])
def test_installed_the_checkout_only_commands_say_so_in_one_line(wheel, tmp_path, args, says):
    _, site = wheel
    result = _run_installed(site, tmp_path, *args)
    lines = result.stderr.splitlines()[1:]  # the first is the package's path
    assert result.returncode == 1 and len(lines) == 1 and says in lines[0], result.stderr
    assert not (site / "student").exists() and not (site / "build").exists()


def test_from_the_checkout_the_top_level_folders_are_used():
    assert resources.migrations_dir() == REPO / "migrations"
    assert resources.data_dir() == REPO / "data"
    assert resources.answers_file() == REPO / "courselab" / "exercises.json"
    assert resources.student_dir() == REPO / "student"


def test_pip_freeze_in_the_venv_equals_the_lock():
    if Path(sys.prefix).resolve() != (REPO / ".venv").resolve():
        pytest.skip("compares the project's .venv: run the tests with .venv/bin/python")
    lock = _lock()
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout
    installed = {_normal(n): v for n, v in PIN.findall(freeze)}
    assert installed == lock, "run `make .venv/.installed` after a change to requirements.txt"
