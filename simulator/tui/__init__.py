"""The terminal UI: watch the phones light up (``pushsim tui``, and the face of ``pushsim up``).

    run_tui(state_dir=None, scenario=None)       # owns a simulation, blocks until quit
    await run_tui_for(sim, extra=endpoints)      # shows a running simulation until quit
    await serve_web_for(sim, port=0, stop=event)  # the same as a web page (textual-serve)

See :class:`~simulator.tui.app.PushsimApp` for the app itself.
"""

from __future__ import annotations

from simulator.tui.entry import run_tui, run_tui_for, run_web_tui, serve_web_for

__all__ = ["run_tui", "run_tui_for", "run_web_tui", "serve_web_for"]
