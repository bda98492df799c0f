"""Every action of the TUI, once: its key, its name and what it does.

The app's ``BINDINGS``, the help screen and the command palette are all made from :data:`ACTIONS`,
so none of them can forget one.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class TuiAction:
    """One thing the user can do."""

    action: str
    """The app action it runs (``add_iphone``, ``advance(3600)``…)."""
    title: str
    help: str
    key: str | None = None
    """The key binding; ``None`` for palette-only actions."""
    key_label: str | None = None
    show: bool = False
    """Shown in the footer."""


ACTIONS: tuple[TuiAction, ...] = (
    TuiAction(
        "add_iphone", "Add an iPhone", "A new iPhone, online, on the fake APNs.", "a", show=True
    ),
    TuiAction(
        "add_android", "Add an Android phone", "A new Android phone (API 34) on the fake FCM.", "A"
    ),
    TuiAction(
        "add_android(32)",
        "Add an old Android phone",
        "API 32: notifications allowed without a prompt.",
    ),
    TuiAction(
        "remove_phone",
        "Remove the phone",
        "Take the selected phone out of the fleet.",
        "delete",
        "del",
    ),
    TuiAction(
        "install",
        "Install an app",
        "Install an app on the selected phone and answer its prompt.",
        "i",
        show=True,
    ),
    TuiAction(
        "uninstall", "Uninstall the app", "Delete the selected app; the provider is told.", "u"
    ),
    TuiAction(
        "answer('allow')",
        "Allow notifications",
        "Answer the selected app's permission prompt: Allow.",
        "y",
    ),
    TuiAction(
        "answer('deny')",
        "Don't allow notifications",
        "Answer the selected app's permission prompt: Don't Allow.",
        "n",
    ),
    TuiAction(
        "answer('dismiss')",
        "Dismiss the prompt",
        "Swipe the permission prompt away without answering.",
        "x",
    ),
    TuiAction(
        "toggle_settings",
        "Toggle notifications in Settings",
        "Flip the selected app's Allow Notifications switch.",
        "s",
    ),
    TuiAction(
        "toggle_online",
        "Go offline / online",
        "The selected phone loses or regains the network.",
        "o",
    ),
    TuiAction(
        "tap",
        "Tap the notification",
        "Open the selected notification (the app reports it).",
        "enter",
        "⏎",
    ),
    TuiAction("dismiss", "Swipe the notification away", "Dismiss the selected notification.", "w"),
    TuiAction(
        "rotate_token",
        "Rotate the token",
        "iOS: an OS update; Android: clear data. The app relaunches and reports its new token.",
        "r",
    ),
    TuiAction(
        "launch",
        "Launch the app",
        "Open the selected app (it registers and reports its token).",
        "L",
    ),
    TuiAction(
        "compose",
        "Send a notification",
        "Compose a notification or data push to a user, a topic or everyone.",
        "c",
        show=True,
    ),
    TuiAction(
        "advance(60)",
        "Advance the clock 1 minute",
        "Move the shared clock forward a minute.",
        "full_stop",
        ".",
    ),
    TuiAction(
        "advance(3600)",
        "Advance the clock 1 hour",
        "Move the shared clock forward an hour.",
        "plus",
        "+",
    ),
    TuiAction(
        "advance(86400)",
        "Advance the clock 1 day",
        "Move the shared clock forward a day.",
        "asterisk",
        "*",
    ),
    TuiAction(
        "advance(2592000)", "Advance the clock 30 days", "Move the shared clock forward 30 days."
    ),
    TuiAction(
        "advance(23414400)", "Advance the clock 271 days", "Past FCM's 270-day token expiry."
    ),
    TuiAction(
        "faults",
        "Faults switchboard",
        "Focus the faults switchboard (space flips a switch).",
        "f",
        show=True,
    ),
    TuiAction(
        "clear_faults",
        "Clear every fault",
        "Take every injected fault out of force, on both fakes.",
        "X",
    ),
    TuiAction(
        "scenario",
        "Run a scenario",
        "Pick a scenario from scenarios/ and watch it play.",
        "p",
        show=True,
    ),
    TuiAction(
        "filter_phone",
        "Timeline: only this phone",
        "Show only the selected phone's events (again: all phones).",
        "l",
    ),
    TuiAction(
        "filter_kind",
        "Timeline: filter by kind",
        "Type part of an event kind (Push, Suppressed…).",
        "slash",
        "/",
    ),
    TuiAction("help", "Help", "All keys and actions.", "question_mark", "?", show=True),
    TuiAction("quit", "Quit", "Stop the simulation and leave.", "q", show=True),
)


def bindings() -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    """The app's key bindings, from :data:`ACTIONS`."""
    return [
        Binding(a.key, a.action, a.title, show=a.show, key_display=a.key_label, tooltip=a.help)
        for a in ACTIONS
        if a.key is not None
    ]
