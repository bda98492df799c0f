"""The TUI as a web page, in a real headless browser (Debian's Chromium driven by Playwright).

The browser loads the page that ``serve_web_for`` (``pushsim up --web``) serves on loopback, the
test types into the terminal as a person would (c, a title, ⏎) and reads what xterm.js shows.
Nothing leaves the machine: every request to another host is aborted and DNS answers nothing.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from simulator import DEFAULT_APP_ID, Simulation

playwright = pytest.importorskip("playwright.async_api")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
#: Keeps every xterm.js Terminal the page makes, to read its screen (textual-serve's script
#: does not expose them): the first ``x.terminal = …`` of an object lands in this setter.
CATCH_TERMINALS = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true});
    (window.__terminals = window.__terminals || []).push(value);
  },
});
"""
SCREEN_TEXT = """() => (window.__terminals || []).filter(t => t.buffer).map(t => {
  const buffer = t.buffer.active, rows = [];
  for (let y = 0; y < t.rows; y++) rows.push(buffer.getLine(buffer.viewportY + y).translateToString(true));
  return rows.join("\\n");
}).join("\\n")"""


@pytest.fixture
async def web_url(state_dir: Path) -> AsyncIterator[tuple[str, Simulation]]:
    """A simulation with one phone, its UI served as a web page on loopback."""
    from simulator.tui.app import PushsimApp
    from simulator.tui.labels import StableLabels
    from simulator.tui.web import serve_web

    stop = asyncio.Event()
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    async with Simulation(state_dir=state_dir) as sim:
        sim.add_iphone("ann-iphone").install(DEFAULT_APP_ID, user_id="ann", answer="allow")
        server = asyncio.create_task(
            serve_web(
                lambda: PushsimApp(sim, labels=StableLabels()),
                stop=stop,
                on_ready=ready.set_result,
            )
        )
        try:
            yield await asyncio.wait_for(ready, 10), sim
        finally:
            stop.set()
            await server


async def _screen(page: Any, wanted: str, timeout: float = 20_000) -> str:
    await page.wait_for_function(
        f"() => ({SCREEN_TEXT})().includes({wanted!r})", timeout=timeout, polling=100
    )
    return str(await page.evaluate(SCREEN_TEXT))


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (.ci/run)")
async def test_the_web_page_sends_a_notification_and_shows_it_on_the_phone(
    web_url: tuple[str, Simulation],
) -> None:
    """In a real browser the page shows the phones; c, a title and ⏎ send a notification, and
    the phone's card on the page shows it (and the simulation displayed it)."""
    url, sim = web_url
    async with playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})

            async def loopback_only(route: Any) -> None:
                if route.request.url.startswith(url):
                    await route.continue_()
                else:
                    await route.abort()

            await page.route("**/*", loopback_only)
            await page.add_init_script(CATCH_TERMINALS)
            await page.goto(url)
            assert "ann-iphone" in await _screen(page, "ann-iphone")
            await page.click("#terminal")
            await page.keyboard.press("c")
            await _screen(page, "send a notification")
            await page.keyboard.type("Hello from the browser")
            await page.keyboard.press("Enter")
            shown = await sim.wait_for("NotificationDisplayed", phone="ann-iphone", timeout=20)
            assert shown.title == "Hello from the browser"
            screen = await _screen(page, "Hello from the browser")
            assert "ann-iphone" in screen
        finally:
            await browser.close()
