"""The ``pushsim`` command line: its commands, their options and the argument types they take.

What each command does is in :mod:`simulator.cli`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from simulator.bench import BENCHMARKS
from simulator.config import MAX_AUDIT_WAIT, AuditSection, check_app_id, check_port, check_wait
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
        type=_app_id,
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


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    try:
        return check_port(port)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _app_id(text: str) -> str:
    try:
        return check_app_id(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number_of_seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None


def _seconds(text: str) -> float:
    seconds = _number_of_seconds(text)
    if not 0 <= seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"seconds must be 0 or more: {text!r}")
    return seconds


def _wait(text: str) -> float:
    seconds = _number_of_seconds(text)
    try:
        check_wait(seconds)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return seconds
