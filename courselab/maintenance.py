"""The maintainers' commands: `courselab notebooks …` and `courselab schema`.

They keep the committed artefacts in step with their sources: navigation and slide metadata
of the notebooks, the executed notebooks, the static HTML book, the student edition, the
recorded answers (courselab/exercises.json) and schema.sql. Each `--verify` writes nothing
and exits 1 naming what is stale and the make target that regenerates it.
"""

import sys
from pathlib import Path

from .errors import CourselabError, StaleError


def _in_a_checkout():
    """Raise CourselabError outside a clone of the repository (an installed package)."""
    from .notebooks import NOTEBOOKS

    if not NOTEBOOKS.is_dir():
        raise CourselabError(f"`courselab notebooks` maintains a clone of the repository (its "
                             f"notebooks/ beside the package), and {NOTEBOOKS} is not there: "
                             "run it in a clone, not from an installed package")


def cmd_nav(args):
    from . import notebooks

    _in_a_checkout()
    for name in notebooks.update_nav(verify=args.verify):
        print(f"updated {name}")


def cmd_slides(args):
    from . import slides

    _in_a_checkout()
    slides.update_slides(args.paths, verify=args.verify)


def cmd_execute(args):
    from . import notebooks

    _in_a_checkout()
    notebooks.execute([path.resolve() for path in args.paths] or notebooks.series())


def cmd_html(args):
    from . import notebooks

    _in_a_checkout()
    if args.notebooks:
        notebooks.numbered(args.notebooks, "--notebooks")
    notebooks.export_html(args.outdir, args.notebooks or notebooks.NOTEBOOKS)


def cmd_student(args):
    from . import editions

    _in_a_checkout()
    args.notebooks = args.notebooks or editions.NOTEBOOKS
    args.student = args.student or editions.STUDENT
    editions.refuse_student_target(args.notebooks, args.student)
    if args.verify:
        stale = editions.stale_student(args.notebooks, args.student)
        if stale:
            raise StaleError(f"student edition stale ({', '.join(stale)}): "
                                 "run `make student`")
        return
    written = editions.write_student(args.notebooks, args.student,
                                     solutions=args.with_solutions)
    print(f"student edition: {len(written)} notebook(s) updated in {args.student}")


def cmd_answers(args):
    from . import answers, editions, exercises, notebooks

    _in_a_checkout()
    args.notebooks = args.notebooks or editions.NOTEBOOKS
    args.answers = args.answers or exercises.ANSWERS_FILE
    notebooks.numbered(args.notebooks, "--notebooks")
    if args.verify:
        answers.verify(args.notebooks, args.answers)
    else:
        answers.record_answers(args.notebooks, args.answers)


def cmd_schema(args):
    from . import schema

    sys.stdout.write(schema.dump())


def _verify_option(parser, what):
    parser.add_argument("--verify", action="store_true",
                        help=f"write nothing; exit 1 if {what} is stale")


def register(commands, command):
    """Add the `notebooks` group and `schema` to the CLI's subparsers `commands`.

    `command(parent, name, func, help_text, example)` adds one (cli.add_command).
    """
    group = command(commands, "notebooks", None,
                    "Maintain the notebook series and its generated editions.",
                    "courselab notebooks nav --verify")
    steps = group.add_subparsers(dest="step", required=True, metavar="STEP")

    sub = command(steps, "nav", cmd_nav,
                  "Rewrite the navigation lines of every notebook and the contents of 00.",
                  "courselab notebooks nav")
    _verify_option(sub, "a navigation line or the contents")

    sub = command(steps, "slides", cmd_slides,
                  "Set the RISE slide metadata, so an instructor can project a notebook.",
                  "courselab notebooks slides notebooks/10-Indexes.ipynb")
    sub.add_argument("paths", nargs="*", type=Path, metavar="NOTEBOOK",
                     help="notebooks to update (default: every numbered notebook)")
    _verify_option(sub, "a notebook's slide metadata")

    sub = command(steps, "execute", cmd_execute,
                  "Run notebooks in place in a fresh kernel, with deterministic metadata.",
                  "courselab notebooks execute notebooks/03-Users.ipynb")
    sub.add_argument("paths", nargs="*", type=Path, metavar="NOTEBOOK",
                     help="notebooks to run (default: every numbered notebook)")

    sub = command(steps, "html", cmd_html,
                  "Export the notebooks as a static HTML book that works offline.",
                  "courselab notebooks html build/html")
    sub.add_argument("outdir", nargs="?", type=Path, default=Path("build/html"),
                     help="folder to write (default: build/html)")
    sub.add_argument("--notebooks", type=Path, default=None,
                     help="notebooks to export (default: the repo's notebooks/)")

    sub = command(steps, "student", cmd_student,
                  "Write the student edition: solutions emptied, instructor notes dropped.",
                  "courselab notebooks student --student student")
    sub.add_argument("--notebooks", type=Path, default=None,
                     help="the instructor edition (default: the repo's notebooks/)")
    sub.add_argument("--student", type=Path, default=None,
                     help="folder of the student edition (default: the repo's student/)")
    sub.add_argument("--with-solutions", action="store_true",
                     help="let hint(ID, 3) show each solution, for self-learners "
                          "(never for a graded class)")
    _verify_option(sub, "the student edition")

    sub = command(steps, "answers", cmd_answers,
                  "Run the reference solutions in real kernels and record the expected answers.",
                  "courselab notebooks answers --answers courselab/exercises.json")
    sub.add_argument("--notebooks", type=Path, default=None,
                     help="the instructor edition (default: the repo's notebooks/)")
    sub.add_argument("--answers", type=Path, default=None,
                     help="answers file to write (default: courselab/exercises.json)")
    _verify_option(sub, "the answers file")

    command(commands, "schema", cmd_schema,
            "Print the schema every migration produces, as SQL (committed as schema.sql).",
            "courselab schema > schema.sql")
