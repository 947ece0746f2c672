"""Design-first probes: the project's own migration passes, common flawed designs are named."""

import re

import pytest

from courselab import exercises, migrate, probes, workbook
from courselab.errors import ExerciseError
from courselab.exercises import Answer


def design_of(version):
    """A migration's statements as a student would write them: no BEGIN, COMMIT or record."""
    text = workbook.migration_source(version)
    text = re.sub(r"^\s*(BEGIN|COMMIT);\s*$", "", text, flags=re.MULTILINE)
    return re.sub(r"^INSERT INTO schema_migrations.*$", "", text, flags=re.MULTILINE)


def without(text, pattern):
    changed = re.sub(pattern, "", text, flags=re.IGNORECASE | re.DOTALL)
    assert changed != text, f"the reference design has no {pattern!r} to take out"
    return changed


@pytest.fixture
def student_db(make_db, tmp_path):
    """Factory: the database of notebook NN at `before`, with a student's design applied."""
    def make(before, design):
        (tmp_path / "databases").mkdir(exist_ok=True)  # where workbook.start puts it
        conn = make_db(to=before, name="databases/18")
        conn.executescript(design)
        return tmp_path / "databases" / "18.db"
    return make


PREREQUISITES = design_of("011")
BOOKMARKS = design_of("014")
TRIGGERS = r"CREATE\s+TRIGGER.*?\bEND\s*;"


@pytest.mark.parametrize("design, flaw", [
    (PREREQUISITES, None),
    (without(PREREQUISITES, r"ON DELETE CASCADE"), "a course that other courses require cannot "
                                                    "be deleted"),
    (without(PREREQUISITES, TRIGGERS), "a cycle of two courses is accepted"),
    (without(PREREQUISITES, r",\s*CONSTRAINT no_self_prerequisite CHECK \([^)]*\)"),
     "a course can still require itself"),
    (PREREQUISITES.replace("PRIMARY KEY (course_id, prerequisite_id),", ""),
     "the same prerequisite can be recorded twice for a course"),
    ("CREATE TABLE course_prerequisites (course_id TEXT, prerequisite_id TEXT);",
     "a course can still require itself"),
])
def test_prerequisites_probe_passes_the_reference_and_names_the_first_flaw(student_db, design,
                                                                           flaw):
    path = student_db("010", design)
    found = probes.first_flaw("prerequisites", path)
    assert found == flaw if flaw is None else found.startswith(flaw), found


def test_prerequisites_probe_refuses_a_cycle_check_that_only_looks_one_step_down(student_db):
    one_step = without(PREREQUISITES, TRIGGERS) + """
        CREATE TRIGGER no_two_cycle BEFORE INSERT ON course_prerequisites
        WHEN EXISTS (SELECT 1 FROM course_prerequisites
                     WHERE course_id = NEW.prerequisite_id AND prerequisite_id = NEW.course_id)
        BEGIN SELECT RAISE(ABORT, 'cycle'); END;"""
    found = probes.first_flaw("prerequisites", student_db("010", one_step))
    assert found.startswith("a cycle of four courses is accepted")


def test_prerequisites_probe_refuses_a_check_that_forbids_shortcuts(student_db):
    no_shortcuts = without(PREREQUISITES, TRIGGERS) + """
        CREATE TRIGGER no_reuse BEFORE INSERT ON course_prerequisites
        WHEN EXISTS (WITH RECURSIVE below(id) AS (SELECT NEW.prerequisite_id UNION
                     SELECT cp.prerequisite_id FROM course_prerequisites cp
                     JOIN below ON cp.course_id = below.id)
                     SELECT 1 FROM below WHERE id = NEW.course_id)
          OR EXISTS (WITH RECURSIVE below(id) AS (SELECT NEW.course_id UNION
                     SELECT cp.prerequisite_id FROM course_prerequisites cp
                     JOIN below ON cp.course_id = below.id)
                     SELECT 1 FROM below WHERE id = NEW.prerequisite_id)
        BEGIN SELECT RAISE(ABORT, 'no'); END;"""
    found = probes.first_flaw("prerequisites", student_db("010", no_shortcuts))
    assert found.startswith("a shortcut is refused")


