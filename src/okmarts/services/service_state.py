"""The shop's operating state, shared by every worker: for now, whether it is winding down."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from okmarts.tables.privacy import ServiceState

WIND_DOWN = "wind_down"


@dataclass(frozen=True)
class WindDown:
    """The shop announced that it stops: sign-ups and statistics stop at once (policy §7)."""

    announced_at: dt.datetime
    ends_at: dt.datetime
    finished: bool = False


async def get_state(key: str) -> dict[str, Any]:
    row = await ServiceState.select(ServiceState.value).where(ServiceState.key == key).first()
    if row is None:
        return {}
    value = row["value"]
    return json.loads(value) if isinstance(value, str) else dict(value)


async def set_state(key: str, value: dict[str, Any], now: dt.datetime | None = None) -> None:
    now = now or dt.datetime.now(dt.UTC)
    # One statement: two workers setting a new key at once (both start their jobs together)
    # must not both try to insert it.
    await ServiceState.insert(
        ServiceState(key=key, value=json.dumps(value), updated_at=now)
    ).on_conflict(
        target=ServiceState.key,
        action="DO UPDATE",
        values=[ServiceState.value, ServiceState.updated_at],
    )


async def wind_down() -> WindDown | None:
    """The announced wind-down, if any."""
    state = await get_state(WIND_DOWN)
    if not state:
        return None
    return WindDown(
        announced_at=dt.datetime.fromisoformat(state["announced_at"]),
        ends_at=dt.datetime.fromisoformat(state["ends_at"]),
        finished=bool(state.get("finished")),
    )
