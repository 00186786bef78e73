"""``python -m sandboxes``: serve every emulated system from one process."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import uvicorn

from sandboxes.app import create_app
from sandboxes.config import SandboxConfig


def parse_args(argv: list[str] | None = None) -> tuple[SandboxConfig, str]:
    parser = argparse.ArgumentParser(prog="python -m sandboxes", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--public-url", default=None,
                        help="URL clients use to reach this process (default http://HOST:PORT)")
    parser.add_argument("--seed", type=int, default=42, help="seed for demo data and faults")
    parser.add_argument("--demo-size", type=int, default=25,
                        help="products, customers and orders in each demo account")
    parser.add_argument("--no-demo", action="store_true", help="don't create demo accounts")
    parser.add_argument("--state-file", type=Path, default=None,
                        help="JSON file to load state from and save it to")
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    return SandboxConfig(
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        seed=args.seed,
        demo_size=args.demo_size,
        demo=not args.no_demo,
        state_file=args.state_file,
    ), args.log_level


def main(argv: list[str] | None = None) -> None:
    config, log_level = parse_args(argv)
    logging.basicConfig(level=log_level.upper())
    print(f"sandboxes serving on {config.base_url} (control API at /_control/)", flush=True)
    uvicorn.run(
        create_app(config),
        host=config.host,
        port=config.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level=log_level,
        lifespan="on",
        timeout_graceful_shutdown=2,
    )


if __name__ == "__main__":
    main()
