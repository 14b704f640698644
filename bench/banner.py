"""What the banner costs a portal page, measured in Chromium beside the same page without it.

    .venv/bin/python bench/banner.py [--runs 15]

For the demo page (/demo) and its baseline (/demo?banner=0, the same page with no banner), each
run in a fresh browser context (empty cache, no cookies: a first visit, so the banner shows):
  - gzip bytes of what the banner loads (banner.js + the policy JSON, gzip level 6 as a proxy
    would send them), and banner.js's bytes on the wire as the service itself sends it (gzip-encoded
    to a browser that accepts it, whatever the proxy in front),
  - time from DOMContentLoaded to the banner visible (the frame after the dialog is inserted),
  - main-thread CPU time spent in banner.js (a Chromium trace: thread time of its evaluation, its
    calls and its promise callbacks), beside the CPU time of every main-thread task of the page,
  - DOMContentLoaded and load times of both pages,
then a returning visit (after a refusal: banner.js from cache, the policy revalidated with a 304).
Medians over the runs; the service runs as the browser tests run it (werkzeug, SQLite, one process).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, Service  # noqa: E402

TIMING = """(() => {
  const b = window.__bench = {};
  document.addEventListener('DOMContentLoaded', () => { b.dcl = performance.now(); });
  addEventListener('load', () => { b.load = performance.now(); });
  new MutationObserver((_, o) => {
    if (!document.getElementById('cc-b')) return;
    o.disconnect();
    requestAnimationFrame(() => setTimeout(() => { b.visible = performance.now(); }));
  }).observe(document, {childList: true, subtree: true});
})()"""
# Published gzip sizes of other banners' scripts (their own figures, KB = 1,000 bytes), for scale.
PEERS = (("Silktide", 5400), ("osano", 6800), ("orestbida/cookieconsent", 10100), ("tarteaucitron", 18600))
BUDGET = 5 * 1024
TRACE_CATEGORIES = ["toplevel", "devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute", "v8"]
SCRIPT_EVENTS = {"EvaluateScript", "FunctionCall", "v8.compile"}


def main_thread_cpu(trace: bytes, page_url: str) -> tuple[float, float]:
    """(ms of CPU in banner.js, ms of CPU in every task) on the page's renderer main thread,
    from a Chromium trace. Thread time (``tdur``), not wall time, so a busy machine does not
    inflate it. banner.js's share: its evaluation and calls, plus the promise callbacks
    (``RunMicrotasks``) -- the demo page runs none of its own (its baseline shows none)."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("name") == "EvaluateScript" and (e.get("args", {}).get("data") or {}).get("url") == page_url}
    banner = total = 0.0
    for e in events:
        if e.get("ph") != "X" or (e.get("pid"), e.get("tid")) not in main:
            continue
        duration = e.get("tdur", e.get("dur", 0))
        url = ((e.get("args") or {}).get("data") or {}).get("url") or ""
        if e["name"] == "RunTask":
            total += duration
        elif e["name"] == "RunMicrotasks" or (e["name"] in SCRIPT_EVENTS and url.endswith("/banner.js")):
            banner += duration
    return banner / 1000, total / 1000


def visit(browser, context, url: str, banner: bool) -> tuple[dict, object]:
    page = context.new_page()
    bodies = {}

    def keep(response):
        if response.url.endswith("/banner.js") or response.url.endswith("/policy"):
            body = response.body() if response.status == 200 else b""
            wire = response.request.sizes()["responseBodySize"] if response.status == 200 else 0
            bodies[response.url.rsplit("/", 1)[1]] = (response.status, body, wire)

    page.on("response", keep)
    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
    page.goto(url, wait_until="load")
    if banner:
        page.wait_for_function("() => window.__bench.visible"
                               " || (document.getElementById('cc-m') && !document.getElementById('cc-b'))")
    page.wait_for_timeout(200)
    in_banner, all_tasks = main_thread_cpu(browser.stop_tracing(), url)
    timing = page.evaluate("window.__bench")
    result = {"dcl": timing["dcl"], "load": timing["load"], "banner_js_ms": in_banner, "main_ms": all_tasks,
              "bodies": bodies}
    if timing.get("visible"):
        result["to_visible"] = timing["visible"] - timing["dcl"]
    return result, page


