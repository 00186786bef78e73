"""Run a command in its own session and pass SIGINT/SIGTERM on to it exactly once.

``python -m scripts.isolate -- <command>``. Process managers (honcho, a terminal's Ctrl-C)
signal a whole process group; a Dramatiq worker's subprocesses then get one signal from the
group and another from their parent, and Dramatiq takes a second signal as "kill now",
cutting messages short. Isolated, the command sees one signal and shuts down gracefully.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Mapping


def run_isolated(command: list[str], *, env: Mapping[str, str] | None = None) -> int:
    child = subprocess.Popen(command, env=env, start_new_session=True)

    def forward(signum: int, frame: object) -> None:
        if child.poll() is None:
            child.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    return child.wait()


def main(argv: list[str]) -> int:
    command = argv[1:] if argv and argv[0] == "--" else argv
    if not command:
        print("usage: python -m scripts.isolate -- <command> [args...]", file=sys.stderr)
        return 2
    return run_isolated(command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
