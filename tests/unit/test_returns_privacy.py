"""Returns and complaints as personal data (issue 16): in the data download, complaints kept
for legal claims when the account is erased (with the reason in the registry), and retention
deleting decided complaints and unlinking finished returns after their periods; a return's
photos, files of its conversation, in the download and deleted by erasure and retention."""

from __future__ import annotations

import datetime as dt

from litestar import Litestar

from okmarts.services import erasure, privacy_export, retention, returns, support
from okmarts.tables.checkout import OrderLine
from okmarts.tables.returns import Complaint, ReturnRequest
from okmarts.tables.support import Conversation, ConversationAttachment, ConversationMessage
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


async def _return_with_photo(settings) -> tuple:  # type: ignore[no-untyped-def]
    import io

    from PIL import Image

    from okmarts.services import support_files

    shopper = await verified_shopper()
    order = await delivered_order(shopper, await new_product(stock=1), quantity=1)
    line = (await OrderLine.select(OrderLine.id).where(OrderLine.order == order.id).first())["id"]
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 200, 10)).save(out, format="JPEG")
    photos = await support_files.prepare(settings, [("crack.jpg", out.getvalue())])
    request = await returns.request_return(
        settings, shopper, order.number, {line: 1}, reason="damaged", photos=photos
    )
    [row] = await ConversationAttachment.select(ConversationAttachment.path).where(
        ConversationAttachment.message.is_in(
            ConversationMessage.select(ConversationMessage.id).where(
                ConversationMessage.conversation == request.conversation
            )
        )
    )
    stored = support_files.folder(settings) / row["path"]
    assert stored.exists()
    return shopper, request, stored


async def test_a_returns_photos_follow_its_conversation_download_erasure_retention(
    app: Litestar,
) -> None:
    """The photos are files of the return's conversation: the data download lists them, and
    erasure and retention delete them (rows and files) with it."""
    settings = app.state.settings
    shopper, request, stored = await _return_with_photo(settings)
    data = await privacy_export.collect_export(shopper.id)
    [conversation] = [
        row for row in data["customer_service.json"] if row["id"] == request.conversation
    ]
    files = [file for message in conversation["messages"] for file in message["files"]]
    assert [file["filename"] for file in files] == ["crack.jpg"]
    assert data["returns.json"][0]["conversation"] == request.conversation

    await erasure.erase_account(shopper.id, settings=settings, reason="test")
    assert not stored.exists()
    assert not await Conversation.exists().where(Conversation.id == request.conversation)
    kept = await ReturnRequest.objects().where(ReturnRequest.id == request.id).first()
    assert kept.account is None and kept.conversation is None  # the return stays, unlinked

    # Retention: a closed return conversation past its period goes, its photo too.
    _other, later, later_file = await _return_with_photo(settings)
    await support.set_status(settings, later.conversation, "closed", by="ana")
    late = dt.datetime.now(dt.UTC) + dt.timedelta(days=settings.retention_support_days + 1)
    await retention.run(settings, now=late)
    assert not later_file.exists()
    assert not await Conversation.exists().where(Conversation.id == later.conversation)