def baseline_visit(browser, service, rows: list) -> None:
    context = browser.new_context()
    context.add_init_script(TIMING)
    result, page = visit(browser, context, f"{service.base}/demo?banner=0", banner=False)
    rows.append(result)
    page.close()
    context.close()


def median(rows, key):
    values = [r[key] for r in rows if key in r]
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    # The production policy cache (2 s), unlike the browser tests which turn it off.
    service = Service(Path(tempfile.mkdtemp(prefix="bench-banner-")), config={"POLICY_CACHE_SECONDS": 2.0}).start()
    first, baseline, returning = [], [], []
    sizes, wire = {}, {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for url in (f"{service.base}/demo", f"{service.base}/demo?banner=0"):  # warm the server up
            page = browser.new_page()
            page.goto(url)
            page.close()
        for run in range(args.runs):
            if run % 2:  # alternate which page goes first, so neither gets a systematic head start
                baseline_visit(browser, service, baseline)
            context = browser.new_context()
            context.add_init_script(TIMING)
            page_result, page = visit(browser, context, f"{service.base}/demo", banner=True)
            first.append(page_result)
            for name, (_, body, sent) in page_result["bodies"].items():
                sizes[name] = (len(body), len(gzip.compress(body, 6)))
                wire[name] = sent
            with page.expect_response(lambda r: r.url.endswith("/consents")):
                page.get_by_role("button", name="Tout refuser", exact=True).click()
            page.close()
            mark = len(service.holder.hits)
            page_result, page = visit(browser, context, f"{service.base}/demo?page=2", banner=True)
            returning.append(page_result)
            statuses = {path.rsplit("/", 1)[1]: status for path, status in service.holder.hits[mark:]
                        if path.endswith(("/banner.js", "/policy"))}
            page.close()
            context.close()
            if not run % 2:
                baseline_visit(browser, service, baseline)
        browser.close()
    service.stop()

    raw = sum(s[0] for s in sizes.values())
    zipped = sum(s[1] for s in sizes.values())
    print(f"banner bench: {args.runs} runs, Chromium, werkzeug dev server on SQLite (medians); "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print()
    print("bytes the banner loads (gzip -6):")
    for name, (plain, packed) in sorted(sizes.items()):
        print(f"  {name:<12} {plain:>7} B raw  {packed:>6} B gzip")
    print(f"  {'total':<12} {raw:>7} B raw  {zipped:>6} B gzip")
    script = wire.get("banner.js", 0)
    print()
    print(f"banner.js with its styles as served (Content-Encoding: gzip, bytes on the wire): {script:,} B "
          f"(gzip -6 of it: {sizes.get('banner.js', (0, 0))[1]:,} B; budget {BUDGET:,} B: "
          f"{'met' if script < BUDGET else 'MISSED'}; aim 4,096 B: {'met' if script <= 4096 else 'missed'}); "
          "other banners' scripts:")
    for name, peer in PEERS:
        print(f"  {name:<26} {peer:>7,} B  {peer / script if script else float('nan'):5.2f}x this one")
    print(f"  returning visit: banner.js {statuses.get('banner.js', 'from the browser cache')}, "
          f"policy {statuses.get('policy', 'from the browser cache')} (server status; 304 has no body)")
    print()
    print(f"{'':<34}{'baseline':>10}{'banner':>10}{'ratio':>8}")
    for label, key in (("DOMContentLoaded (ms)", "dcl"), ("load event (ms)", "load"),
                       ("main-thread CPU, all tasks (ms)", "main_ms")):
        b, f = median(baseline, key), median(first, key)
        print(f"{label:<34}{b:>10.1f}{f:>10.1f}{f / b if b else float('nan'):>8.2f}")
    print()
    print(f"first visit:  DOMContentLoaded -> banner visible  {median(first, 'to_visible'):6.1f} ms")
    print(f"first visit:  main-thread CPU in banner.js       {median(first, 'banner_js_ms'):6.1f} ms")
    print(f"return visit: main-thread CPU in banner.js       {median(returning, 'banner_js_ms'):6.1f} ms")
    print(f"return visit: main-thread CPU, all tasks         {median(returning, 'main_ms'):6.1f} ms")


if __name__ == "__main__":
    main()
