"""A plain (non-editable) install finds the scenario library: ``pushsim run`` lists it and the
TUI's picker (``p``) offers all of it and plays from it, with no checkout anywhere near.

A copy of the checkout's sources is installed (``pip install --no-deps``, offline: no build
isolation) into a fresh virtual environment that sees this environment's libraries, but not its
editable pushsim.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: What is installed (pyproject.toml's packages and what it reads), without what
#: running them left behind.
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
SOURCES = [
    "pyproject.toml",
    "README.md",
    "fakeproviders",
    "devices",
    "sender",
    "simulator",
    "scenarios",
]

#: Opens the TUI on its own simulation, presses p, takes the first scenario with ⏎.
PICK_AND_PLAY = """
import asyncio, json, sys
import simulator
from simulator.tui.app import PushsimApp

async def main():
    app = PushsimApp(state_dir=sys.argv[1], pace=0)
    app.animation_level = "none"
    async with app.run_test(size=(150, 45)) as pilot:
        await asyncio.wait_for(app.ready.wait(), 60)
        await pilot.press("p")
        await pilot.pause()
        offered = [str(choice.path) for choice in app.screen.choices]
        await pilot.press("enter")
        await asyncio.wait_for(app.playback_finished.wait(), 60)
        played = app.last_playback
    print(json.dumps({"package": simulator.__file__, "offered": offered,
                      "played": [played.name, played.passed, played.error]}))

asyncio.run(main())
"""


def _run(*command: str | Path, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


def _install(tmp_path: Path, env: dict[str, str]) -> Path:
    """Install a copy of the checkout's sources (not editable) into a new venv; return the
    venv's bin folder."""
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=JUNK)
        else:
            shutil.copy(ROOT / name, source / name)
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    # This environment's libraries, as plain folders: its .pth files (the editable pushsim's
    # finder among them) are not read, so only the installed pushsim can be imported.
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = _run(python, "-c", purelib, cwd=tmp_path, env=env).strip()
    outer = sysconfig.get_paths()
    Path(site, "outer-libraries.pth").write_text(f"{outer['purelib']}\n{outer['platlib']}\n")
    # `pip install .`, offline: no build isolation (setuptools comes from this environment).
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    install = [
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        "--no-build-isolation",
        "--ignore-installed",
    ]
    _run(*pip, "--python", python, *install, source, cwd=tmp_path, env=env)
    return venv / "bin"


def test_a_plain_install_lists_and_plays_the_scenario_library(tmp_path: Path) -> None:
    """From an install without the checkout: `pushsim run` lists every library scenario, the
    TUI's picker offers every one from the installed package, and the first one chosen with ⏎
    plays and passes."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    state = tmp_path / "state"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PUSHSIM_STATE_DIR": str(state),
    }
    bin_dir = _install(tmp_path, env)
    names = sorted(p.stem for p in (ROOT / "scenarios").glob("[!_]*.py"))

    listed = _run(bin_dir / "pushsim", "run", cwd=elsewhere, env=env)
    assert [line.split()[0] for line in listed.splitlines()[1 : len(names) + 1]] == names
    installed = tmp_path / "venv"
    assert f"The scenario library ({installed}/" in listed

    shown = json.loads(_run(bin_dir / "python", "-c", PICK_AND_PLAY, state, cwd=elsewhere, env=env))
    assert Path(shown["package"]).is_relative_to(installed)
    assert [Path(path).stem for path in shown["offered"]] == names
    assert all(Path(path).is_relative_to(installed) for path in shown["offered"])
    assert shown["played"] == [names[0], True, None]
