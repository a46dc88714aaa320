"""`hookyard dev` (the local stack) and `hookyard invoke` (the Docker-free `sam local invoke`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import secrets
import sys
from pathlib import Path
from typing import Any


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hookyard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser("dev", help="serve the whole API locally, no Docker needed")
    dev.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    dev.add_argument("--port", type=int, default=_env_int("PORT", 3000))
    dev.add_argument(
        "--token",
        default=os.environ.get("HOOKYARD_TOKEN"),
        help="API token seeded for account 1 (env HOOKYARD_TOKEN; default random)",
    )
    dev.add_argument(
        "--operator-token",
        default=os.environ.get("HOOKYARD_OPERATOR_TOKEN"),
        help="operator token for /api/admin (env HOOKYARD_OPERATOR_TOKEN; default random)",
    )
    dev.add_argument(
        "--aws-port",
        type=int,
        default=_env_int("HOOKYARD_AWS_PORT", 0),
        help="port of the embedded AWS (moto); default: a free port",
    )
    dev.add_argument("--template", default="template.yaml")

    invoke = sub.add_parser("invoke", help="run one function's handler with an event file")
    invoke.add_argument("function_id", help="the function's logical id in template.yaml, e.g. IngestFunction")
    invoke.add_argument("--event", "-e", required=True, help="event JSON file, e.g. events/ingest/json_body.json")
    invoke.add_argument(
        "--aws-endpoint",
        default=os.environ.get("HOOKYARD_AWS_ENDPOINT"),
        help="a running `hookyard dev`'s embedded AWS (printed when it starts); "
        "default: a fresh one with account 1 seeded",
    )
    invoke.add_argument("--operator-token", default=os.environ.get("HOOKYARD_OPERATOR_TOKEN"))
    invoke.add_argument("--template", default="template.yaml")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    if args.command == "dev":
        return dev(args)
    return invoke(args)


def dev(args: argparse.Namespace) -> int:
    from hookyard_dev.server import make_server
    from hookyard_dev.stack import seed_account, start_stack

    token = args.token or "hy_dev_" + secrets.token_urlsafe(24)
    operator_token = args.operator_token or "op_dev_" + secrets.token_urlsafe(24)
    stack = start_stack(args.template, operator_token, aws_port=args.aws_port)
    account_id = seed_account(token)
    stack.start_pollers()
    server = make_server(args.host, args.port, stack.gateway)
    host, port = server.server_address[:2]
    base = f"http://{host!s}:{port}"
    print(f"API token for account {account_id}: {token}", flush=True)
    print(f"operator token: {operator_token}", flush=True)
    print(f"web console: {base}/console/ (sign in with the API token)", flush=True)
    print(f"hookyard dev ready on {base} (embedded AWS at {stack.aws_endpoint})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        stack.stop()
    return 0


def invoke(args: argparse.Namespace) -> int:
    from hookyard_dev.stack import seed_account, start_stack

    event: dict[str, Any] = json.loads(Path(args.event).read_text())
    operator_token = args.operator_token or "op_dev_" + secrets.token_urlsafe(24)
    # As `sam local invoke`: the function's logs on stderr, its result alone on stdout.
    # Handlers bind their log stream when imported, so the redirect covers start-up too.
    with contextlib.redirect_stdout(sys.stderr):
        stack = start_stack(args.template, operator_token, aws_endpoint=args.aws_endpoint)
        try:
            if args.function_id not in stack.runtimes:
                known = ", ".join(sorted(stack.runtimes))
                print(f"no function {args.function_id} in {args.template}; functions: {known}")
                return 2
            if stack.aws is not None:
                seed_account("hy_dev_" + secrets.token_urlsafe(24))
            result = stack.runtimes[args.function_id].invoke(event)
        finally:
            stack.stop()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
