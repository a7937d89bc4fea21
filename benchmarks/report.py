"""Turn the suite's raw results into benchmarks/results.md (tables) and results.png (plot).

    python benchmarks/report.py [benchmarks/results.json]   # re-write both from a saved run
"""

import platform
from pathlib import Path

import numpy as np

from engines import ENGINES, WORKLOADS

ENGINE_ORDER = tuple(ENGINES)
# Targets for gategrad's ratio, by workload and case index (issue 7).
TARGETS = {("w1", 0): 30, ("w2", None): 60, ("w3", 0): 1.5, ("w3", 1): 1.05, ("w3", 2): 1.03,
           ("w4", 0): 1.15}
MEMORY_TARGETS = {"w2": 300, "w4": 1.3}  # bytes per node; peak ratio to the reference
SLOPE_TARGET = 1.05


def machine():
    """CPU model, cores, memory and kernel, as text."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(row.split(":", 1)[1].strip() for row in info if row.startswith("model name"))
        with open("/proc/meminfo") as info:
            memory = int(next(row.split()[1] for row in info if row.startswith("MemTotal"))) / 2**20
        model += f", {len(__import__('os').sched_getaffinity(0))} cores, {memory:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return f"{model}, {platform.system()} {platform.release()}, {platform.machine()}"


def _entries(results, kind, workload):
    return {e["engine"]: e for e in results if e["kind"] == kind and e["workload"] == workload}


def _duration(seconds):
    if seconds >= 1:
        return f"{seconds:,.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:,.2f} ms"
    return f"{seconds * 1e6:,.0f} us"


def _status(entry, index):
    """(result dict or None, text to show when there is no figure)."""
    if entry is None:
        return None, "-"
    if entry.get("absent"):
        return None, "absent (not installed)"
    result = entry["results"][index]
    if result["status"] != "ok":
        return None, result["status"].replace("|", "/")
    return result, None


def _verdict(value, limit):
    if value <= limit:
        return f"<= {limit:g}: met"
    return f"<= {limit:g}: **missed** ({value / limit:.2f}x the target)"


def _time_table(results, workload, kind="time", extra=()):
    """One row per case, one column per engine: ratio (engine time); reference time first."""
    entries = _entries(results, kind, workload)
    if not entries:
        return [], []
    engines = [e for e in ENGINE_ORDER if e in entries]
    gc_off = _entries(results, "time gc off", workload)
    columns = engines + [f"{e}, gc off" for e in ENGINE_ORDER if e in gc_off]
    first = next((e for e in entries.values() if not e.get("absent")), None)
    if first is None:
        return [], []
    lines = ["| case | reference | " + " | ".join(columns) + " | gategrad target |",
             "| --- " * (len(columns) + 3) + "|"]
    points = []
    for index, case_result in enumerate(first["results"]):
        case = case_result["case"]
        cells, reference = [], None
        for column in columns:
            name = column.split(",")[0]
            entry = (gc_off if column.endswith("gc off") else entries).get(name)
            result, text = _status(entry, index)
            if result is None:
                cells.append(text)
                continue
            total = result["times"]["total"]
            if name == "gategrad" and not column.endswith("gc off"):
                reference = total["reference_s"]
            cells.append(f"{total['ratio']:.2f}x ({_duration(total['engine_s'])})")
            if not column.endswith("gc off"):
                points.append((workload, case["label"], name, total["ratio"]))
        target = TARGETS.get((workload, index), TARGETS.get((workload, None)))
        gategrad, _ = _status(entries.get("gategrad"), index)
        verdict = _verdict(gategrad["times"]["total"]["ratio"], target) \
            if target and gategrad else "-"
        lines.append(f"| {case['label']} | {_duration(reference) if reference else '-'} | "
                     + " | ".join(cells) + f" | {verdict} |")
    return lines, points


def _fit(sizes, times):
    if len(sizes) < 3:
        return None
    return float(np.polyfit(np.log(sizes), np.log(times), 1)[0])


def _slope_lines(results):
    """W2: the log-log slope of the build + backward time against the number of steps."""
    lines = []
    for engine, entry in _entries(results, "time", "w2").items():
        if entry.get("absent"):
            continue
        ok = [r for r in entry["results"] if r["status"] == "ok"]
        slope = _fit([r["case"]["steps"] for r in ok], [r["times"]["total"]["engine_s"] for r in ok])
        if slope is not None:
            verdict = f" (target {_verdict(slope, SLOPE_TARGET)})" if engine == "gategrad" else ""
            lines.append(f"- {engine}: log-log slope of time against steps "
                         f"{slope:.3f} over {len(ok)} sizes{verdict}")
    return lines


def _w5(results):
    """Build and backward per size and engine, and the fitted exponents."""
    entries = _entries(results, "time", "w5")
    engines = [e for e in ENGINE_ORDER if e in entries and not entries[e].get("absent")]
    if not engines:
        return [], {}
    lines = ["| nodes | reference build / backward | " + " | ".join(
        f"{e} build / backward" for e in engines) + " |", "| --- " * (len(engines) + 2) + "|"]
    curves = {}
    for index, row in enumerate(entries[engines[0]]["results"]):
        cells, reference = [], "-"
        for engine in engines:
            result, text = _status(entries[engine], index)
            if result is None:
                cells.append(text)
                continue
            build, back = result["times"]["build"], result["times"]["backward"]
            if engine == "gategrad":
                reference = (f"{_duration(build['reference_s'])} / "
                             f"{_duration(back['reference_s'])}")
                curves.setdefault("reference", []).append(
                    (row["case"]["nodes"], build["reference_s"], back["reference_s"]))
            curves.setdefault(engine, []).append(
                (row["case"]["nodes"], build["engine_s"], back["engine_s"]))
            cells.append(f"{_duration(build['engine_s'])} ({build['ratio']:.1f}x) / "
                         f"{_duration(back['engine_s'])} ({back['ratio']:.1f}x)")
        lines.append(f"| {row['case']['nodes']:,} | {reference} | " + " | ".join(cells) + " |")
    lines += ["", "Exponent of a log-log fit of time against the number of nodes:", "",
              "| engine | sizes | build | backward |", "| --- | --- | --- | --- |"]
    for name, points in curves.items():
        sizes = [p[0] for p in points]
        build, back = _fit(sizes, [p[1] for p in points]), _fit(sizes, [p[2] for p in points])
        if build is None:
            continue
        mark = (lambda v: f"{v:.3f} ({_verdict(v, SLOPE_TARGET)})") if name == "gategrad" else \
            (lambda v: f"{v:.3f}")
        lines.append(f"| {name} | {sizes[0]:,} to {sizes[-1]:,} | {mark(build)} | {mark(back)} |")
    return lines, curves


def _memory(results):
    """Peak memory of one call per workload and engine, and its ratio to the reference."""
    lines = ["| workload / case | engine | peak RSS rise | tracemalloc peak | per node (RSS / "
             "tracemalloc) | ratio to reference (RSS / tracemalloc) | target (on RSS) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for workload in ("w1", "w2", "w3", "w4"):
        entries = _entries(results, "memory", workload)
        reference = entries.get("reference")
        for engine in ("reference",) + ENGINE_ORDER:
            if engine not in entries:
                continue
            entry = entries[engine]
            if entry.get("absent"):
                lines.append(f"| {workload} | {engine} | absent (not installed) | | | | |")
                continue
            for index, result in enumerate(entry["results"]):
                case = result["case"]
                if result["status"] != "ok":
                    lines.append(f"| {workload} {case['label']} | {engine} | {result['status']} "
                                 f"| | | | |")
                    continue
                rss, traced = result["memory"]["rss_bytes"], result["memory"]["tracemalloc_bytes"]
                per_node = ratio = verdict = ""
                if "steps" in case:
                    nodes = 3 * case["steps"]
                    per_node = f"{rss / nodes:,.0f} B / {traced / nodes:,.0f} B"
                    if engine == "gategrad":
                        verdict = _verdict(rss / nodes, MEMORY_TARGETS["w2"]) + " B/node"
                ref = next((r for r in (reference or {}).get("results", [])
                            if r["case"] == case and r["status"] == "ok"), None)
                # RSS is comparable across engines (tracemalloc is blind to PyTorch and XLA)
                # (no ratio against a reference that allocates almost nothing, as in W1)
                if ref and ref["memory"]["rss_bytes"] >= 2**20 and "steps" not in case:
                    value = rss / ref["memory"]["rss_bytes"]
                    traced_ratio = traced / max(ref["memory"]["tracemalloc_bytes"], 1)
                    ratio = f"{value:.2f}x / {traced_ratio:.2f}x"
                    if engine == "gategrad" and workload in MEMORY_TARGETS:
                        verdict = _verdict(value, MEMORY_TARGETS[workload])
                lines.append(f"| {workload} {case['label']} | {engine} | {rss / 1e6:,.1f} MB | "
                             f"{traced / 1e6:,.2f} MB | {per_node} | {ratio} | {verdict} |")
    return lines


def _float32(results):
    """W6 against W3: float64 time / float32 time per engine and network."""
    f64, f32 = _entries(results, "time", "w3"), _entries(results, "time", "w6")
    lines = ["| case | reference (numpy) | " + " | ".join(
        e for e in ENGINE_ORDER if e in f32) + " |", "| --- " * (len(f32) + 2) + "|"]
    if not f32:
        return []
    first = next((e for e in f32.values() if not e.get("absent")), None)
    for index, row in enumerate(first["results"] if first else []):
        cells, reference = [], "-"
        for engine in (e for e in ENGINE_ORDER if e in f32):
            a, text = _status(f64.get(engine), index)
            b, text32 = _status(f32[engine], index)
            if a is None or b is None:
                cells.append(text if a is None else text32)
                continue
            ta, tb = a["times"]["total"], b["times"]["total"]
            cells.append(f"{ta['engine_s'] / tb['engine_s']:.2f}x")
            if engine == "gategrad":
                reference = f"{ta['reference_s'] / tb['reference_s']:.2f}x"
        label = row["case"]["label"]
        lines.append(f"| {label} | {reference} | " + " | ".join(cells) + " |")
    return lines


def _malloc(results):
    """gategrad's ratios with glibc's default malloc thresholds against the raised ones."""
    lines = ["| workload / case | ratio, thresholds raised | ratio, glibc defaults |",
             "| --- | --- | --- |"]
    for workload in ("w2", "w3", "w4"):
        default = _entries(results, "time malloc defaults", workload).get("gategrad")
        raised = _entries(results, "time", workload).get("gategrad")
        if not default or default.get("absent") or not raised:
            continue
        for result in default["results"]:
            match = next((r for r in raised["results"] if r["case"] == result["case"] or
                          r["case"]["label"] == result["case"]["label"]), None)
            left = f"{match['times']['total']['ratio']:.2f}x" if match and \
                match["status"] == "ok" else "-"
            right = f"{result['times']['total']['ratio']:.2f}x" if result["status"] == "ok" \
                else result["status"]
            lines.append(f"| {workload} {result['case']['label']} | {left} | {right} |")
    return lines


def _checks(results):
    """Every timed job's check against the reference."""
    lines = ["| workload | engine | run | cases checked | largest relative difference |",
             "| --- | --- | --- | --- | --- |"]
    failed = False
    for entry in results:
        if not entry["kind"].startswith("time") or entry.get("absent"):
            continue
        ok = [r for r in entry["results"] if r["status"] == "ok"]
        bad = [r for r in entry["results"] if r["status"] == "CHECK FAILED"]
        failed = failed or bool(bad)
        worst = max((r["check_max_rel_diff"] for r in ok), default=None)
        text = f"{worst:.1e}" if worst is not None else "-"
        if bad:
            text = "**FAILED**: " + "; ".join(r["error"] for r in bad)
        lines.append(f"| {entry['workload']} | {entry['engine']} | {entry['kind']} | "
                     f"{len(ok)} of {len(entry['results'])} | {text} |")
    return lines, failed


