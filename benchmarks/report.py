"""The outputs of a run: a table on stdout, JSON, a PNG chart, and the table in the docs.

The chart needs matplotlib (``pip install -e '.[bench]'``); without it the run still
writes everything else and says so.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks.scenarios import Bench, Comparison

__all__ = ["markdown_table", "verdict_lines", "write_outputs"]

_START = "<!-- results:start -->"
_END = "<!-- results:end -->"


def write_outputs(
    bench: Bench,
    *,
    json_path: Path,
    chart_path: Path,
    doc_path: Path | None,
    meta: dict[str, Any],
) -> None:
    """Print the table; write the JSON, the chart and (optionally) the docs table."""
    info = {**_machine(), **meta, "sizes": bench.sizes, "rounds": bench.rounds}
    table = markdown_table(bench, info)
    print("\n" + table)
    print("\nVerdicts, one per target:\n" + "\n".join(verdict_lines(bench)))
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(
        json.dumps(
            {
                "meta": info,
                "comparisons": [c.as_json() for c in bench.comparisons],
                "checks": bench.checks,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {json_path}")
    if _draw_chart(bench.comparisons, chart_path, info):
        print(f"wrote {chart_path}")
    if doc_path is not None and doc_path.exists():
        _update_doc(doc_path, table)
        print(f"updated the table in {doc_path}")


def _machine() -> dict[str, Any]:
    git_version = subprocess.run(
        ["git", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "dulwich": version("dulwich"),
        "pydantic": version("pydantic"),
        "git": git_version.removeprefix("git version "),
        "machine": f"{platform.system()} {platform.machine()}, {_cpus()} CPUs",
    }


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _ms(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.1f}"
    return f"{value:.3f}"


def _verdict(c: Comparison) -> str:
    if c.target is None:
        return ""
    return f"≤ {c.target:g}x {'✅' if c.met else '❌'}"


def markdown_table(bench: Bench, info: dict[str, Any]) -> str:
    """The results as a Markdown table, with the run's conditions above it."""
    lines = [
        f"Run {info['date']} on {info['machine']}: Python {info['python']}, dulwich "
        f"{info['dulwich']}, git {info['git']}; {info['rounds']} interleaved rounds per "
        "comparison, medians in ms; *ratio* is the median of the per-round ratios "
        "gitworktree / other (below 1: gitworktree is faster).",
        "",
        "| scenario | case | gitworktree | ms | compared with | ms | ratio | target |",
        "|---|---|---|--:|---|--:|--:|---|",
    ]
    for c in bench.comparisons:
        other = c.other + (f" ({c.note})" if c.note else "")
        lines.append(
            f"| {c.scenario} | {c.case} | `{c.ours}` | {_ms(c.ours_ms)} | {other} | "
            f"{_ms(c.other_ms)} | {c.ratio:.3f} | {_verdict(c)} |"
        )
    for check in bench.checks:
        target = check["target"]
        verdict = "" if target is None else f"≤ {target:g}x {'✅' if check['met'] else '❌'}"
        lines.append(f"| scaling | {check['name']} | | | | | {check['value']:.3f} | {verdict} |")
    return "\n".join(lines)


def verdict_lines(bench: Bench) -> list[str]:
    """One line per target of the run: met or missed, the paired ratio, the target."""
    lines = []
    for c in bench.comparisons:
        if c.target is not None:
            mark = "met   " if c.met else "MISSED"
            lines.append(
                f"  {mark} {c.scenario} {c.case}: {c.ours} vs {c.other} = {c.ratio:.2f}x "
                f"(target <= {c.target:g}x; {_ms(c.ours_ms)} ms vs {_ms(c.other_ms)} ms)"
            )
    for check in bench.checks:
        if check["target"] is not None:
            mark = "met   " if check["met"] else "MISSED"
            lines.append(
                f"  {mark} scaling: {check['name']} = {check['value']:.2f}x "
                f"(target <= {check['target']:g}x)"
            )
    return lines or ["  (no targets in this run)"]


def _update_doc(doc_path: Path, table: str) -> None:
    text = doc_path.read_text()
    if _START not in text or _END not in text:
        text = text.rstrip("\n") + f"\n\n{_START}\n{_END}\n"
    head, rest = text.split(_START, 1)
    _, tail = rest.split(_END, 1)
    doc_path.write_text(f"{head}{_START}\n{table}\n{_END}{tail}")


def _color(c: Comparison) -> str:
    if "floor" in c.other:
        return "#9e9e9e"  # a lower bound, not an alternative: above 1 by nature
    return "#2a9d8f" if c.ratio <= (c.target or 1.0) else "#e76f51"


def _draw_chart(comparisons: list[Comparison], path: Path, info: dict[str, Any]) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "matplotlib is not installed: no chart (pip install -e '.[bench]')",
            file=sys.stderr,
        )
        return False
    shown = [c for c in comparisons if c.scenario != "gate"]
    labels = [f"{c.scenario} {c.case}: vs {c.other}" for c in shown]
    ratios = [c.ratio for c in shown]
    colors = [_color(c) for c in shown]
    height = 0.32 * len(shown) + 1.4
    figure, axes = plt.subplots(figsize=(11, height))
    positions = list(range(len(shown)))[::-1]
    axes.barh(positions, ratios, color=colors, height=0.7)
    axes.set_xscale("log")
    axes.axvline(1.0, color="#444444", linewidth=1)
    for position, c in zip(positions, shown, strict=True):
        if c.target is not None:
            axes.plot([c.target, c.target], [position - 0.4, position + 0.4], color="black")
        axes.text(c.ratio * 1.08, position, f"{c.ratio:.3g}x", va="center", fontsize=8)
    axes.set_yticks(positions)
    axes.set_yticklabels(labels, fontsize=8)
    axes.set_xlabel("gitworktree time / other time (median of paired rounds; log scale)")
    axes.set_title(
        f"gitworktree vs the alternatives — below 1 is faster; black ticks are targets, "
        f"grey bars lower bounds\n"
        f"{info['date']}, {info['machine']}, git {info['git']}, dulwich {info['dulwich']}",
        fontsize=9,
    )
    axes.grid(axis="x", which="both", alpha=0.25)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
