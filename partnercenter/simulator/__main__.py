"""``python -m partnercenter.simulator --port 8765``: run the Partner Center simulator."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .seed import PARTNERS
from .server import DEFAULT_CERT_DIR, build_app, start_server


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m partnercenter.simulator",
        description="A local Partner Center REST API + token endpoint simulator (control API under /_sim/).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 = any free port; default 8765)")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--tls", dest="tls", action="store_true", default=True,
                     help="serve HTTPS with a local CA (default; MSAL requires https)")
    tls.add_argument("--no-tls", dest="tls", action="store_false", help="serve plain HTTP")
    parser.add_argument("--cert-dir", default=str(DEFAULT_CERT_DIR),
                        help=f"directory for ca.pem, server.pem, server-key.pem (default {DEFAULT_CERT_DIR})")
    parser.add_argument("--seed", default="0", help="seed of the id generators (default 0)")
    parser.add_argument("--empty", action="store_true", help="start with partner accounts only, no demo customers")
    parser.add_argument("--order-delay", type=float, default=2.0,
                        help="simulated seconds an order stays pending before completing (default 2)")
    parser.add_argument("--order-list-lag", type=float, default=0.0,
                        help="simulated seconds before a new order appears in the order list (default 0)")
    parser.add_argument("--rate-limit", type=int, default=500,
                        help="requests per minute per partner tenant and resource family; 0 disables (default 500)")
    parser.add_argument("--token-lifetime", type=int, default=3600, help="access token lifetime in seconds")
    parser.add_argument("--frozen-clock", action="store_true", help="simulated time only moves via /_sim/clock")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    seed: int | str = int(args.seed) if args.seed.lstrip("-").isdigit() else args.seed
    app = build_app(
        seed=seed, seed_data=not args.empty, frozen_clock=args.frozen_clock, quiet=not args.verbose,
        config={"order_provisioning_seconds": args.order_delay, "order_list_lag_seconds": args.order_list_lag,
                "rate_limit_per_minute": args.rate_limit, "token_lifetime_seconds": args.token_lifetime},
    )
    running = start_server(app, host=args.host, port=args.port, tls=args.tls, cert_dir=args.cert_dir,
                           quiet=not args.verbose)
    info = {
        "base_url": running.base_url,
        "login_url": running.base_url,
        "ca_bundle": str(running.certs.ca) if running.certs else None,
        "partners": [{"tenantId": p.tenant_id, "name": p.name, "mpnId": p.mpn_id, "cloud": p.cloud,
                      "kind": p.kind, "sandbox": p.sandbox} for p in PARTNERS],
        "control": f"{running.base_url}/_sim/state",
    }
    sys.stdout.write(json.dumps(info, indent=2) + "\n")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    running.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
