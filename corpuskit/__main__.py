"""``python -m corpuskit``; also a file ``spark-submit`` can run (hence the absolute import)."""

from __future__ import annotations

from corpuskit.cli import main

if __name__ == "__main__":
    main()
