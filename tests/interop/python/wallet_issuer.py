"""An issuer's script using google-api-python-client, as Google's Wallet samples do.

``python wallet_issuer.py KEY_FILE ISSUER_ID STEP`` with STEP ``cards`` (insert a class and an
object, then provoke 409 and 404) or ``notify`` (a notifying points update and a TEXT message);
prints what Google answered as JSON. It knows nothing of pushsim: the environment
(``pushsim env``) routes and trusts.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"


def main(key_file: str, issuer: str, step: str) -> dict[str, Any]:
    credentials = service_account.Credentials.from_service_account_file(key_file, scopes=[SCOPE])
    wallet = build("walletobjects", "v1", credentials=credentials, static_discovery=True)
    class_id, object_id = f"{issuer}.interop-club", f"{issuer}.interop-alice"
    if step == "cards":
        loyalty_class = {
            "id": class_id,
            "issuerName": "Coffee House",
            "programName": "Coffee Club",
            "programLogo": {"sourceUri": {"uri": "https://coffee.example/logo.png"}},
            "reviewStatus": "UNDER_REVIEW",
        }
        wallet.loyaltyclass().insert(body=loyalty_class).execute()
        inserted = (
            wallet.loyaltyobject()
            .insert(
                body={
                    "id": object_id,
                    "classId": class_id,
                    "state": "ACTIVE",
                    "loyaltyPoints": {"label": "Stars", "balance": {"int": 10}},
                }
            )
            .execute()
        )
        errors = {}
        for name, call in (
            ("duplicate", wallet.loyaltyclass().insert(body=loyalty_class)),
            ("missing", wallet.loyaltyobject().get(resourceId=f"{issuer}.nobody")),
        ):
            try:
                call.execute()
            except HttpError as exc:
                errors[name] = [exc.status_code, exc.reason]
        return {"inserted": inserted, **errors}
    wallet.loyaltyobject().patch(
        resourceId=object_id,
        body={"loyaltyPoints": {"balance": {"int": 42}}, "notifyPreference": "NOTIFY_ON_UPDATE"},
    ).execute()
    answer: dict[str, Any] = (
        wallet.loyaltyobject()
        .addmessage(
            resourceId=object_id,
            body={"message": {"header": "Hi", "body": "x", "messageType": "TEXT"}},
        )
        .execute()
    )
    return answer


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])))
