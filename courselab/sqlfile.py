"""Reading a migration file: its statements, their tokens, and where its transaction is.

A file is written for the `sqlite3` shell: `BEGIN; ...; COMMIT;`, maybe with
`PRAGMA foreign_keys=OFF;` before BEGIN and `PRAGMA foreign_keys=ON;` after COMMIT (SQLite's
table rebuild). `parse()` reads it the way SQLite does, at the level of tokens (comments and
layout do not matter, string literals do), and refuses, before anything runs, what the
runner's own transaction cannot honour: a transaction statement anywhere but the opening
BEGIN and the closing COMMIT, a PRAGMA that does nothing inside a transaction, and ATTACH or
DETACH (a migration changes only the database it is recorded in).
"""

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from functools import cached_property, lru_cache

from .errors import MigrationError

TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<word>[\w$]+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL)

TRANSACTION_WORDS = {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}
OTHER_DATABASE_WORDS = {"ATTACH", "DETACH"}

# PRAGMAs that work inside a transaction and change nothing outside it. Others either do
# nothing there (foreign_keys, journal_mode, ...) or change the connection courselab set up.
PRAGMAS_IN_TRANSACTION = {
    "foreign_key_check", "foreign_key_list", "integrity_check", "quick_check", "table_info",
    "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo", "user_version",
    "application_id", "defer_foreign_keys", "legacy_alter_table",
}
OFF_VALUES = {"OFF", "0", "FALSE", "NO"}


@dataclass(frozen=True)
class Statement:
    """One statement: its 1-based first line, its text as written, and its tokens."""

    line: int
    text: str
    tokens: tuple

    @cached_property
    def words(self):
        """Its tokens upper-cased (for matching keywords; quoted tokens keep their quotes)."""
        return tuple(t.upper() for t in self.tokens)

    def pragma(self):
        """(name, value or None) of a PRAGMA statement, else None; name in lower case."""
        words = [w for w in self.tokens if w not in "()"]
        if self.words[:1] != ("PRAGMA",):
            return None
        if len(words) > 2 and words[2] == ".":  # PRAGMA main.name
            words = words[:1] + words[3:]
        name = words[1].lower() if len(words) > 1 else ""
        rest = [w for w in words[2:] if w != "="]
        return name, (unquote(rest[0]).upper() if rest else None)

    def renamed_to(self):
        """The new name an ALTER TABLE ... RENAME TO statement gives its table, else None."""
        words = self.words
        if words[:2] != ("ALTER", "TABLE") or "RENAME" not in words:
            return None
        at = words.index("RENAME")
        if words[at + 1:at + 2] != ("TO",) or len(words) < at + 3:
            return None
        return unquote(self.tokens[at + 2])

    def dropped(self, kind="TABLE"):
        """What a DROP TABLE (TRIGGER, INDEX: `kind`) statement names, unquoted, else None."""
        words = self.words
        if words[:2] != ("DROP", kind):
            return None
        rest = list(self.tokens[2:])
        if [w.upper() for w in rest[:2]] == ["IF", "EXISTS"]:
            rest = rest[2:]
        if len(rest) > 2 and rest[1] == ".":
            rest = rest[2:]
        return unquote(rest[0]) if rest else None


@dataclass(frozen=True)
class MigrationFile:
    """A parsed file: the statements to run, and whether it asks for foreign keys OFF."""

    name: str
    body: tuple
    foreign_keys_off: bool
    closing_line: int


def tokens(sql):
    """The tokens of SQL text, without comments and whitespace."""
    return tuple(m.group() for m in TOKEN.finditer(sql)
                 if m.lastgroup not in ("space", "comment"))


def unquote(token):
    """An identifier without its quotes: "bookmarks", [bookmarks], `bookmarks` -> bookmarks."""
    if token[:1] in "\"`'" and len(token) > 1:
        return token[1:-1].replace(token[0] * 2, token[0])
    if token[:1] == "[":
        return token[1:-1]
    return token


