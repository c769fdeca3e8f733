"""A member import survives its worker dying: the job is queued with retries, and running
it twice imports its rows once."""

from __future__ import annotations

import io

from service.auth.roles import Role
from service.members import importing, jobs
from service.members.models import MemberImport
from tenants.db import db
from tenants.scope import Scope, use_scope
from tests.conftest import run_queued_jobs
from tests.service.test_members import csv_bytes, members_of, row


def test_an_import_is_queued_with_retries(world, client, monkeypatch):
    queued, original = {}, jobs.enqueue

    def remember(func, *ids, **options):
        queued.update(func=func, options=options)
        return original(func, *ids, **options)

    monkeypatch.setattr(jobs, "enqueue", remember)
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    content = csv_bytes([row("李雷", phone="13900000001")])
    client.post(
        "/members/imports",
        data={"file": (io.BytesIO(content), "m.csv")},
        content_type="multipart/form-data",
    )
    run_queued_jobs()
    assert queued["func"] is jobs.run_import
    assert queued["options"]["retry"].max == 2


def test_running_an_import_again_after_a_crash_imports_its_rows_once(world, client):
    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    content = csv_bytes([row("韩梅梅", phone="13900000002")])
    client.post(
        "/members/imports",
        data={"file": (io.BytesIO(content), "m.csv")},
        content_type="multipart/form-data",
    )
    run_queued_jobs()
    with use_scope(Scope.association(tenant.association.id)):
        upload = db.session.scalars(
            db.select(MemberImport).order_by(MemberImport.id.desc())
        ).first()
        upload_id = upload.id
    # The worker died after the import finished but before RQ heard of it: RQ runs it again.
    with use_scope(Scope.association(tenant.association.id)):
        assert jobs.run_import(upload_id) == "done"
    names = [m.name for m in members_of(tenant)]
    assert names.count("韩梅梅") == 1


def test_a_re_check_that_cannot_be_queued_leaves_the_import_in_review(world, client, monkeypatch):
    from service.jobs import JobsUnavailable

    tenant = world.a.first
    client.login_as(tenant.users[Role.ASSOCIATION_ADMIN])
    content = csv_bytes([row("林涛", phone="123"), row("王芳", phone="13900000003")])
    client.post(
        "/members/imports",
        data={"file": (io.BytesIO(content), "m.csv")},
        content_type="multipart/form-data",
    )
    run_queued_jobs()
    with use_scope(Scope.association(tenant.association.id)):
        upload = db.session.scalars(
            db.select(MemberImport).order_by(MemberImport.id.desc())
        ).first()
        upload_id, job_id = upload.id, upload.job_id
    assert upload.status == "review"

    def queue_down(*_args, **_options):
        raise JobsUnavailable("Connection refused")

    monkeypatch.setattr(jobs, "enqueue", queue_down)
    answer = client.post(
        f"/members/imports/{upload_id}/review",
        data={"mode": "valid", "on_match": "skip", "action": "commit"},
    )
    assert answer.status_code == 302
    assert "请几分钟后再试" in client.get(answer.headers["Location"]).get_data(as_text=True)
    with use_scope(Scope.association(tenant.association.id)):
        upload = db.session.get(MemberImport, upload_id)
        assert (upload.status, upload.job_id) == ("review", job_id)
        assert importing.find_sheet(upload).mode == "all"  # the page's choices were not kept
    assert "王芳" not in [m.name for m in members_of(tenant)]
