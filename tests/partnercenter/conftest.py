from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from partnercenter import PartnerCenterClient, StaticTokenProvider

BASE = "https://pc.test"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture_json(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


class FakeSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def client(fake_sleep: FakeSleep) -> PartnerCenterClient:
    return PartnerCenterClient(
        api_base_url=BASE,
        token_provider=StaticTokenProvider("app-token"),
        user_token_provider=StaticTokenProvider("user-token"),
        price_sheet_base_url="https://partnerapi.test",
        sleep=fake_sleep,
        max_retries=2,
    )
