"""Gunicorn settings of the web process (Procfile, deploy/ units and container).

``gunicorn config.wsgi -c config/gunicorn.conf.py``. Every value comes from an environment
variable so that a machine is sized without editing files; docs/deployment.md explains the
choices. A command-line flag still overrides any of them.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name} must be a whole number, not {raw!r}") from None


bind = [os.environ.get("WEB_BIND") or f"0.0.0.0:{_int('WEB_PORT', 8000)}"]
# Processes × threads. One thread per process by default: a webhook delivery makes several
# short database round trips, and threads of one process queued for the GIL between them (the
# ingest p99 rose; measured in bench/ingest_bench.py, docs/benchmarks.md). About 2 per core.
workers = _int("WEB_CONCURRENCY", 4)
threads = _int("WEB_THREADS", 1)
# A request running longer than this is killed with its worker (gthread: the worker is
# restarted when its heartbeat stops). External systems are never called from a request.
timeout = _int("WEB_TIMEOUT", 30)
# On SIGTERM or a reload, workers finish the requests in flight for up to this long.
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 10)
# Longer than the proxy's wait between requests on one connection is not needed: the proxy
# opens a new one. Keep it below the proxy's idle timeout so gunicorn is never the side that
# closes a connection the proxy is about to reuse.
keepalive = _int("WEB_KEEPALIVE", 5)
# Recycle each worker after about this many requests, the jitter spreading the restarts so
# the workers do not all restart at once; the restart flushes the process's pending enqueues
# (integrations/services/outbox.py, atexit). Off by default: every worker that ever ran leaves
# its request-metrics files in PROMETHEUS_MULTIPROC_DIR until the server restarts (a dead
# worker's counts must still be summed), so frequent recycling makes each scrape read more
# files. Turn it on (e.g. 50000 and 5000) only if a worker's memory is seen to grow.
max_requests = _int("WEB_MAX_REQUESTS", 0)
max_requests_jitter = _int("WEB_MAX_REQUESTS_JITTER", 0)
backlog = _int("WEB_BACKLOG", 2048)
# Heartbeat files on tmpfs: a container's overlay /tmp can stall them under disk load.
worker_tmp_dir = os.environ.get("WEB_WORKER_TMP_DIR") or None
# Addresses of the proxies whose X-Forwarded-* headers gunicorn believes (comma-separated).
forwarded_allow_ips = os.environ.get("WEB_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
# The path without its query string: webhook addresses carry their secret as ?secret=…, and
# gunicorn's default format (%(r)s, the whole request line) would write it to every log line.
# Client (X-Forwarded-For, then the connecting address), request, status, bytes, milliseconds.
access_log_format = os.environ.get(
    "WEB_ACCESS_LOG_FORMAT",
    '%({x-forwarded-for}i)s %(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms '
    '"%(a)s" %(p)s')
proc_name = "clarity-web"
# gunicorn's control socket (gunicornc) defaults to one path per user, which two servers on a
# machine would share, under a home directory the systemd unit makes read-only. Nothing of
# ours uses it: off unless WEB_CONTROL_SOCKET names a path.
if os.environ.get("WEB_CONTROL_SOCKET"):
    control_socket = os.environ["WEB_CONTROL_SOCKET"]
else:
    control_socket_disable = True