@pytest.mark.parametrize("design, flaw", [
    (BOOKMARKS, None),
    (without(BOOKMARKS, r"(?<=REFERENCES lessons\(id\)) ON DELETE CASCADE"),
     "a lesson that has bookmarks cannot be deleted"),
    (without(BOOKMARKS, r"(?<=REFERENCES users\(id\))   ON DELETE CASCADE"),
     "a user who has bookmarks cannot be deleted"),
    (without(BOOKMARKS, r"DEFAULT \(datetime\('now'\)\)"),
     "a bookmark with only its user and lesson is refused"),
    (without(BOOKMARKS, r"NOT NULL DEFAULT \(datetime\('now'\)\)"),
     "created_at is not filled in by the database"),
    (BOOKMARKS.replace("PRIMARY KEY (user_id, lesson_id),", "id INTEGER UNIQUE,"),
     "a user can bookmark the same lesson twice"),
    ("CREATE TABLE bookmarks (user_id TEXT, lesson_id TEXT, created_at TEXT "
     "DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (user_id, lesson_id));",
     "a bookmark can point at a lesson that does not exist"),
    ("CREATE TABLE bookmarks (user_id TEXT, lesson_id TEXT);",
     "bookmarks has no column created_at"),
    ("", "there is no table bookmarks yet"),
])
def test_bookmarks_probe_passes_the_reference_and_names_the_first_flaw(student_db, design, flaw):
    path = student_db("013", design)
    found = probes.first_flaw("bookmarks", path)
    assert found == flaw if flaw is None else found.startswith(flaw), found


def test_a_probe_works_on_a_copy_and_leaves_the_students_database_as_it_was(student_db):
    path = student_db("010", PREREQUISITES)
    before = path.read_bytes()
    assert probes.first_flaw("prerequisites", path) is None
    assert path.read_bytes() == before


def test_check_of_a_design_exercise_says_right_or_names_the_flaw(student_db, tmp_path,
                                                                 monkeypatch):
    monkeypatch.chdir(tmp_path)
    student_db("010", without(PREREQUISITES, TRIGGERS))
    answers = {"18.1": {"probe": "prerequisites", "hint": ""}}
    wrong = exercises.verdict("18.1", Answer("%%sql\nCREATE TABLE ...", None), answers=answers)
    assert wrong.startswith("18.1: not yet: a cycle of two courses is accepted")
    assert "TRIGGER" not in wrong  # the flaw is named, the solution is not given away


