"""Sign-in throttling under concurrency: a burst of parallel guesses gets no more checks than the limit allows.

Each attempt reserves its place in the count before its password or code is checked; these tests fire attempts
from many threads at once (each with its own database connection, on a database every thread sees) and count how
many credentials were actually checked."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.test import Client
from django.urls import reverse

from bss.security.models import LoginFailure, LoginLockout
from tests.factories.bss import CustomerUserFactory
from tests.security.conftest import PASSWORD, enrol, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 25
LIMIT = 5
WRONG = "wrong-password-123"


class CountingHasher(MD5PasswordHasher):
    """MD5 (cheap to set up in tests) that counts every password it checks and takes as long to check a wrong one
    as the production hasher does (~0.2 s), which is the window a burst of guesses races through."""

    checks = 0
    counter_lock = threading.Lock()

    def verify(self, password: str, encoded: str) -> bool:
        with CountingHasher.counter_lock:
            CountingHasher.checks += 1
        matches = super().verify(password, encoded)
        if not matches:
            time.sleep(0.2)
        return matches


class GatedHasher(MD5PasswordHasher):
    """Holds every wrong password inside its check until the test opens the gate: those attempts are in flight."""

    inside = threading.Semaphore(0)
    gate = threading.Event()

    def verify(self, password: str, encoded: str) -> bool:
        matches = super().verify(password, encoded)
        if not matches:
            GatedHasher.inside.release()
            GatedHasher.gate.wait(timeout=15)
        return matches


@pytest.fixture
def limits(settings, shared_database):
    settings.LOGIN_LOCKOUT_MAX_FAILURES_PER_ACCOUNT = LIMIT
    settings.LOGIN_LOCKOUT_MAX_FAILURES_PER_IP = 1000
    settings.LOGIN_LOCKOUT_WINDOW_SECONDS = 900
    settings.LOGIN_LOCKOUT_DURATION_SECONDS = 900
    return settings


def _in_thread(fn):
    """Run fn in a worker thread with its own connection, closed afterwards (else the test database stays busy)."""

    def run(*args):
        try:
            return fn(*args)
        finally:
            connection.close()

    return run


def _post_login(username: str, password: str) -> tuple[int, bool]:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code, client.session.get("_auth_user_id") is not None


def test_a_burst_of_wrong_passwords_gets_at_most_the_limit_checked(limits):
    limits.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    user = CustomerUserFactory()
    CountingHasher.checks = 0
    start = threading.Barrier(PARALLEL)

    @_in_thread
    def guess(_: int) -> tuple[int, bool]:
        start.wait(timeout=30)
        return _post_login(user.username, WRONG)

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(guess, range(PARALLEL)))

    checked = CountingHasher.checks
    assert checked <= LIMIT, f"{checked} of {PARALLEL} parallel wrong passwords were checked (limit {LIMIT})"
    assert [status for status, _ in results].count(429) >= PARALLEL - LIMIT
    assert LoginFailure.objects.filter(username=user.username).count() <= LIMIT
    assert LoginLockout.objects.filter(scope="account", username=user.username).count() == 1
    # Locked now: the right password is refused without being checked.
    assert _post_login(user.username, PASSWORD) == (429, False)
    assert CountingHasher.checks == checked


def test_the_right_password_is_refused_while_the_limit_of_guesses_is_being_checked(limits):
    limits.PASSWORD_HASHERS = [f"{__name__}.GatedHasher"]
    user = CustomerUserFactory()
    GatedHasher.inside = threading.Semaphore(0)
    GatedHasher.gate.clear()

    @_in_thread
    def guess(_: int) -> tuple[int, bool]:
        return _post_login(user.username, WRONG)

    with ThreadPoolExecutor(LIMIT) as pool:
        futures = [pool.submit(guess, n) for n in range(LIMIT)]
        try:
            for _ in range(LIMIT):  # the limit's worth of wrong passwords are being checked right now
                assert GatedHasher.inside.acquire(timeout=15), "the guesses did not reach the password check"
            right = _post_login(user.username, PASSWORD)
        finally:
            GatedHasher.gate.set()
        guesses = [future.result(timeout=30) for future in futures]

    assert right == (429, False), "the right password signed in inside a burst of guesses that used up the limit"
    assert not any(signed_in for _, signed_in in guesses)
    assert _post_login(user.username, PASSWORD) == (429, False)


def test_a_burst_of_wrong_second_factor_codes_gets_at_most_the_limit_checked(limits):
    enrolled = enrol(CustomerUserFactory())
    clients = []
    for _ in range(PARALLEL):  # each one past the password step, waiting for the code
        client = Client()
        response = sign_in(client, enrolled.user)
        assert response.status_code == 302 and response.url == reverse("security:login_verify")
        clients.append(client)
    wrong = "000000" if enrolled.code() != "000000" else "111111"
    start = threading.Barrier(PARALLEL)

    @_in_thread
    def guess(client: Client) -> int:
        start.wait(timeout=30)
        return client.post(reverse("security:login_verify"), {"code": wrong}).status_code

    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(guess, clients))

    checked = LoginFailure.objects.filter(username=enrolled.user.username, reason="mfa").count()
    assert checked <= LIMIT, f"{checked} of {PARALLEL} parallel wrong codes were checked (limit {LIMIT})"
    assert LoginLockout.objects.filter(scope="account", username=enrolled.user.username).count() == 1
    # Locked now: even the right password is refused, so the right code is never asked for.
    late = Client()
    assert sign_in(late, enrolled.user).status_code == 429
    assert late.session.get("_auth_user_id") is None
