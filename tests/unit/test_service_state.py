"""The shop's operating state (services/service_state.py): workers that set a new key at once
(each starts its background jobs at the same moment) leave one row with the last value, and
nobody fails."""

from __future__ import annotations

import asyncio
import uuid

from litestar import Litestar

from okmarts.services.service_state import get_state, set_state
from okmarts.tables.privacy import ServiceState


async def test_setting_a_new_key_from_many_workers_at_once_keeps_one_row(app: Litestar) -> None:
    key = f"test-{uuid.uuid4().hex[:12]}"
    await asyncio.gather(*(set_state(key, {"run": run}) for run in range(8)))
    rows = await ServiceState.select(ServiceState.value).where(ServiceState.key == key)
    assert len(rows) == 1
    assert (await get_state(key))["run"] in range(8)
    await set_state(key, {"run": "again"})
    assert await get_state(key) == {"run": "again"}
