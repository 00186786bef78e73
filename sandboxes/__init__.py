"""Local emulators of the six external systems Clarity Connect talks to.

One Starlette process (``python -m sandboxes``) serves every system under its own prefix plus a
small JSON control API under ``/_control/``. See ``sandboxes/README.md``.
"""
