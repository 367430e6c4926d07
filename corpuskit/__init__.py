"""corpuskit: turn a messy batch of news articles into a clean, deduplicated JSONL corpus.

>>> from corpuskit import normalise_text
>>> normalise_text("Hello\\u00a0world ")
'Hello world'

The public API is small: :func:`run` does what ``corpuskit run`` does; the per-stage pure
functions (:func:`normalise_text`, :func:`strip_boilerplate`, :func:`extract_html`,
:func:`deduplicate`, :func:`find_passages`) are there for callers who build their own flow.
"""

from __future__ import annotations

from ._version import __version__
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
