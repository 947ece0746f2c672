"""Course search: published courses only, ranked, safe for any text."""

import unicodedata

import pytest

from courselab import checks
from courselab.search import search_courses, to_match_query, words


def ids(rows):
    return [r["id"] for r in rows]


def test_search_finds_a_course_by_a_word_of_its_title(db):
    assert ids(search_courses(db, "Fundamentals")) == ["c-sql"]


def test_search_is_case_insensitive_and_needs_every_word(db):
    assert ids(search_courses(db, "QUERY plans")) == ["c-perf"]
    assert ids(search_courses(db, "query pandas")) == []


def test_search_never_returns_unpublished_courses(db):
    assert ids(search_courses(db, "document")) == []
    db.execute("UPDATE courses SET is_published = 1 WHERE id = 'c-nosql'")
    assert ids(search_courses(db, "document")) == ["c-nosql"]


def test_search_ranks_the_better_match_first(db):
    # "database" is in c-design's short title and in c-python's longer description.
    assert ids(search_courses(db, "database"))[0] == "c-design"


@pytest.mark.parametrize("text", ["", "   ", "***", '"', "()", None])
def test_empty_or_punctuation_only_text_finds_nothing(db, text):
    assert search_courses(db, text) == []


@pytest.mark.parametrize("text", ['c++', '"unbalanced', "AND", "NEAR(", "title:sql", "sql*",
                                  "^sql", "a OR", "NOT sql", "-sql", "sql'; DROP TABLE courses;--"])
def test_operator_characters_in_user_text_are_never_syntax(db, text):
    search_courses(db, text)
    assert db.execute("SELECT COUNT(*) FROM courses").fetchone()[0] == 5


def test_match_query_quotes_each_word():
    assert to_match_query('NEAR( "c++ title:SQL') == '"NEAR" "c" "title" "SQL"'
    assert to_match_query("!!") is None


def add_course(conn, course_id, title, description="Plain words."):
    conn.execute("INSERT INTO courses (id, title, description, is_published) VALUES (?, ?, ?, 1)",
                 (course_id, title, description))


@pytest.mark.parametrize("title, text", [
    ("Rust\U0001F980 for beginners", "Rust\U0001F980 beginners"),       # emoji glued to a word
    ("Rust\U0001F980 for beginners", "beginners"),
    ("Melting\U0001FAE0point", "melting\U0001FAE0point"),             # emoji newer than 6.1
    ("Glyph\ue000mark studies", "glyph\ue000mark"),                    # private use (Co)
    (unicodedata.normalize("NFD", "résumé writing"), "résumé"),       # NFD title, NFC text
    (unicodedata.normalize("NFD", "résumé writing"), unicodedata.normalize("NFD", "résumé")),
    ("résumé writing", unicodedata.normalize("NFD", "résumé")),       # NFC title, NFD text
    (unicodedata.normalize("NFD", "Việt history"), "Việt"),           # two marks on one letter
    ("Việt history", unicodedata.normalize("NFD", "Việt")),
    ("日本語 テキスト", "テキスト"),
])
def test_search_splits_text_where_the_fts5_tokenizer_does(db, title, text):
    add_course(db, "c-new", title)
    assert ids(search_courses(db, text)) == ["c-new"]


@pytest.mark.parametrize("text, found", [
    ('"Rust\U0001F980', True), ("Rust\U0001F980*", True), ("- beginners", True),
    ("(Rust\U0001F980) ^beginners", True), ("title:Rust\U0001F980", False),
    ("NEAR(Rust\U0001F980 beginners, 2)", False), ("{title}: beginners", False),
    ("beginners AND NOT", False), ("Rust\U0001F980 OR", False),
])
def test_raw_user_text_around_new_words_is_never_syntax(db, text, found):
    # Operator words (title, NEAR, AND, OR...) are words to find like any other.
    add_course(db, "c-new", "Rust\U0001F980 for beginners")
    assert ("c-new" in ids(search_courses(db, text))) is found


def test_the_words_are_what_sqlite_indexes_not_what_a_regex_sees():
    # Python's \w splits 'a\ue000b' (private use) and drops the combining mark of an NFD e.
    assert words("a\ue000b c_d") == ["a\ue000b", "c", "d"]
    assert words(unicodedata.normalize("NFD", "résumé")) == ["résumé"]


def test_an_accented_word_among_others_is_a_valid_query(db):
    add_course(db, "c-new", unicodedata.normalize("NFD", "Résumé writing for café owners"))
    assert ids(search_courses(db, "writing résumé café")) == ["c-new"]
    assert checks.fts_problems(db) == []


FTS_SQL = "SELECT sql FROM sqlite_master WHERE name = 'courses_fts'"


def test_018_declares_the_index_content_quoted_and_its_rollback_as_010_wrote_it(db):
    from courselab import migrate

    assert 'content="courses"' in db.execute(FTS_SQL).fetchone()[0]
    found = ids(search_courses(db, "sql"))
    migrate.rollback(db, to="017")
    assert "content=courses," in db.execute(FTS_SQL).fetchone()[0]
    assert ids(search_courses(db, "sql")) == found != []
    migrate.migrate(db)
    assert ids(search_courses(db, "sql")) == found
    assert [r.name for r in checks.run_checks(db) if not r.ok] == []


def test_the_index_018_declares_again_follows_every_change_to_courses(db):
    db.execute("UPDATE courses SET title = 'Quantum basics' WHERE id = 'c-sql'")
    assert ids(search_courses(db, "quantum")) == ["c-sql"]
    assert "c-sql" not in ids(search_courses(db, "fundamentals"))
    db.execute("DELETE FROM courses WHERE id = 'c-sql'")
    assert ids(search_courses(db, "quantum")) == []


def test_020_folds_a_letter_with_two_accents_in_either_form_and_its_rollback_does_not(make_db):
    from courselab import migrate

    db = make_db(to="019")
    for form in ("NFC", "NFD"):
        add_course(db, f"c-{form}", unicodedata.normalize(form, "Việt Nam for travellers"))
    assert ids(search_courses(db, "viet")) == ["c-NFD"]  # unicode61's default: NFD only
    migrate.migrate(db, to="020")
    assert 'tokenize="unicode61 remove_diacritics 2"' in db.execute(FTS_SQL).fetchone()[0]
    assert sorted(ids(search_courses(db, "viet"))) == ["c-NFC", "c-NFD"]
    assert sorted(ids(search_courses(db, "Việt"))) == ["c-NFC", "c-NFD"]
    assert ids(search_courses(db, "sql")) == ["c-sql"]
    assert [r.name for r in checks.run_checks(db) if not r.ok] == []
    migrate.rollback(db, to="019")
    assert ids(search_courses(db, "viet")) == ["c-NFD"]
    assert [r.name for r in checks.run_checks(db) if not r.ok] == []
