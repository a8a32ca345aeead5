"""Replace one marker-delimited section of a markdown file, leaving everything else alone.

Several benchmarks share ``bench/BENCHMARKS.md``; each owns the sections between
``<!-- BEGIN name -->`` and ``<!-- END name -->`` and appends them when missing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_DOC = "bench/BENCHMARKS.md"


def add_doc_arguments(parser: argparse.ArgumentParser) -> None:
    """``--update-doc`` (off by default: a benchmark run leaves the tracked doc alone) and
    ``--doc`` (which markdown file that updates)."""
    parser.add_argument(
        "--update-doc",
        action="store_true",
        help=f"rewrite this benchmark's section of --doc (default {DEFAULT_DOC}); off by default",
    )
    parser.add_argument("--doc", default=DEFAULT_DOC, help="markdown file that --update-doc rewrites")


def replace_section(path: Path, name: str, body: str) -> None:
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{body.rstrip()}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + block + tail
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
