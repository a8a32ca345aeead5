"""The benchmark commands leave the tracked benchmark doc alone unless asked to update it."""

from __future__ import annotations

from pathlib import Path

from dispatch.bench.__main__ import main

SOLOMON = Path(__file__).resolve().parents[3] / "bench" / "data" / "solomon"


def _tiny_instance(folder: Path) -> None:
    lines = (SOLOMON / "C101.txt").read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:1] == ["0"])
    folder.mkdir()
    (folder / "C101.txt").write_text("\n".join(lines[: header + 9]) + "\n")  # depot + 8 customers


def test_solomon_bench_writes_the_doc_only_with_update_doc(tmp_path: Path) -> None:
    _tiny_instance(tmp_path / "inst")
    doc = tmp_path / "BENCHMARKS.md"
    common = ["solomon", "--instances", str(tmp_path / "inst"), "--time-limit", "0.2", "--engines", "planner"]
    common += ["--out", str(tmp_path / "out.json"), "--doc", str(doc), "--label", "tiny"]
    assert main(common) == 0
    assert not doc.exists()
    assert main([*common, "--update-doc"]) == 0
    text = doc.read_text()
    assert "<!-- BEGIN solomon-tiny -->" in text and "| C101 |" in text
