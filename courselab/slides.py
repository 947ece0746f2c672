"""Set RISE slide metadata on the notebooks, so an instructor can project them as slides.

    courselab notebooks slides [NB...]           # set it (all numbered notebooks by default)
    courselab notebooks slides --verify [NB...]  # exit 1 if a notebook's slides are stale

The title and every `##` section start a slide; a `###` heading, or a cell that would
overflow the current slide, starts a sub-slide (reached with the down arrow), so nothing is
cut off at a projector's size; a solution cell is a fragment (it appears on the next
click, after the class has tried); navigation lines are skipped. Heights are estimated in
lines of text: markdown and code lines (wrapped at WIDTH), table rows, plots and diagrams.
The notebook's `rise.scroll` is turned on for the rare cell taller than a whole slide.
"""

import math
import re

import nbformat

from .errors import StaleError
from .notebooks import read, series

BUDGET = 18   # lines of text that fit one slide on a 1280x720 projector at RISE's font size
WIDTH = 90    # characters per line before a long line wraps
PICTURE = 14  # lines a plot takes
DIAGRAM = BUDGET  # a Mermaid diagram fills a slide
RISE = {"scroll": True}
CHECK = re.compile(r"""\bcheck\(\s*["']""")


def _lines(text):
    return sum(max(1, math.ceil(len(line) / WIDTH)) for line in text.splitlines() if line.strip())


def _gaps(text):
    """Blank lines between paragraphs: each takes half a line of space on the slide."""
    return len(re.findall(r"\S\n\s*\n(?=\s*\S)", text)) / 2


def _output_height(output):
    data = output.get("data", {})
    if output.get("output_type") == "error":
        return 2
    if output.get("output_type") == "stream":
        return _lines(output.get("text", ""))
    if "text/vnd.mermaid" in data:
        return DIAGRAM
    if "image/png" in data or "image/svg+xml" in data:
        return PICTURE
    if "text/html" in data:
        return max(1, data["text/html"].count("<tr"))
    for kind in ("text/markdown", "text/plain"):
        if kind in data:
            return _lines(data[kind])
    return 1


def height(cell):
    """Estimated height of a cell and its outputs, in lines of text."""
    size = _lines(cell.source)
    if cell.cell_type == "markdown":
        # headings are set in a larger font, the title in twice the size
        headings = len(re.findall(r"^#{1,6} ", cell.source, re.MULTILINE))
        title = len(re.findall(r"^# ", cell.source, re.MULTILINE))
        extra = headings + title + _gaps(cell.source)
        return size + extra + (DIAGRAM if "```mermaid" in cell.source else 0)
    frame = 0.5  # a code cell's box and the space before its output
    return size + frame + sum(_output_height(o) for o in cell.get("outputs", []))


def _heading(cell):
    """The level of the highest heading in a markdown cell (0 if none)."""
    levels = [len(m) for m in re.findall(r"^(#{1,6}) ", cell.source, re.MULTILINE)]
    return min(levels) if cell.cell_type == "markdown" and levels else 0


def _blocks(cells):
    """Runs of cells that belong together: a markdown cell and the code cells after it."""
    blocks = []
    for index, cell in enumerate(cells):
        if not blocks or cell.cell_type == "markdown":
            blocks.append([])
        blocks[-1].append(index)
    return blocks


def slide_types(nb):
    """The slide_type of every cell, in order.

    A block (a sentence and its queries) moves whole to a new sub-slide when it would
    overflow the current one; only a block taller than a slide is split between its cells,
    never right before a check cell, which stays with its answer.
    """
    cells = nb.cells
    types = ["-"] * len(cells)
    used = None
    for block in _blocks(cells):
        if "nav" in cells[block[0]].metadata.get("tags", []):
            types[block[0]] = "skip"
            block = block[1:]
        if not block:
            continue
        level = _heading(cells[block[0]])
        if used is None or level in (1, 2):
            types[block[0]], used = "slide", 0
        elif level == 3 or used + sum(height(cells[i]) for i in block) > BUDGET:
            types[block[0]], used = "subslide", 0
        for position, index in enumerate(block):
            cell = cells[index]
            if position and used + height(cell) > BUDGET and not CHECK.search(cell.source):
                types[index], used = "subslide", 0
            elif types[index] == "-" and "solution" in cell.metadata.get("tags", []):
                types[index] = "fragment"
            used += height(cell)
    return types


def with_slides(nb):
    """Set the slide metadata of a notebook in place; return True if anything changed."""
    before = ([c.metadata.get("slideshow") for c in nb.cells], nb.metadata.get("rise"))
    for cell, kind in zip(nb.cells, slide_types(nb), strict=True):
        cell.metadata["slideshow"] = {"slide_type": kind}
    nb.metadata["rise"] = dict(RISE)
    return before != ([c.metadata.get("slideshow") for c in nb.cells], nb.metadata.get("rise"))


def update_slides(paths, verify=False):
    """Set the slide metadata of `paths` (all numbered notebooks if empty); print a summary.

    With `verify`, write nothing and raise StaleError naming the notebooks that are stale.
    """
    paths = paths or series()
    stale = []
    notebooks = [(path, read(path)) for path in paths]  # a bad path: one line, nothing written
    for path, nb in notebooks:
        if with_slides(nb):
            stale.append(path.name)
            if not verify:
                nbformat.write(nb, path)
    if verify and stale:
        raise StaleError(f"slide metadata is stale in {', '.join(stale)}: run `make slides`")
    state = "stale" if verify else "updated"
    print(f"slides: {len(stale)} of {len(paths)} notebook(s) {state}")
