"""Files in governance: an application's supporting documents (sent, listed, downloaded,
kept by the new association on approval) and meeting minutes as a file, on the web and
through the API. A bad upload is refused with a message and nothing is written."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from service.auth.models import TokenLevel
from service.auth.roles import Role
from service.files.models import StoredFile
from service.governance import establishment
from service.governance.models import (
    ApplicationDocument,
    EstablishmentApplication,
    FoundingDocument,
    Meeting,
)
from tenants import portability
from tenants.db import db
from tenants.models import Federation
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.factories.files import PDF_BYTES, PNG_BYTES


def _file(data: bytes, name: str) -> tuple[io.BytesIO, str]:
    return io.BytesIO(data), name


def _count(model) -> int:
    with system_scope("test: count rows"):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _form(world, **changes) -> dict:
    data = factories.application_data(**changes)
    data["federation_id"] = str(world.a.federation.id)
    data["charter_accepted"] = "y"
    return data


def _application(name: str) -> EstablishmentApplication:
    with system_scope("test: read an application"):
        return db.session.scalar(
            sa.select(EstablishmentApplication).where(
                EstablishmentApplication.university_name == name
            )
        )


def _apply_with(client, world, *files, **changes):
    data = _form(world, **changes)
    data["documents"] = list(files)
    return client.post("/establishment/apply", data=data), data["university_name"]


# (content, name) pairs; each test opens its own stream.
BAD_UPLOADS = [
    pytest.param((PNG_BYTES, "批复.pdf"), "不是 PDF", id="magic-number-differs"),
    pytest.param((PDF_BYTES, "批复.docx"), "只接受以下文件类型", id="wrong-extension"),
    pytest.param((b"", "批复.pdf"), "文件是空的", id="empty"),
    pytest.param((PDF_BYTES + b"0" * 2048, "批复.pdf"), "文件超过", id="too-big"),
]


@pytest.fixture
def small_uploads(app):
    saved = app.config["MAX_UPLOAD_BYTES"]
    app.config["MAX_UPLOAD_BYTES"] = 1024
    yield
    app.config["MAX_UPLOAD_BYTES"] = saved


@pytest.mark.parametrize(("upload", "message"), BAD_UPLOADS)
def test_a_bad_document_refuses_the_application_and_keeps_nothing(
    client, world, small_uploads, upload, message
):
    before = (_count(EstablishmentApplication), _count(ApplicationDocument))
    response, name = _apply_with(client, world, _file(PDF_BYTES, "章程.pdf"), _file(*upload))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert (_count(EstablishmentApplication), _count(ApplicationDocument)) == before
    assert _application(name) is None


def test_an_application_needs_a_document_on_the_web_and_before_approval(client, world):
    before = _count(EstablishmentApplication)
    response, name = _apply_with(client, world)
    assert response.status_code == 400
    assert "请至少附上一份证明材料。" in response.get_data(as_text=True)
    assert _count(EstablishmentApplication) == before and _application(name) is None
    # An application sent without any (through the API) cannot be approved until it has one.
    with system_scope("test: an application without documents"):
        application, _key = establishment.submit(
            world.a.federation.id, factories.application_data(), date(2026, 5, 1)
        )
        db.session.commit()
        application_id = application.id  # read in the scope that sees it (it expired)
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post(
        f"/establishment/{application_id}",
        data={"decision": "approve", "document_number": "浙科协函〔2026〕21号"},
    )
    assert response.status_code == 400
    assert "该申请尚无证明材料。" in response.get_data(as_text=True)
    with system_scope("test"):
        assert db.session.get(EstablishmentApplication, application_id).status == "submitted"


def test_documents_go_with_the_application_to_the_officer_and_back_to_the_applicant(client, world):
    response, name = _apply_with(
        client, world, _file(PDF_BYTES, "学校批复.pdf"), _file(PNG_BYTES, "../../章程草案.png")
    )
    assert response.status_code == 200
    key = factories.tracking_key(response.get_data(as_text=True))
    application = _application(name)
    with system_scope("test"):
        documents = db.session.scalars(
            sa.select(ApplicationDocument)
            .where(ApplicationDocument.application_id == application.id)
            .order_by(ApplicationDocument.id)
        ).all()
    assert [(d.name, d.content_type) for d in documents] == [
        ("学校批复.pdf", "application/pdf"),
        ("章程草案.png", "image/png"),  # the path is stripped
    ]
    first = documents[0].id

    # The officer of the province lists and downloads them.
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    page = client.get(f"/establishment/{application.id}").get_data(as_text=True)
    assert "学校批复.pdf" in page and "章程草案.png" in page
    download = client.get(f"/establishment/documents/{first}")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    # Not the other province's officer, nor anyone signed out without the link.
    client.login_as(world.b.users[Role.FEDERATION_OFFICER])
    assert client.get(f"/establishment/documents/{first}").status_code == 404
    client.post("/logout")
    assert client.get(f"/establishment/documents/{first}").status_code == 302
    # The applicant, through the secret link, downloads their own documents only; the key
    # travels in the body, never in the URL.
    page = client.post("/establishment/track", data={"key": key}).get_data(as_text=True)
    assert "学校批复.pdf" in page
    assert f'action="/establishment/track/documents/{first}"' in page
    download = client.post(f"/establishment/track/documents/{first}", data={"key": key})
    assert download.data == PDF_BYTES
    other = world.a.application_document
    assert (
        client.post(f"/establishment/track/documents/{other}", data={"key": key}).status_code == 404
    )
    assert client.post(f"/establishment/track/documents/{first}", data={}).status_code == 404


def test_a_returned_application_takes_more_documents_on_resubmission(client, world):
    response, name = _apply_with(client, world, _file(PDF_BYTES, "学校批复.pdf"))
    key = factories.tracking_key(response.get_data(as_text=True))
    application_id = _application(name).id
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    client.post(
        f"/establishment/{application_id}",
        data={"decision": "return", "comment": "请补充章程草案"},
    )
    client.post("/logout")
    data = _form(world, university_name=name)
    data.pop("federation_id")
    data.update(key=key, resubmit="1")
    bad = {**data, "documents": [_file(b"MZ\x90\x00", "章程草案.pdf")]}
    assert client.post("/establishment/track", data=bad).status_code == 400
    assert _application(name).status == "returned"  # the failed resubmission changed nothing
    good = {**data, "documents": [_file(PDF_BYTES, "章程草案.pdf")]}
    assert client.post("/establishment/track", data=good).status_code == 200
    page = client.post("/establishment/track", data={"key": key}).get_data(as_text=True)
    assert "学校批复.pdf" in page and "章程草案.pdf" in page and "待审核" in page


def test_approval_gives_the_association_its_founding_papers(client, world):
    response, name = _apply_with(client, world, _file(PDF_BYTES, "学校批复.pdf"))
    application_id = _application(name).id
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.post(
        f"/establishment/{application_id}",
        data={"decision": "approve", "document_number": "浙科协函〔2026〕20号"},
    )
    assert response.status_code == 302
    tid = _application(name).association_id
    with use_scope(Scope.association(tid)):
        founding = db.session.scalars(sa.select(FoundingDocument)).all()
        stored = db.session.scalar(
            sa.select(StoredFile).where(StoredFile.id == founding[0].file_id)
        )
        assert (stored.name, stored.tenant_id, stored.data) == ("学校批复.pdf", tid, PDF_BYTES)
        exported = portability.export_tenant(tid)["tables"]
    assert len(exported["stored_file"]) == 1 and len(exported["founding_document"]) == 1

    # The officer sees the papers on the association's page; so does the province only.
    overview = client.get(f"/governance/{tid}").get_data(as_text=True)
    assert "成立情况" in overview and "学校批复.pdf" in overview
    assert "浙科协函〔2026〕20号" in overview
    link = re.search(r'href="(/governance/founding-documents/\d+)"', overview)[1]
    assert client.get(link).data == PDF_BYTES
    client.login_as(world.b.users[Role.FEDERATION_OFFICER])
    assert client.get(link).status_code == 404


# --- minutes ------------------------------------------------------------------------------


def _meeting_form(**extra) -> dict:
    return {"body": "committee", "held_on": "2026-03-01", "attendance": "3", **extra}


def test_minutes_are_uploaded_with_the_meeting_and_downloaded_by_members(client, world):
    tenant = world.a.first
    tid = tenant.association.id
    client.login_as(tenant.users[Role.ASSOCIATION_STAFF])
    response = client.post(
        f"/governance/{tid}/meetings/new",
        data=_meeting_form(minutes_file=_file(PDF_BYTES, "2026年第一次委员会会议纪要.pdf")),
    )
    assert response.status_code == 302
    with use_scope(Scope.association(tid)):
        meeting = db.session.scalar(sa.select(Meeting).where(Meeting.held_on == date(2026, 3, 1)))
        assert meeting.minutes_file.name == "2026年第一次委员会会议纪要.pdf"
        meeting_id = meeting.id
    client.login_as(tenant.users[Role.MEMBER])
    overview = client.get(f"/governance/{tid}").get_data(as_text=True)
    assert f"/governance/meetings/{meeting_id}/minutes" in overview
    download = client.get(f"/governance/meetings/{meeting_id}/minutes")
    assert download.status_code == 200 and download.data == PDF_BYTES
    client.login_as(world.a.second.users[Role.MEMBER])
    assert client.get(f"/governance/meetings/{meeting_id}/minutes").status_code == 404


@pytest.mark.parametrize(("upload", "message"), BAD_UPLOADS)
def test_a_bad_minutes_file_records_no_meeting(client, world, small_uploads, upload, message):
    tenant = world.a.first
    before = (_count(Meeting), _count(StoredFile))
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    response = client.post(
        f"/governance/{tenant.association.id}/meetings/new",
        data=_meeting_form(minutes_file=_file(*upload)),
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert (_count(Meeting), _count(StoredFile)) == before


def test_minutes_through_the_api(client, world):
    tenant = world.a.first
    meeting_id = tenant.governance["meeting_id"]
    rw = {"Authorization": f"Bearer {tenant.tokens['rw'][1]}"}
    ro = {"Authorization": f"Bearer {tenant.tokens['ro'][1]}"}
    url = f"/api/v1/governance/meetings/{meeting_id}/minutes"
    before = _count(StoredFile)
    bad = client.post(url, data={"file": _file(PNG_BYTES, "纪要.pdf")}, headers=rw)
    assert bad.status_code == 422 and "不是 PDF" in bad.json["message"]
    assert client.post(url, data={}, headers=rw).status_code == 422
    assert _count(StoredFile) == before
    assert (
        client.post(url, data={"file": _file(PNG_BYTES, "纪要.png")}, headers=ro).status_code == 403
    )

    saved = client.post(url, data={"file": _file(PNG_BYTES, "纪要.png")}, headers=rw)
    assert saved.status_code == 200 and saved.json["minutes_file_id"]
    download = client.get(url, headers=ro)
    assert download.data == PNG_BYTES and download.mimetype == "image/png"
    foreign = {"Authorization": f"Bearer {world.a.second.tokens['rw'][1]}"}
    assert client.get(url, headers=foreign).status_code == 404
    assert (
        client.post(url, data={"file": _file(PDF_BYTES, "x.pdf")}, headers=foreign).status_code
        == 404
    )


def test_supporting_documents_through_the_api(client, world):
    with system_scope("test: a writing federation token"):
        federation = db.session.get(Federation, world.a.federation.id)
        _token, plaintext = factories.make_token(
            TokenLevel.FEDERATION, federation=federation, read_only=False
        )
        db.session.commit()
    rw = {"Authorization": f"Bearer {plaintext}"}
    url = f"/api/v1/establishment/applications/{world.a.application[0]}/documents"
    before = _count(ApplicationDocument)
    bad = client.post(url, data={"file": _file(b"", "批复.pdf")}, headers=rw)
    assert bad.status_code == 422 and bad.json["message"] == "文件是空的。"
    assert _count(ApplicationDocument) == before
    added = client.post(url, data={"file": _file(PDF_BYTES, "批复.pdf")}, headers=rw)
    assert added.status_code == 201 and added.json["name"] == "批复.pdf"

    national = {"Authorization": f"Bearer {world.national_a[1]}"}
    detail = client.get(
        f"/api/v1/establishment/applications/{world.a.application[0]}", headers=national
    )
    assert [d["name"] for d in detail.json["documents"]][-1] == "批复.pdf"
    download = client.get(f"/api/v1/establishment/documents/{added.json['id']}", headers=national)
    assert download.data == PDF_BYTES
    foreign = f"/api/v1/establishment/documents/{world.b.application_document}"
    assert client.get(foreign, headers=national).status_code == 404
