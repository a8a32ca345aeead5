"""Time is an input: below the edges nothing reads the wall clock.

marketplace/ and dispatch/ take `now` as an argument. The one function that reads the
clock is marketplace/clock.py's `utcnow`, for the edges (api/, mobile_api/, workers/, the
CLI). Inside marketplace/ only db.py may refer to it, as the default of `created_at`-style
columns (a row's write stamp when a caller does not give one); business rules never read
those defaults back as "now".
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLOCK_MODULE = ROOT / "marketplace" / "clock.py"
CLOCK_USERS_INSIDE = {ROOT / "marketplace" / "db.py"}
FORBIDDEN_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
}
FORBIDDEN_NAMES = {"utcnow"}


def _dotted(node: ast.expr) -> tuple[str, ...]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return tuple(reversed(parts))


def clock_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    where_file = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
    found = []
    for node in ast.walk(tree):
        where = f"{where_file}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name[-2:] in FORBIDDEN_CALLS or (name and name[-1] in FORBIDDEN_NAMES):
                found.append(f"{where} calls {'.'.join(name)}()")
            if name[-2:] == ("func", "now"):
                found.append(f"{where} uses the database's now()")
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith("clock"):
            found.append(f"{where} imports the clock ({node.module})")
        if isinstance(node, ast.Import) and any(a.name.endswith(".clock") for a in node.names):
            found.append(f"{where} imports the clock")
    return found


def below_the_edges() -> list[Path]:
    files = sorted((ROOT / "marketplace").rglob("*.py")) + sorted((ROOT / "dispatch").rglob("*.py"))
    return [f for f in files if f != CLOCK_MODULE and f not in CLOCK_USERS_INSIDE]


def test_nothing_below_the_edges_reads_the_clock() -> None:
    files = below_the_edges()
    assert len(files) > 50
    offences = [offence for path in files for offence in clock_reads(path)]
    assert offences == [], "\n".join(offences)


def test_db_refers_to_the_clock_only_as_a_column_default() -> None:
    text = (ROOT / "marketplace" / "db.py").read_text()
    assert "utcnow()" not in text
    assert text.count("utcnow") == 2  # the import and `default_factory=utcnow`


def test_the_scan_finds_what_it_forbids(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import time\nimport datetime as dt\nfrom datetime import date, datetime\n"
        "from marketplace.clock import utcnow\nimport sqlalchemy as sa\n"
        "a = datetime.now()\nb = dt.datetime.now()\nc = time.time()\nd = date.today()\n"
        "e = utcnow()\nf = sa.func.now()\n"
    )
    found = clock_reads(sample)
    assert len([f for f in found if "calls" in f or "now()" in f]) == 6, found
    assert any("imports the clock" in f for f in found), found