def _header(meta, results):
    versions, blas = {}, set()
    for entry in results:
        versions.update(entry.get("versions", {}))
        for pool in entry.get("threads", []):
            blas.add(f"{pool['internal_api']} {pool.get('version') or ''} "
                     f"{pool.get('architecture') or ''} x{pool['num_threads']}".replace("  ", " "))
    absent = [e for e, ok in meta["available"].items() if not ok]
    return [f"# Benchmark results ({_kind_of_run(meta)})", "",
            f"- Date: {meta['date']}; the run took {meta['duration_s'] / 60:.1f} min.",
            f"- Machine: {meta['machine']}; every measured process pinned to core "
            f"{meta['core']}; a shared virtual machine, whose other tenants' load is not under "
            f"our control (the spread between runs is discussed in benchmarks/README.md).",
            "- Versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) + ".",
            "- Thread pools seen by threadpoolctl in the measured processes: "
            + "; ".join(sorted(blas)) + ".",
            "- Engines absent: " + (", ".join(absent) if absent else "none") + ".",
            _rounds_line(meta),
            *(["- Sizes run: " + "; ".join(f"{w} {', '.join(labels)}" for w, labels in
                                            meta["sizes"].items()) + "."]
              if "sizes" in meta else []),
            f"- glibc malloc: {meta['malloc_raised']} for the timings (a run with the defaults "
            f"is below); {meta['malloc_memory']} for the memory runs.", ""]


