"""The report of bench/consent_api.py: rounds summed up into one result per scenario, and the
markdown table with its ratios, targets and notes."""
from __future__ import annotations

import dataclasses

from api_load import Result, Scenario


def summarise(runs: dict[str, list[Result]], scenarios: list[Scenario]) -> dict[str, Result]:
    """One Result per scenario: its median run; each ratio is the median of the ratios of
    runs made in the same round (side by side in time, so other load on the machine
    weighs on both alike); rows and 201s are added up over all rounds."""
    results = {}
    for s in scenarios:
        found = runs[s.key]
        median = sorted(found, key=lambda r: r.rps)[len(found) // 2]
        result = dataclasses.replace(median)
        if s.ceiling:
            result.round_ratios = [r.rps / c.rps for r, c in zip(found, runs[s.ceiling], strict=False) if c.rps]
            ratios = sorted(result.round_ratios)
            result.ratio = ratios[len(ratios) // 2] if ratios else 0.0
            cpu_ratios = sorted(c.cpu_ms / r.cpu_ms for r, c in zip(found, runs[s.ceiling], strict=False) if r.cpu_ms)
            result.cpu_ratio = cpu_ratios[len(cpu_ratios) // 2] if cpu_ratios else None
        if s.also:
            result.also_ratios = [r.rps / c.rps for r, c in zip(found, runs[s.also], strict=False) if c.rps]
        result.cpu_ms = sorted(r.cpu_ms for r in found)[len(found) // 2]
        result.statuses, result.errors = {}, {}
        for r in found:
            for key, n in r.statuses.items():
                result.statuses[key] = result.statuses.get(key, 0) + n
            for key, n in r.errors.items():
                result.errors[key] = result.errors.get(key, 0) + n
        if s.table:
            result.rows_added = sum(r.rows_added for r in found)
            result.all_committed = all(_committed(r) for r in found)
        results[s.key] = result
    return results


def render(results: dict[str, Result], args, context: dict) -> str:
    lines = [
        "| Scenario | req/s | p50 ms | p99 ms | CPU ms/req | Compared with | Ratio | CPU ratio | Target | Met |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|:-:|",
    ]
    verdicts = []
    for result in results.values():
        s = result.scenario
        ratio_text = compared = target_text = met_text = "—"
        if s.ceiling:
            ceiling = results[s.ceiling]
            ratio = result.ratio if result.ratio is not None else (result.rps / ceiling.rps if ceiling.rps else 0.0)
            ratio_text = f"{ratio:.2f}×"
            compared = ceiling.scenario.label
            if s.target is not None:
                ok = ratio >= s.target and result.p99_ms < args.p99_ms and not result.unexpected \
                    and _committed(result)
                target_text = f"≥ {s.target:g}×, p99 < {args.p99_ms:.0f} ms"
                if s.table:
                    target_text += ", every 201 committed"
                met_text = "yes" if ok else "**no**"
                verdicts.append((s.label, ok))
        cpu_ratio = f"{result.cpu_ratio:.2f}×" if result.cpu_ratio else "—"
        lines.append(f"| {s.label} | {result.rps:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} | "
                     f"{result.cpu_ms:.2f} | {compared} | {ratio_text} | {cpu_ratio} | {target_text} | {met_text} |")
    notes = []
    if args.rounds > 1:
        notes.append("- Ratios in each round: " + "; ".join(
            f"{r.scenario.label} " + ", ".join(f"{x:.2f}" for x in r.round_ratios)
            for r in results.values() if r.scenario.target is not None) + ".")
    for result in results.values():
        if result.scenario.also and result.also_ratios:
            also = results[result.scenario.also]
            ratios = sorted(result.also_ratios)
            notes.append(f"- {result.scenario.label} against the {also.scenario.label[0].lower()}"
                         f"{also.scenario.label[1:]}: {ratios[len(ratios) // 2]:.2f}× (rounds "
                         + ", ".join(f"{x:.2f}" for x in result.also_ratios) + ").")
        if result.rows_added is not None:
            extra = result.rows_added - result.expected_count
            notes.append(f"- {result.scenario.label}: {result.expected_count:,} × 201 reported by wrk, "
                         f"{result.rows_added:,} rows added: "
                         + ("every 201 committed" if _committed(result) else "**ROWS MISSING**")
                         + (f"; the {extra:,} extra rows are requests in flight when wrk stopped "
                            f"(at most {args.connections} per run)." if extra > 0 else "."))
        if result.unexpected or any(result.errors.values()):
            notes.append(f"- {result.scenario.label}: unexpected statuses {result.unexpected}, "
                         f"wrk errors {result.errors}.")
    header = (
        f"Measured {context['when']} on {context['cpus']} CPU(s), {context['python']}, PostgreSQL "
        f"{context['pg']} on 127.0.0.1 (synchronous_commit={context['sync']}, fsync={context['fsync']}). "
        f"gunicorn: {args.workers} workers, worker_class={context['worker_class']}, threads={context['threads']} "
        f"(gunicorn.conf.py, the same for the service and the ceilings). Load: wrk, {args.connections} "
        f"connections, {args.threads} threads, {args.warmup:g} s warm-up then {args.duration:g} s per scenario"
        + (f"; {args.rounds} interleaved rounds: median run, median of same-round ratios, 201s and rows "
           "summed" if args.rounds > 1 else "")
        + f". Load average (1 min): {context['load']}."
    )
    notes.append("- CPU ms/req: CPU time of the server's processes, of their PostgreSQL backends and of wrk, "
                 "per request; CPU ratio: the ceiling's over the scenario's (median of the rounds). It moves "
                 "far less than req/s with other load on the machine; the targets are on req/s.")
    summary = ", ".join(f"{label}: {'met' if ok else 'missed'}" for label, ok in verdicts)
    return "\n".join([header, "", *lines, "", *notes, "", f"Targets — {summary}.", ""])


def _committed(result: Result) -> bool:
    return result.all_committed and (result.rows_added is None or result.rows_added >= result.expected_count)
