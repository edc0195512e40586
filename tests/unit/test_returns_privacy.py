"""Returns and complaints as personal data (issue 16): in the data download, complaints kept
for legal claims when the account is erased (with the reason in the registry), and retention
deleting decided complaints and unlinking finished returns after their periods."""

from __future__ import annotations

import datetime as dt

from litestar import Litestar

from okmarts.services import erasure, privacy_export, retention, returns
from okmarts.tables.checkout import OrderLine
from okmarts.tables.returns import Complaint, ReturnRequest
from tests.states.accounts import verified_shopper
from tests.states.catalog import new_product
from tests.states.returns import delivered_order


async def _refused_with_complaint(settings) -> tuple:  # type: ignore[no-untyped-def]
    shopper = await verified_shopper()
    product = await new_product(stock=1)
    order = await delivered_order(shopper, product, quantity=1)
    line = (await OrderLine.select(OrderLine.id).where(OrderLine.order == order.id).first())["id"]
    request = await returns.request_return(
        settings, shopper, order.number, {line: 1}, reason="other", note="Wrong colour, sorry."
    )
    await returns.refuse(settings, request.id, reason="Colour was as listed.", staff="ana")
    complaint = await returns.escalate(
        settings, shopper, summary="The photo showed blue.", return_number=request.number
    )
    return shopper, request, complaint


async def test_returns_and_complaints_reach_the_download(app: Litestar) -> None:
    shopper, request, complaint = await _refused_with_complaint(app.state.settings)
    data = await privacy_export.collect_export(shopper.id)
    [exported] = data["returns.json"]
    assert exported["number"] == request.number and exported["note"] == "Wrong colour, sorry."
    assert exported["lines"][0]["quantity"] == 1 and "decided_by" not in exported
    [case] = data["complaints.json"]
    assert case["case_number"] == complaint.case_number and case["due_at"] == complaint.due_at
    assert "decided_by" not in case


async def test_complaints_are_kept_for_legal_claims_when_the_account_goes(app: Litestar) -> None:
    settings = app.state.settings
    shopper, request, complaint = await _refused_with_complaint(settings)
    rule = next(
        rule
        for rule in erasure.REGISTRY
        if rule.table is Complaint and rule.action is erasure.Action.KEEP_FOR_LAW
    )
    assert "legal claims" in rule.reason
    await erasure.erase_account(shopper.id, settings=settings, reason="test")
    kept = await Complaint.objects().where(Complaint.id == complaint.id).first()
    assert kept is not None and kept.account is None
    assert kept.summary == "The photo showed blue." and kept.email == shopper.email
    stored = await ReturnRequest.objects().where(ReturnRequest.id == request.id).first()
    assert stored.account is None and stored.note == "" and stored.status == "refused"


async def test_retention_deletes_decided_complaints_and_unlinks_finished_returns(
    app: Litestar,
) -> None:
    settings = app.state.settings
    _shopper, request, complaint = await _refused_with_complaint(settings)
    _other, _open_request, open_complaint = await _refused_with_complaint(settings)
    await returns.decide_complaint(
        settings, complaint.id, decision="rejected", reason="As listed.", staff="ana"
    )
    now = dt.datetime.now(dt.UTC)
    inside = now + dt.timedelta(days=settings.retention_complaint_days - 1)
    await retention.run(settings, now=inside)
    assert await Complaint.exists().where(Complaint.id == complaint.id)
    late = now + dt.timedelta(
        days=max(settings.retention_complaint_days, settings.retention_return_days) + 1
    )
    counts = await retention.run(settings, now=late, dry_run=True)
    assert counts["complaints"] >= 1 and counts["return_notes"] >= 1
    await retention.run(settings, now=late)
    assert not await Complaint.exists().where(Complaint.id == complaint.id)
    # An open complaint stays, whatever its age.
    assert await Complaint.exists().where(Complaint.id == open_complaint.id)
    stored = await ReturnRequest.objects().where(ReturnRequest.id == request.id).first()
    assert stored.note == "" and stored.account is None and stored.refund_minor == 0
    assert (await retention.run(settings, now=late, dry_run=True))["return_notes"] == 0
