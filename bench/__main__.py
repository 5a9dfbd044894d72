"""`python -m bench [--only NAME ...] [--json FILE]`: measure, print a table, exit 1 if a target is missed."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import platform
import sys
import time
from pathlib import Path

from bench import runs

SUITES = {
    "ack": runs.ack_latency,
    "critical": runs.critical_path,
    "burst": runs.burst,
    "takeover": runs.takeover,
    "footprint": runs.footprint,
}


def table(results: dict[str, dict[str, runs.Row]]) -> str:
    lines = ["| bench | figure | value | target | ok |", "|---|---|---|---|---|"]
    for suite, rows in results.items():
        for name, (value, unit, target, ok) in rows.items():
            digits = 2 if unit == "x" else 1
            shown = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
            lines.append(f"| {suite} | {name} | {shown} {unit} | {target} | {'yes' if ok else 'NO'} |")
    return "\n".join(lines)


async def main(only: list[str]) -> dict[str, dict[str, runs.Row]]:
    results: dict[str, dict[str, runs.Row]] = {}
    for name, run in SUITES.items():
        if only and name not in only:
            continue
        started = time.monotonic()
        print(f"bench {name} ...", file=sys.stderr, flush=True)
        results[name] = await run()  # type: ignore[operator]
        print(f"bench {name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--only", nargs="*", choices=list(SUITES), default=[])
    parser.add_argument("--json", default="bench/results.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    begun = time.monotonic()
    results = asyncio.run(main(args.only))
    print(table(results))
    missed = [f"{s}: {n}" for s, rows in results.items() for n, row in rows.items() if not row[3]]
    Path(args.json).write_text(
        json.dumps(
            {
                "machine": {
                    "python": platform.python_version(),
                    "cpus": __import__("os").cpu_count(),
                    "platform": platform.platform(),
                },
                "seconds": round(time.monotonic() - begun, 1),
                "results": {
                    s: {n: {"value": v, "unit": u, "target": t, "ok": ok} for n, (v, u, t, ok) in rows.items()}
                    for s, rows in results.items()
                },
                "missed": missed,
            },
            indent=2,
        )
        + "\n"
    )
    print(
        f"\n{len(missed)} target(s) missed{': ' + '; '.join(missed) if missed else ''}"
        f" ({time.monotonic() - begun:.0f} s)"
    )
    sys.exit(1 if missed else 0)
