"""Search on PostgreSQL finds what SQLite's finds, accents and paths included (migration 020).

Each case stores the same course on both engines, composed (NFC) and decomposed (NFD, as
pasted on macOS), and asks both engines the same text in both forms.
"""

import unicodedata

import pytest

from courselab import pg_data, postgres
from courselab.search import search_courses

TEXTS = {
    "c-cafe": ("Café owners", "Résumé writing for a naïve señor in São Paulo or Zürich"),
    "c-paths": ("Packaging", "Edit docs/setup.py, read query.plans, host db.example.com, "
                             "mail me@host.org, keep my_var, pi is 3.14, don't panic"),
    "c-kept": ("Straße Æsir Łódź", "Letters without a decomposition keep their shape"),
    "c-viet": ("Việt Nam", "Hà Nội, Đà Nẵng: letters with two accents"),
}
SAME_ON_BOTH = ["cafe", "CAFÉ", "café", "resume", "Résumé", "naive", "senor", "sao paulo",
                "zurich", "setup", "py", "docs/setup.py", "plans", "query.plans", "example",
                "db.example.com", "host", "org", "my", "var", "my_var", "14", "3.14", "don",
                "t", "straße", "strasse", "æsir", "aesir", "łódź", "lodz", "Łodz", "viet", "việt",
                "ha noi", "da nang", "đa nang"]


def _add(conn, course_id, title, description, on_postgres):
    sql = ("INSERT INTO courses (id, title, description, is_published) VALUES (?, ?, ?, 1)")
    conn.execute(sql.replace("?", "%s") if on_postgres else sql, (course_id, title, description))


@pytest.fixture
def both(loaded, db):
    """(PostgreSQL, SQLite) at the newest version, each with TEXTS stored NFC and NFD."""
    for form in ("NFC", "NFD"):
        for course_id, texts in TEXTS.items():
            title, description = (unicodedata.normalize(form, t) for t in texts)
            _add(loaded, f"{course_id}-{form}", title, description, True)
            _add(db, f"{course_id}-{form}", title, description, False)
    return loaded, db


def _found(pg, sqlite, text):
    return ({row[0] for row in pg_data.search_courses(pg, text, 100)},
            {row["id"] for row in search_courses(sqlite, text, 100)})


@pytest.mark.parametrize("form", ["NFC", "NFD"])
@pytest.mark.parametrize("text", SAME_ON_BOTH)
def test_accents_and_paths_find_the_same_courses_on_both_engines(both, text, form):
    on_postgres, on_sqlite = _found(*both, unicodedata.normalize(form, text))
    assert on_postgres == on_sqlite


@pytest.mark.parametrize("text, course", [("cafe", "c-cafe"), ("Café", "c-cafe"),
                                          ("resume", "c-cafe"), ("setup", "c-paths"),
                                          ("example", "c-paths"), ("straße", "c-kept")])
def test_a_word_is_found_with_or_without_its_accents_and_by_the_parts_of_a_path(both, text,
                                                                                course):
    on_postgres, _ = _found(*both, text)
    assert on_postgres == {f"{course}-NFC", f"{course}-NFD"}


def test_a_greek_accent_is_folded_in_both_forms_where_sqlite_folds_one(both):
    pg, sqlite = both
    for form in ("NFC", "NFD"):
        _add(pg, f"c-new-{form}", unicodedata.normalize(form, "Ωμέγα"), "", True)
        _add(sqlite, f"c-new-{form}", unicodedata.normalize(form, "Ωμέγα"), "", False)
    on_postgres, on_sqlite = _found(pg, sqlite, "ωμεγα")
    assert on_postgres == {"c-new-NFC", "c-new-NFD"}
    assert on_sqlite == {"c-new-NFD"}  # the difference PostgreSQL's 020 names in its header


def test_020_refolds_the_rows_already_there_and_its_rollback_gives_010s_column_back(
        make_pg_url):
    conn = postgres.connect(make_pg_url(to="019", load=True))
    _add(conn, "c-cafe", "Café owners", "Edit docs/setup.py before class", True)
    assert pg_data.search_courses(conn, "cafe") == []  # 010's column keeps the accent
    assert pg_data.search_courses(conn, "setup") == []  # and reads docs/setup.py as one word
    postgres.migrate_up(conn, to="020")
    assert [row[0] for row in pg_data.search_courses(conn, "cafe")] == ["c-cafe"]
    assert [row[0] for row in pg_data.search_courses(conn, "setup")] == ["c-cafe"]
    assert [r.name for r in pg_data.run_checks(conn) if not r.ok] == []
    postgres.rollback(conn, to="019")
    assert pg_data.search_courses(conn, "cafe") == []
    assert [row[0] for row in pg_data.search_courses(conn, "café")] == ["c-cafe"]
    assert [r.name for r in pg_data.run_checks(conn) if not r.ok] == []
    conn.close()


def test_check_compares_the_search_column_with_what_020_computes(loaded):
    loaded.execute("CREATE OR REPLACE FUNCTION search_text(t TEXT) RETURNS TEXT LANGUAGE sql "
                   "IMMUTABLE STRICT AS $$ SELECT t $$")  # edited in place: rows keep 020's words
    problems = {r.name: r.problems for r in pg_data.run_checks(loaded)}
    assert "course c-perf: search column does not match its text" in problems[
        "search index matches courses"]
    assert "function search_text differs from its migration" in problems[
        "schema matches the applied migrations"]


def test_notebook_24_shows_each_engines_020_and_says_when_one_changes_nothing(capsys):
    from courselab import pg_notebook

    pg_notebook.show_dialects("020")
    sqlite, postgresql = capsys.readouterr().out.split("-- PostgreSQL")
    assert 'tokenize="unicode61 remove_diacritics 2"' in sqlite
    assert "GENERATED ALWAYS AS (course_search(title, description))" in postgresql
    pg_notebook.show_dialects("018")
    sqlite, postgresql = capsys.readouterr().out.split("-- PostgreSQL")
    assert 'content="courses"' in sqlite
    assert "-- nothing to change: only the version is recorded" in postgresql
    assert "CREATE" not in postgresql
