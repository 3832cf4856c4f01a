"""Seed the least-privilege GDAP role templates (helpdesk, licence management, security reader) for every existing
Partner Center instance. None becomes the default: staff choose it (new instances get them from
`bss.services.gdap.gdap_templates_seed`)."""

from django.db import migrations

TEMPLATES = (
    ("Helpdesk", "Password resets, service requests and reading the directory.",
     ["729827e3-9c14-49f7-bb1b-9608f156bbb8", "f023fd81-a637-4b56-95fd-791ac0226033",
      "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"]),
    ("Licence management", "Assigning and removing licences; reading the directory.",
     ["4d6ac14f-3453-41d0-bef9-a3e0c569773a", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"]),
    ("Security reader", "Read-only access to security information and reports.",
     ["5d6b6bb7-de71-4623-b4af-96380a352509", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"]),
)


def seed(apps, schema_editor):
    Instance = apps.get_model("bss", "PartnerCenterInstance")
    Template = apps.get_model("bss", "GdapRoleTemplate")
    for instance in Instance.objects.all():
        for name, description, role_ids in TEMPLATES:
            Template.objects.get_or_create(
                instance=instance, name=name,
                defaults={"description": description, "role_ids": role_ids, "duration_days": 730,
                          "auto_extend": True},
            )


class Migration(migrations.Migration):
    dependencies = [("bss", "0006_gdap")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
