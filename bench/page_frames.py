"""Frame times and main-thread load of the page in headless Chromium while a big run is drawn live.

Run: .venv/bin/python bench/page_frames.py [--case 130|500|both] [--runs 3] [--trace]
- 130: the largest lesson run the bounds allow (producer-consumer 64 + 64: 129 processes).
- 500: a program of one's own (bench/programs/tree500.py, 501 processes) started through
  the normal ``POST /api/runs {program}`` path; the bench's server gets
  ``PROCVIZ_MAX_PROCESSES=600`` (the default cap, 256, is a sane limit for a lecture).
Each repetition watches a fresh run for 10 s once the tree is drawn: requestAnimationFrame
intervals (fps, p95, frames over 50 ms), the main thread's busy share (CDP
``Performance.getMetrics`` TaskDuration over the window) and where it went (script, style,
layout). ``--trace`` also records a Chromium trace of one window and sums the layouts forced
from JavaScript by the function that forced them, and paint on the main thread.
Headless Chromium on a shared 2-core machine without a GPU is a pessimistic "modest laptop";
with other people's work on the cores the page's main thread waits for a core, so its busy
share (wall clock) is inflated: its CPU time is the figure that says what the page costs.
``--nice -10`` (root) renices our Chromium so that it is measured as on a laptop of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import ROOT, percentile, server

CHROMIUM = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WINDOW_MS = 10000
TOKEN = "bench-page-frames-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
PROGRAM = ROOT / "bench" / "programs" / "tree500.py"

# requestAnimationFrame intervals (a frame over 50 ms is a visible hitch) and long tasks.
PROBE = """
(ms) => new Promise((resolve) => {
  const gaps = [];
  const long = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) long.push(e.duration);
  });
  obs.observe({ type: "longtask" });
  let last = performance.now();
  const start = last;
  function frame(now) {
    gaps.push(now - last);
    last = now;
    if (now - start < ms) requestAnimationFrame(frame);
    else { obs.disconnect(); resolve({ gaps, long }); }
  }
  requestAnimationFrame(frame);
})
"""

METRICS = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def start_case(base: str, case: str) -> tuple[str, int]:
    """Start the run of a case: (run id, how many process nodes mean "drawn")."""
    if case == "130":
        params = {
            "producers": 64,
            "consumers": 64,
            "items": 30,
            "produce_seconds": 1.0,
            "consume_seconds": 1.0,
            "maxsize": 16,
        }
        body: dict[str, Any] = {"lesson": "producer-consumer", "params": params}
        want = 120
    else:
        files = {"tree500.py": PROGRAM.read_text()}
        body = {"program": {"files": files, "entry": "tree500.py", "argv": ["120"]}, "params": {}}
        want = 490
    res = httpx.post(base + "/api/runs", json=body, headers=HEADERS, timeout=30)
    res.raise_for_status()
    return res.json()["id"], want


def stop_and_wait(base: str, run: str) -> None:
    """Stop the run and wait until it has ended: the next repetition's run is refused (429,
    too many runs) while 500 processes are still being stopped."""
    httpx.post(f"{base}/api/runs/{run}/stop", headers=HEADERS, timeout=30)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = httpx.get(f"{base}/api/runs/{run}", headers=HEADERS, timeout=30).json()["state"]
        if state not in ("starting", "running"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"run {run} did not end within 60 s of its stop")


def descendants() -> set[int]:
    """This bench's processes (the Playwright driver, its Chromium): others run Chromium too."""
    parent = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
            except OSError:
                continue
            parent[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    mine, grew = {os.getpid()}, True
    while grew:
        more = {pid for pid, pp in parent.items() if pp in mine} - mine
        mine |= more
        grew = bool(more)
    return mine - {os.getpid()}


def renderer_cpu() -> dict[int, float]:
    """CPU seconds of each of our Chromium renderers' main thread (utime + stime, from /proc):
    the work done, unlike wall-clock task durations, which grow when other processes hold the
    cores."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in descendants():
        try:
            if b"--type=renderer" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            stat = Path(f"/proc/{pid}/task/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def renice_browser(nice: int) -> None:
    """Give our Chromium's threads a nice value: a page measured as on a laptop that is not
    shared with other people's work (needs root for a negative value)."""
    for pid in descendants():
        try:
            if b"chromium" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            for tid in os.listdir(f"/proc/{pid}/task"):
                os.setpriority(os.PRIO_PROCESS, int(tid), nice)
        except OSError:
            continue


def metrics(cdp: Any) -> dict[str, float]:
    got = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {k: got.get(k, 0.0) for k in (*METRICS, "Timestamp")}


def measure(
    browser: Browser,
    base: str,
    case: str,
    trace: Path | None,
    shots: Path | None = None,
    nice: int | None = None,
) -> dict[str, Any]:
    run, want = start_case(base, case)
    page: Page = browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        page.goto(f"{base}/runs/{run}?token={TOKEN}")
        deadline = time.monotonic() + 180
        while page.locator("g.node[data-pid]").count() < want and time.monotonic() < deadline:
            time.sleep(0.5)
        page.wait_for_timeout(2000)  # the tree settles in place
        nodes = page.locator("g.node[data-pid]").count()
        if nice is not None:
            renice_browser(nice)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        if trace:
            browser.start_tracing(
                page=page,
                path=str(trace),
                categories=["devtools.timeline", "disabled-by-default-devtools.timeline.stack"],
            )
        before, cpu0 = metrics(cdp), renderer_cpu()
        probe = page.evaluate(PROBE, WINDOW_MS)
        after, cpu1 = metrics(cdp), renderer_cpu()
        if trace:
            browser.stop_tracing()
        if shots:
            shots.mkdir(parents=True, exist_ok=True)
            for width, height in ((1920, 1080), (1366, 768)):
                page.set_viewport_size({"width": width, "height": height})
                page.wait_for_timeout(2500)  # the tree fits the new size
                page.screenshot(path=str(shots / f"tree-{case}-{width}x{height}.png"))
    finally:
        page.close()
        stop_and_wait(base, run)
    wall = after["Timestamp"] - before["Timestamp"]
    load = os.getloadavg()[0]
    gaps = probe["gaps"]
    return {
        "nodes": nodes,
        "fps": 1000 * len(gaps) / sum(gaps),
        "p50": percentile(gaps, 0.5),
        "p95": percentile(gaps, 0.95),
        "max": max(gaps),
        "over50": sum(1 for g in gaps if g > 50),
        "longtasks": len(probe["long"]),
        "load": load,
        # The page's renderer is the one whose main thread worked most in the window.
        "cpu": 100 * max(cpu1[p] - cpu0.get(p, 0.0) for p in cpu1) / wall,
        **{k: 100 * (after[k] - before[k]) / wall for k in METRICS},
    }


def summarise_trace(path: Path) -> None:
    """Main-thread time by kind (wall clock, and the thread's CPU time, which other people's
    load on the cores does not inflate), and the layouts forced from JavaScript by the
    function that forced them."""
    events = json.loads(path.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = {
        e["tid"]
        for e in events
        if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    kinds = {
        "Paint": "paint",
        "PrePaint": "paint",
        "Layerize": "paint",
        "UpdateLayer": "paint",
        "Layout": "layout",
        "UpdateLayoutTree": "style",
        "FunctionCall": "script",
        "FireAnimationFrame": "script",
        "TimerFire": "script",
        "EventDispatch": "script",
    }
    forced: dict[str, float] = defaultdict(float)
    wall: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    for e in events:
        if e.get("tid") not in main or e.get("ph") != "X":
            continue
        name = e.get("name")
        kind = kinds.get(name)
        if not kind:
            continue
        wall[kind] += e.get("dur", 0) / 1000
        cpu[kind] += e.get("tdur", e.get("dur", 0)) / 1000
        stack = (
            e.get("args", {}).get("beginData", {}).get("stackTrace") if kind == "layout" else None
        )
        if stack:
            top = stack[0]
            func = top.get("functionName") or "?"
            where = f"{func} ({Path(top.get('url', '')).name}:{top.get('lineNumber')})"
            forced[where] += e.get("tdur", e.get("dur", 0)) / 1000
    order = ("script", "style", "layout", "paint")
    print("  trace, wall ms:", ", ".join(f"{k} {wall[k]:.0f}" for k in order))
    print("  trace, CPU ms: ", ", ".join(f"{k} {cpu[k]:.0f}" for k in order), end="")
    print(f", forced layout {sum(forced.values()):.0f}")
    for where, ms in sorted(forced.items(), key=lambda kv: -kv[1])[:8]:
        print(f"    forced layout {ms:7.1f} ms CPU  {where}")


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=["130", "500", "both"], default="both")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--trace", action="store_true", help="also trace the first window of each case")
    ap.add_argument("--screenshots", type=Path, help="a directory for pictures of the first run")
    ap.add_argument(
        "--nice", type=int, help="renice the browser (e.g. -10): the page without other load"
    )
    opts = ap.parse_args()
    cases = ["130", "500"] if opts.case == "both" else [opts.case]
    env = {"PROCVIZ_TOKEN": TOKEN, "PROCVIZ_MAX_PROCESSES": "600", "PROCVIZ_MAX_RUNS": "2"}
    with server(**env) as (base, _pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM)
        for case in cases:
            results = []
            for i in range(opts.runs):
                trace = Path(tempfile.mkdtemp()) / "trace.json" if opts.trace and i == 0 else None
                shots = opts.screenshots if i == 0 else None
                r = measure(browser, base, case, trace, shots, opts.nice)
                results.append(r)
                print(
                    f"[{case}] {r['nodes']} nodes: {r['fps']:.0f} fps, p50 {r['p50']:.1f} ms, "
                    f"p95 {r['p95']:.1f} ms, max {r['max']:.0f} ms, {r['over50']} frames > 50 ms, "
                    f"{r['longtasks']} long tasks; main thread busy {r['TaskDuration']:.0f} % "
                    f"(CPU {r['cpu']:.0f} %) "
                    f"(script {r['ScriptDuration']:.0f} %, style {r['RecalcStyleDuration']:.0f} %, "
                    f"layout {r['LayoutDuration']:.0f} %); machine load average {r['load']:.0f}",
                    flush=True,
                )
                if trace:
                    summarise_trace(trace)
            print(
                f"[{case}] min / median / max of {len(results)}: "
                f"fps {spread([r['fps'] for r in results], '{:.0f}')}; "
                f"p95 {spread([r['p95'] for r in results])} ms; "
                f"frames > 50 ms {spread([r['over50'] for r in results], '{:.0f}')}; "
                f"busy {spread([r['TaskDuration'] for r in results], '{:.0f}')} %; "
                f"main-thread CPU {spread([r['cpu'] for r in results], '{:.0f}')} %; "
                f"layout {spread([r['LayoutDuration'] for r in results], '{:.0f}')} %",
                flush=True,
            )
        browser.close()


if __name__ == "__main__":
    main()
