"""Catalog products: pages half full (PostgreSQL ``fillfactor``), so a sync's "seen again" update is HOT.

Every sync marks the products it saw (``last_seen_run``/``last_seen_at``, neither indexed). With full pages each
updated row moved to another page and got new entries in every index: 1.1 s for the 86k products of a 600k-row
sheet. With room on its own page the new row version stays there and no index is touched (a heap-only tuple):
0.3 s. Later syncs reuse the room, as PostgreSQL prunes the old versions on the page.
"""

from django.db import migrations


def _set_fillfactor(value: str):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE catalog_product {value}")

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_bulk_row_timestamps_default_in_database")]

    operations = [
        migrations.RunPython(_set_fillfactor("SET (fillfactor = 50)"), _set_fillfactor("RESET (fillfactor)")),
    ]
