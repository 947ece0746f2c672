"""Course search: published courses only, ranked, safe for any text."""

import pytest

from courselab.search import search_courses, to_match_query


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
