from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pushsim(*args: str, state_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PUSHSIM_STATE_DIR": str(state_dir)},
    )


def test_run_scenarios_prints_timelines_and_passes(state_dir: Path):
    """`pushsim run scenarios/` prints each scenario's timeline and verdict and exits 0."""
    result = _pushsim("run", "scenarios/", state_dir=state_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    scenarios = sorted(p.stem for p in (ROOT / "scenarios").glob("[!_]*.py"))
    for name in scenarios:
        assert f"PASS {name}" in result.stdout, f"{name} did not pass"
    assert "NotificationSuppressed" in result.stdout
    assert result.stdout.rstrip().endswith(f"{len(scenarios)} passed, 0 failed, 0 skipped")


def test_a_failing_scenario_shows_what_was_expected(tmp_path: Path, state_dir: Path):
    """A failing scenario prints FAIL with its assertion message, and the exit status is 1."""
    script = tmp_path / "never_shown.py"
    script.write_text(
        '"""A scenario that expects the impossible."""\n'
        "async def scenario(sim):\n"
        "    phone = sim.add_iphone()\n"
        "    assert phone.notifications(), 'a notification on a new phone'\n"
    )
    result = _pushsim("run", str(script), state_dir=state_dir)
    assert result.returncode == 1
    assert "FAIL never_shown" in result.stdout
    assert "expected: a notification on a new phone" in result.stdout


def test_a_missing_path_is_a_clear_error(state_dir: Path):
    """A path that does not exist exits 2 with a one-line message, no traceback."""
    result = _pushsim("run", "no/such/place", state_dir=state_dir)
    assert result.returncode == 2
    assert result.stderr.strip() == "pushsim run: no/such/place: no such file or folder"


def test_a_file_without_a_scenario_is_a_clear_error(tmp_path: Path, state_dir: Path):
    """A Python file with no `async def scenario(sim)` exits 2 and says so."""
    script = tmp_path / "helper.py"
    script.write_text("VALUE = 1\n")
    result = _pushsim("run", str(script), state_dir=state_dir)
    assert result.returncode == 2
    assert "defines no `async def scenario(sim)`" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_explains_the_commands(state_dir: Path):
    """`pushsim --help` names the run command and what it does."""
    result = _pushsim("--help", state_dir=state_dir)
    assert result.returncode == 0
    assert "run" in result.stdout and "scenario" in result.stdout


def test_run_without_a_path_lists_the_scenario_library(state_dir: Path, tmp_path: Path):
    """`pushsim run` with no PATH, from any folder, lists the library installed with pushsim,
    and a library scenario runs by its name alone."""
    env = {"PATH": "/usr/bin:/bin", "PUSHSIM_STATE_DIR": str(state_dir), "PYTHONPATH": str(ROOT)}
    listed = subprocess.run(
        [sys.executable, "-m", "simulator", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert listed.returncode == 0, listed.stderr
    names = sorted(p.stem for p in (ROOT / "scenarios").glob("[!_]*.py"))
    assert all(f"  {name} " in listed.stdout for name in names), listed.stdout
    by_name = subprocess.run(
        [sys.executable, "-m", "simulator", "run", "-q", "opt_out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert by_name.returncode == 0 and "PASS opt_out" in by_name.stdout, by_name.stderr
