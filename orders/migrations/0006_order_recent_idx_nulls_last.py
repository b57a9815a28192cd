"""On PostgreSQL, rebuild order_recent_idx in the order the account-wide list sorts by.

The list sorts newest first with orders lacking a purchase time last (DESC NULLS LAST, and its
mirror ASC NULLS FIRST for oldest first). A plain DESC index in PostgreSQL puts NULLs first,
so the planner could not use it and sorted every order of the account for each page. SQLite's
index syntax has no NULLS LAST (and SQLite's DESC already puts NULLs last), so the model's
Meta keeps the portable definition and only PostgreSQL's physical index changes here.

A customer's list needs no such change: it reaches the orders through the customer's id,
and sorting one customer's few orders costs nothing.
"""

from django.db import migrations

# index name -> (columns as the model declares them, columns in the lists' sort order)
INDEXES = {
    "order_recent_idx": (
        '"purchase_datetime" DESC, "id" DESC',
        '"purchase_datetime" DESC NULLS LAST, "id" DESC',
    ),
}


def rebuild(apps, schema_editor, *, nulls_last: bool) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    table = quote(apps.get_model("orders", "Order")._meta.db_table)
    for name, (portable, sorted_like_lists) in INDEXES.items():
        columns = sorted_like_lists if nulls_last else portable
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")
        schema_editor.execute(f"CREATE INDEX {quote(name)} ON {table} ({columns})")


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_customer_folded_names")]

    operations = [
        migrations.RunPython(
            lambda apps, editor: rebuild(apps, editor, nulls_last=True),
            lambda apps, editor: rebuild(apps, editor, nulls_last=False),
        )
    ]
