"""Benchmarks for the dispatch engine, run as `python -m dispatch.bench <subcommand> ...`.

Each subcommand lives in its own module exposing `add_parser(subparsers)`; the module's
parser sets `func` (via `set_defaults`) to a callable taking the parsed namespace and
returning an exit code. `__main__` discovers modules listed in `SUBCOMMAND_MODULES`.
"""

SUBCOMMAND_MODULES: tuple[str, ...] = (
    "dispatch.bench.match",
    "dispatch.bench.geo",
    "dispatch.bench.solomon",
    "dispatch.bench.metro",
    "dispatch.bench.replan",
)
