"""Datasette plugin for `make browse`: a foreign key to a column other than the primary key links
to the row it names.

Datasette links a foreign-key cell to /db/table/<value>, the row page addressed by the primary
key. courses is keyed by rowid (which joins it to its full-text index) but referenced by its id,
so those links would answer 404: they link to the table filtered on the referenced column instead.
"""

from urllib.parse import urlencode

from datasette import hookimpl
from markupsafe import Markup


@hookimpl
def render_cell(value, column, table, database, datasette):
    if not isinstance(value, dict) or table is None:  # only expanded foreign-key cells
        return None

    async def link():
        db = datasette.get_database(database)
        fks = await db.foreign_keys_for_table(table)
        fk = next((fk for fk in fks if fk["column"] == column), None)
        if fk is None or [fk["other_column"]] == await db.primary_keys(fk["other_table"]):
            return None  # Datasette's own link is right
        query = urlencode({fk["other_column"]: value["value"]})
        url = f"{datasette.urls.table(database, fk['other_table'])}?{query}"
        return Markup('<a href="{}">{}</a>').format(url, value["label"] or value["value"])

    return link()


@hookimpl
def extra_template_vars(view_name, database, table, request, datasette):
    """A row page's "Links from other tables", counted and linked by the value of the column
    each foreign key references (courses.id), not by the row's primary key (its rowid), which
    Datasette uses: every course would show 0 sections, enrollments and reviews."""
    if view_name != "row" or table is None:
        return None

    async def links():
        from datasette.utils import escape_sqlite, tilde_decode

        db = datasette.get_database(database)
        incoming = (await db.get_all_foreign_keys())[table]["incoming"]
        keys = await db.primary_keys(table) or ["rowid"]
        values = [tilde_decode(v) for v in request.url_vars["pks"].split(",")]
        where = " AND ".join(f"{escape_sqlite(key)} = ?" for key in keys)
        row = (await db.execute(f"SELECT * FROM {escape_sqlite(table)} WHERE {where}",
                                values)).first()
        if row is None or not incoming:
            return {}
        found = []
        for fk in incoming:
            child, column, value = fk["other_table"], fk["other_column"], row[fk["column"]]
            count = (await db.execute(f"SELECT COUNT(*) FROM {escape_sqlite(child)} "
                                      f"WHERE {escape_sqlite(column)} = ?", [value])).first()[0]
            found.append({"other_table": child, "other_column": column, "count": count,
                          "link": f"{datasette.urls.table(database, child)}?"
                                  f"{urlencode({column: value})}"})
        return {"foreign_key_tables": found}

    return links
