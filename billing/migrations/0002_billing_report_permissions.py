"""Permissions of the billing back office's reports, which no model's default permissions express: the accounting
export (every invoice line with its revenue account) and the margin report (our cost and margin)."""

from django.db import migrations

PERMISSIONS = (
    ("export_accounting", "Can export invoice lines to accounting"),
    ("view_margin_report", "Can view the margin report (revenue, cost, margin)"),
)


def add_permissions(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="billing", model="invoice")
    for codename, name in PERMISSIONS:
        Permission.objects.get_or_create(content_type=content_type, codename=codename, defaults={"name": name})


def remove_permissions(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="billing", codename__in=[c for c, _ in PERMISSIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(add_permissions, remove_permissions)]
