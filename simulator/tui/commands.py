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
    footer: str | None = None
    """Its short name in the footer (None: not in the footer; every key is in ``?``)."""


ACTIONS: tuple[TuiAction, ...] = (
    TuiAction(
        "help",
        "Help",
        "All keys, actions and the colour legend.",
        "question_mark",
        "?",
        footer="help",
    ),
    TuiAction("quit", "Quit", "Leave (a simulation of its own is stopped).", "q", footer="quit"),
    TuiAction(
        "add_iphone",
        "Add an iPhone",
        "A new iPhone for a new user, the app installed and allowed.",
        "a",
        footer="add",
    ),
    TuiAction(
        "add_android",
        "Add an Android phone",
        "A new Android phone (API 34) for a new user, the app installed and allowed.",
        "A",
    ),
    TuiAction(
        "add_android(32)",
        "Add an old Android phone",
        "API 32: notifications allowed without a prompt.",
    ),
    TuiAction(
        "add_bare_iphone",
        "Add an iPhone without apps",
        "A new iPhone with nothing installed (install with i).",
    ),
    TuiAction(
        "add_phones",
        "Add many phones",
        "N phones in one step, each for a named user, with the app installed.",
        "N",
        footer="add many",
    ),
    TuiAction(
        "find_phone",
        "Find a phone",
        "Jump to a phone by its name or its user's.",
        "slash",
        "/",
        footer="find",
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
        footer="send",
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
    ),
    TuiAction(
        "clear_faults",
        "Clear every fault",
        "Take every injected fault out of force, on both fakes.",
        "X",
    ),
    TuiAction(
        "scenario",
        "Play a scenario",
        "Pick one from the scenario library and watch it play in a simulation of its own.",
        "p",
        footer="scenario",
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
        "Type part of an event kind (Push, Suppressed…); esc or ⏎ to leave the field.",
        "k",
    ),
    *(
        TuiAction(f"show_pane('{pane}')", f"Pane: {pane}", f"Show and focus the {pane} pane.", key)
        for key, pane in (("1", "phones"), ("2", "sender"), ("3", "providers"), ("4", "faults"))
    ),
    TuiAction("show_pane('timeline')", "Pane: timeline", "Show and focus the timeline.", "5"),
    TuiAction(
        "back_to_live",
        "Back to the live simulation",
        "After a scenario played in a simulation of its own.",
        "b",
    ),
)


def bindings() -> list[Binding | tuple[str, str] | tuple[str, str, str]]:
    """The app's key bindings, from :data:`ACTIONS`."""
    keys: list[Binding | tuple[str, str] | tuple[str, str, str]] = [
        Binding(
            a.key,
            a.action,
            a.footer or a.title,
            show=a.footer is not None,
            key_display=a.key_label,
            tooltip=a.help,
        )
        for a in ACTIONS
        if a.key is not None
    ]
    # Ctrl-C stops pushsim, as `pushsim up` says it does (Textual would only tell how to quit).
    keys.append(Binding("ctrl+c", "quit", "Quit", show=False, priority=True))
    return keys


def footer_keys() -> str:
    """The keys line at the bottom (markup): the actions that have a footer name."""
    keys = "  ".join(
        f"[b $accent]{a.key_label or a.key}[/] {a.footer}" for a in ACTIONS if a.footer is not None
    )
    return f"{keys}  [b $accent]^p[/] palette"
