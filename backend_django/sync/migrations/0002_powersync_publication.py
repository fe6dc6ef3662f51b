"""The publication PowerSync replicates from: `powersync`, listing only the synced tables.

PostgreSQL only (a no-op elsewhere). An existing `powersync` publication is
kept: the plans table is added to it unless it already publishes every table.
Logical replication itself needs wal_level=logical and a role WITH
REPLICATION (docs/sync.md); a publication can be created without them.
"""

from django.db import migrations

PUBLICATION = "powersync"
SYNCED_MODELS = [("plans", "Plan")]


def create_publication(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    tables = [apps.get_model(app, model)._meta.db_table for app, model in SYNCED_MODELS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT puballtables FROM pg_publication WHERE pubname = %s", [PUBLICATION])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(f"CREATE PUBLICATION {quote(PUBLICATION)} FOR TABLE {', '.join(map(quote, tables))}")
            return
        if row[0]:
            return  # FOR ALL TABLES already includes them
        cursor.execute(
            "SELECT tablename FROM pg_publication_tables WHERE pubname = %s AND schemaname = current_schema()",
            [PUBLICATION],
        )
        published = {name for (name,) in cursor.fetchall()}
        for table in tables:
            if table not in published:
                cursor.execute(f"ALTER PUBLICATION {quote(PUBLICATION)} ADD TABLE {quote(table)}")


def drop_publication(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP PUBLICATION IF EXISTS {connection.ops.quote_name(PUBLICATION)}")


class Migration(migrations.Migration):
    dependencies = [
        ("sync", "0001_signing_key"),
        ("plans", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_publication, drop_publication, elidable=False)]
