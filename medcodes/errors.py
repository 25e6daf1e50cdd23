"""The one root of the errors medcodes raises on purpose, so that a caller (the CLI, an HTTP
layer) maps one hierarchy: `except MedcodesError` catches every failure the core names, and
its message is one line fit for a user. Each error also keeps its builtin base (ValueError,
FileNotFoundError, RuntimeError) for callers that catch by kind."""

from __future__ import annotations


class MedcodesError(Exception):
    """Base of every error the core raises; the message is a one-line reason."""


__all__ = ["MedcodesError"]
