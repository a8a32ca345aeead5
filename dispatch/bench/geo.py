"""`python -m dispatch.bench geo`: vectorised distances against geopy, error and speed.

Compares `dispatch.geo.geodesic_pairs_m` (Lambert's formula, numpy) and a plain
spherical haversine with geopy's exact ellipsoidal `geodesic` on random pairs inside a
metro (<= 60 km) and a region (<= 500 km), and times a 1,000 x 1,000 matrix.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from dispatch.bench.md_sections import add_doc_arguments, replace_section
from dispatch.geo import coordinates, geodesic_m, geodesic_matrix_m, geodesic_pairs_m
from dispatch.problem import GeoPoint

MEAN_EARTH_RADIUS_M = 6_371_008.8


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("geo", help="vectorised distance error and speed against geopy")
    p.add_argument("--pairs", type=int, default=2_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, default=Path("bench/results/geo.json"))
    add_doc_arguments(p)
    p.set_defaults(func=run)


def _haversine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    la1, lo1, la2, lo2 = (np.radians(x) for x in (a[:, 0], a[:, 1], b[:, 0], b[:, 1]))
    h = np.sin((la2 - la1) / 2) ** 2 + np.cos(la1) * np.cos(la2) * np.sin((lo2 - lo1) / 2) ** 2
    return 2 * MEAN_EARTH_RADIUS_M * np.arcsin(np.sqrt(h))  # type: ignore[no-any-return]


def _case(rng: np.random.Generator, n: int, span_deg: float) -> dict[str, Any]:
    lat = rng.uniform(-60, 60, n)
    lng = rng.uniform(-170, 170, n)
    a = [GeoPoint(float(x), float(y)) for x, y in zip(lat, lng, strict=True)]
    b = [
        GeoPoint(float(x + dx), float(y + dy))
        for x, y, dx, dy in zip(
            lat, lng, rng.uniform(-span_deg, span_deg, n), rng.uniform(-span_deg, span_deg, n), strict=True
        )
    ]
    t0 = time.perf_counter()
    exact = np.array([geodesic_m(p, q) for p, q in zip(a, b, strict=True)])
    geopy_s = time.perf_counter() - t0
    ca, cb = coordinates(a), coordinates(b)
    t0 = time.perf_counter()
    ours = geodesic_pairs_m(ca, cb)
    ours_s = time.perf_counter() - t0
    hav = _haversine(ca, cb)
    rel = np.abs(ours - exact) / exact
    hrel = np.abs(hav - exact) / exact
    return {
        "pairs": n,
        "max_distance_km": round(float(exact.max()) / 1000, 1),
        "lambert_max_abs_error_m": round(float(np.abs(ours - exact).max()), 4),
        "lambert_max_rel_error_ppm": round(float(rel.max()) * 1e6, 3),
        "haversine_max_rel_error_ppm": round(float(hrel.max()) * 1e6, 1),
        "haversine_max_abs_error_m": round(float(np.abs(hav - exact).max()), 1),
        "geopy_us_per_pair": round(geopy_s / n * 1e6, 2),
        "vectorised_us_per_pair": round(ours_s / n * 1e6, 4),
        "speedup": round(geopy_s / ours_s, 0),
    }


def run(args: argparse.Namespace) -> int:
    rng = np.random.default_rng(args.seed)
    out: dict[str, Any] = {
        "command": f"python -m dispatch.bench geo --pairs {args.pairs} --seed {args.seed}",
        "metro_60km": _case(rng, args.pairs, 0.35),
        "region_500km": _case(rng, args.pairs, 3.0),
    }
    pts = coordinates(
        [GeoPoint(float(x), float(y)) for x, y in rng.uniform([51.2, -0.5], [51.8, 0.3], (1000, 2))]
    )
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        geodesic_matrix_m(pts, pts)
        runs.append(time.perf_counter() - t0)
    out["matrix_1000x1000_ms_best_of_3"] = round(min(runs) * 1000, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    text = _markdown(out)
    if args.update_doc:
        replace_section(Path(args.doc), "geo", text)
    print(text)
    return 0


def _markdown(r: dict[str, Any]) -> str:
    rows = []
    for name in ("metro_60km", "region_500km"):
        c = r[name]
        rows.append(
            f"| {name} (max {c['max_distance_km']} km) | {c['lambert_max_abs_error_m']} m "
            f"({c['lambert_max_rel_error_ppm']} ppm) | {c['haversine_max_abs_error_m']} m "
            f"({c['haversine_max_rel_error_ppm']} ppm) | {c['geopy_us_per_pair']} us | "
            f"{c['vectorised_us_per_pair']} us | {c['speedup']:.0f}x |"
        )
    return (
        "\n".join(
            [
                "## Geography: vectorised distances vs geopy",
                "",
                "```",
                r["command"],
                "```",
                "",
                "| pairs | Lambert (ours) max error | spherical haversine max error | geopy per pair "
                "| ours per pair | speedup |",
                "|---|---|---|---|---|---|",
                *rows,
                "",
                f"A 1,000 x 1,000 matrix (`geodesic_matrix_m`) takes {r['matrix_1000x1000_ms_best_of_3']} ms "
                "(best of 3).",
            ]
        )
        + "\n"
    )
