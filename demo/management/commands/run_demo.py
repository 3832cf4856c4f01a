"""`make demo`: start the Partner Center simulator, seed demo data, start a Celery worker (with beat) on the
embedded transport and the web server; print the URL and fresh logins; stop everything on Ctrl-C."""

import http.client
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyotp
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from bss.models import User
from bss.security.models import TOTPDevice
from bss.security.services import recovery_codes_regenerate, totp_enrolment_confirm, totp_enrolment_start
from demo.management.commands.seed_demo import DEMO_USERS, TENANT_RESELLER_MPN, TENANT_RESELLER_TENANT_ID
from partnercenter.simulator.seed import INDIRECT_TENANT
from partnercenter.simulator.testing import Control


def _command_name(args: object) -> object:
    """What a child process runs, for a message: the module or script of ``python -m X``/``python X``."""
    return args[2] if isinstance(args, list) and len(args) > 2 else args


class Command(BaseCommand):
    help = "Run the whole product on embedded defaults (see README)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--simulator-port", type=int, default=8765)
        parser.add_argument("--no-worker", action="store_true", help="Do not start the Celery worker")

    def handle(self, *args: Any, **options: Any) -> None:
        port = int(options["port"])
        sim_port = int(options["simulator_port"])
        var = Path(settings.VAR_DIR)
        cert_dir = var / "simulator"
        sim_url = f"https://127.0.0.1:{sim_port}"
        env = {**os.environ, "PARTNER_CENTER_CA_BUNDLE": str(cert_dir / "ca.pem"), "PYTHONUNBUFFERED": "1"}
        children: list[subprocess.Popen[bytes]] = []

        def stop(*_: object) -> None:
            for child in reversed(children):
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

        def stop_and_exit(*_: object) -> None:
            stop()
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop_and_exit)
        try:
            logs = var / "logs"
            logs.mkdir(exist_ok=True)
            children.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "partnercenter.simulator",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(sim_port),
                        "--cert-dir",
                        str(cert_dir),
                    ],
                    env=env,
                    stdout=(logs / "simulator.log").open("ab"),
                    stderr=subprocess.STDOUT,
                )
            )
            self._wait_for_simulator(sim_url, cert_dir / "ca.pem", children[-1])
            self._register_tenant_reseller(sim_url, cert_dir / "ca.pem")
            call_command("seed_demo", simulator_url=sim_url)
            settings.PARTNER_CENTER_CA_BUNDLE = str(cert_dir / "ca.pem")  # this process talks to the simulator too
            call_command("demo_catalog")
            logins = self._fresh_passwords()
            totp_secret, recovery_codes = self._staff_second_factor()
            if not options["no_worker"]:
                children.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "celery",
                            "-A",
                            "config",
                            "worker",
                            "--beat",
                            "--pool=threads",
                            "--concurrency=4",
                            "--queues=celery,sweeps",
                            "--loglevel=INFO",
                            f"--schedule={var / 'celerybeat-schedule'}",
                        ],
                        env=env,
                        stdout=(logs / "worker.log").open("ab"),
                        stderr=subprocess.STDOUT,
                    )
                )
            children.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                    env=env,
                    cwd=settings.BASE_DIR,
                )
            )
            self._wait_for_web(port, children[-1])
            self._print_banner(port, sim_url, logins, logs, totp_secret, recovery_codes)
            while all(child.poll() is None for child in children):
                time.sleep(1)
            failed = [_command_name(child.args) for child in children if child.poll()]
            raise CommandError(f"A demo process stopped unexpectedly ({failed}); see {logs}.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping the demo...")
        finally:
            stop()

    def _wait_for_simulator(self, url: str, ca: Path, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError("The Partner Center simulator did not start; see var/logs/simulator.log.")
            try:
                if ca.exists():
                    Control(url, verify=str(ca), timeout=2).state()
                    return
            except (OSError, RuntimeError):  # not listening yet (requests' errors are OSErrors), or not ready
                pass
            time.sleep(0.3)
        raise CommandError("The Partner Center simulator did not answer within 30 s.")

    def _register_tenant_reseller(self, url: str, ca: Path) -> None:
        # The simulator starts from its seed on every run; tell it about the demo's tenant reseller.
        Control(url, verify=str(ca), timeout=10).add_reseller(
            INDIRECT_TENANT,
            tenantId=TENANT_RESELLER_TENANT_ID,
            name="Northwind Cloud Solutions",
            mpnId=TENANT_RESELLER_MPN,
            location="US",
            mpaAccepted=True,
        )

    def _wait_for_web(self, port: int, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                connection.getresponse()
                return
            except (OSError, http.client.HTTPException):
                time.sleep(0.3)
            finally:
                connection.close()

    def _fresh_passwords(self) -> dict[str, str]:
        logins = {}
        for user in User.objects.filter(username__in=DEMO_USERS):
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            user.save(update_fields=["password"])
            logins[user.username] = password
        return logins

    def _staff_second_factor(self) -> tuple[str, list[str]]:
        """Back-office staff must use MFA: give the demo admin an authenticator (its key is printed, to add to an
        app) and fresh recovery codes, each good for one sign-in without the app."""
        admin = User.objects.get(username="admin")
        device = TOTPDevice.objects.filter(user=admin, confirmed_at__isnull=False).first()
        if device is None:
            device = totp_enrolment_start(user=admin)
            totp_enrolment_confirm(user=admin, code=pyotp.TOTP(device.secret).now())
        return device.secret, recovery_codes_regenerate(user=admin)[:3]

    def _print_banner(
        self, port: int, sim_url: str, logins: dict[str, str], logs: Path, totp_secret: str, recovery_codes: list[str]
    ) -> None:
        roles = {
            "admin": "provider staff (back office)",
            "tailspin": "light reseller",
            "northwind": "tenant reseller",
            "relecloud": "customer (Relecloud: a tenant and subscriptions)",
        }
        lines = [
            "",
            "=" * 72,
            f"  cspbss is running:   http://127.0.0.1:{port}/",
            f"  Partner Center simulator: {sim_url}   (logs in {logs})",
            "  Logins (new passwords on every start):",
            *[f"    {name:<10} {logins[name]:<14} {roles.get(name, '')}" for name in DEMO_USERS if name in logins],
            "  admin signs in with a second factor (staff always do): add this key to an authenticator app",
            f"    {totp_secret}",
            f"  or use one of these one-time recovery codes: {', '.join(recovery_codes)}",
            "  Ctrl-C stops everything.",
            "=" * 72,
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
