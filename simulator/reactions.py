"""Simulated users reacting to the notifications their phones show: tap, dismiss or ignore."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from devices.behaviour import Reaction, UserBehaviour
from devices.events import NotificationDisplayed
from devices.phone import Phone
from simulator.clock import VirtualClock
from simulator.timeline import Timeline


class UserReactions:
    """The users of a fleet: each shown notification gets a reaction, carried out on the clock."""

    def __init__(
        self, timeline: Timeline, clock: VirtualClock, phone: Callable[[str], Phone | None]
    ) -> None:
        """``phone`` finds a phone of the fleet by id (None once it has left)."""
        self._timeline = timeline
        self._clock = clock
        self._phone = phone
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, behaviour: UserBehaviour) -> Callable[[], None]:
        """React to every notification shown from now on as ``behaviour`` decides; returns a
        function that stops it."""

        def on_event(event: Any) -> None:
            if isinstance(event, NotificationDisplayed):
                reaction = behaviour.react(event)
                if reaction.action != "ignore":
                    task = asyncio.get_running_loop().create_task(self._react(event, reaction))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)

        return self._timeline.subscribe(on_event)

    def cancel(self) -> None:
        """Drop the reactions still waiting for their moment."""
        for task in self._tasks:
            task.cancel()

    async def _react(self, shown: NotificationDisplayed, reaction: Reaction) -> None:
        await self._clock.sleep(reaction.after)
        phone = self._phone(shown.phone_id)
        if phone is None or shown.entry_id not in {e.entry_id for e in phone.notifications()}:
            return  # replaced, cleared or already handled meanwhile
        if reaction.action == "tap":
            phone.tap(shown.entry_id)
        else:
            phone.dismiss(shown.entry_id)
