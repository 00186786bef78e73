"""Process-wide settings of the sandbox server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 8100
    public_url: str | None = None
    seed: int = 42
    demo_size: int = 25
    demo: bool = True
    state_file: Path | None = None
    persist_interval_s: float = 5.0
    # A hung request is released after this long even if the client never gives up.
    hang_max_s: float = 300.0

    @property
    def base_url(self) -> str:
        """The URL clients use to reach this process (no trailing slash)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"
