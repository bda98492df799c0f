"""What every request body of the control API shares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictBody(BaseModel):
    """A request body: an unknown field is refused (a typo is a 422, not ignored), and so is a
    number that is not finite (JSON's 1e400 parses as infinity, which was stored and answered
    back as null)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