def read_text(path):
    """The text of a SQL file: UTF-8, a BOM dropped, CRLF and CR line endings made LF."""
    try:
        text = _read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MigrationError(f"{path.name}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
                             "save it as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _read_bytes(path):
    """The bytes of a file; MigrationError naming it if it cannot be read (rights, a dangling
    link, a directory)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MigrationError(f"{path.name}: cannot read ({exc.strerror or exc}); make it a "
                             "readable SQL file, or move it out of the migrations folder") from None


@lru_cache(maxsize=256)
def split_statements(sql):
    """(Statement, ...) of SQL text: complete statements, trigger bodies whole, no comments.

    Cached by the text: checking a database reads every migration file again (checksums), and
    the same text always splits the same way.
    """
    pieces, start = [], 0
    for index, char in enumerate(sql):
        if char == ";" and sqlite3.complete_statement(sql[start:index + 1]):
            pieces.append((start, sql[start:index + 1]))
            start = index + 1
    pieces.append((start, sql[start:]))
    found = []
    for offset, text in pieces:
        toks = tokens(text)
        if toks and toks != (";",):
            first = offset + next(m.start() for m in TOKEN.finditer(text)
                                  if m.lastgroup not in ("space", "comment"))
            found.append(Statement(sql.count("\n", 0, first) + 1,
                                   sql[first:offset + len(text)].strip(),
                                   toks[:-1] if toks[-1] == ";" else toks))
    return tuple(found)


def checksum(path):
    """SHA-256 of a file's statements as tokens: comments, layout, line endings, BOM ignored."""
    normal = "\n".join(" ".join(s.tokens) for s in split_statements(read_text(path)))
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def legacy_checksums(path):
    """The SHA-256s the previous runner stored for this file: of its raw bytes, LF or CRLF."""
    data = _read_bytes(path)
    lf = data.replace(b"\r\n", b"\n")
    return {hashlib.sha256(v).hexdigest() for v in (data, lf, lf.replace(b"\n", b"\r\n"))}


def parse(path):
    """Read a migration file into a MigrationFile; MigrationError (file:line) if it cannot run.

    Allowed: `PRAGMA foreign_keys=...` before BEGIN and after COMMIT, one opening BEGIN
    and one closing COMMIT (or END), or neither. Refused: any other transaction statement,
    a foreign_keys PRAGMA between them, a PRAGMA that cannot work inside a transaction.
    """
    statements = split_statements(read_text(path))
    core = [i for i, s in enumerate(statements) if not _is_foreign_keys(s)]
    first, last = (core[0], core[-1]) if core else (len(statements), len(statements) - 1)
    opens = bool(core) and _opens(statements[first])
    closes = last > first and _closes(statements[last])
    body = statements[first + opens:last + 1 - closes]
    for statement in body:
        _refuse_in_transaction(path, statement)
    if opens != closes:
        line = statements[first if opens else last].line
        missing = "BEGIN without a closing COMMIT" if opens else "COMMIT without an opening BEGIN"
        raise MigrationError(f"{path.name}:{line}: {missing}; write BEGIN; at the start and "
                             "COMMIT; at the end, or neither")
    for statement in statements[last + 1:]:
        if statement.pragma()[1] in OFF_VALUES:
            raise MigrationError(f"{path.name}:{statement.line}: PRAGMA foreign_keys=OFF after "
                                 "COMMIT would leave foreign keys off; put it before BEGIN")
    off = any(s.pragma()[1] in OFF_VALUES for s in statements[:first])
    closing = statements[last].line if core else 1
    return MigrationFile(path.name, tuple(body), off, closing)


def _is_foreign_keys(statement):
    pragma = statement.pragma()
    return pragma is not None and pragma[0] == "foreign_keys"


def _opens(statement):
    words = statement.words
    if words[1:2] in (("DEFERRED",), ("IMMEDIATE",), ("EXCLUSIVE",)):
        words = words[:1] + words[2:]
    return words in (("BEGIN",), ("BEGIN", "TRANSACTION"))


def _closes(statement):
    words = statement.words
    return words[:1] in (("COMMIT",), ("END",)) and words[1:] in ((), ("TRANSACTION",))


def _refuse_in_transaction(path, statement):
    where = f"{path.name}:{statement.line}"
    if statement.words[0] in TRANSACTION_WORDS:
        raise MigrationError(f"{where}: {' '.join(statement.tokens)} would end or split the "
                             "migration's transaction; the runner allows only the opening BEGIN "
                             "and the closing COMMIT: remove it")
    if statement.words[0] in OTHER_DATABASE_WORDS:
        raise MigrationError(f"{where}: {statement.words[0]} would make the migration change "
                             "another database file, which its checksum, its rollback and "
                             "`check` do not see; a migration changes only its own database: "
                             "remove it")
    pragma = statement.pragma()
    if pragma is None:
        return
    name, value = pragma
    if name == "foreign_keys" and value is not None:
        raise MigrationError(f"{where}: PRAGMA foreign_keys does nothing inside a transaction; "
                             "put PRAGMA foreign_keys=OFF; before BEGIN (SQLite's table rebuild)")
    if name not in PRAGMAS_IN_TRANSACTION and not (name == "foreign_keys" and value is None):
        raise MigrationError(f"{where}: PRAGMA {name} cannot take effect inside the migration's "
                             "transaction (or would change the connection); run it outside "
                             "courselab, not in a migration")
