"""Random sequences of what users and admins do never break an invariant (hypothesis).

A RuleBasedStateMachine drives a database at version 010 (fixtures loaded) through
creates, deletes, moves (an UPDATE of every foreign-key column), INSERT OR REPLACE,
upserts, renames, failed transactions and searches, and after every step asserts every
invariant of `courselab check` plus the search promise: a published course is found by
each word of its current title and description, and by no other word
(so never by a word only its old title had).

Budget: the "quick" hypothesis profile (tests/conftest.py) keeps this under ~15 s;
COURSELAB_HYPOTHESIS_PROFILE=long runs 20 times as many examples, twice as long.
"""

import sqlite3

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from courselab import checks, fixtures, migrate
from courselab.db import connect, transaction
from courselab.search import search_courses

# Made-up words that occur nowhere in data/: which course a search must find is then
# decided by the words this test put in titles and descriptions, nothing else.
TITLE_WORDS = ("quasar", "zephyr", "kumquat", "nebula", "walrus", "tundra", "fjord", "quokka")
DESCRIPTION_WORDS = ("lorem", "ipsum", "dolor", "amet")

titles = st.lists(st.sampled_from(TITLE_WORDS), min_size=1, max_size=3).map(
    lambda words: " ".join(w.capitalize() for w in words))
descriptions = st.none() | st.lists(st.sampled_from(DESCRIPTION_WORDS), min_size=1,
                                    max_size=3).map(" ".join)
picks = st.integers(min_value=0, max_value=1_000)  # an index into the live rows, wrapped
ratings = st.integers(min_value=1, max_value=5)

_template = None


def template():
    """An in-memory database at 010 with the fixtures, built once and copied per example."""
    global _template
    if _template is None:
        _template = connect(":memory:")
        migrate.migrate(_template, to="010")
        fixtures.load(_template)
    return _template


def words(text):
    """The lower-case words of a title or description (they are space-separated here)."""
    return set((text or "").lower().split())


