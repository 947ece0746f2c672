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
