"""Encryption at rest for secrets (Partner Center client secrets, refresh tokens).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`; MultiFernet so that FIELD_ENCRYPTION_KEYS can list a
new key first and old keys after it while `rotate_field_encryption` re-encrypts the rows.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        # Development fallback only (settings refuse to start without keys when DEBUG is off).
        derived = base64.urlsafe_b64encode(hashlib.sha256(("field-encryption:" + secret_key).encode()).digest())
        return MultiFernet([Fernet(derived)])
    return MultiFernet([Fernet(key.encode()) for key in keys])


def get_fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return get_fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return get_fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("Stored secret cannot be decrypted with the configured FIELD_ENCRYPTION_KEYS.") from exc


class EncryptedTextField(models.TextField):
    """Stores ciphertext; Python code sees plaintext. Empty stays empty so "not set" is visible without decrypting."""

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        if not value:
            return value
        return decrypt(value)

    def get_prep_value(self, value: object) -> str | None:
        prepared = super().get_prep_value(value)
        if prepared is None:
            return None
        text = str(prepared)
        return encrypt(text) if text else text
