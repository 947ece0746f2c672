"""The ER diagram of a live schema: Mermaid source, and an SVG drawn here, offline.

JupyterLab draws Mermaid; RISE and other viewers do not, so `show_er_diagram` displays both
(the viewer picks what it can render). The SVG is laid out in columns by foreign-key depth
(a table sits right of every table it references) and is byte-for-byte deterministic.
"""

from html import escape

from .db import table_names

ROW, HEAD, WIDTH, GAP_X, GAP_Y, CHAR = 15, 20, 190, 60, 14, 6.6
FONT = "font-family='DejaVu Sans Mono, monospace' font-size='11'"


def schema(conn):
    """([(table, [(column, type, is_pk)])], [(parent, child, child column, parent column)])."""
    tables = [t for t in table_names(conn) if t != "schema_migrations"]
    columns = [(t, [(c[1], (c[2] or "ANY").replace(" ", "_"), bool(c[5]))
                    for c in conn.execute(f"PRAGMA table_info('{t}')")]) for t in tables]
    keys = [(fk[2], t, fk[3], fk[4] or "rowid") for t in tables
            for fk in conn.execute(f"PRAGMA foreign_key_list('{t}')")]
    return columns, keys


def mermaid(conn):
    """A Mermaid erDiagram of the live schema (tables, columns, foreign keys)."""
    columns, keys = schema(conn)
    lines = ["erDiagram"]
    for table, cols in columns:
        lines.append(f"    {table} {{")
        lines += [f"        {kind} {name}{' PK' if pk else ''}" for name, kind, pk in cols]
        lines.append("    }")
    lines += [f'    {parent} ||--o{{ {child} : "{via}"' for parent, child, via, _to in keys]
    return "\n".join(lines)


def summary(conn):
    """The diagram in words: one sentence per parent table, for readers who cannot see it."""
    _columns, keys = schema(conn)
    children = {}
    for parent, child, via, _to in keys:
        children.setdefault(parent, []).append(f"{child} (by {via})")
    return " ".join(f"Each row of {parent} has many rows of {', '.join(kids)}."
                    for parent, kids in sorted(children.items()))


def _depths(tables, keys):
    depth = dict.fromkeys(tables, 0)
    for _ in tables:  # longest path; a self-reference (011) does not push a table right
        for parent, child, *_columns in keys:
            if parent != child and parent in depth:
                depth[child] = max(depth[child], depth[parent] + 1)
    return depth


def svg(conn):
    """The ER diagram as an SVG document (boxes per table, a line per foreign key)."""
    columns, keys = schema(conn)
    depth = _depths([t for t, _ in columns], keys)
    boxes, heights = {}, {}
    for level in sorted(set(depth.values())):
        y = 0
        for table, cols in columns:
            if depth[table] == level:
                boxes[table] = (level * (WIDTH + GAP_X), y)
                heights[table] = HEAD + ROW * len(cols) + 6
                y += heights[table] + GAP_Y
    width = (max(depth.values(), default=0) + 1) * (WIDTH + GAP_X) - GAP_X + 2
    height = max((boxes[t][1] + heights[t] for t in boxes), default=0) + 2
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' class='er-diagram' "
           f"aria-roledescription='er' role='img' width='{width}' height='{height}' "
           f"viewBox='-1 -1 {width} {height}' style='max-width: 100%; height: auto'>",
           f"<title>ER diagram</title><desc>{escape(summary(conn))}</desc>"]
    rows = {t: [name for name, _kind, _pk in cols] for t, cols in columns}
    for parent, child, via, to in keys:
        out.append(_edge(boxes[parent], _row(rows[parent], to),
                         boxes[child], _row(rows[child], via)))
    for table, cols in columns:
        out.append(_box(table, cols, *boxes[table], heights[table]))
    out.append("</svg>")
    return "\n".join(out)


def _row(names, column):
    """The middle of a column's row in its box, from the box's top."""
    index = names.index(column) if column in names else 0
    return HEAD + ROW * index + ROW / 2 + 2


def _edge(parent, parent_row, child, child_row):
    """A one-to-many line from the parent's key to the child's column, with a fork there."""
    (px, py), (cx, cy) = parent, child
    if px == cx:  # a self-reference (a course requires a course): a loop on the right side
        x, y1, y2 = px + WIDTH, py + parent_row, cy + child_row
        return (f"<path d='M{x},{y1} h24 V{y2} h-16' fill='none' stroke='#555'/>"
                f"<path d='M{x + 8},{y2} l-8,-5 M{x + 8},{y2} l-8,5' stroke='#555'/>")
    x1, y1, x2, y2 = px + WIDTH, py + parent_row, cx, cy + child_row
    mid = (x1 + x2) / 2
    return (f"<path d='M{x1},{y1} C{mid},{y1} {mid},{y2} {x2 - 8},{y2} H{x2}' fill='none' "
            f"stroke='#555'/><path d='M{x2 - 8},{y2} L{x2},{y2 - 5} M{x2 - 8},{y2} L{x2},{y2 + 5}'"
            f" stroke='#555'/>")


def _box(table, cols, x, y, height):
    rows = [f"<g class='er-entity'><rect x='{x}' y='{y}' width='{WIDTH}' height='{height}' "
            f"fill='#fff' stroke='#333'/><rect x='{x}' y='{y}' width='{WIDTH}' "
            f"height='{HEAD}' fill='#dde6f3' stroke='#333'/>",
            f"<text x='{x + 6}' y='{y + 14}' {FONT} font-weight='bold'>{escape(table)}</text>"]
    for i, (name, kind, pk) in enumerate(cols):
        label = f"{name}{' PK' if pk else ''}"
        kind = kind[: max(4, int((WIDTH - 12) / CHAR) - len(label) - 1)]
        baseline = y + HEAD + ROW * i + 13
        rows.append(f"<text x='{x + 6}' y='{baseline}' {FONT}>{escape(label)}</text>"
                    f"<text x='{x + WIDTH - 6}' y='{baseline}' {FONT} fill='#666' "
                    f"text-anchor='end'>{escape(kind)}</text>")
    rows.append("</g>")
    return "".join(rows)
