"""The TUI as a web page (``pushsim up --web``, ``pushsim tui --web``), served by textual-serve.

textual-serve starts one app *process* per browser tab and speaks Textual's web-driver protocol
with it over the process's stdin and stdout. Here the app must show the simulation this process
runs, so each tab gets a :class:`~simulator.tui.app.PushsimApp` in this event loop instead: the
same protocol over two pipes (:class:`PipeDriver` on the app's side, :class:`InProcessAppService`
on the server's). The page is our own (``web/app_index.html``): textual-serve's asks a font from the
internet, and pushsim fetches nothing. The server listens on loopback only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import selectors
import socket
import threading
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, cast

from aiohttp import web
from textual.app import App
from textual.driver import Driver
from textual.drivers.web_driver import WebDriver
from textual_serve.app_service import AppService
from textual_serve.server import Server

#: Where the page template is.
TEMPLATES = Path(__file__).parent / "web"


class _PipeReader:
    """The driver's input: bytes from a pipe, in the shape of Textual's ``InputReader`` (an
    iterator that yields b"" every ``timeout`` so the parser can time out escape sequences)."""

    def __init__(self, fd: int, timeout: float = 0.1) -> None:
        self._fd = fd
        self._timeout = timeout
        self._closed = threading.Event()

    def close(self) -> None:
        self._closed.set()

    def __iter__(self) -> Iterator[bytes]:
        with selectors.DefaultSelector() as selector:
            selector.register(self._fd, selectors.EVENT_READ)
            try:
                while not self._closed.is_set():
                    if selector.select(self._timeout):
                        data = os.read(self._fd, 4096)
                        if not data:
                            return
                        yield data
                    yield b""
            finally:
                os.close(self._fd)


def pipe_driver(read_fd: int, write_fd: int) -> type[Driver]:
    """A web driver class that reads ``read_fd`` and writes ``write_fd`` instead of the process's
    stdin and stdout."""

    class PipeDriver(WebDriver):
        def __init__(
            self,
            app: App[Any],
            *,
            debug: bool = False,
            mouse: bool = True,
            size: tuple[int, int] | None = None,
        ) -> None:
            # WebDriver.__init__ would bind the process's stdin and stdout: set its fields here.
            Driver.__init__(self, app, debug=debug, mouse=mouse, size=size)
            self._write = partial(os.write, write_fd)
            self.exit_event = threading.Event()
            self._input_reader = _PipeReader(read_fd)  # type: ignore[assignment]
            self._key_thread = threading.Thread(
                target=self.run_input_thread, name="pushsim-web-input", daemon=True
            )
            self._deliveries = {}

        def start_application_mode(self) -> None:
            # The web driver would take SIGINT and SIGTERM for itself; in pushsim they stop the
            # whole process (pushsim up's handlers), not one browser tab.
            loop = asyncio.get_running_loop()
            loop.add_signal_handler = _ignore_signal  # type: ignore[method-assign,assignment]
            try:
                super().start_application_mode()
            finally:
                del loop.add_signal_handler

    return PipeDriver


def _ignore_signal(*args: Any, **kwargs: Any) -> None:
    """Stands in for ``loop.add_signal_handler`` while the web driver starts."""


class _AppRun:
    """What :class:`AppService` reads from a "process": its stdout and stderr streams."""

    def __init__(self, stdout: asyncio.StreamReader, stderr: asyncio.StreamReader) -> None:
        self.stdout = stdout
        self.stderr = stderr


class InProcessAppService(AppService):
    """One browser tab's app, run in this event loop over two pipes."""

    def __init__(self, make_app: Callable[[], App[Any]], **kwargs: Any) -> None:
        super().__init__("pushsim", **kwargs)
        self._make_app = make_app
        self._app_task: asyncio.Task[Any] | None = None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        loop = asyncio.get_running_loop()
        to_app, from_server = os.pipe()
        from_app, to_server = os.pipe()
        stdout = asyncio.StreamReader()
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(stdout), os.fdopen(from_app, "rb", 0)
        )
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(from_server, "wb", 0)
        )
        self._stdin = asyncio.StreamWriter(transport, protocol, None, loop)
        stderr = asyncio.StreamReader()
        stderr.feed_eof()  # the app logs nowhere here
        app = self._make_app()
        app.driver_class = pipe_driver(to_app, to_server)
        self._app_task = asyncio.create_task(self._run_app(app, (width, height), to_server))
        self._process = cast(Any, _AppRun(stdout, stderr))
        return self._process

    async def _run_app(self, app: App[Any], size: tuple[int, int], write_fd: int) -> None:
        try:
            await app.run_async(size=size)
        finally:
            os.close(write_fd)  # end of the app's output: the service's reader stops

    async def stop(self) -> None:
        await super().stop()
        if self._app_task is not None:
            await asyncio.gather(self._app_task, return_exceptions=True)
        if self._stdin is not None:
            self._stdin.close()


class WebUi(Server):
    """textual-serve's server, with each tab's app made in this process by ``make_app``."""

    def __init__(self, make_app: Callable[[], App[Any]], *, host: str, port: int) -> None:
        super().__init__(
            "pushsim", host=host, port=port, title="pushsim", templates_path=str(TEMPLATES)
        )
        self._new_app = make_app
        self._runner: web.AppRunner | None = None

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        await websocket.prepare(request)
        service = InProcessAppService(
            self._new_app,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
        )
        await service.start(width, height)
        try:
            await self._process_messages(websocket, service)
        finally:
            await service.stop()
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        """(textual-serve prints a banner here; pushsim prints its own line.)"""

    async def start(self) -> str:
        """Listen; returns the page's URL."""
        self._runner = web.AppRunner(await self._make_app(), handle_signals=False)
        await self._runner.setup()
        sock = socket.create_server((self.host, self.port))
        self.port = sock.getsockname()[1]  # port 0: the page must name the real one
        await web.SockSite(self._runner, sock).start()
        self.public_url = f"http://{self.host}:{self.port}"
        return self.public_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def _int(text: str | None, default: int) -> int:
    with contextlib.suppress(TypeError, ValueError):
        return max(10, min(1000, int(text or "")))
    return default


async def serve_web(
    make_app: Callable[[], App[Any]],
    *,
    port: int = 0,
    on_ready: Callable[[str], None],
    stop: asyncio.Event,
) -> None:
    """Serve the UI on ``127.0.0.1:port`` until ``stop`` is set; ``on_ready`` gets the URL."""
    ui = WebUi(make_app, host="127.0.0.1", port=port)
    on_ready(await ui.start())
    try:
        await stop.wait()
    finally:
        await ui.stop()
