from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_client_library_does_not_import_django():
    code = (
        "import sys, partnercenter, partnercenter.client, partnercenter.resources, partnercenter.ratelimit;"
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_django_import_in_source():
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "partnercenter").rglob("*.py")
        if "simulator" not in p.parts and ("import django" in p.read_text() or "from django" in p.read_text())
    ]
    assert offenders == []