def test_recording_a_design_exercise_runs_its_probe(student_db, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    student_db("010", PREREQUISITES)
    source = f"%%sql\n-- probe: prerequisites\n-- hint: a walk\n{PREREQUISITES}"
    entry = exercises.record("18.1", Answer(source, None), tmp_path / "answers.jsonl")
    assert entry["probe"] == "prerequisites" and entry["hint"] == "a walk"
    assert exercises.verdict("18.1", Answer(source, None), answers={"18.1": entry}) \
        .startswith("18.1: right ✓")


def test_recording_a_reference_design_that_fails_its_probe_is_an_error(student_db, tmp_path,
                                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    student_db("010", without(PREREQUISITES, r"ON DELETE CASCADE"))
    with pytest.raises(ExerciseError, match="fails its own probe"):
        exercises.record("18.1", Answer("%%sql\n-- probe: prerequisites\n...", None),
                         tmp_path / "answers.jsonl")


def test_adopt_replaces_the_students_design_with_the_projects_migration(make_db, capsys):
    conn = make_db(to="010")
    conn.executescript("CREATE TABLE course_prerequisites (id INTEGER PRIMARY KEY, a, b);"
                       "CREATE TRIGGER mine AFTER INSERT ON enrollments BEGIN SELECT 1; END;")
    probes.adopt(conn, to="011")
    assert migrate.current_version(conn) == "011"
    columns = [row[1] for row in conn.execute("PRAGMA table_info(course_prerequisites)")]
    assert columns == ["course_id", "prerequisite_id"]
    assert not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'mine'").fetchall()
    assert conn.execute("SELECT COUNT(*) FROM course_prerequisites").fetchone()[0] == 2
    assert "rows loaded: course_prerequisites 2" in capsys.readouterr().out


QUIZZES = design_of("013")
NUMBER_TRIGGER = r"CREATE TRIGGER quiz_attempts_number.*?\bEND\s*;"
BUGGY_NUMBERING = """
    CREATE TRIGGER quiz_attempts_number BEFORE INSERT ON quiz_attempts
    WHEN NEW.attempt_no IS NOT 1 + (SELECT MAX(attempt_no) FROM quiz_attempts
                                    WHERE user_id = NEW.user_id AND quiz_id = NEW.quiz_id)
    BEGIN SELECT RAISE(ABORT, 'attempt_no must be the next number'); END;"""
VIEW = r"CREATE VIEW attempt_scores AS.*?JOIN quizzes z ON z.id = counted.quiz_id;"


@pytest.mark.parametrize("design, flaw", [
    (QUIZZES, None),
    (without(QUIZZES, r"(?<=REFERENCES quiz_attempts\(id\)) ON DELETE CASCADE"),
     "an attempt that has answers cannot be deleted"),
    (without(QUIZZES, NUMBER_TRIGGER), "an attempt can skip a number"),
    (re.sub(NUMBER_TRIGGER, BUGGY_NUMBERING, QUIZZES, flags=re.DOTALL),
     "a user's first attempt (number 1) is refused"),
    (QUIZZES.replace("UNIQUE (user_id, quiz_id, attempt_no),", "")
     .replace("CREATE TRIGGER quiz_attempts_number", "CREATE TRIGGER unused_number")
     .replace("WHEN NEW.attempt_no IS NOT 1 +", "WHEN NEW.attempt_no > 1 +"),
     "attempt 1 can be recorded twice"),
    (re.sub(r"FOREIGN KEY \(question_id, choice_id\)\s+REFERENCES choices\(question_id, id\)",
            "FOREIGN KEY (choice_id) REFERENCES choices(id)", QUIZZES),  # any choice at all
     "an answer can choose a choice of another question"),
    (re.sub(VIEW, "CREATE TABLE attempt_scores (attempt_id TEXT, score REAL);", QUIZZES,
            flags=re.DOTALL), "the score of an attempt with one right answer of two is None"),
])
def test_quizzes_probe_passes_the_reference_and_names_the_first_flaw(student_db, design, flaw):
    found = probes.first_flaw("quizzes", student_db("012", design))
    assert found == flaw if flaw is None else found.startswith(flaw), found


def test_a_stored_score_that_does_not_follow_the_quiz_is_named(student_db):
    stored = re.sub(VIEW, """CREATE TABLE stored (attempt_id TEXT PRIMARY KEY, score REAL);
        CREATE TRIGGER keep AFTER INSERT ON quiz_answers BEGIN
            INSERT OR REPLACE INTO stored VALUES (NEW.attempt_id, 100.0 *
              (SELECT COUNT(*) FROM quiz_answers a JOIN choices c ON c.id = a.choice_id
               WHERE a.attempt_id = NEW.attempt_id AND c.is_correct = 1)
              / (SELECT COUNT(*) FROM questions q JOIN quiz_attempts t ON t.quiz_id = q.quiz_id
                 WHERE t.id = NEW.attempt_id)); END;
        CREATE VIEW attempt_scores AS SELECT t.id AS attempt_id, COALESCE(s.score, 0) AS score
        FROM quiz_attempts t LEFT JOIN stored s ON s.attempt_id = t.id;""", QUIZZES,
                    flags=re.DOTALL)
    found = probes.first_flaw("quizzes", student_db("012", stored))
    assert found.startswith("the score does not follow the quiz"), found


@pytest.mark.parametrize("trigger, flaw", [
    (BUGGY_NUMBERING, "a user's first attempt (number 1) is refused"),
    (BUGGY_NUMBERING.replace("SELECT MAX(attempt_no)", "SELECT COALESCE(MAX(attempt_no), 0)"),
     None),
    ("", "an attempt can skip a number"),
])
def test_attempt_numbering_probe_tells_a_fixed_trigger_from_the_bug(make_db, tmp_path, trigger,
                                                                    flaw):
    conn = make_db(to="013", name="18")
    conn.execute("DROP TRIGGER quiz_attempts_number")
    conn.executescript(trigger)
    found = probes.first_flaw("attempt_numbering", tmp_path / "18.db")
    assert found == flaw if flaw is None else found.startswith(flaw), found


@pytest.mark.parametrize("design, flaw", [
    # a score the view gives as text: a flaw, not a TypeError
    (re.sub(VIEW, "CREATE VIEW attempt_scores AS SELECT id AS attempt_id, 'fifty' AS score "
                  "FROM quiz_attempts;", QUIZZES, flags=re.DOTALL),
     "the score of an attempt with one right answer of two is fifty, not 50"),
    # a design that breaks the rows the behaviours add for themselves: a verdict, not an error
    (QUIZZES + "\nCREATE TRIGGER no_users BEFORE INSERT ON users "
               "BEGIN SELECT RAISE(ABORT, 'no new users'); END;",
     "the specification's behaviours could not be tried on this design: IntegrityError: "
     "no new users"),
])
def test_a_design_that_breaks_the_probe_itself_gets_a_one_line_verdict(student_db, design, flaw):
    assert probes.first_flaw("quizzes", student_db("012", design)) == flaw


def test_a_design_whose_trigger_never_ends_can_be_interrupted(student_db):
    import _thread
    import signal
    import threading

    endless = PREREQUISITES + """
        CREATE TRIGGER endless AFTER INSERT ON course_prerequisites BEGIN
            SELECT COUNT(*) FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)
                                  SELECT x FROM n);
        END;"""
    # Fail, not hang, if something earlier in this process left SIGINT without Python's handler
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    path = student_db("010", endless)
    timer = threading.Timer(2, _thread.interrupt_main)  # Kernel > Interrupt, two seconds in
    timer.start()
    try:
        found = probes.first_flaw("prerequisites", path)
    except KeyboardInterrupt:  # it came before the endless query started: not what is tested
        pytest.fail("the interrupt came before the probe's query ran")
    finally:
        timer.cancel()
    assert found == probes.INTERRUPTED  # a verdict, no hang


@pytest.mark.parametrize("stopped", [0, 1, 3])  # a statement to accept, two to refuse
def test_an_interrupt_during_any_statement_of_a_probe_ends_the_check(student_db, monkeypatch,
                                                                    stopped):
    # Kernel > Interrupt while an earlier statement runs (one the design must refuse, or
    # accept) stops the check there: never taken as the refusal, never a hang on the next one.
    path = student_db("010", PREREQUISITES)
    real, started = probes.scratch_copy, []

    def interrupted_at_statement(source):
        conn = real(source)
        conn.set_trace_callback(lambda sql: started.append(sql) if sql.upper().startswith(
            "INSERT INTO COURSE_PREREQUISITES") else None)
        # what the progress handler does with a pending KeyboardInterrupt: stop the statement
        conn.set_progress_handler(lambda: len(started) == stopped + 1, 1)
        return conn

    monkeypatch.setattr(probes, "scratch_copy", interrupted_at_statement)
    monkeypatch.setattr(probes, "interruptible", lambda conn: None)
    assert probes.first_flaw("prerequisites", path) == probes.INTERRUPTED
