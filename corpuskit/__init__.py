"""corpuskit: turn a messy batch of news articles into a clean, deduplicated JSONL corpus.

>>> from corpuskit import normalise_text
>>> normalise_text("Hello\\u00a0world ")
'Hello world'

The public API is small: :func:`run` does what ``corpuskit run`` does; the per-stage pure
functions (:func:`normalise_text`, :func:`strip_boilerplate`, :func:`extract_html`,
:func:`deduplicate`, :func:`find_passages`) are there for callers who build their own flow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .boilerplate import Stripped, strip_boilerplate
    from .config import BoilerplateConfig, DedupConfig, PassageConfig, RunConfig
    from .dedup import deduplicate
    from .errors import ConfigError, CorpuskitError, InputError, OutputError
    from .extract import Extracted, extract_html
    from .normalise import fold_text, normalise_text
    from .passages import find_passages
    from .pipeline import RunResult, run
    from .readers import read_inputs
    from .records import Document, Passage, PassageRef, SourceSpan

__all__ = [
    "BoilerplateConfig",
    "ConfigError",
    "CorpuskitError",
    "DedupConfig",
    "Document",
    "Extracted",
    "InputError",
    "OutputError",
    "Passage",
    "PassageConfig",
    "PassageRef",
    "RunConfig",
    "RunResult",
    "SourceSpan",
    "Stripped",
    "__version__",
    "deduplicate",
    "extract_html",
    "find_passages",
    "fold_text",
    "normalise_text",
    "read_inputs",
    "run",
    "strip_boilerplate",
]

# The module of each name, imported on first use: ``import corpuskit`` (and with it every
# ``corpuskit.x`` import, ``corpuskit --help`` included) does not load numba, numpy's
# kernels and the stages, which take about half a second.
_HOME = {
    "Stripped": "boilerplate",
    "strip_boilerplate": "boilerplate",
    "BoilerplateConfig": "config",
    "DedupConfig": "config",
    "PassageConfig": "config",
    "RunConfig": "config",
    "deduplicate": "dedup",
    "ConfigError": "errors",
    "CorpuskitError": "errors",
    "InputError": "errors",
    "OutputError": "errors",
    "Extracted": "extract",
    "extract_html": "extract",
    "fold_text": "normalise",
    "normalise_text": "normalise",
    "find_passages": "passages",
    "RunResult": "pipeline",
    "run": "pipeline",
    "read_inputs": "readers",
    "Document": "records",
    "Passage": "records",
    "PassageRef": "records",
    "SourceSpan": "records",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value  # found directly next time
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
