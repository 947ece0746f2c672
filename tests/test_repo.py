"""Meta-tests: the migrations, schema.sql and notebooks stay consistent with the code."""

import json
import re
import subprocess
import sys

import pytest

from courselab import migrate
from courselab.cli import main
from tests.conftest import REPO

MIGRATIONS = migrate.discover()
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda m: m.up.name)
def test_each_migration_file_explains_itself_and_records_its_version(migration):
    text = migration.up.read_text()
    assert text.startswith(f"-- {migration.up.name}\n"), "first line names the file"
    assert re.search(r"^-- (Adds|Why|Requires):", text, re.MULTILINE)
    assert f"VALUES ('{migration.version}', '{migration.name}')" in text
    assert re.search(r"^BEGIN;$", text, re.MULTILINE) and text.rstrip().endswith("COMMIT;")


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda m: m.up.name)
def test_each_migration_has_a_down_file_that_removes_its_record(migration):
    assert migration.down is not None, f"{migration.up.name} has no down file"
    text = migration.down.read_text()
    assert f"DELETE FROM schema_migrations WHERE version = '{migration.version}'" in text


def test_migration_versions_run_from_001_without_gaps():
    assert [m.version for m in MIGRATIONS] == [f"{i:03d}" for i in range(1, len(MIGRATIONS) + 1)]


def test_committed_schema_sql_is_up_to_date():
    current = subprocess.run([sys.executable, "-m", "courselab", "schema"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout
    assert (REPO / "schema.sql").read_text() == current, "schema.sql is stale: run `make schema`"


def load(path):
    return json.loads(path.read_text())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_name_matches_its_single_title(path):
    match = re.fullmatch(r"(\d\d)-([A-Za-z0-9-]+)\.ipynb", path.name)
    assert match, f"{path.name} is not NN-Title-With-Dashes.ipynb"
    titles = [line[2:].strip() for cell in load(path)["cells"] if cell["cell_type"] == "markdown"
              for line in "".join(cell["source"]).splitlines() if line.startswith("# ")]
    assert len(titles) == 1
    assert re.sub(r"[^A-Za-z0-9]+", "-", titles[0]).strip("-").lower() == match.group(2).lower()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_executed_with_deterministic_outputs(path):
    for cell in load(path)["cells"]:
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        assert cell["execution_count"] is not None, "a code cell was never run"
        tags = cell.get("metadata", {}).get("tags", [])
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                assert "raises-exception" in tags, f"unexpected error {output['ename']}"
            text = json.dumps(output)
            assert str(REPO) not in text and "/tmp/" not in text, "an absolute path in an output"
            assert not re.search(r"0x[0-9a-f]{6,}", text), "an object address in an output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_stored_as_nbformat_writes_it(path):
    import nbformat

    # so that `make notebooks` on an unchanged notebook leaves it byte for byte as it is
    text = path.read_text(encoding="utf-8")
    assert text.rstrip("\n") == nbformat.writes(nbformat.read(path, as_version=4)).rstrip("\n")


def test_notebook_navigation_is_up_to_date(capsys):
    status = main(["notebooks", "nav", "--verify"])
    assert status == 0, capsys.readouterr().err


def test_every_migration_is_applied_by_a_notebook():
    text = "\n".join(path.read_text() for path in NOTEBOOKS)
    missing = [m.up.name for m in MIGRATIONS
               if not re.search(rf"to=\\\\?\"{m.version}\\\\?\"", text)]
    assert missing == []


PACKAGE = sorted((REPO / "courselab").glob("*.py"))


@pytest.mark.parametrize("module", PACKAGE, ids=lambda p: p.name)
def test_each_module_stays_small_enough_to_read_in_one_sitting(module):
    lines = module.read_text(encoding="utf-8").count("\n")
    assert lines <= 300, f"{module.name} has {lines} lines; split it by concern"


def _users_of_the_package():
    """The text of everything that may import a module: the package, the notebooks, the Makefile."""
    return {p: p.read_text(encoding="utf-8") for p in [*PACKAGE, *NOTEBOOKS, REPO / "Makefile"]}


@pytest.mark.parametrize("module", [p for p in PACKAGE if p.stem not in ("__init__", "__main__")],
                         ids=lambda p: p.name)
def test_each_module_is_imported_by_a_module_a_notebook_or_the_makefile(module):
    # a module nobody imports is dead code (cli is the entry point that pyproject names)
    pattern = re.compile(rf"(from \.|from courselab|import courselab\.)[\w.]*\b{module.stem}\b"
                         rf"|from (\.|courselab) import [\w, ()\\n]*\b{module.stem}\b")
    users = [p for p, text in _users_of_the_package().items()
             if p != module and pattern.search(text)]
    assert module.stem == "cli" or users, f"{module.name} is imported by no module or notebook"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.name[:2].isdigit()],
                         ids=lambda p: p.name)
def test_each_notebook_states_its_time_in_minutes_in_its_introduction(path):
    intro = json.loads(path.read_text())["cells"][1]
    assert re.search(r"About \d+ minutes", "".join(intro["source"])), \
        f"{path.name}: its introduction says no 'About N minutes'"


def test_start_here_lists_every_notebook_with_the_time_its_introduction_states():
    start = "".join("".join(c["source"]) for c in json.loads(
        (REPO / "notebooks" / "00-Start-Here.ipynb").read_text())["cells"])
    listed = {}
    for numbers, minutes in re.findall(r"^\| ([\d ·]+) \|[^|\n]*\| ([\d ·]+) \|$", start, re.M):
        times = [int(m) for m in minutes.split(" · ")]
        listed.update(zip(numbers.split(" · "), times, strict=True))
    stated = {p.name[:2]: int(re.search(r"About (\d+) minutes", "".join(
        json.loads(p.read_text())["cells"][1]["source"])).group(1))
        for p in NOTEBOOKS if p.name[:2].isdigit()}
    assert listed == stated


@pytest.mark.parametrize("edition", ["nope", ""])
def test_make_lab_with_an_unknown_edition_stops_first_in_one_line(edition):
    result = subprocess.run(["make", "--no-print-directory", "lab", f"EDITION={edition}"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.splitlines()[0] == (
        f"make lab: EDITION={edition} is not an edition: use EDITION=student (the default) or "
        "EDITION=notebooks")