class CourseActions(RuleBasedStateMachine):
    """What users and admins do to a course platform, in any order."""

    examples = 0
    steps = 0

    @initialize()
    def fresh_database(self):
        CourseActions.examples += 1
        self.conn = connect(":memory:")
        template().backup(self.conn)
        self.serial = 0
        self.old_title_words = {}  # course id -> words its earlier titles had

    def teardown(self):
        if hasattr(self, "conn"):
            self.conn.close()

    # -- helpers -----------------------------------------------------------------------

    def new_id(self, prefix):
        self.serial += 1
        return f"{prefix}-h{self.serial}"

    def pick(self, sql, index):
        """The index-th row (wrapped) of a one-column query, or None when it has no row."""
        rows = [row[0] for row in self.conn.execute(sql)]
        return rows[index % len(rows)] if rows else None

    def course(self, index):
        return self.pick("SELECT id FROM courses ORDER BY id", index)

    def user(self, index):
        return self.pick("SELECT id FROM users ORDER BY id", index)

    def section(self, index):
        return self.pick("SELECT id FROM sections ORDER BY id", index)

    def lesson(self, index):
        return self.pick("SELECT id FROM lessons ORDER BY id", index)

    def review(self, index):
        return self.pick("SELECT id FROM reviews ORDER BY id", index)

    def run_refused(self, sql, params, allowed=("UNIQUE",)):
        """Run a statement a constraint may refuse (a duplicate); refusal changes nothing."""
        before = self.conn.total_changes
        try:
            self.conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            assert any(reason in str(exc) for reason in allowed), exc
            assert self.conn.total_changes == before

    def key(self, table, columns, index):
        """The index-th row's key (a tuple of `columns`) of `table`, or None."""
        separator = " || '|' || "
        found = self.pick(f"SELECT {separator.join(columns)} FROM {table} "
                          f"ORDER BY {', '.join(columns)}", index)
        return None if found is None else tuple(found.split("|"))

    # -- users -------------------------------------------------------------------------

    @rule()
    def create_user(self):
        user_id = self.new_id("u")
        self.conn.execute("INSERT INTO users (id, name, email) VALUES (?, ?, ?)",
                          (user_id, "Someone", f"{user_id}@example.com"))

    @rule(i=picks)
    def delete_user(self, i):
        self.conn.execute("DELETE FROM users WHERE id = ?", (self.user(i),))

    # -- courses -----------------------------------------------------------------------

    @rule(title=titles, description=descriptions, published=st.booleans(),
          difficulty=st.sampled_from(["beginner", "intermediate", "advanced"]))
    def create_course(self, title, description, published, difficulty):
        self.conn.execute("INSERT INTO courses (id, title, description, difficulty, is_published)"
                          " VALUES (?, ?, ?, ?, ?)",
                          (self.new_id("c"), title, description, difficulty, int(published)))

    @rule(i=picks)
    def delete_course(self, i):
        self.conn.execute("DELETE FROM courses WHERE id = ?", (self.course(i),))

    @rule(i=picks, title=titles, description=descriptions)
    def replace_course(self, i, title, description):
        """INSERT OR REPLACE of an existing course: the old row and its children go."""
        course_id = self.course(i)
        if course_id is None:
            return
        self.forget_title(course_id)
        self.conn.execute("INSERT OR REPLACE INTO courses (id, title, description, is_published)"
                          " VALUES (?, ?, ?, 1)", (course_id, title, description))

    @rule(i=picks, title=titles, upsert=st.booleans())
    def rename_course(self, i, title, upsert):
        course_id = self.course(i)
        if course_id is None:
            return
        self.forget_title(course_id)
        if upsert:
            self.conn.execute("INSERT INTO courses (id, title) VALUES (?, ?) ON CONFLICT (id) "
                              "DO UPDATE SET title = excluded.title", (course_id, title))
        else:
            self.conn.execute("UPDATE courses SET title = ? WHERE id = ?", (title, course_id))

    def forget_title(self, course_id):
        (old,) = self.conn.execute("SELECT title FROM courses WHERE id = ?",
                                   (course_id,)).fetchone()
        self.old_title_words.setdefault(course_id, set()).update(words(old))

    @rule(i=picks, description=descriptions)
    def edit_description(self, i, description):
        self.conn.execute("UPDATE courses SET description = ? WHERE id = ?",
                          (description, self.course(i)))

    @rule(i=picks, published=st.booleans())
    def publish(self, i, published):
        self.conn.execute("UPDATE courses SET is_published = ? WHERE id = ?",
                          (int(published), self.course(i)))

    # -- sections and lessons ----------------------------------------------------------

    @rule(i=picks)
    def create_section(self, i):
        course_id = self.course(i)
        if course_id is not None:
            self.conn.execute("INSERT INTO sections (id, course_id, title) VALUES (?, ?, 'S')",
                              (self.new_id("s"), course_id))

    @rule(i=picks)
    def delete_section(self, i):
        self.conn.execute("DELETE FROM sections WHERE id = ?", (self.section(i),))

    @rule(i=picks, j=picks)
    def move_section(self, i, j):
        self.conn.execute("UPDATE sections SET course_id = ? WHERE id = ?",
                          (self.course(j), self.section(i)))

    @rule(i=picks, j=picks, replace=st.booleans())
    def create_lesson(self, i, j, replace):
        """A new lesson, or INSERT OR REPLACE of an existing one into a (maybe other) section."""
        section_id = self.section(i)
        if section_id is None:
            return
        lesson_id = (self.lesson(j) if replace else None) or self.new_id("l")
        self.conn.execute("INSERT OR REPLACE INTO lessons (id, section_id, title, slug) "
                          "VALUES (?, ?, 'L', 'l')", (lesson_id, section_id))

    @rule(i=picks)
    def delete_lesson(self, i):
        self.conn.execute("DELETE FROM lessons WHERE id = ?", (self.lesson(i),))

    @rule(i=picks, j=picks)
    def move_lesson(self, i, j):
        self.conn.execute("UPDATE lessons SET section_id = ? WHERE id = ?",
                          (self.section(j), self.lesson(i)))

    # -- enrollments and progress ------------------------------------------------------

    @rule(i=picks, j=picks, how=st.sampled_from(["OR IGNORE", "OR REPLACE", "upsert"]))
    def enroll(self, i, j, how):
        user_id, course_id = self.user(i), self.course(j)
        if user_id is None or course_id is None:
            return
        if how == "upsert":
            self.conn.execute("INSERT INTO enrollments (user_id, course_id) VALUES (?, ?) "
                              "ON CONFLICT (user_id, course_id) DO UPDATE SET "
                              "completed_at = '2026-06-01 00:00:00'", (user_id, course_id))
        else:
            self.conn.execute(f"INSERT {how} INTO enrollments (user_id, course_id) VALUES (?, ?)",
                              (user_id, course_id))

    @rule(i=picks)
    def unenroll(self, i):
        key = self.pick("SELECT user_id || '|' || course_id FROM enrollments "
                        "ORDER BY user_id, course_id", i)
        if key is not None:
            self.conn.execute("DELETE FROM enrollments WHERE user_id = ? AND course_id = ?",
                              key.split("|"))

    @rule(i=picks, j=picks)
    def move_enrollment(self, i, j):
        key = self.pick("SELECT user_id || '|' || course_id FROM enrollments "
                        "ORDER BY user_id, course_id", i)
        if key is not None:
            self.run_refused("UPDATE enrollments SET course_id = ? WHERE user_id = ? "
                             "AND course_id = ?", (self.course(j), *key.split("|")))

    @rule(i=picks, j=picks)
    def complete_lesson(self, i, j):
        user_id, lesson_id = self.user(i), self.lesson(j)
        if user_id is not None and lesson_id is not None:
            self.conn.execute("INSERT OR IGNORE INTO progress (user_id, lesson_id) VALUES (?, ?)",
                              (user_id, lesson_id))

    # -- reviews -----------------------------------------------------------------------

    @rule(i=picks, j=picks, rating=ratings,
          how=st.sampled_from(["INSERT", "INSERT OR REPLACE", "upsert"]))
    def write_review(self, i, j, rating, how):
        """Plain insert (refused if the user reviewed already), replace, or upsert."""
        user_id, course_id = self.user(i), self.course(j)
        if user_id is None or course_id is None:
            return
        values = (self.new_id("r"), user_id, course_id, rating)
        sql = "INTO reviews (id, user_id, course_id, rating) VALUES (?, ?, ?, ?)"
        if how == "upsert":
            self.conn.execute(f"INSERT {sql} ON CONFLICT (user_id, course_id) DO UPDATE SET "
                              "rating = excluded.rating", values)
        else:
            self.run_refused(f"{how} {sql}", values)

    @rule(i=picks, rating=ratings)
    def edit_review(self, i, rating):
        self.conn.execute("UPDATE reviews SET rating = ? WHERE id = ?", (rating, self.review(i)))

    @rule(i=picks, j=picks)
    def move_review(self, i, j):
        self.run_refused("UPDATE reviews SET course_id = ? WHERE id = ?",
                         (self.course(j), self.review(i)))

    @rule(i=picks)
    def delete_review(self, i):
        self.conn.execute("DELETE FROM reviews WHERE id = ?", (self.review(i),))

    @rule(i=picks, j=picks)
    def failed_transaction(self, i, j):
        """Enroll and review with rating 9 in one transaction: the CHECK undoes both."""
        user_id, course_id = self.user(i), self.course(j)
        if user_id is None or course_id is None:
            return
        try:
            with transaction(self.conn):
                self.conn.execute("DELETE FROM enrollments WHERE user_id = ? AND course_id = ?",
                                  (user_id, course_id))
                self.conn.execute("DELETE FROM reviews WHERE user_id = ? AND course_id = ?",
                                  (user_id, course_id))
                self.conn.execute("INSERT INTO enrollments (user_id, course_id) VALUES (?, ?)",
                                  (user_id, course_id))
                self.conn.execute("INSERT INTO reviews (id, user_id, course_id, rating) "
                                  "VALUES (?, ?, ?, 9)", (self.new_id("r"), user_id, course_id))
        except sqlite3.IntegrityError as exc:
            assert "CHECK" in str(exc), exc
        else:
            raise AssertionError("a rating of 9 was accepted")

    # -- updates of foreign-key columns ------------------------------------------------
    # Moves not covered above: the other foreign key of each junction table, the key of a
    # parent row with children (no ON UPDATE CASCADE: refused), and courses' rowid.

    @rule(i=picks, j=picks)
    def move_enrollment_to_another_user(self, i, j):
        key, user_id = self.key("enrollments", ("user_id", "course_id"), i), self.user(j)
        if key is not None and user_id is not None:
            self.run_refused("UPDATE enrollments SET user_id = ? WHERE user_id = ? "
                             "AND course_id = ?", (user_id, *key))

    @rule(i=picks, j=picks, column=st.sampled_from(["lesson_id", "user_id"]))
    def move_progress(self, i, j, column):
        key = self.key("progress", ("user_id", "lesson_id"), i)
        target = self.lesson(j) if column == "lesson_id" else self.user(j)
        if key is not None and target is not None:
            self.run_refused(f"UPDATE progress SET {column} = ? WHERE user_id = ? "
                             "AND lesson_id = ?", (target, *key))

    @rule(i=picks, j=picks)
    def move_review_to_another_user(self, i, j):
        review_id, user_id = self.review(i), self.user(j)
        if review_id is not None and user_id is not None:
            self.run_refused("UPDATE reviews SET user_id = ? WHERE id = ?", (user_id, review_id))

    @rule(i=picks, j=picks, column=st.sampled_from(["course_id", "tag_id"]))
    def move_course_tag(self, i, j, column):
        key = self.key("course_tags", ("course_id", "tag_id"), i)
        target = self.course(j) if column == "course_id" else self.pick(
            "SELECT id FROM tags ORDER BY id", j)
        if key is not None and target is not None:
            self.run_refused(f"UPDATE course_tags SET {column} = ? WHERE course_id = ? "
                             "AND tag_id = ?", (target, *key))

    @rule(i=picks, table=st.sampled_from(["courses", "sections", "lessons", "users"]))
    def rekey_a_parent(self, i, table):
        """A new id for a row: accepted without children, refused (foreign key) with them."""
        row_id = self.pick(f"SELECT id FROM {table} ORDER BY id", i)
        if row_id is not None:
            self.run_refused(f"UPDATE {table} SET id = ? WHERE id = ?",
                             (self.new_id(table[0]), row_id), allowed=("FOREIGN KEY",))

    @rule(i=picks)
    def renumber_a_course_rowid(self, i):
        """courses.rowid is what courses_fts points at: 010's update trigger follows it."""
        self.conn.execute("UPDATE courses SET rowid = (SELECT MAX(rowid) + 1 FROM courses) "
                          "WHERE id = ?", (self.course(i),))

    # -- search ------------------------------------------------------------------------

    @rule(text=st.text(max_size=40) | st.sampled_from(TITLE_WORDS + DESCRIPTION_WORDS))
    def search(self, text):
        published = {row[0] for row in self.conn.execute(
            "SELECT id FROM courses WHERE is_published = 1")}
        found = {row["id"] for row in search_courses(self.conn, text, limit=10_000)}
        assert found <= published

    # -- invariants --------------------------------------------------------------------

    @invariant()
    def every_check_passes(self):
        CourseActions.steps += 1
        broken = [(r.name, r.problems) for r in checks.run_checks(self.conn) if not r.ok]
        assert not broken, broken

    @invariant()
    def search_finds_exactly_the_current_words(self):
        courses = self.conn.execute(
            "SELECT id, title, description FROM courses WHERE is_published = 1").fetchall()
        for word in TITLE_WORDS + DESCRIPTION_WORDS:
            found = {row["id"] for row in search_courses(self.conn, word, limit=10_000)}
            expected = {c["id"] for c in courses
                        if word in words(c["title"]) | words(c["description"])}
            assert found == expected, (word, found ^ expected)
            stale = {c["id"] for c in courses
                     if word in self.old_title_words.get(c["id"], set()) - words(c["title"])
                     - words(c["description"])}
            assert not found & stale, f"found by {word!r}, a word only an old title had"


def test_random_user_and_admin_actions_keep_every_invariant():
    before = CourseActions.examples
    run_state_machine_as_test(CourseActions, settings=settings())
    run = CourseActions.examples - before
    print(f"{run} examples, {CourseActions.steps} invariant rounds")
    assert run >= min(settings().max_examples, 10)
