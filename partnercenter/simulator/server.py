"""Running the simulator as a real threaded HTTP(S) server."""

from __future__ import annotations

import logging
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, ThreadedWSGIServer, WSGIRequestHandler, make_server

from .app import SimulatorApp
from .state import SimState
from .tls import CertPaths, ensure_certificates

DEFAULT_CERT_DIR = Path(tempfile.gettempdir()) / "pcsim-certs"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if not getattr(self.server, "quiet", True):
            super().log_request(code, size)

    def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
        """A dropped connection (client gone, or a drop/timeout fault) is not an error; close it without
        writing anything so the client sees the connection end."""
        self.close_connection = True

    def log_error(self, format: str, *args: Any) -> None:
        if not getattr(self.server, "quiet", True):
            super().log_error(format, *args)


@dataclass
class RunningServer:
    app: SimulatorApp
    server: BaseWSGIServer
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
        self.server.shutdown()
        self.server.server_close()
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
    """Bind (port 0 = a free port) and serve in a daemon thread (or the caller's thread if not background)."""
    certs = ensure_certificates(cert_dir or DEFAULT_CERT_DIR) if tls else None
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler,
                         ssl_context=certs.ssl_context() if certs else None)
    if isinstance(server, ThreadedWSGIServer):
        server.daemon_threads = True
    server.quiet = quiet  # type: ignore[attr-defined]
    if not quiet:
        logging.getLogger("werkzeug").setLevel(logging.INFO)
    thread = threading.Thread(target=server.serve_forever, name="pcsim-server", daemon=True)
    running = RunningServer(app, server, thread, "https" if tls else "http", host, server.server_port, certs)
    if background:
        thread.start()
    return running
