"""API resources for establishment applications: a provincial federation's system submits
on behalf of a university, lists and reads them, and records the officer's decision."""

from __future__ import annotations

from datetime import date

from flask.views import MethodView
from flask_smorest import abort

from service import jobs
from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.files.checks import DOCUMENT_KINDS, UploadRejected, check_upload
from service.files.services import file_response
from service.governance import establishment, first_admin
from service.governance.jobs import recompute_findings
from service.governance.schemas import (
    ApplicationCreatedSchema,
    ApplicationCreateSchema,
    ApplicationQueryArgsSchema,
    ApplicationSchema,
    ApprovalSchema,
    ApproveSchema,
    DocumentSchema,
    RejectSchema,
    ReturnSchema,
    UploadSchema,
)
from service.rest import Blueprint, found_first, paginate

blp = Blueprint(
    "establishment_api",
    __name__,
    url_prefix="/api/v1/establishment",
    description=(
        "Establishment applications (成立申请). A university applies on the public web form "
        "(`/establishment/apply`, anonymous and rate-limited), which gives it a secret "
        "tracking link. The API is for provincial federations: a federation token that may "
        "write submits an application on behalf of a university to its own federation (the "
        "response carries the applicant's tracking link, shown once), attaches supporting "
        "documents (at least one is needed before approval), and approves, returns "
        "or rejects applications addressed to it. Any federation or national token reads "
        "the applications of the federations it covers. Approval creates the association and "
        "its first administrator, whose one-time set-password link the response carries."
    ),
)
VIEW, REVIEW = Permission.VIEW_FEDERATION, Permission.REVIEW_ESTABLISHMENT


def _federations() -> frozenset[int]:
    return current_principal().scope.federation_ids


_application_first = found_first(establishment.access_application, "application_id")


@blp.route("/applications")
class Applications(MethodView):
    @blp.requires(VIEW)
    @blp.arguments(ApplicationQueryArgsSchema, location="query")
    @blp.response(200, ApplicationSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List the applications addressed to the token's federations, newest first"""
        query = establishment.for_federations(_federations(), args.get("status"))
        return paginate(query, pagination_parameters)

    @blp.requires(REVIEW, write=True)
    @blp.arguments(ApplicationCreateSchema)
    @blp.response(201, ApplicationCreatedSchema)
    def post(self, data):
        """Submit a university's application to the token's own federation"""
        application, key = establishment.submit(
            current_principal().federation_id, data, date.today()
        )
        return {
            "application": application,
            "tracking_url": establishment.tracking_url(key),
        }


@blp.route("/applications/<int:application_id>")
class ApplicationById(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, ApplicationSchema)
    def get(self, application_id):
        """Read one application with its timestamped steps"""
        return establishment.access_application(application_id)


@blp.route("/applications/<int:application_id>/approve")
class Approve(MethodView):
    @blp.requires(REVIEW, write=True)
    @_application_first
    @blp.arguments(ApproveSchema)
    @blp.response(200, ApprovalSchema)
    def post(self, data, application_id):
        """Approve: creates the association, its first administrator and a set-password link"""
        application = establishment.access_application(application_id)
        association = establishment.approve(
            application, data["document_number"], current_principal().audit_label, date.today()
        )
        jobs.enqueue_refresh(recompute_findings, association.id)
        # The link is e-mailed once the approval is committed (see first_admin.welcome).
        welcome = first_admin.welcome(
            first_admin.admin_of(application), association.name, application.contact_email
        )
        return {
            "application": application,
            "association_id": association.id,
            "admin_username": welcome.username,
            "set_password_link": welcome.link,
            "emailed_to": welcome.emailed_to,
        }


@blp.route("/applications/<int:application_id>/return")
class ReturnForRevision(MethodView):
    @blp.requires(REVIEW, write=True)
    @_application_first
    @blp.arguments(ReturnSchema)
    @blp.response(200, ApplicationSchema)
    def post(self, data, application_id):
        """Return for revision, with comments the applicant reads on the tracking page"""
        application = establishment.access_application(application_id)
        establishment.return_for_revision(
            application, data["comment"], current_principal().audit_label
        )
        return application


@blp.route("/applications/<int:application_id>/reject")
class Reject(MethodView):
    @blp.requires(REVIEW, write=True)
    @_application_first
    @blp.arguments(RejectSchema)
    @blp.response(200, ApplicationSchema)
    def post(self, data, application_id):
        """Reject, with the reason"""
        application = establishment.access_application(application_id)
        establishment.reject(application, data["reason"], current_principal().audit_label)
        return application


@blp.route("/applications/<int:application_id>/documents")
class ApplicationDocuments(MethodView):
    @blp.requires(REVIEW, write=True)
    @_application_first
    @blp.arguments(UploadSchema, location="files")
    @blp.response(201, DocumentSchema)
    def post(self, files, application_id):
        """Add a supporting document (PDF or image) to an application not yet decided"""
        application = establishment.access_application(application_id)
        try:
            upload = check_upload(files["file"], DOCUMENT_KINDS)
        except UploadRejected as error:
            abort(422, message=str(error), errors={"files": {"file": [str(error)]}})
        establishment.attach_documents(application, [upload])
        return application.documents[-1]


@blp.route("/documents/<int:application_document_id>")
class ApplicationDocumentById(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, content_type="application/octet-stream", description="The file")
    def get(self, application_document_id):
        """Download a supporting document"""
        return file_response(establishment.access_application_document(application_document_id))
