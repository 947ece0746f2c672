"""`make browse`: real Datasette and sqlite-utils from .venv-browse on a fixture database.

Datasette is started on a free loopback port with the configuration `make browse` uses, and
asked over HTTP. Needs .venv-browse (`make browse-env`; set-up builds it): skipped without it,
failed without it when CI is set (CI=true).
"""

import html
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import REPO

BROWSE_BIN = REPO / ".venv-browse" / "bin"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A fixture database at the latest migration, as `make db` builds it."""
    if not (BROWSE_BIN / "datasette").exists():
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            "no .venv-browse: run `make browse-env`")
    from courselab import fixtures, migrate
    from courselab.db import connect

    path = tmp_path_factory.mktemp("browse") / "courselab.db"
    with connect(path) as conn:
        migrate.migrate(conn)
        fixtures.load(conn)
    conn.close()
    return path


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(database):
    """Base URL of a running Datasette serving `database` as `make browse` does."""
    log = database.parent / "datasette.log"
    for _attempt in range(3):  # the free port can be taken before the server binds it
        port = _free_port()
        with open(log, "w") as out:  # a file, not a pipe nobody reads while it runs
            server = subprocess.Popen(
                [BROWSE_BIN / "datasette", "serve", database, "--metadata",
                 "browse/metadata.yml", "--plugins-dir", "browse/plugins",
                 "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO, stdout=subprocess.DEVNULL, stderr=out)
        base = f"http://127.0.0.1:{port}"
        if _answers(server, base + "/-/versions.json"):
            break
        server.terminate()
        server.wait(timeout=10)
    else:
        pytest.fail(f"datasette did not start: {log.read_text()[-300:]}")
    try:
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def _answers(server, url):
    """True once the server answers `url`; False if it ended first or took 30 s."""
    for _ in range(300):
        if server.poll() is not None:
            return False
        try:
            urllib.request.urlopen(url, timeout=2)
            return True
        except OSError:
            time.sleep(0.1)
    return False


def _get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def _fts_ids(database, query):
    import sqlite3

    with sqlite3.connect(database) as conn:
        return sorted(r[0] for r in conn.execute(
            "SELECT c.id FROM courses_fts JOIN courses c ON c.rowid = courses_fts.rowid "
            "WHERE courses_fts MATCH ?", (query,)))


def test_the_courses_page_has_a_search_box_that_searches_the_full_text_index(site, database):
    page = _get(f"{site}/courselab/courses?_search=sql")
    assert re.search(r'<input[^>]*name="_search"[^>]*value="sql"', page)
    rows = json.loads(_get(f"{site}/courselab/courses.json?_search=sql&_shape=array"))
    assert sorted(r["id"] for r in rows) == _fts_ids(database, "sql") != []


def test_a_word_only_in_a_description_is_found_through_the_index(site, database):
    import sqlite3

    with sqlite3.connect(database) as conn:
        title, description = conn.execute(
            "SELECT title, description FROM courses WHERE description <> '' LIMIT 1").fetchone()
    word = next(w for w in re.findall(r"[A-Za-z]{5,}", description)
                if w.lower() not in title.lower())
    rows = json.loads(_get(f"{site}/courselab/courses.json?_search={word}&_shape=array"))
    assert sorted(r["id"] for r in rows) == _fts_ids(database, word) != []


def test_the_courses_page_offers_facets(site):
    data = json.loads(_get(f"{site}/courselab/courses.json"))
    assert {"difficulty", "is_published"} <= set(data["facet_results"])


def test_every_foreign_key_link_on_the_enrollments_page_opens_its_row(site):
    page = _get(f"{site}/courselab/enrollments")
    links = {html.unescape(h) for h in re.findall(r'<td class="col-\w+_id[^"]*"><a href="([^"]+)"',
                                                  page)}
    assert any("/courselab/courses" in link for link in links)
    assert any("/courselab/users" in link for link in links)
    for link in links:
        path, _, query = link.partition("?")
        try:
            rows = json.loads(_get(f"{site}{path}.json?_shape=array&{query}"))
        except urllib.error.HTTPError as exc:
            pytest.fail(f"{link}: {exc.code}")
        assert len(rows) == 1, link



def _sqlite_utils_search(database, text):
    return subprocess.run([BROWSE_BIN / "sqlite-utils", "search", database, "courses", text],
                          capture_output=True, text=True, timeout=60)


def test_sqlite_utils_search_finds_courses_through_the_full_text_index(database):
    found = _sqlite_utils_search(database, "sql")
    assert found.returncode == 0, found.stderr
    assert sorted(r["id"] for r in json.loads(found.stdout)) == _fts_ids(database, "sql") != []


def test_sqlite_utils_finds_no_index_as_010_declared_it(database, tmp_path):
    # why 018 exists: 010's `content=courses` is not what sqlite-utils looks for
    import shutil

    from courselab import migrate
    from courselab.db import connect

    copy = tmp_path / "at017.db"
    shutil.copy(database, copy)
    with connect(copy) as conn:
        migrate.rollback(conn, to="017")
    conn.close()
    found = _sqlite_utils_search(copy, "sql")
    assert found.returncode != 0 and "not configured for full-text search" in found.stderr


def test_a_course_page_counts_and_links_what_references_it_by_its_id(site, database):
    import sqlite3

    with sqlite3.connect(database) as conn:
        rowid, = conn.execute("SELECT rowid FROM courses WHERE id = 'c-sql'").fetchone()
        expected = {t: conn.execute(f"SELECT COUNT(*) FROM {t} WHERE course_id = 'c-sql'"
                                    ).fetchone()[0]
                    for t in ("sections", "course_tags", "enrollments", "reviews")}
    page = html.unescape(_get(f"{site}/courselab/courses/{rowid}"))
    for table, count in expected.items():
        assert count > 0
        assert re.search(rf'<a href="/courselab/{table}\?course_id=c-sql">\s*{count} rows?</a>'
                         rf"\s*from course_id in {table}", page), table
