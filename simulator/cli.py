"""The ``pushsim`` command (also ``python -m simulator``): what each command does.

Its arguments are parsed by :mod:`simulator.cli_parser`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fakeproviders.apns import ApnsOptions
from fakeproviders.fcm import FcmOptions
from simulator.bench import BENCHMARKS, BenchOptions
from simulator.bench import load as load_benchmark
from simulator.cli_parser import build_parser
from simulator.config import ConfigError, UpConfig, load_config
from simulator.reports import write_reports
from simulator.scenarios import (
    ScenarioError,
    find_scenario_files,
    format_result,
    load_scenario,
    run_scenario,
    scenario_library,
)
from simulator.simulation import Ports, default_state_dir
from simulator.up import UpError, describe, export_lines, read_endpoints, serve

__all__ = ["build_parser", "main"]


def _load_options(command: str, path: Path | None) -> tuple[UpConfig, dict[str, Any]] | None:
    """The config file and its Simulation options; None (after saying why) when it is wrong."""
    try:
        config = load_config(path) if path else UpConfig()
        return config, config.simulation_options()
    except ConfigError as exc:
        print(f"pushsim {command}: {exc}", file=sys.stderr)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        return _run(
            args.paths,
            config=args.config,
            state_dir=args.state_dir,
            quiet=args.quiet,
            junit=args.junit_xml,
            timeline=args.timeline_json,
        )
    if args.command == "up":
        return _up(args)
    if args.command == "tui":
        return _tui(args)
    if args.command == "env":
        return _env(args.state_dir or default_state_dir())
    if args.command == "audit":
        return _audit(args)
    if args.command == "bench":
        return _bench(
            args.names,
            BenchOptions(
                quick=args.quick,
                count=args.count,
                state_dir=args.state_dir,
                postgres=args.postgres,
            ),
        )
    raise AssertionError(f"unhandled command {args.command}")  # argparse rejects unknown ones


def _run(
    paths: Sequence[Path],
    *,
    config: Path | None = None,
    state_dir: Path | None,
    quiet: bool,
    junit: Path | None = None,
    timeline: Path | None = None,
) -> int:
    library = scenario_library()
    if not paths:
        return _list_library(library)
    # A bare name that is no file is a library scenario: `pushsim run opt_out`.
    paths = [
        library / f"{p}.py" if not p.exists() and p.parent == Path() and library else p
        for p in paths
    ]
    try:
        scripts = [load_scenario(path) for path in find_scenario_files(paths)]
    except ScenarioError as exc:
        print(f"pushsim run: {exc}", file=sys.stderr)
        return 2
    loaded = _load_options("run", config)
    if loaded is None:
        return 2
    results = []
    for script in scripts:
        result = asyncio.run(run_scenario(script, state_dir=state_dir, backend=loaded[1]))
        print(format_result(result, show_timeline=not quiet or not result.passed), flush=True)
        print()
        results.append(result)
    try:
        write_reports(results, junit=junit, timeline=timeline)
    except OSError as exc:
        print(f"pushsim run: cannot write the report: {exc}", file=sys.stderr)
        return 2
    failed = sum(not r.passed for r in results)
    skipped = sum(r.skipped is not None for r in results)
    print(f"{len(scripts) - failed - skipped} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


def _list_library(library: Path | None) -> int:
    if library is None:
        print("pushsim run: the scenario library is not installed", file=sys.stderr)
        return 2
    scripts = [load_scenario(path) for path in find_scenario_files([library])]
    print(f"The scenario library ({library}):")
    width = max((len(s.name) for s in scripts), default=0)
    for script in scripts:
        print(f"  {script.name:<{width}}  {script.title}")
    print("\nRun one with `pushsim run NAME`, all with `pushsim run " + str(library) + "`.")
    return 0


def _tui(args: argparse.Namespace) -> int:
    if args.scenario is not None and not args.scenario.is_file():
        print(f"pushsim tui: {args.scenario}: no such file", file=sys.stderr)
        return 2
    if args.pace < 0:
        print("pushsim tui: --pace must not be negative", file=sys.stderr)
        return 2
    from simulator.tui import run_tui, run_web_tui  # Textual loads only when asked for

    if args.web:
        return run_web_tui(state_dir=args.state_dir, port=args.web_port)
    return run_tui(state_dir=args.state_dir, scenario=args.scenario, pace=args.pace)


def _up(args: argparse.Namespace) -> int:
    state_dir = args.state_dir or default_state_dir()
    loaded = _load_options("up", args.config)
    if loaded is None:
        return 2
    config, options = loaded
    if args.apps:
        options["app_ids"] = tuple(dict.fromkeys(args.apps))
    # The TUI needs a terminal; in CI or with output piped, up runs headless.
    headless = args.headless or config.up.headless
    tui = not headless and sys.stdin.isatty() and sys.stdout.isatty()

    def port(name: str) -> int:
        flag: int | None = getattr(args, f"{name}_port", None)
        return flag if flag is not None else int(getattr(config.ports, name))

    ports = Ports(
        apns=port("apns"),
        apns_production=port("apns_production"),
        fcm=port("fcm"),
        sender=port("sender"),
        proxy=port("proxy"),
        google_wallet=port("google_wallet"),
    )
    if args.apns_invalidation_delay is not None:
        options["apns_options"] = ApnsOptions(invalidation_delay=args.apns_invalidation_delay)
    if args.fcm_uninstall_delay is not None:
        options["fcm_options"] = FcmOptions(uninstall_delay=args.fcm_uninstall_delay)
    try:
        asyncio.run(
            serve(
                state_dir=state_dir,
                ports=ports,
                control_port=port("control"),
                demo=config.up.demo and not args.no_demo,
                on_ready=lambda endpoints: print(describe(endpoints, state_dir), flush=True),
                tui=tui,
                options=options,
                web_port=args.web_port if args.web else None,
            )
        )
    except OSError as exc:
        print(f"pushsim up: cannot listen: {exc}", file=sys.stderr)
        return 1
    print("pushsim stopped.")
    return 0


def _env(state_dir: Path) -> int:
    try:
        endpoints = read_endpoints(state_dir)
    except UpError as exc:
        print(f"pushsim env: {exc}", file=sys.stderr)
        return 1
    print("\n".join(export_lines(endpoints)))
    return 0


def _audit(args: argparse.Namespace) -> int:
    from simulator.audit import CATALOGUE, select  # the checks load only when asked for

    def ids(values: list[str]) -> list[str]:
        return [part.strip() for value in values for part in value.split(",") if part.strip()]

    try:
        checks = select(ids(args.only), ids(args.skip))
    except ValueError as exc:
        print(f"pushsim audit: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for check in CATALOGUE:
            print(f"{check.check_id:<18} {check.title}  [{check.source}]")
        return 0
    loaded = _load_options("audit", args.config)
    if loaded is None:
        return 2
    from simulator.audit.cli import audit

    waits = loaded[0].audit
    return asyncio.run(
        audit(
            checks,
            options=loaded[1],
            first=waits.first_push_wait if args.first_push_wait is None else args.first_push_wait,
            quiet=waits.quiet_wait if args.quiet_wait is None else args.quiet_wait,
            patience=waits.show_wait if args.show_wait is None else args.show_wait,
            state_dir=args.state_dir,
            junit=args.junit_xml,
            json_path=args.json,
            subject=str(args.config) if args.config else "pushsim's sender",
        )
    )


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
