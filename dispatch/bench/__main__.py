"""`python -m dispatch.bench <subcommand>`: a tiny dispatcher over the bench modules.

A module listed in `SUBCOMMAND_MODULES` that is not written yet is skipped, so engineers
can add their benchmark without touching this file.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from dispatch.bench import SUBCOMMAND_MODULES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dispatch.bench")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # not written yet
            raise
        module.add_parser(subparsers)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
