"""Errors that courselab reports to a person: one line naming what is wrong and what to do."""


class CourselabError(Exception):
    """An expected failure; the CLI prints it as one line and exits with status 1."""


class DatabaseOpenError(CourselabError):
    """A database file could not be opened."""


class MigrationError(CourselabError):
    """A migration could not be found, verified, applied or undone."""


class FixtureError(CourselabError):
    """A fixture file or row could not be loaded."""


class ReviewError(CourselabError):
    """A review was refused (rating out of range, unknown course)."""


class QuizError(CourselabError):
    """A quiz attempt was refused (unknown user or quiz, a choice of another question)."""


class ExerciseError(CourselabError):
    """A reference solution could not be recorded (no solution cell ran, or it shows nothing)."""


class DatabaseBusyError(CourselabError):
    """Another connection holds the database's write lock for longer than the busy timeout."""
