"""Production settings fail loudly without their secrets; the embedded defaults need nothing."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _check(env_overrides: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEYS"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_debug_off_without_secret_key_refuses_to_start():
    result = _check({"DEBUG": "0", "ALLOWED_HOSTS": "bss.example.com", "FIELD_ENCRYPTION_KEYS": "x"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_debug_off_without_encryption_keys_refuses_to_start():
    result = _check({"DEBUG": "0", "ALLOWED_HOSTS": "bss.example.com", "SECRET_KEY": "k" * 60})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr


def test_embedded_defaults_need_no_variables():
    result = _check({"DEBUG": ""})
    assert result.returncode == 0, result.stderr
