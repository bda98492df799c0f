"""Small modal forms: install an app, compose a notification, pick a scenario."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, Select
from textual.widgets.option_list import Option


@dataclass(frozen=True, slots=True)
class InstallRequest:
    """What the install form asks for."""

    app_id: str
    user_id: str
    answer: str | None
    """``"allow"``, ``"deny"``, ``"dismiss"``, or None: do not ask yet (answer later with y/n)."""


class InstallScreen(ModalScreen[InstallRequest | None]):
    """Install an app on the selected phone, signed in as a user, and answer the prompt."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel")]
    AUTO_FOCUS = "*"  # the app's own AUTO_FOCUS is None

    def __init__(self, phone_id: str, app_ids: Sequence[str], user_id: str) -> None:
        super().__init__()
        self.phone_id = phone_id
        self.app_ids = list(app_ids)
        self.user_id = user_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="form") as form:
            form.border_title = f"install on {self.phone_id}"
            yield Label("app")
            yield Select(
                [(a, a) for a in self.app_ids], value=self.app_ids[0], allow_blank=False, id="app"
            )
            yield Label("signed in as")
            yield Input(self.user_id, id="user")
            yield Label("permission prompt")
            with RadioSet(id="answer"):
                yield RadioButton("Allow", value=True, name="allow")
                yield RadioButton("Don't Allow", name="deny")
                yield RadioButton("Dismiss", name="dismiss")
                yield RadioButton("Ask later (answer with y / n)", name="later")
            with Horizontal(classes="buttons"):
                yield Button("Install", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted)
    def submit(self) -> None:
        user = self.query_one("#user", Input).value.strip()
        if not user:
            self.notify("who is signed in? (a user id)", severity="error")
            return
        pressed = self.query_one(RadioSet).pressed_button
        answer = pressed.name if pressed is not None else "allow"
        app_id = str(self.query_one("#app", Select).value)
        self.dismiss(InstallRequest(app_id, user, None if answer == "later" else answer))

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class ComposeScreen(ModalScreen[dict[str, Any] | None]):
    """A notification or data push for the sender's ``POST /v1/notifications``
    (``sender/api_schemas.py`` ``NotificationIn``): to a user, a topic or everyone."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel")]
    AUTO_FOCUS = "*"  # the app's own AUTO_FOCUS is None

    def __init__(self, user_id: str = "") -> None:
        super().__init__()
        self.user_id = user_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="form") as form:
            form.border_title = "send a notification"
            with Horizontal(classes="row"):
                yield Select(
                    [("user", "user_id"), ("topic", "topic"), ("everyone", "everyone")],
                    value="user_id",
                    allow_blank=False,
                    id="target",
                )
                yield Input(self.user_id, placeholder="user id", id="to")
            with Horizontal(classes="row"):
                yield Select(
                    [("alert", "alert"), ("data (silent)", "data")],
                    value="alert",
                    allow_blank=False,
                    id="kind",
                )
                yield Input(placeholder="thread (groups them)", id="thread")
            yield Input(placeholder="title", id="title")
            yield Input(placeholder="body", id="body")
            yield Input(placeholder="data: key=value, key2=value2", id="data")
            with Horizontal(classes="buttons"):
                yield Button("Send", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#title" if self.user_id else "#to", Input).focus()

    @on(Select.Changed, "#target")
    def _target_changed(self, event: Select.Changed) -> None:
        to = self.query_one("#to", Input)
        to.disabled = event.value == "everyone"
        to.placeholder = "topic name" if event.value == "topic" else "user id"

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted)
    def submit(self) -> None:
        try:
            request = self.request()
        except ValueError as exc:
            self.notify(str(exc), severity="error")
            return
        self.dismiss(request)

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)

    def request(self) -> dict[str, Any]:
        """The request body the form describes; ``ValueError`` when it is incomplete."""
        value = {
            name: self.query_one(f"#{name}", Input).value.strip()
            for name in ("to", "title", "body", "thread", "data")
        }
        target = str(self.query_one("#target", Select).value)
        kind = str(self.query_one("#kind", Select).value)
        request: dict[str, Any] = {"kind": kind, "data": parse_data(value["data"])}
        if target == "everyone":
            request["everyone"] = True
        elif not value["to"]:
            raise ValueError(f"send to which {'topic' if target == 'topic' else 'user'}?")
        else:
            request[target] = value["to"]
        if kind == "alert" and not (value["title"] or value["body"]):
            raise ValueError("an alert needs a title or a body")
        for name in ("title", "body"):
            if value[name]:
                request[name] = value[name]
        if value["thread"]:
            request["thread_id"] = value["thread"]
        return request


def parse_data(text: str) -> dict[str, str]:
    """``"a=1, b=2"`` → ``{"a": "1", "b": "2"}``; ``ValueError`` for a pair without ``=``."""
    data: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"data must be key=value pairs (not {pair!r})")
        data[key.strip()] = value.strip()
    return data


@dataclass(frozen=True, slots=True)
class ScenarioChoice:
    path: Path
    title: str


class ScenarioScreen(ModalScreen[Path | None]):
    """Pick a scenario script to play."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel")]
    AUTO_FOCUS = "*"  # the app's own AUTO_FOCUS is None

    def __init__(self, choices: Sequence[ScenarioChoice]) -> None:
        super().__init__()
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical(classes="form") as form:
            form.border_title = "play a scenario (enter)"
            options = [
                Option(Text.assemble((c.path.stem, "bold"), "  ", c.title), id=str(c.path))
                for c in self.choices
            ]
            yield OptionList(*options, id="scenarios")
            if not self.choices:
                yield Label("no scenarios found")

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(Path(str(event.option.id)))
