"""The ``pushsim`` command (also ``python -m simulator``)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fakeproviders.apns import ApnsOptions
from fakeproviders.fcm import FcmOptions
from simulator.bench import BENCHMARKS, BenchOptions
from simulator.bench import load as load_benchmark
from simulator.config import (
    MAX_AUDIT_WAIT,
    AuditSection,
    ConfigError,
    UpConfig,
    check_wait,
    load_config,
)
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
            "2 if a path is not a scenario. Without a PATH, list the scenario library installed "
            "with pushsim; a library scenario may be named without its path (opt_out)."
        ),
    )
    run.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="scenario file, folder or library name"
    )
    _state_dir_option(run)
    _config_option(run, "run the scenarios against the backend its [backend] and [hooks] wire in")
    run.add_argument(
        "-q", "--quiet", action="store_true", help="print verdicts only, and timelines of failures"
    )
    run.add_argument(
        "--junit-xml", type=Path, metavar="FILE", help="write a JUnit XML report (for CI)"
    )
    run.add_argument(
        "--timeline-json", type=Path, metavar="FILE", help="write every scenario's timeline as JSON"
    )

    up = commands.add_parser(
        "up",
        help="run the fakes, the sender, the control API and a demo fleet until Ctrl-C",
        description=(
            "Start fake APNs, fake FCM, the sender and the control API on loopback, add a demo "
            "fleet (alice and bob, an iPhone and an Android phone each), write endpoints.json "
            "into the state directory, and run until Ctrl-C or SIGTERM. Ports default to free "
            "ones; `pushsim env` prints how to point a sender at them."
        ),
    )
    _state_dir_option(up)
    _config_option(up, "flags win over it")
    up.add_argument(
        "--app",
        action="append",
        dest="apps",
        metavar="ID",
        help="a bundle id / package name the fakes serve (repeat for more; "
        "default com.example.app; the first is the demo fleet's app)",
    )
    up.add_argument(
        "--headless",
        action="store_true",
        help="no terminal UI, just a log line per endpoint (the default when not on a terminal)",
    )
    up.add_argument("--no-demo", action="store_true", help="start with no phones")
    _web_options(up)
    for name, what in (
        ("apns", "sandbox APNs"),
        ("apns-production", "production APNs"),
        ("fcm", "fcm"),
        ("google-wallet", "Google Wallet API"),
        ("sender", "sender"),
        ("control", "control API"),
    ):
        up.add_argument(
            f"--{name}-port",
            type=_port,
            default=None,
            metavar="PORT",
            help=f"{what} port (0: free)",
        )
    up.add_argument(
        "--apns-invalidation-delay",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="after an iOS uninstall, seconds from the first push that reached the phone to the "
        "first 410 Unregistered (default: 86400, one day; Apple's schedule is undocumented; "
        "0 for a 410 from the next push on)",
    )
    up.add_argument(
        "--fcm-uninstall-delay",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="after an Android uninstall, seconds from the phone's report (when a message reached "
        "it) to the first 404 UNREGISTERED (default: 0; Google's delay is undocumented)",
    )

    tui = commands.add_parser(
        "tui",
        help="the terminal UI, with its own in-process simulation and a demo fleet",
        description=(
            "Watch simulated phones light up: add phones, install apps, answer prompts, send "
            "notifications, tap or swipe them, inject faults, advance the clock. Press ? for every "
            "key, q to quit. With --scenario, play a scenario script at a watchable pace."
        ),
    )
    _state_dir_option(tui)
    tui.add_argument("--scenario", type=Path, metavar="PATH", help="a scenario script to play")
    tui.add_argument(
        "--pace",
        type=float,
        default=0.8,
        metavar="SECONDS",
        help="pause between a scenario's steps (default 0.8; 0: full speed, redrawn once a second)",
    )
    _web_options(tui)

    env = commands.add_parser(
        "env",
        help="print export lines that point an external sender at a running `pushsim up`",
        description=(
            "Print POSIX shell `export` lines (URLs, APNs key, FCM service account, CA bundles for "
            'Python, requests, curl and Node) for a running `pushsim up`. Use: eval "$(pushsim env)"'
        ),
    )
    _state_dir_option(env)

    audit = commands.add_parser(
        "audit",
        help="grade a sender against Apple's and Google's rules: a report card",
        description=(
            "Run the audit's checks (each tied to a rule in reference/sender-rules.md and its "
            "source) against pushsim's sender or, with --config, against your backend through its "
            "hooks. Prints a table (check, verdict, evidence, rule and source); exits 1 if a check "
            "fails or cannot be carried out, 2 on bad arguments. pushsim's sender says when it has "
            "finished sending; another backend is taken to have finished once the fakes have seen "
            "no push for a while (--first-push-wait, --quiet-wait; also [audit] in the config "
            "file, the flags win): raise them for a backend that is slow to start sending or "
            "backs off for long."
        ),
    )
    _state_dir_option(audit)
    _config_option(audit, "audit the backend its [backend] and [hooks] wire in")
    audit.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="ID",
        help="run only these checks (repeat, or comma-separated)",
    )
    audit.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="ID",
        help="leave these checks out (repeat, or comma-separated)",
    )
    for flag, default, what in (
        ("first-push-wait", AuditSection.first_push_wait, "for the first push after a send"),
        ("quiet-wait", AuditSection.quiet_wait, "without a push before the backend is done"),
        ("show-wait", AuditSection.show_wait, "for a notification to be shown on its phone"),
    ):
        audit.add_argument(
            f"--{flag}",
            type=_wait,
            metavar="SECONDS",
            help=f"real seconds to wait {what} (default {default:g}; more than 0, at most "
            f"{MAX_AUDIT_WAIT:g})",
        )
    audit.add_argument("--list", action="store_true", help="list the checks and exit")
    audit.add_argument("--junit-xml", type=Path, metavar="FILE", help="write a JUnit XML report")
    audit.add_argument("--json", type=Path, metavar="FILE", help="write a JSON report")

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
    bench.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("PUSHSIM_BENCH_POSTGRES"),
        help="a PostgreSQL server (postgresql://user@host:port/db, allowed to create databases) "
        "for the campaign rows of pushsim-sender instances sharing a database "
        "(default: $PUSHSIM_BENCH_POSTGRES; without it those rows are skipped)",
    )
    _state_dir_option(bench)
    return parser


def _web_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--web",
        action="store_true",
        help="serve the UI as a web page on 127.0.0.1 (each browser tab gets its own view)",
    )
    parser.add_argument(
        "--web-port", type=_port, default=0, metavar="PORT", help="the web page's port (0: free)"
    )


def _state_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help=f"where the local CA, keys and endpoints.json are kept (default: {default_state_dir()})",
    )


def _config_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="a TOML file: [apps], [apns], [fcm], [ports], [up], [audit], [backend], [hooks] "
        f"(docs/config.md); {what}",
    )


def _load_options(command: str, path: Path | None) -> tuple[UpConfig, dict[str, Any]] | None:
    """The config file and its Simulation options; None (after saying why) when it is wrong."""
    try:
        config = load_config(path) if path else UpConfig()
        return config, config.simulation_options()
    except ConfigError as exc:
        print(f"pushsim {command}: {exc}", file=sys.stderr)
        return None


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range 0-65535: {port}")
    return port


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"seconds must be 0 or more: {text!r}")
    return seconds


def _wait(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    try:
        check_wait(seconds)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return seconds


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
