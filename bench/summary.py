"""Turning raw runs into the figures the issue asks for: medians, spreads, ratios, fraction of peak."""
from __future__ import annotations

from statistics import median
from typing import Any, Optional

MIB = 2 ** 20


def spread(values: list[float]) -> dict[str, float]:
    return {"median": median(values), "min": min(values), "max": max(values), "n": len(values)}


def _impl_figures(runs: list[dict[str, Any]], peak_flops: float) -> dict[str, Any]:
    seconds = [r["seconds"] for r in runs]
    rates = [r["useful_flops"] / r["seconds"] for r in runs]
    gains = [r["objective_after"] - r["objective_before"] for r in runs]
    steps = runs[0]["total_steps"]
    return {
        "seconds": spread(seconds),
        "cpu_seconds": spread([r["cpu_seconds"] for r in runs]),
        "ms_per_step": spread([1000 * s / steps for s in seconds]),
        "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs),
        "loaded_rss_bytes": max(r["loaded_rss_bytes"] for r in runs),
        "peak_gpu_bytes": max(r["peak_gpu_bytes"] for r in runs),
        "useful_gflop": runs[0]["useful_flops"] / 1e9,
        "useful_gflops_per_s": spread([r / 1e9 for r in rates]),
        "fraction_of_peak": spread([r / peak_flops for r in rates]),
        "objective_gain": spread(gains),
        "omp_wait_policy": runs[0]["omp_wait_policy"],
        "threads": runs[0]["threads"],
        "backend": runs[0].get("backend"),  # what dreamed ("auto" picks one); the baseline is plain torch
        "total_steps": steps,
    }


def _ratio(pairs: list[tuple[dict, dict]], key) -> Optional[dict[str, float]]:
    return spread([key(b) / key(d) for b, d in pairs]) if pairs else None


def summarize_case(runs: dict[str, list[dict[str, Any]]], peak_flops: float) -> dict[str, Any]:
    """Per implementation figures; speed-up as the median over interleaved (baseline, dreamlayer)
    pairs, so slow spells of a shared machine hit both sides of a ratio alike."""
    out: dict[str, Any] = {impl: _impl_figures(r, peak_flops) for impl, r in runs.items() if r}
    mine = runs.get("dreamlayer", [])
    for other in runs:
        pairs = list(zip(runs.get(other, []), mine))
        if other != "dreamlayer" and pairs:
            out[f"speedup_vs_{other}"] = _ratio(pairs, lambda r: r["seconds"])
            out[f"cpu_ratio_vs_{other}"] = _ratio(pairs, lambda r: r["cpu_seconds"])
            out[f"gain_ratio_vs_{other}"] = _ratio(pairs,
                                                   lambda r: 1.0 / (r["objective_after"] - r["objective_before"]))
    return out


def _fmt_spread(s: Optional[dict[str, float]], fmt: str = "{:.2f}") -> str:
    if not s:
        return "-"
    if s["n"] == 1:
        return fmt.format(s["median"])
    return f"{fmt.format(s['median'])} [{fmt.format(s['min'])}-{fmt.format(s['max'])}]"


def table(cases: list[dict[str, Any]], peak_flops: float) -> str:
    """A Markdown table, one row per case and implementation."""
    head = ("| case | impl | seconds median [min-max] | ms/step | peak RSS MiB | GFLOP/s | % of peak "
            "| objective gain | speed-up | CPU-time ratio | gain ratio |")
    lines = [head, "|" + "---|" * 11]
    for case in cases:
        if case.get("skipped"):
            lines.append(f"| {case['name']} | - | skipped: {case['skipped']} |" + " |" * 8)
            continue
        for problem in ("cut_short", "failed"):
            if case.get(problem):
                lines.append(f"| {case['name']} | - | {problem.replace('_', ' ')}: {case[problem]} |" + " |" * 8)
        summary = case.get("summary", {})
        for impl in ("dreamlayer", "baseline", "baseline-passive"):
            f = summary.get(impl)
            if not f:
                continue
            mine = impl == "dreamlayer"
            others = [o for o in ("baseline", "baseline-passive") if summary.get("speedup_vs_" + o)] if mine else []
            speedups = [f"{_fmt_spread(summary['speedup_vs_' + o], '{:.1f}x')} vs {o}" for o in others]
            cpu = [f"{_fmt_spread(summary['cpu_ratio_vs_' + o], '{:.1f}x')}" for o in others]
            gains = [_fmt_spread(summary.get("gain_ratio_vs_" + o)) for o in ("baseline", "baseline-passive")
                     if summary.get("gain_ratio_vs_" + o)] if mine else []
            lines.append(
                f"| {case['name']} | {impl}{f' ({backend})' if (backend := f.get('backend')) else ''} "
                f"| {_fmt_spread(f['seconds'])} | {f['ms_per_step']['median']:.0f} "
                f"| {f['peak_rss_bytes'] / MIB:.0f} | {f['useful_gflops_per_s']['median']:.1f} "
                f"| {100 * f['fraction_of_peak']['median']:.1f} % | {f['objective_gain']['median']:.2f} "
                f"| {'; '.join(speedups) or '-'} | {'; '.join(cpu) or '-'} | {'; '.join(gains) or '-'} |")
    lines.append(f"\nPeak: {peak_flops / 1e9:.1f} GFLOP/s (fp32 2048x2048 matmul, best of the runs).")
    return "\n".join(lines)


def ablation_table(cases: list[dict[str, Any]]) -> str:
    """What each optimisation is worth: dreamlayer with it undone, as a slow-down over dreamlayer."""
    lines = ["| case | variant | seconds median [min-max] | CPU seconds | peak RSS MiB | objective gain "
             "| slow-down vs dreamlayer | CPU-time ratio |", "|" + "---|" * 8]
    for case in cases:
        summary = case.get("summary", {})
        for impl, f in summary.items():
            if not isinstance(f, dict) or "seconds" not in f:
                continue
            slow = _fmt_spread(summary.get("speedup_vs_" + impl), "{:.2f}x")
            cpu = _fmt_spread(summary.get("cpu_ratio_vs_" + impl), "{:.2f}x")
            lines.append(f"| {case['name']} | {impl} | {_fmt_spread(f['seconds'])} "
                         f"| {_fmt_spread(f['cpu_seconds'])} | {f['peak_rss_bytes'] / MIB:.0f} "
                         f"| {f['objective_gain']['median']:.2f} | {slow} | {cpu} |")
    return "\n".join(lines)
