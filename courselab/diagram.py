"""The ER diagram of a live schema: Mermaid source, and a picture drawn here, offline.

JupyterLab and the HTML export draw Mermaid; RISE has no Mermaid renderer, so
`show_er_diagram` also displays an SVG drawn with matplotlib (sharp at any projector size),
and a PNG of it for a notebook not yet trusted, which shows no SVG (`make lab` trusts ours).
Tables are laid out in columns by foreign-key depth (a table sits right of every table it
references); each line runs from a key to the column that references it, with a fork at
the "many" end.
"""

import io

from .db import table_names

ROW, HEAD, WIDTH, GAP_X, GAP_Y, DPI = 15, 20, 190, 60, 14, 100


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


def layout(conn):
    """(columns, keys, {table: (x, y, height)}, (width, height)) of the diagram, in pixels."""
    columns, keys = schema(conn)
    depth = _depths([t for t, _ in columns], keys)
    boxes = {}
    for level in sorted(set(depth.values())):
        y = 0
        for table, cols in columns:
            if depth[table] == level:
                height = HEAD + ROW * len(cols) + 6
                boxes[table] = (level * (WIDTH + GAP_X), y, height)
                y += height + GAP_Y
    width = (max(depth.values(), default=0) + 1) * (WIDTH + GAP_X) - GAP_X + 2
    height = max((y + h for _x, y, h in boxes.values()), default=0) + 2
    return columns, keys, boxes, (width, height)


def png(conn):
    """The ER diagram as PNG bytes."""
    return _draw(conn, "png", {"Software": None})


def svg(conn):
    """The ER diagram as SVG text: glyphs drawn as paths, and the same bytes on every run."""
    import matplotlib

    with matplotlib.rc_context({"svg.hashsalt": "courselab", "svg.fonttype": "path"}):
        return _draw(conn, "svg", {"Date": None, "Creator": None}).decode()


def _draw(conn, kind, metadata):
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    columns, keys, boxes, (width, height) = layout(conn)
    fig = plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(-1, width - 1)
    ax.set_ylim(height - 1, -1)
    ax.axis("off")
    rows = {t: [name for name, _kind, _pk in cols] for t, cols in columns}
    for parent, child, via, to in keys:
        _edge(ax, boxes[parent], _row(rows[parent], to), boxes[child], _row(rows[child], via))
    for table, cols in columns:
        _box(ax, table, cols, *boxes[table])
    out = io.BytesIO()
    fig.savefig(out, format=kind, dpi=DPI, metadata=metadata)
    plt.close(fig)
    return out.getvalue()


def _row(names, column):
    """The middle of a column's row in its box, from the box's top."""
    index = names.index(column) if column in names else 0
    return HEAD + ROW * index + ROW / 2 + 2


def _edge(ax, parent, parent_row, child, child_row):
    """A one-to-many line from the parent's key to the child's column, with a fork there."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    (px, py, _ph), (cx, cy, _ch) = parent, child
    line = {"color": "#555", "linewidth": 0.8, "zorder": 1}
    if px == cx:  # a self-reference (a course requires a course): a loop on the right side
        x, y1, y2 = px + WIDTH, py + parent_row, cy + child_row
        ax.plot([x, x + 24, x + 24, x], [y1, y1, y2, y2], **line)
        ax.plot([x + 8, x, x + 8], [y2 - 5, y2, y2 + 5], **line)
        return
    x1, y1, x2, y2 = px + WIDTH, py + parent_row, cx, cy + child_row
    mid = (x1 + x2) / 2
    curve = Path([(x1, y1), (mid, y1), (mid, y2), (x2 - 8, y2), (x2, y2)],
                 [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.LINETO])
    ax.add_patch(PathPatch(curve, fill=False, edgecolor=line["color"],
                           linewidth=line["linewidth"], zorder=1))
    ax.plot([x2, x2 - 8, x2], [y2 - 5, y2, y2 + 5], **line)


def _box(ax, table, cols, x, y, height):
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x, y), WIDTH, height, facecolor="white", edgecolor="#333",
                           linewidth=0.8, zorder=2))
    ax.add_patch(Rectangle((x, y), WIDTH, HEAD, facecolor="#dde6f3", edgecolor="#333",
                           linewidth=0.8, zorder=2))
    text = {"family": "DejaVu Sans Mono", "size": 8, "va": "center", "zorder": 3}
    ax.text(x + 6, y + HEAD / 2, table, weight="bold", **text)
    for i, (name, kind, pk) in enumerate(cols):
        middle = y + HEAD + ROW * i + ROW / 2 + 2
        ax.text(x + 6, middle, f"{name}{' PK' if pk else ''}", **text)
        ax.text(x + WIDTH - 6, middle, kind[:12], ha="right", color="#666", **text)
