"""Where a run executes: ``local`` (:func:`corpuskit.pipeline.run`, one machine) or ``spark``.

Both engines make the same decisions on the same input; they differ only in where the work
runs. The Spark engine lives in :mod:`corpuskit.engines.spark` and needs the optional
``spark`` extra, so this module never imports pyspark: it only says whether it is there.

>>> "spark" in ENGINES
True
"""

from __future__ import annotations

import importlib.util

__all__ = ["ENGINES", "SPARK_INSTALL_HINT", "spark_available"]

ENGINES: tuple[str, ...] = ("local", "spark")

SPARK_INSTALL_HINT = "pip install 'corpuskit[spark]'"
"""What to install for ``--engine spark`` (pyspark; Spark itself also needs Java 17 or 21)."""


def spark_available() -> bool:
    """Whether pyspark can be imported (Java is only looked for when a session starts)."""
    try:
        return importlib.util.find_spec("pyspark") is not None
    except (ImportError, ValueError):  # a broken or shadowed install
        return False
