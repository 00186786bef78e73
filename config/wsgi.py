"""The web server's entry point (gunicorn in the Procfile, and runserver).

Before Django loads, this points prometheus_client at the shared metrics directory
(``PROMETHEUS_MULTIPROC_DIR``): it chooses per-process files over memory when it is first
imported, which the middleware list does inside ``get_wsgi_application``.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def metrics_dir_prepare(path: Path, *, server_pid: int) -> None:
    """Make ``path`` the metrics directory of the server whose master process is ``server_pid``.

    Gunicorn workers import this module after the fork (no ``--preload``), so a worker's start
    must not wipe its siblings' files, nor a restarted worker the survivors': that would make
    their counters fall. The files are cleared only when the directory last belonged to another
    server (the whole server restarted), under a lock so that workers starting together clear
    it once. A new master that happens to reuse the old pid keeps the old files, which only
    carries the counters on.
    """
    path.mkdir(parents=True, exist_ok=True)
    owner = path / "server.pid"
    with open(path / "server.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if owner.exists() and owner.read_text() == str(server_pid):
            return
        for stale in path.glob("*.db"):
            stale.unlink()
        owner.write_text(str(server_pid))


def _metrics_setup() -> None:
    from django.conf import settings

    directory = Path(settings.PROMETHEUS_MULTIPROC_DIR).resolve()
    # In a gunicorn worker the parent is the master; under runserver, the autoreloader.
    metrics_dir_prepare(directory, server_pid=os.getppid())
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


_metrics_setup()
application = get_wsgi_application()
