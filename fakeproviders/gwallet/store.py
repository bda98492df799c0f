"""Where the fake Wallet API keeps classes and objects: in memory by default (DESIGN.md, "Growing
past one process": shared state sits behind a small interface)."""

from __future__ import annotations

import copy
from typing import Any, Literal

Kind = Literal["loyaltyClass", "loyaltyObject"]


class InMemoryWalletStore:
    """Loyalty classes and objects by id. Values are copied in and out: callers never share."""

    def __init__(self) -> None:
        self._resources: dict[Kind, dict[str, dict[str, Any]]] = {
            "loyaltyClass": {},
            "loyaltyObject": {},
        }

    def get(self, kind: Kind, resource_id: str) -> dict[str, Any] | None:
        found = self._resources[kind].get(resource_id)
        return None if found is None else copy.deepcopy(found)

    def put(self, kind: Kind, resource: dict[str, Any]) -> None:
        self._resources[kind][resource["id"]] = copy.deepcopy(resource)

    def exists(self, kind: Kind, resource_id: str) -> bool:
        return resource_id in self._resources[kind]

    def objects_of_class(self, class_id: str) -> list[str]:
        """Ids of the objects whose ``classId`` is ``class_id``."""
        return [i for i, o in self._resources["loyaltyObject"].items() if o["classId"] == class_id]

    def classes_of_issuer(self, issuer_id: str) -> list[str]:
        return [i for i in self._resources["loyaltyClass"] if i.split(".", 1)[0] == issuer_id]
