"""Frame times of the page in headless Chromium while a big run is drawn live at 20 Hz.

Run: .venv/bin/python bench/page_frames.py
Uses the largest lesson run the bounds allow (producer-consumer 64 + 64: 129 processes).
Headless Chromium on a shared 2-core machine without a GPU is a pessimistic "modest laptop".
"""

from __future__ import annotations

import os
import sys
import time

import httpx
from playwright.sync_api import sync_playwright

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.common import percentile, server

CHROMIUM = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WINDOW_MS = 10000

# Collects requestAnimationFrame intervals; a frame over 50 ms is a visible hitch.
PROBE = """
(ms) => new Promise((resolve) => {
  const gaps = [];
  let last = performance.now();
  const start = last;
  function frame(now) {
    gaps.push(now - last);
    last = now;
    if (now - start < ms) requestAnimationFrame(frame); else resolve(gaps);
  }
  requestAnimationFrame(frame);
})
"""


def main() -> None:
    params = {
        "producers": 64,
        "consumers": 64,
        "items": 30,
        "produce_seconds": 1.0,
        "consume_seconds": 1.0,
        "maxsize": 16,
    }
    with server() as (base, _pid), sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        run = httpx.post(
            base + "/api/runs", json={"lesson": "producer-consumer", "params": params}
        ).json()
        page.goto(f"{base}/runs/{run['id']}")
        deadline = time.monotonic() + 60
        while page.locator("g.node[data-pid]").count() < 120 and time.monotonic() < deadline:
            time.sleep(0.2)
        nodes = page.locator("g.node[data-pid]").count()
        gaps = page.evaluate(PROBE, WINDOW_MS)
        httpx.post(f"{base}/api/runs/{run['id']}/stop")
        browser.close()
    fps = 1000 * len(gaps) / sum(gaps)
    long = sum(1 for g in gaps if g > 50)
    print(
        f"{nodes} process nodes drawn; {len(gaps)} frames in {WINDOW_MS / 1000:g} s: {fps:.0f} fps, "
        f"frame time p50 {percentile(gaps, 0.5):.1f} ms, p95 {percentile(gaps, 0.95):.1f} ms, "
        f"max {max(gaps):.0f} ms, {long} frames over 50 ms"
    )


if __name__ == "__main__":
    main()
