"""Exceptions raised by corpuskit.

Library code raises; only :mod:`corpuskit.cli` turns these into messages and exit codes.
"""

from __future__ import annotations

__all__ = ["ConfigError", "CorpuskitError", "InputError", "OutputError", "RejectedRecordError"]


class CorpuskitError(Exception):
    """Base class of every error corpuskit raises on purpose."""


class ConfigError(CorpuskitError, ValueError):
    """A configuration value is out of range or inconsistent."""


class InputError(CorpuskitError):
    """An input cannot be read, or (with ``strict``) one of its records was rejected.

    The message always names the source and, when there is one, the line.
    """

    def __init__(self, source: str, reason: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {reason}")


class RejectedRecordError(InputError):
    """Under ``strict``, a record was rejected: the run stops at it."""


class OutputError(CorpuskitError):
    """The output directory cannot be created or written."""
