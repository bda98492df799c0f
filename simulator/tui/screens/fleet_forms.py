"""Fleet forms: add many phones in one step, find a phone by its name or its user's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import count

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from simulator.tui.labels import printable

#: First names for new users, in order; then again with a number (alice2, bob2…).
NAMES = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "rupert",
    "sybil",
    "trent",
    "victor",
    "walter",
    "wendy",
]
#: The most phones one form adds.
MAX_PHONES = 500


def new_user_names(taken: Iterable[str], wanted: int) -> list[str]:
    """``wanted`` user names that are not in ``taken`` (user or phone ids) and whose phones'
    ids (``<user>-iphone``, ``<user>-pixel``) are free."""
    used = set(taken)
    names: list[str] = []
    for round_ in count(1):
        for name in NAMES:
            user = name if round_ == 1 else f"{name}{round_}"
            if not {user, f"{user}-iphone", f"{user}-pixel"} & used:
                names.append(user)
                if len(names) == wanted:
                    return names
    raise AssertionError("unreachable: the rounds never end")


@dataclass(frozen=True, slots=True)
class AddPhonesRequest:
    """What the add-phones form asks for."""

    count: int
    platform: str
    """``ios``, ``android`` or ``both`` (alternating)."""
    app_id: str
    answer: str | None
    """The permission prompt's answer, or None: not asked yet."""


class AddPhonesScreen(ModalScreen[AddPhonesRequest | None]):
    """N phones, each for a new named user, with the app installed."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel")]
    AUTO_FOCUS = "#count"

    def __init__(self, app_ids: Sequence[str]) -> None:
        super().__init__()
        self.app_ids = list(app_ids)

    def compose(self) -> ComposeResult:
        with Vertical(classes="form") as form:
            form.border_title = "add phones"
            with Horizontal(classes="row"):
                yield Label("how many ")
                yield Input("10", id="count", type="integer")
            yield Select(
                [
                    ("iPhone and Android, alternating", "both"),
                    ("iPhone", "ios"),
                    ("Android", "android"),
                ],
                value="both",
                allow_blank=False,
                id="platform",
            )
            yield Select(
                [(a, a) for a in self.app_ids], value=self.app_ids[0], allow_blank=False, id="app"
            )
            yield Select(
                [
                    ("prompt: Allow", "allow"),
                    ("prompt: Don't Allow", "deny"),
                    ("ask later", "later"),
                ],
                value="allow",
                allow_blank=False,
                id="answer",
            )
            with Horizontal(classes="buttons"):
                yield Button("Add", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted)
    def submit(self) -> None:
        text = self.query_one("#count", Input).value.strip()
        if not text.isdigit() or not 1 <= int(text) <= MAX_PHONES:
            self.notify(f"how many phones? (1 to {MAX_PHONES})", severity="error")
            return
        answer = str(self.query_one("#answer", Select).value)
        self.dismiss(
            AddPhonesRequest(
                int(text),
                str(self.query_one("#platform", Select).value),
                str(self.query_one("#app", Select).value),
                None if answer == "later" else answer,
            )
        )

    @on(Button.Pressed, "#cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class FindScreen(ModalScreen[str | None]):
    """Type part of a phone's name or of its user's; ⏎ jumps to the highlighted match."""

    BINDINGS = [
        Binding("escape", "dismiss", "Cancel"),
        Binding("down", "move(1)", "Next match", show=False),
        Binding("up", "move(-1)", "Previous match", show=False),
    ]
    AUTO_FOCUS = "#find"
    #: The most matches listed.
    SHOWN = 12

    def __init__(self, phones: Sequence[tuple[str, Sequence[str]]]) -> None:
        super().__init__()
        self.phones = list(phones)
        """(phone id, its users), in fleet order."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="form find") as form:
            form.border_title = "find a phone (name or user; ⏎ jumps, esc cancels)"
            yield Input(placeholder="alice, pixel, bob-iphone…", id="find")
            yield OptionList(id="matches")

    def on_mount(self) -> None:
        self._show("")

    def matches(self, text: str) -> list[tuple[str, Sequence[str]]]:
        """Phones whose id or a user contains ``text`` (case-insensitive), exact ones first."""
        wanted = text.strip().lower()
        found = [
            (phone_id, users)
            for phone_id, users in self.phones
            if wanted in phone_id.lower() or any(wanted in u.lower() for u in users)
        ]
        found.sort(key=lambda m: wanted not in (m[0].lower(), *(u.lower() for u in m[1])))
        return found

    def _show(self, text: str) -> None:
        matches = self.matches(text)
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(
                Text.assemble((printable(phone_id), "bold"), "  ", printable(", ".join(users))),
                id=phone_id,
            )
            for phone_id, users in matches[: self.SHOWN]
        )
        if len(matches) > self.SHOWN:
            options.add_option(Option(f"… {len(matches) - self.SHOWN} more", disabled=True))
        options.highlighted = 0 if matches else None

    @on(Input.Changed, "#find")
    def _typed(self, event: Input.Changed) -> None:
        self._show(event.value)

    def action_move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + step))

    @on(Input.Submitted, "#find")
    def _submitted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            self.notify("no phone matches", severity="warning")
            return
        self.dismiss(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected, "#matches")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
