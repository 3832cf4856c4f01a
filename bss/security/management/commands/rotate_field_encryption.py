"""Re-encrypt every encrypted column with the newest key of FIELD_ENCRYPTION_KEYS.

Key rotation, step by step:
1. generate a key: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
2. put it FIRST in FIELD_ENCRYPTION_KEYS (keep the old keys after it) and restart web and workers;
3. run `manage.py rotate_field_encryption` (values are read with any listed key, written with the first);
4. `manage.py rotate_field_encryption --check` must report nothing left; then drop the old keys.

Every `EncryptedTextField` of every installed model is covered (Partner Center secrets, TOTP secrets, and any
column added later). Each row is re-read under a row lock, so a secret saved meanwhile is never overwritten with
an older value. No secret or ciphertext is printed.
"""

from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models.functions import Cast

from bss.crypto import EncryptedTextField, decrypt


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the newest FIELD_ENCRYPTION_KEYS key (--check: only report)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Change nothing; fail if any value is not under the newest key."
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        keys = list(settings.FIELD_ENCRYPTION_KEYS)
        if not keys:
            self.stdout.write("FIELD_ENCRYPTION_KEYS is not set (development key from SECRET_KEY): nothing to rotate.")
            return
        newest = Fernet(keys[0].encode())
        stale_total = broken_total = 0
        for model, field in encrypted_columns():
            rotated, current, broken = self._column(model, field, newest, check=check)
            stale_total += rotated
            broken_total += broken
            verb = "need re-encryption" if check else "re-encrypted"
            self.stdout.write(
                f"{model._meta.label}.{field.name}: {rotated} {verb}, {current} already current, {broken} unreadable"
            )
        if broken_total:
            raise CommandError(f"{broken_total} value(s) cannot be decrypted with any key of FIELD_ENCRYPTION_KEYS.")
        if check and stale_total:
            raise CommandError(f"{stale_total} value(s) are not encrypted with the newest key yet.")
        self.stdout.write(self.style.SUCCESS("All encrypted values use the newest key."))

    def _column(
        self, model: type[models.Model], field: EncryptedTextField, newest: Fernet, *, check: bool
    ) -> tuple[int, int, int]:
        rotated = current = broken = 0
        manager = model._base_manager
        raw = Cast(field.attname, output_field=models.TextField())
        pks = list(manager.exclude(**{f"{field.attname}__isnull": True}).values_list("pk", flat=True))
        for pk in pks:
            with transaction.atomic():
                row = (
                    manager.select_for_update(of=("self",))
                    .filter(pk=pk)
                    .annotate(_ciphertext=raw)
                    .values_list("_ciphertext", flat=True)
                    .first()
                )
                if not row:
                    continue
                try:
                    newest.decrypt(row.encode())
                except InvalidToken:
                    pass
                else:
                    current += 1
                    continue
                try:
                    plaintext = decrypt(row)
                except ValueError:
                    broken += 1
                    continue
                rotated += 1
                if not check:
                    # update() skips save() and auto_now: rotation is not a change of the secret itself.
                    manager.filter(pk=pk).update(**{field.attname: plaintext})
        return rotated, current, broken


def encrypted_columns() -> list[tuple[type[models.Model], EncryptedTextField]]:
    columns: list[tuple[type[models.Model], EncryptedTextField]] = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns.extend((model, field) for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField))
    return columns
