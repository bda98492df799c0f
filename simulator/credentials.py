"""Credentials the fakes accept, kept in the state directory so they survive restarts.

An external sender configured once (``pushsim env``) keeps working across runs: the APNs ``.p8``
key, its key id and team id, and the FCM service account are generated on first use, then reused.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fakeproviders.apns import ApnsSigningKey
from fakeproviders.ca import write_atomic
from fakeproviders.fcm import ServiceAccount


@dataclass(frozen=True)
class ApnsCredentials:
    key: ApnsSigningKey
    key_path: Path


def load_or_create_apns_key(
    state_dir: Path, *, team_id: str | None = None, key_id: str | None = None
) -> ApnsCredentials:
    """The team's APNs signing key (``AuthKey_<KEYID>.p8``) with its ids in ``apns-key.json``.

    ``team_id``/``key_id`` ask for those ids (a team reusing its own configuration); a kept key
    with other ids is replaced by a new one that has them.
    """
    folder = state_dir / "apns"
    folder.mkdir(parents=True, exist_ok=True)
    ids_file = folder / "apns-key.json"
    if ids_file.exists():
        ids = json.loads(ids_file.read_text())
        if team_id in (None, ids["team_id"]) and key_id in (None, ids["key_id"]):
            key_path = folder / f"AuthKey_{ids['key_id']}.p8"
            key = ApnsSigningKey.load(key_path, team_id=ids["team_id"], key_id=ids["key_id"])
            return ApnsCredentials(key, key_path)
    key = ApnsSigningKey.generate(team_id, key_id)
    key_path = folder / f"AuthKey_{key.key_id}.p8"
    key.write_p8(key_path)
    write_atomic(ids_file, json.dumps({"team_id": key.team_id, "key_id": key.key_id}).encode())
    return ApnsCredentials(key, key_path)


def load_or_create_service_account(state_dir: Path, project_id: str) -> ServiceAccount:
    """The FCM project's service account; its key is reused, its JSON rewritten per run."""
    path = service_account_path(state_dir)
    if path.exists():
        account = ServiceAccount.load(path)
        if account.project_id == project_id:
            return account
    path.parent.mkdir(parents=True, exist_ok=True)
    return ServiceAccount.generate(project_id)


def service_account_path(state_dir: Path) -> Path:
    return state_dir / "fcm" / "service-account.json"
