"""Inside a domain package of `marketplace/`, only its repository modules build or run
queries; services call them by name. Top-level modules (`outbox.py`, `idempotency.py`,
`db.py`, ...) are each a single job and keep their own statements."""

from __future__ import annotations

import ast
from pathlib import Path

MARKETPLACE = Path(__file__).resolve().parents[2] / "marketplace"
QUERY_BUILDERS = {"select", "update", "delete", "insert", "text"}
SESSION_CALLS = {"execute", "scalars", "scalar", "get", "stream"}


def _is_session(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in {"session", "claim"}


def query_sites(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in QUERY_BUILDERS:
            found.append(f"{path.parent.name}/{path.name}:{node.lineno} {func.id}(...)")
        elif isinstance(func, ast.Attribute):
            if func.attr in QUERY_BUILDERS and isinstance(func.value, ast.Name) and func.value.id == "sa":
                found.append(f"{path.parent.name}/{path.name}:{node.lineno} sa.{func.attr}(...)")
            elif func.attr in SESSION_CALLS and _is_session(func.value):
                found.append(f"{path.parent.name}/{path.name}:{node.lineno} session.{func.attr}(...)")
    return found


def domain_modules() -> list[Path]:
    return sorted(
        p
        for p in MARKETPLACE.glob("*/*.py")
        if not p.name.endswith("repository.py") and p.name != "models.py"  # models: DDL defaults
    )


def test_the_scan_finds_a_query_built_in_a_service(tmp_path: Path) -> None:
    module = tmp_path / "service.py"
    module.write_text(
        "async def f(session):\n"
        "    q = select(A).where(A.id == 1)\n"
        "    return (await session.execute(q)).scalar_one()\n"
    )
    assert query_sites(module) == [
        f"{tmp_path.name}/service.py:2 select(...)",
        f"{tmp_path.name}/service.py:3 session.execute(...)",
    ]


def test_domain_services_leave_queries_to_their_repositories() -> None:
    modules = domain_modules()
    assert len(modules) > 100, "the scan should see every domain module"
    offenders = [site for path in modules for site in query_sites(path)]
    assert offenders == [], "move these queries into the domain's repository:\n" + "\n".join(offenders)
