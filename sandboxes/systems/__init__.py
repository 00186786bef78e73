"""The registry of emulated systems: one line per system module (shared file: add yours).

Each module ``sandboxes/systems/<name>.py`` exports ``SYSTEM = SandboxSystem(...)``.
"""

from __future__ import annotations

import importlib

from sandboxes.system import SandboxSystem

SYSTEM_MODULES: list[str] = [
    "sandboxes.systems.brightpearl",
    "sandboxes.systems.bigcommerce",
    "sandboxes.systems.salesforce",
    "sandboxes.systems.infor",
    "sandboxes.systems.syspro",
    "sandboxes.systems.dynamics_gp",
]


def registered_systems() -> list[SandboxSystem]:
    return [importlib.import_module(path).SYSTEM for path in SYSTEM_MODULES]
