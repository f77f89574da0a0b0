"""Command line: ``serve``, ``create-account`` and ``reset`` over the simulator's state file."""

import argparse
import ipaddress
import os
import sys

from .store import Store

DEFAULT_DB = os.environ.get("SIMULATOR_DB", "var/simulator.sqlite3")
DEFAULT_PORT = int(os.environ.get("SIMULATOR_PORT", "8765"))


def _loopback(host: str) -> str:
    try:
        is_loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = False
    if not is_loopback:
        raise argparse.ArgumentTypeError("the simulator listens on loopback only")
    return host


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simulator", description=__doc__)
    parser.add_argument("--db", default=DEFAULT_DB, help="SQLite state file (SIMULATOR_DB)")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API, /embed and /_control/")
    serve.add_argument("--host", type=_loopback, default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    account = commands.add_parser("create-account", help="print a new account key")
    account.add_argument("--environment", choices=("sandbox", "live"), default="sandbox")
    commands.add_parser("reset", help="forget everything but the accounts")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    store = Store(args.db)
    if args.command == "create-account":
        # Its one job is to print a development key; nothing else ever prints a key.
        print(store.create_account(args.environment))
        return 0
    if args.command == "reset":
        store.reset()
        print("Simulator state reset (accounts kept).")
        return 0
    from .server import SimulatorServer

    try:
        server = SimulatorServer((args.host, args.port), store)
    except OSError as exc:
        print(
            f"simulator: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr
        )
        return 1
    host, port = server.server_address[:2]
    print(f"Space Invoices simulator listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
