"""Course search over the FTS5 index, safe for any text a user types."""

import re
import sqlite3
import threading
import unicodedata

from .db import exists, schema_sql
from .errors import CourselabError

# The tokenizer of 010's courses_fts (no tokenize= option: FTS5's default).
DEFAULT_TOKENIZE = "unicode61"

SEARCH_SQL = """
SELECT c.id, c.title, c.difficulty, c.avg_rating, c.enrollment_count
FROM courses_fts
JOIN courses c ON c.rowid = courses_fts.rowid
WHERE courses_fts MATCH ?
  AND c.is_published = 1
ORDER BY courses_fts.rank, c.id
LIMIT ?
"""

# Whether SQLite's tokenizer keeps a character in a word, asked once per character:
# unicode61 decides by the character alone (its own Unicode tables, older than Python's).
_token_char = {}
_lock = threading.Lock()


def tokenize_option(conn):
    """The tokenize= argument of the database's courses_fts (DEFAULT_TOKENIZE if none)."""
    found = re.search(r"tokenize\s*=\s*('(?:[^']|'')*'|\"[^\"]*\"|\w+)",
                      schema_sql(conn, "courses_fts") or "", re.I)
    return found.group(1) if found else DEFAULT_TOKENIZE


def _learn(chars, tokenize):
    """Ask SQLite which of `chars` are word characters: 'a?a' is one token or two."""
    unknown = sorted({c for c in chars if (tokenize, c) not in _token_char})
    for c in [c for c in unknown if "\ud800" <= c <= "\udfff"]:
        # A lone surrogate (bytes that were not UTF-8, via surrogateescape) cannot reach
        # SQLite at all: it separates words.
        _token_char[(tokenize, c)] = False
        unknown.remove(c)
    if not unknown:
        return
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize={tokenize})")
        conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        conn.executemany("INSERT INTO t(rowid, x) VALUES (?, ?)",
                         [(i, f"a{c}a") for i, c in enumerate(unknown, 1)])
        tokens = dict(conn.execute("SELECT doc, COUNT(*) FROM v GROUP BY doc"))
    finally:
        conn.close()
    for i, c in enumerate(unknown, 1):
        _token_char[(tokenize, c)] = tokens.get(i) == 1


def words(text, tokenize=DEFAULT_TOKENIZE):
    """The words of `text` as FTS5's tokenizer cuts them, in their typed form (NFC)."""
    text = unicodedata.normalize("NFC", text or "")
    with _lock:
        _learn(text, tokenize)
        keep = [_token_char[(tokenize, c)] for c in text]
    found, word = [], []
    for char, kept in zip(text, keep, strict=True):
        if kept:
            word.append(char)
        elif word:
            found.append("".join(word))
            word = []
    return found + (["".join(word)] if word else [])


def _phrase(word):
    return '"' + word.replace('"', '""') + '"'


def to_match_query(text, tokenize=DEFAULT_TOKENIZE):
    """Turn raw user text into an FTS5 query that cannot be a syntax error.

    The text is cut into words where SQLite's own tokenizer (`tokenize`, that of
    courses_fts) cuts it, so emoji, private-use characters and combining marks fall where
    the index has them; each word is wrapped in double quotes, which makes it a plain
    string to FTS5, so operators (AND, OR, NOT, NEAR), `*`, `^`, `:`, parentheses and
    quotes typed by a user are just characters, never syntax. Every word must match
    (joined by spaces, or by AND when one is a group: FTS5 cannot join a group by a space).
    A word with accents matches a title stored composed (NFC) or decomposed (NFD, as
    pasted on macOS): unicode61 strips some accents in one form only, so both are asked.
    Returns None when no word is left.
    A repeated word is kept once: it adds nothing, and 25,000 copies took FTS5 3 s.
    """
    terms = []
    for word in dict.fromkeys(words(text, tokenize)):
        decomposed = unicodedata.normalize("NFD", word)
        terms.append(_phrase(word) if decomposed == word
                     else f"({_phrase(word)} OR {_phrase(decomposed)})")
    joiner = " AND " if any(term.startswith("(") for term in terms) else " "
    return joiner.join(terms) or None


def search_courses(conn, text, limit=20):
    """Published courses matching every word of `text`, best bm25 rank first.

    Rows have id, title, difficulty, avg_rating, enrollment_count. Empty text
    gives []. See to_match_query() for how the text is made safe.
    """
    if not exists(conn, "courses_fts"):
        if not words(text):
            return []
        raise CourselabError("no search index in this database; migrate to 010 first")
    query = to_match_query(text, tokenize_option(conn))
    if query is None:
        return []
    return conn.execute(SEARCH_SQL, (query, limit)).fetchall()
