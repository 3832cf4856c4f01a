"""Running the simulator as a real threaded HTTP(S) server."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cheroot import errors as cheroot_errors
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from .app import DropConnection, SimulatorApp
from .state import SimState
from .tls import CertPaths, ensure_certificates

DEFAULT_CERT_DIR = Path(tempfile.gettempdir()) / "pcsim-certs"
WORKER_THREADS = 48
"""Request threads; a held (timeout/latency fault, checkout hold) call keeps one busy. Idle keep-alive
connections wait in cheroot's selector and hold none."""
KEEP_ALIVE_SECONDS = 60


class _Server(wsgi.Server):
    """cheroot's WSGI server (HTTP/1.1 keep-alive, one TLS handshake per connection), quiet unless asked."""

    quiet = True

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        if not self.quiet:
            super().error_log(msg, level, traceback)


def _dropping(app: SimulatorApp) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """The app, with :class:`DropConnection` turned into "close the socket, write nothing" for cheroot."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except DropConnection:
            raise cheroot_errors.FatalSSLAlert("dropped on purpose (fault)") from None

    return serve


@dataclass
class RunningServer:
    app: SimulatorApp
    server: Any
    thread: threading.Thread
    scheme: str
    host: str
    port: int
    certs: CertPaths | None

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host  # noqa: S104 - reading, not binding
        return f"{self.scheme}://{host}:{self.port}"

    def stop(self) -> None:
        self.app.state.release.set()
        self.server.stop()
        self.thread.join(timeout=5)


def build_app(*, seed: int | str | None = 0, seed_data: bool = True, frozen_clock: bool = False,
              config: dict[str, Any] | None = None, quiet: bool = True) -> SimulatorApp:
    state = SimState(seed=seed, frozen_clock=frozen_clock)
    if config:
        state.base_config.update(config)
        state.config.update(config)
    return SimulatorApp(state, seed_data=seed_data, quiet=quiet)


def start_server(app: SimulatorApp, *, host: str = "127.0.0.1", port: int = 0, tls: bool = True,
                 cert_dir: str | Path | None = None, quiet: bool = True, background: bool = True) -> RunningServer:
    """Bind (port 0 = a free port) and serve in a daemon thread (or the caller's thread if not background).

    HTTP/1.1 with keep-alive: a client (``requests.Session``) pays the TLS handshake once per connection, so
    benchmarks measure the caller's code rather than the simulator's handshakes."""
    certs = ensure_certificates(cert_dir or DEFAULT_CERT_DIR) if tls else None
    server = _Server((host, port), _dropping(app), numthreads=WORKER_THREADS, server_name="pcsim",
                     timeout=KEEP_ALIVE_SECONDS, shutdown_timeout=2)
    server.quiet = quiet
    if certs is not None:
        server.ssl_adapter = BuiltinSSLAdapter(str(certs.cert), str(certs.key))
    server.prepare()
    bound_port = int(server.bind_addr[1])
    thread = threading.Thread(target=server.serve, name="pcsim-server", daemon=True)
    running = RunningServer(app, server, thread, "https" if tls else "http", host, bound_port, certs)
    if background:
        thread.start()
    return running
