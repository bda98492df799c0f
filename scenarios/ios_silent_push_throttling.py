"""Silent pushes on iOS are throttled: a daily budget, only the newest held, lifted by a debugger.

Gil's app gets background (content-available) pushes. Apple throttles them ("don't try to send
more than two or three per hour", reference/devices.md §1.8): once the phone's daily budget is
spent, the system holds only the newest one and hands it over when the user next opens the app.
With Xcode's debugger attached the throttle is off. Apple publishes no number for the budget; this
phone's is three a day.
"""

from __future__ import annotations

from simulator import DEFAULT_APP_ID, Simulation


async def scenario(sim: Simulation) -> None:
    iphone = sim.add_iphone(background_budget=3)
    iphone.install(DEFAULT_APP_ID, user_id="gil", answer="allow")
    iphone.background(DEFAULT_APP_ID)
    within_budget = [await sim.notify("gil", kind="data", data={"n": str(n)}) for n in range(3)]
    for notification_id in within_budget:
        await sim.expect("DataPushReceived", notification=notification_id)
    assert iphone.background_budget_left() == 0

    over = [await sim.notify("gil", kind="data", data={"n": f"over-{i}"}) for i in range(3)]
    for notification_id in over:
        await sim.expect("BackgroundPushHeld", notification=notification_id)
    sim.expect_no("DataPushReceived", notification=over[-1])

    iphone.launch(DEFAULT_APP_ID)
    held = await sim.expect("DataPushReceived", notification=over[-1])
    assert held.data["n"] == "over-2", "only the newest held push is handed over"
    for older in over[:-1]:
        sim.expect_no("DataPushReceived", notification=older)

    sim.advance(86_400)  # the budget resets every 24 hours
    assert iphone.background_budget_left() == 3

    iphone.background(DEFAULT_APP_ID)
    iphone.set_debugger_attached(DEFAULT_APP_ID, True)
    debug = await sim.notify("gil", kind="data", data={"n": "debug"})
    await sim.expect("DataPushReceived", notification=debug)
