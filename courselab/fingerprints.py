"""An exercise's expected answer as a fingerprint, and how a result differs from it.

A result (a ResultSet, DataFrame, cursor, rows or a value) becomes columns and canonical rows
(`table`); its fingerprint holds the column names, row count, `ordered` flag and SHA-256
hashes (of the result, its sorted rows, each column), never the values, so a notebook can
test a guess but not read the answer. `compare` says in words what differs.
"""

import hashlib
import json
import math

DECIMALS = 6


# -- Turning any result into comparable columns and rows ------------------------------------

def _scalar(value):
    """One value in canonical form: Python types, floats rounded, integral floats as int."""
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python scalar
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        value = round(value, DECIMALS) + 0.0
        return int(value) if value.is_integer() else value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _is_row(item):
    return isinstance(item, (tuple, list, dict)) or hasattr(item, "keys")


def _row_columns(item):
    if isinstance(item, dict):
        return list(item)
    if hasattr(item, "keys") and not isinstance(item, (tuple, list)):  # sqlite3.Row
        return list(item.keys())
    return None


def _row_values(item):
    return list(item.values()) if isinstance(item, dict) else list(item)


def _columns_and_rows(value):
    if type(value).__name__ == "ResultSet":  # ipython-sql; no `keys` if no rows returned
        return list(getattr(value, "keys", [])), [list(row) for row in value]
    if hasattr(value, "to_frame") and hasattr(value, "index"):  # pandas Series
        return _columns_and_rows(value.to_frame())
    if hasattr(value, "itertuples") and hasattr(value, "columns"):  # pandas DataFrame
        if any(name is not None for name in value.index.names):
            value = value.reset_index()  # a named index (from groupby) is data
        return [str(c) for c in value.columns], [list(r) for r in value.itertuples(index=False)]
    if hasattr(value, "description") and hasattr(value, "fetchall"):  # sqlite3 cursor
        return [d[0] for d in value.description or ()], [list(r) for r in value.fetchall()]
    if isinstance(value, (list, tuple)) and value and all(_is_row(v) for v in value):
        return _row_columns(value[0]), [_row_values(v) for v in value]
    if isinstance(value, list):  # a list of values: one column
        return None, [[v] for v in value]
    if _is_row(value):  # one row: fetchone(), a dict, a tuple of values
        return _row_columns(value), [_row_values(value)]
    return None, [[value]]


def table(value):
    """(columns or None, rows) of a result: ResultSet, DataFrame, cursor, rows, a scalar.

    Columns are None when the value carries no names (a list of tuples, a number).
    """
    columns, rows = _columns_and_rows(value)
    return columns, [[_scalar(v) for v in row] for row in rows]


def error_table(error):
    """The table compared when an exercise asks for a refused statement: type and message."""
    return ["error", "message"], [[type(error).__name__, str(error)]]


def _digest(*parts):
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sorted(rows):
    return sorted(rows, key=lambda row: json.dumps(row, ensure_ascii=False))


def fingerprint(exercise_id, columns, rows, ordered):
    """The stored form of a result: names, count and hashes, never the values themselves."""
    width = len(rows[0]) if rows else len(columns or [])
    return {
        "columns": columns,
        "width": width,
        "rows": len(rows),
        "ordered": ordered,
        "result_sha256": _digest(exercise_id, rows if ordered else _sorted(rows)),
        "rows_sha256": _digest(exercise_id, _sorted(rows)),
        "column_sha256": [_digest(exercise_id, i, sorted(json.dumps(r[i]) for r in rows))
                          for i in range(width)],
    }


# -- Comparing ------------------------------------------------------------------------------

def _align(columns, rows, expected):
    """Reorder a result's columns to the expected ones; return (rows, problem or None)."""
    if expected["columns"] is None or columns is None:
        width = len(rows[0]) if rows else len(columns or [])
        if rows and width != expected["width"]:
            return None, f"{_plural(width, 'column')} instead of {expected['width']}"
        return rows, None
    want = [c.lower() for c in expected["columns"]]
    have = [c.lower() for c in columns]
    missing = [c for c in expected["columns"] if c.lower() not in have]
    extra = [c for c in columns if c.lower() not in want]
    if missing or extra:
        parts = [f"missing column{'s' * (len(missing) > 1)} {', '.join(missing)}"] * bool(missing)
        parts += [f"extra column{'s' * (len(extra) > 1)} {', '.join(extra)}"] * bool(extra)
        return None, "; ".join(parts) + f" (expected: {', '.join(expected['columns'])})"
    order, used = [], set()
    for name in want:
        index = next(i for i, c in enumerate(have) if c == name and i not in used)
        used.add(index)
        order.append(index)
    return [[row[i] for i in order] for row in rows], None


def _plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


def compare(exercise_id, answer, expected):
    """(ok, reason): compare an Answer with an expected fingerprint."""
    wants_error = expected["columns"] == ["error", "message"]
    if answer.error is not None and not wants_error:
        return False, f"your cell raised {type(answer.error).__name__}: {answer.error}; fix it " \
                      "and run it again"
    if wants_error:
        if answer.error is None:
            return False, "your cell ran without an error; this exercise asks for a statement " \
                          "the database refuses"
        columns, rows = error_table(answer.error)
    else:
        if answer.value is None:
            return False, "the cell above shows no result: end it with the query or the value " \
                          "to check"
        columns, rows = table(answer.value)
        if columns == [] and not rows:
            return False, "the cell above returns no table (its last statement is not a " \
                          "SELECT): end it with the query to check"
    rows, problem = _align(columns, rows, expected)
    if problem:
        return False, problem
    if len(rows) != expected["rows"]:
        return False, f"{_plural(len(rows), 'row')} instead of {expected['rows']}"
    mine = fingerprint(exercise_id, expected["columns"], rows, expected["ordered"])
    if mine["result_sha256"] == expected["result_sha256"]:
        return True, f"refused with {rows[0][0]}" if wants_error else _plural(len(rows), "row")
    if mine["rows_sha256"] == expected["rows_sha256"]:
        return False, "the right rows in the wrong order: look at your ORDER BY"
    if wants_error:
        if mine["column_sha256"][0] == expected["column_sha256"][0]:  # same exception type
            return False, f"the right kind of error, but not the one asked for ({answer.error})"
        return False, f"you got {rows[0][0]}: {rows[0][1]}; the exercise asks for another error"
    names = expected["columns"] or [f"#{i + 1}" for i in range(expected["width"])]
    wrong = [name for name, a, b in zip(names, mine["column_sha256"], expected["column_sha256"],
                                        strict=True) if a != b]
    if wrong:
        return False, f"the right shape, but the values of column{'s' * (len(wrong) > 1)} " \
                      f"{', '.join(wrong)} differ"
    return False, "each column holds the right values, but they are paired into rows differently"
