"""The ``pushsim`` command (also ``python -m simulator``)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from simulator.bench import BENCHMARKS, BenchOptions
from simulator.bench import load as load_benchmark
from simulator.scenarios import (
    ScenarioError,
    find_scenario_files,
    format_result,
    load_scenario,
    run_scenario,
)
from simulator.simulation import default_state_dir


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pushsim",
        description=(
            "An offline lab for mobile push notifications: fake APNs and FCM servers, "
            "simulated iOS and Android phones and a real sender, run together."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run scenario scripts and print each one's timeline and verdict",
        description=(
            "Run scenario scripts (files, or folders searched for *.py). Each runs in its own "
            "simulation; its timeline and verdict are printed. Exits 1 if any scenario fails, "
            "2 if a path is not a scenario."
        ),
    )
    run.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="scenario file or folder")
    run.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help=f"where the local CA and keys are kept (default: {default_state_dir()})",
    )
    run.add_argument(
        "-q", "--quiet", action="store_true", help="print verdicts only, and timelines of failures"
    )

    bench = commands.add_parser(
        "bench",
        help="run benchmarks; each measures its baseline in the same run and prints ratios",
        description="Run benchmarks and print a table per benchmark, with the target and whether "
        "it was met. Benchmarks: "
        + "; ".join(f"{name}: {text}" for name, (_, text) in BENCHMARKS.items()),
    )
    bench.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (default: all)")
    bench.add_argument(
        "--quick", action="store_true", help="a small load, to check the benchmark runs"
    )
    bench.add_argument("--count", type=int, default=None, help="override the default load")
    bench.add_argument("--state-dir", type=Path, default=None, help="state directory to use")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return _run(args.paths, state_dir=args.state_dir, quiet=args.quiet)
    if args.command == "bench":
        return _bench(
            args.names, BenchOptions(quick=args.quick, count=args.count, state_dir=args.state_dir)
        )
    raise AssertionError(f"unhandled command {args.command}")  # argparse rejects unknown ones


def _run(paths: Sequence[Path], *, state_dir: Path | None, quiet: bool) -> int:
    try:
        scripts = [load_scenario(path) for path in find_scenario_files(paths)]
    except ScenarioError as exc:
        print(f"pushsim run: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for script in scripts:
        result = asyncio.run(run_scenario(script, state_dir=state_dir))
        print(format_result(result, show_timeline=not quiet or not result.passed), flush=True)
        print()
        failed += not result.passed
    print(f"{len(scripts) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _bench(names: Sequence[str], options: BenchOptions) -> int:
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(
            f"pushsim bench: unknown benchmark {', '.join(unknown)}; "
            f"choose from {', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    if options.count is not None and options.count < 1:
        print("pushsim bench: --count must be at least 1", file=sys.stderr)
        return 2
    for name in names or list(BENCHMARKS):
        print(f"running bench {name}…", file=sys.stderr, flush=True)
        report = asyncio.run(load_benchmark(name)(options))
        print(report.format(), flush=True)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
