"""Saving passes from a "Save to Google Wallet" link: what it inserts, and the phone's answer.

Classes and full objects in the JWT are inserted when new; an object that already exists is saved
as it is, not updated by the JWT's copy [S-G4]; a "skinny" ``{"id"}`` object must have been
inserted through the API (reference/wallet.md §8). Nothing is saved unless all of it can be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fakeproviders.gwallet import errors
from fakeproviders.gwallet.resources import Refused, check_class, check_object
from fakeproviders.gwallet.store import InMemoryWalletStore, Kind


@dataclass(frozen=True, slots=True)
class SavedPass:
    object_id: str
    data: Mapping[str, Any]
    """``{"object": <LoyaltyObject>, "class": <LoyaltyClass>}``."""


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """What saving a link did: the passes now on the phone, or why nothing was saved."""

    passes: tuple[SavedPass, ...] = ()
    error: str | None = None


def planned_inserts(
    store: InMemoryWalletStore,
    authorize: Callable[[str], None],
    classes: Iterable[dict[str, Any]],
    objects: Iterable[dict[str, Any]],
    *,
    require_state: bool,
) -> list[tuple[Kind, dict[str, Any]]]:
    """What saving the link inserts; raises :class:`Refused` if any of it is not acceptable.

    ``authorize(resource_id)`` raises :class:`Refused` for an issuer the signer may not use."""
    inserts: list[tuple[Kind, dict[str, Any]]] = []
    new_classes = set()
    for cls in classes:
        authorize(cls["id"])
        if not store.exists("loyaltyClass", cls["id"]):
            inserts.append(("loyaltyClass", check_class(dict(cls), inserting=True)))
            new_classes.add(cls["id"])
    for obj in objects:
        authorize(obj["id"])
        if store.exists("loyaltyObject", obj["id"]):
            continue
        if set(obj) == {"id"}:
            raise Refused(errors.object_not_found(obj["id"]))
        checked = check_object(dict(obj), require_state=require_state)
        class_id = checked["classId"]
        authorize(class_id)
        if class_id not in new_classes and not store.exists("loyaltyClass", class_id):
            raise Refused(errors.class_not_found(class_id))
        checked.pop("notifyPreference", None)  # ephemeral (§7)
        inserts.append(("loyaltyObject", checked))
    return inserts
