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
    for name in ("courselab", "migrations", "data"):
        shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
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


def test_the_wheel_declares_what_the_command_line_imports(wheel):
    built, _ = wheel
    required = {_normal(r.name) for r in _requires(built) if r.marker is None}
    assert required == {"faker", "nbformat", "tqdm"}


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


def test_from_the_checkout_the_top_level_folders_are_used():
    assert resources.migrations_dir() == REPO / "migrations"
    assert resources.data_dir() == REPO / "data"
    assert resources.answers_file() == REPO / "courselab" / "exercises.json"


def test_pip_freeze_in_the_venv_equals_the_lock():
    if Path(sys.prefix).resolve() != (REPO / ".venv").resolve():
        pytest.skip("compares the project's .venv: run the tests with .venv/bin/python")
    lock = _lock()
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all", "--exclude-editable"],
                            capture_output=True, text=True, check=True).stdout
    installed = {_normal(n): v for n, v in PIN.findall(freeze)}
    assert installed == lock, "run `make .venv/.installed` after a change to requirements.txt"