def _kind_of_run(meta):
    """What ran: "full run", "quick smoke run", or either "of w3, w6 only" for a subset."""
    kind = "quick smoke run" if meta["quick"] else "full run"
    workloads = meta.get("workloads")
    if workloads and set(workloads) != set(WORKLOADS):
        kind = ("quick smoke run" if meta["quick"] else "partial run") + \
            f" of {', '.join(workloads)} only"
    return kind


def _rounds_line(meta):
    """The rounds that ran, as recorded by run.py (older results.json: the suite's settings,
    which were what ran in a full run)."""
    fewer = ", ".join(f"{k} {v}" for k, v in meta["slow_rounds"].items())
    rounds = ", ".join(f"{k} {v}" for k, v in meta["rounds"].items())
    if "case_rounds" in meta:
        own = ", ".join(f"{k} {v}" for k, v in meta["case_rounds"].items())
        extra = "; ".join(filter(None, [fewer and f"fewer for slow peers: {fewer}",
                                        own and f"cases with their own: {own}"]))
    else:
        extra = f"fewer for slow peers: {fewer}; 5 at 10^6 steps or nodes"
    return (f"- Rounds per workload: {rounds}" + (f" ({extra})" if extra else "") +
            "; medians; every ratio is the median of per-round ratios against the reference "
            "timed in the same process and round, so it is not always the quotient of the two "
            "medians shown.")


