"""`python -m evaluation` (`make evaluate`): measure, price and report.

python -m evaluation                 # the full run (docs/evaluation.md states its duration)
python -m evaluation --quick         # seconds per profile: what the test runs
python -m evaluation --host URL      # Locust only, against a deployed API (no metrics)
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from evaluation.cost import PriceTable
from evaluation.faults import FULL_TIMING, QUICK_TIMING, run_experiments
from evaluation.report import render
from evaluation.run import FULL, QUICK, measure, run_locust
from localrun.stack import REPO_ROOT

DOC = REPO_ROOT / "docs" / "evaluation.md"
PLOTS = REPO_ROOT / "docs" / "evaluation"
RAW = REPO_ROOT / "build" / "evaluation"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds per profile")
    parser.add_argument("--host", help="a deployed API's base URL: run Locust only")
    parser.add_argument(
        "--id-tokens", type=Path, help="with --host: ID tokens of the pool's customers, one a line"
    )
    parser.add_argument("--raw", type=Path, default=RAW, help="where raw CSVs go")
    parser.add_argument("--doc", type=Path, default=DOC, help="the report to write")
    parser.add_argument("--plots", type=Path, default=PLOTS, help="where the PNGs go")
    args = parser.parse_args(argv)
    profiles = QUICK if args.quick else FULL
    # moto's interpreter logs each Fail state's parse tree; the histories say it all.
    logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
    if args.host:
        if args.id_tokens is None:
            parser.error("--host needs --id-tokens: the API takes signed-in customers only")
        args.raw.mkdir(parents=True, exist_ok=True)
        for profile in profiles:
            run_locust(args.host, profile, args.raw, args.id_tokens, quiet=False)
        print(f"raw results: {args.raw}")
        return 0
    started = time.monotonic()
    measured = measure(args.raw, profiles, quiet=args.quick)
    timing = QUICK_TIMING if args.quick else FULL_TIMING
    faults = run_experiments(args.raw / "faults", timing, quiet=args.quick)
    measured.seconds = time.monotonic() - started
    command = "make evaluate" if not args.quick else "python -m evaluation --quick"
    args.doc.parent.mkdir(parents=True, exist_ok=True)
    report = render(measured, PriceTable.load(), args.plots, args.doc, command, faults)
    args.doc.write_text(report)
    print(f"wrote {args.doc} and its plots in {args.plots} ({measured.seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
