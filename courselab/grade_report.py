"""What `courselab grade` writes: grades.csv, its per-student summary, the class report.

The CSV files are UTF-8 with a byte-order mark (`utf-8-sig`): Excel then reads accents right,
and LibreOffice and Python's csv module (with encoding="utf-8-sig") read them as plain UTF-8.
A value a spreadsheet would run as a formula (starting with = + - @) gets a leading quote.
The report is one HTML file with nothing loaded from the network: the chart is an embedded PNG.
Each file is written beside its final name and then renamed, so a failure never leaves a
truncated grades.csv; text that no UTF-8 file can hold is written as backslash escapes.
"""

import base64
import contextlib
import csv
import html
import io
import os
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from .errors import CourselabError
from .grade import VERDICTS, exercise_order
from .outputs import writable_folder

COLUMNS = ("student", "notebook", "exercise", "verdict", "detail")
ENCODING = "utf-8-sig"
HARDEST = 10  # exercises in the chart
REASONS = 3  # most common reasons shown per exercise


def _cell(value):
    value = str(value)
    return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value


@contextlib.contextmanager
def _replacing(path, encoding, newline=None):
    """A text file that becomes `path` when the block ends without an error, in one rename."""
    path = Path(path)
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with open(handle, "w", encoding=encoding, errors="backslashreplace",
                  newline=newline) as out:
            yield out
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as exc:  # checked before grading; gone or full since
        raise CourselabError(f"{path}: cannot write it ({exc.strerror or exc}): free the disk "
                             "or the folder and grade again") from None
    finally:
        if temporary:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write(path, header, rows):
    with _replacing(path, ENCODING, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows([_cell(v) for v in row] for row in rows)


def summary_path(out):
    """grades.csv -> grades-summary.csv, beside it."""
    out = Path(out)
    return out.with_name(f"{out.stem}-summary{out.suffix or '.csv'}")


def output_paths(out, report=None):
    """(grades CSV, summary CSV, report) for `--out` and `--report`, checked before grading:
    each is a file name in a folder (created here) that can be written, and no two are one file.

    Raises CourselabError naming the option and what to do.
    """
    out = Path(out)
    default = report is None
    report = out.with_suffix(".html") if default else Path(report)
    for path, name, example in ((out, "--out", "grades.csv"), (report, "--report", "report.html")):
        if path.is_dir():
            raise CourselabError(f"{name} {path} is a folder: give a file name such as "
                                 f"{path / example}")
        writable_folder(path, name, create=False)  # a file in the way, or no right to write
    seen = {}
    for name, path in (("--out", out), ("the summary (beside --out)", summary_path(out)),
                       ("--report", report)):
        same = seen.setdefault(os.path.realpath(path), name)
        if same != name:
            fix = ("give --out a .csv name or pass --report" if default and same == "--out"
                   else "pick another name")
            raise CourselabError(f"{name} {path} is the same file as {same}: {fix}"
                                 + (" (the report's default is --out with .html)"
                                    if default else ""))
    for path, name in ((out, "--out"), (report, "--report")):
        writable_folder(path, name)  # now its folder is made
    return out, summary_path(out), report


def write_csv(graded, out):
    """Write one row per student and exercise, and the per-student summary; return both paths."""
    _write(out, COLUMNS, ([getattr(r, c) for c in COLUMNS] for r in graded.rows))
    totals = defaultdict(Counter)
    for row in graded.rows:
        if row.exercise:
            totals[(row.student, row.notebook)][row.verdict] += 1
            totals[(row.student, "all")][row.verdict] += 1
    keys = sorted(totals, key=lambda k: (k[0], k[1] == "all", k[1]))
    _write(summary_path(out), ("student", "notebook", *VERDICTS, "exercises"),
           ([*key, *(totals[key][v] for v in VERDICTS), sum(totals[key].values())]
            for key in keys))
    return Path(out), summary_path(out)


# -- The class report ------------------------------------------------------------------------

def exercise_stats(rows):
    """[(exercise, notebook, Counter of verdicts, Counter of reasons for a wrong answer)]."""
    verdicts, reasons, notebooks = defaultdict(Counter), defaultdict(Counter), {}
    for row in rows:
        if not row.exercise:
            continue
        notebooks[row.exercise] = row.notebook
        verdicts[row.exercise][row.verdict] += 1
        if row.verdict == "wrong" and row.detail:
            reasons[row.exercise][row.detail] += 1
    return [(e, notebooks[e], verdicts[e], reasons[e])
            for e in sorted(verdicts, key=exercise_order)]


def share_right(verdicts):
    return verdicts["right"] / sum(verdicts.values())


def missing(graded):
    """{student: [notebooks of the class that this student did not submit]}."""
    assigned = set().union(*graded.submitted.values()) if graded.submitted else set()
    return {s: sorted(assigned - got) for s, got in sorted(graded.submitted.items())
            if assigned - got}


def chart(stats):
    """(base64 PNG, alt text) of a bar chart of the hardest exercises, or (None, '')."""
    from matplotlib.figure import Figure

    hardest = sorted(stats, key=lambda s: (share_right(s[2]), exercise_order(s[0])))[:HARDEST]
    if not hardest:
        return None, ""
    names = [s[0] for s in hardest][::-1]
    shares = [100 * share_right(s[2]) for s in hardest][::-1]
    figure = Figure(figsize=(6, 0.4 * len(names) + 1.2))
    axes = figure.subplots()
    axes.barh(names, shares, color="#c0504d")
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of students right")
    axes.set_title("Hardest exercises")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    alt = "Hardest exercises, % of students right: " + ", ".join(
        f"{s[0]} {100 * share_right(s[2]):.0f}%" for s in hardest)
    return base64.b64encode(buffer.getvalue()).decode("ascii"), alt


def _stats_table(stats):
    head = "".join(f"<th>{h}</th>" for h in ("exercise", "notebook", "right", *VERDICTS[1:],
                                              "most common reasons for a wrong answer"))
    lines = [f"<table class='exercises'><thead><tr>{head}</tr></thead><tbody>"]
    for exercise, notebook, verdicts, reasons in stats:
        why = "".join(f"<li>“{html.escape(r)}”: {n} student{'s' * (n > 1)}</li>"
                      for r, n in reasons.most_common(REASONS))
        counts = "".join(f"<td>{verdicts[v]}</td>" for v in VERDICTS[1:])
        lines.append(f"<tr><td>{exercise}</td><td>{html.escape(notebook)}</td>"
                     f"<td>{100 * share_right(verdicts):.0f}% ({verdicts['right']} of "
                     f"{sum(verdicts.values())})</td>{counts}<td><ul>{why}</ul></td></tr>")
    return "\n".join(lines + ["</tbody></table>"])


def _list(items, empty):
    if not items:
        return f"<p>{empty}</p>"
    return "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"


def summary_line(graded):
    """One line for the terminal: students, notebooks and the count of each verdict."""
    totals = Counter(r.verdict for r in graded.rows if r.exercise)
    notebooks = sum(len(names) for names in graded.submitted.values())
    return (f"graded {notebooks} notebook(s) of {len(graded.submitted)} student(s): "
            + ", ".join(f"{totals[v]} {v}" for v in VERDICTS)
            + f"; {len(graded.problems)} problem(s)")


def write_report(graded, path):
    """Write the class report as one offline HTML file."""
    stats = exercise_stats(graded.rows)
    png, alt = chart(stats)
    totals = Counter(r.verdict for r in graded.rows if r.exercise)
    figure = (f"<img src='data:image/png;base64,{png}' alt='{html.escape(alt, quote=True)}'>"
              if png else "<p>No exercise was graded.</p>")
    absent = [f"{s}: {', '.join(names)}" for s, names in missing(graded).items()]
    problems = [f"{s} / {n}: {text}" if n else f"{s}: {text}" for s, n, text in graded.problems]
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Class report</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #bbb;padding:.3em .6em;vertical-align:top}}
ul{{margin:0;padding-left:1.2em}}</style></head><body>
<h1>Class report</h1>
<p>{len(graded.submitted)} students; {sum(totals.values())} exercise verdicts:
{", ".join(f"{totals[v]} {v}" for v in VERDICTS)}.</p>
<h2>Per exercise</h2>
{_stats_table(stats)}
<h2>Hardest exercises</h2>
{figure}
<h2 id="missing">Not submitted</h2>
{_list(absent, "Every student submitted every notebook of the class.")}
<h2 id="problems">Bad input and failures</h2>
{_list(problems, "None.")}
</body></html>
"""
    with _replacing(path, "utf-8") as out:
        out.write(body)
    return Path(path)