def _plot(points, curves, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = list(dict.fromkeys((w, label) for w, label, _, _ in points))
    fig, (left, right) = plt.subplots(1, 2, figsize=(15, max(5, 0.35 * len(rows) + 1.5)),
                                      gridspec_kw={"width_ratios": [1.3, 1]})
    markers = dict(zip(ENGINE_ORDER, "o*^sdDvPX"))
    for engine in ENGINE_ORDER:
        xs = [(r, rows.index((w, label))) for w, label, e, r in points if e == engine]
        if xs:
            left.scatter([x for x, _ in xs], [y for _, y in xs], marker=markers[engine],
                         label=engine, s=60 if engine == "gategrad" else 30, zorder=3)
    for index, (workload, label) in enumerate(rows):
        target = TARGETS.get((workload, [r[1] for r in rows if r[0] == workload].index(label)),
                             TARGETS.get((workload, None)))
        if target:
            left.plot([target, target], [index - 0.4, index + 0.4], color="red", lw=2)
    left.set_yticks(range(len(rows)))
    left.set_yticklabels([f"{w.upper()} {label}" for w, label in rows], fontsize=8)
    left.invert_yaxis()
    left.set_xscale("log")
    left.axvline(1.0, color="grey", lw=0.8)
    left.set_xlabel("time / hand-written reference (log; red bar = gategrad's target)")
    left.legend(fontsize=8)
    left.grid(axis="x", which="both", alpha=0.3)
    for name, data in curves.items():
        sizes = [p[0] for p in data]
        line, = right.loglog(sizes, [p[1] for p in data], marker=markers.get(name, "."),
                             label=f"{name} build")
        right.loglog(sizes, [p[2] for p in data], marker=markers.get(name, "."), ls="--",
                     color=line.get_color(), label=f"{name} backward")
    right.set_xlabel("nodes in the chain (W5)")
    right.set_ylabel("seconds (median)")
    if curves:  # a run without W5 has none
        right.legend(fontsize=7)
    right.grid(which="both", alpha=0.3)
    fig.suptitle("gategrad benchmark suite: ratios to the hand-written reference, and W5 scaling")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(meta, results, out_dir):
    """Write results.md and results.png; returns True if any engine failed its check."""
    lines = _header(meta, results)
    checks, failed = _checks(results)
    lines += ["## Checks: every engine against the reference, before any timing", "",
              "Loss and every gradient compared with the reference (float64: rtol 1e-8; "
              "float32: rtol 2e-4). " + ("**Some checks FAILED.**" if failed else
                                         "All passed."), ""] + checks
    points = []
    for workload in ("w1", "w2", "w3", "w4", "w6"):
        table, found = _time_table(results, workload)
        if not table:
            continue
        points += found
        lines += ["", f"## {WORKLOADS[workload].title}", "",
                  "Cells: ratio to the reference (median engine time per call).", ""] + table
        notes = [f"- {e['engine']}, {r['case']['label']}: {r['note']}" if len(e["results"]) > 1
                 else f"- {e['engine']}: {r['note']}"
                 for e in _entries(results, "time", workload).values() if not e.get("absent")
                 for r in e["results"] if r.get("note")]
        if workload == "w2":
            notes += _slope_lines(results)
        lines += [""] + notes if notes else []
    w5, curves = _w5(results)
    if w5:
        lines += ["", f"## {WORKLOADS['w5'].title}", "",
                  "Cells: median time (ratio to the reference).", ""] + w5
    f32 = _float32(results)
    if f32:
        lines += ["", "## W6: float64 time / float32 time (above 1: float32 is faster)", ""] + f32
    lines += ["", "## Peak memory of one call", "",
              "After a warm-up call: the rise of the resident set's high-water mark (reset "
              "through /proc/self/clear_refs; all engines) and tracemalloc's peak (Python "
              "objects and numpy buffers; blind to PyTorch's and XLA's own allocators). "
              "W2 per node: divided by 3 recorded nodes per step.", ""] + _memory(results)
    malloc = _malloc(results)
    if len(malloc) > 2:
        lines += ["", "## gategrad with glibc's default malloc thresholds", ""] + malloc
    Path(out_dir, "results.md").write_text("\n".join(lines) + "\n")
    _plot(points, curves, Path(out_dir, "results.png"))
    return failed


if __name__ == "__main__":  # re-write results.md and results.png from a run's results.json
    import json
    import sys
    source = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "results.json")
    saved = json.loads(source.read_text())
    sys.exit(1 if write(saved["meta"], saved["results"], source.parent) else 0)
