"""The long jobs' shared progress bar: done / total, percentage, and the time left at the pace so far."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from backoffice.templatetags.progress import describe, remaining
from tests.factories.reconciliation import ReconciliationRunFactory

TAG = Template('{% load progress %}{% progress_bar done total started "job" %}')


def _render(**values) -> str:
    request = RequestFactory().get("/")
    request.csp_nonce = "n0nce"  # type: ignore[attr-defined]
    return TAG.render(Context({"request": request, **values}))


def test_time_left_follows_the_pace_so_far():
    now = timezone.now()
    assert remaining(25, 100, now - dt.timedelta(minutes=5), now) == dt.timedelta(minutes=15)
    assert remaining(0, 100, now, now) is None and remaining(100, 100, now, now) is None
    assert remaining(5, 10, None, now) is None
    assert describe(dt.timedelta(seconds=20)) == "less than a minute left"
    assert describe(dt.timedelta(minutes=15)) == "about 15 minutes left"
    assert describe(dt.timedelta(hours=3)) == "about 3 hours left"


def test_partial_shows_done_total_percent_and_estimate_without_style_attributes():
    html = _render(done=30, total=120, started=timezone.now() - dt.timedelta(minutes=3))
    assert "<strong>30</strong> / <strong>120</strong> · 25 %" in html and "about 9 minutes left" in html
    assert '<style nonce="n0nce">#job .progress > span { width: 25%; }</style>' in html
    assert "style=" not in html.replace('<style nonce="n0nce">', "")
    assert 'aria-valuenow="25"' in html


@pytest.mark.django_db
def test_reconciliation_run_page_uses_it(client):
    from tests.backoffice.conftest import staff_with

    run = ReconciliationRunFactory(customers_total=8, customers_done=2, status="running",
                                   started_at=timezone.now() - dt.timedelta(minutes=1))
    client.force_login(staff_with("reconciliation.view_reconciliationrun"))
    html = client.get(reverse("reconciliation:run_detail", args=[run.pk])).content.decode()
    assert "<strong>2</strong> / <strong>8</strong> · 25 %" in html and "minutes left" in html
