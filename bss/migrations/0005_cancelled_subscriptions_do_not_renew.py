"""A cancelled subscription never renews: Partner Center turns auto-renew off when it cancels, and the BSS now does
too (bss.services.subscriptions.subscription_apply_status). Rows cancelled before that kept auto-renew on."""

from django.db import migrations


def cancelled_do_not_renew(apps, schema_editor):
    Subscription = apps.get_model("bss", "Subscription")
    Subscription.objects.filter(status="deleted", auto_renew=True).update(auto_renew=False)


class Migration(migrations.Migration):
    dependencies = [("bss", "0004_ledger_billing_history")]

    operations = [migrations.RunPython(cancelled_do_not_renew, migrations.RunPython.noop)]
