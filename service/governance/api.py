"""API resources: congresses, committee terms, meetings, officers, the secretariat, and the
compliance findings, for the associations in the token's scope."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from flask.views import MethodView
from flask_smorest import abort

from service import jobs
from service.associations import services as associations
from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.files.checks import DOCUMENT_KINDS, UploadRejected, check_upload
from service.files.services import file_response
from service.governance import compliance, establishment, services
from service.governance.jobs import recompute_findings
from service.governance.models import Congress
from service.governance.schemas import (
    CommitteeTermSchema,
    CongressCreateSchema,
    CongressSchema,
    EstablishmentSchema,
    FindingQueryArgsSchema,
    FindingSchema,
    LifecycleChangeSchema,
    ListArgsSchema,
    MeetingCreateSchema,
    MeetingQueryArgsSchema,
    MeetingSchema,
    OfficerCreateSchema,
    OfficerEndSchema,
    OfficerQueryArgsSchema,
    OfficerSchema,
    RuleSchema,
    SecretariatSchema,
    UploadSchema,
)
from service.resources import Resource, Within
from service.rest import Blueprint, found_first, paginate
from tenants.models import Association

blp = Blueprint(
    "governance_api",
    __name__,
    url_prefix="/api/v1/governance",
    description="Governance (组织建设): congresses, committees, meetings, officers, secretariat.",
)
compliance_blp = Blueprint(
    "compliance_api",
    __name__,
    url_prefix="/api/v1/compliance",
    description="Compliance with the document's governance rules, per association.",
)
VIEW, MANAGE, RECORD = (
    Permission.VIEW_GOVERNANCE,
    Permission.MANAGE_GOVERNANCE,
    Permission.RECORD_MEETINGS,
)
T = TypeVar("T")


in_association = Within("association_id", associations.access_association)
congresses = Resource(
    blp,
    CongressSchema,
    access=services.access_congress,
    id_name="congress_id",
    located_at="CongressById",
    within=in_association,
)
committee_terms = Resource(
    blp,
    CommitteeTermSchema,
    access=services.access_committee_term,
    id_name="term_id",
    within=in_association,
)
meetings = Resource(
    blp,
    MeetingSchema,
    access=services.access_meeting,
    id_name="meeting_id",
    located_at="MeetingById",
    within=in_association,
)
officers = Resource(
    blp,
    OfficerSchema,
    access=services.access_officer,
    id_name="officer_id",
    located_at="OfficerById",
    within=in_association,
)
secretariat = Resource(
    blp, SecretariatSchema, access=associations.access_association, id_name="association_id"
)
lifecycle = Resource(blp, LifecycleChangeSchema, within=in_association)


def _recomputed(write: Callable[..., T]) -> Callable[..., T]:
    """`write`, then the association's findings recomputed by a job queued for when the
    request commits (inline without Redis). With the queue down the request is refused
    whole: 503, nothing kept, so that a finding never lags behind the record it reads."""

    def written(*args) -> T:
        row = write(*args)
        jobs.enqueue_refresh(recompute_findings, row.tenant_id)
        return row

    return written


def _hold_congress(data: dict, association: Association) -> Congress:
    election = data.get("committee") or {}
    return services.hold_congress(
        association.id,
        held_on=data["held_on"],
        delegates=data["delegates"],
        notes=data.get("notes"),
        today=date.today(),
        term_ends_on=election.get("ends_on"),
        members=[services.NewMember(**m) for m in election.get("members", [])],
        standing_committee_formed_on=election.get("standing_committee_formed_on"),
    )


@blp.route("/<int:association_id>/congresses")
class Congresses(MethodView):
    get = congresses.listing(
        "List an association's congress sessions, latest first",
        VIEW,
        lambda _args, association: services.congresses(association.id),
        args=ListArgsSchema,
    )
    post = congresses.creating(
        "Record a congress session and the committee it elected",
        MANAGE,
        CongressCreateSchema,
        _recomputed(_hold_congress),
    )


@blp.route("/congresses/<int:congress_id>")
class CongressById(MethodView):
    get = congresses.reading("Read one congress session", VIEW)


@blp.route("/<int:association_id>/committee-terms")
class CommitteeTerms(MethodView):
    get = committee_terms.listing(
        "List an association's committee terms with their members, latest first",
        VIEW,
        lambda _args, association: services.committee_terms(association.id),
        args=ListArgsSchema,
    )


@blp.route("/committee-terms/<int:term_id>")
class CommitteeTermById(MethodView):
    get = committee_terms.reading("Read one committee term with its members", VIEW)


@blp.route("/<int:association_id>/meetings")
class Meetings(MethodView):
    get = meetings.listing(
        "List an association's meetings, latest first",
        VIEW,
        lambda args, association: services.meetings(association.id, args.get("body")),
        args=MeetingQueryArgsSchema,
    )
    post = meetings.creating(
        "Record a meeting of the committee or the standing committee",
        RECORD,
        MeetingCreateSchema,
        _recomputed(
            lambda data, association: services.record_meeting(
                association.id, today=date.today(), **data
            )
        ),
    )


@blp.route("/meetings/<int:meeting_id>")
class MeetingById(MethodView):
    get = meetings.reading("Read one meeting", VIEW)


@blp.route("/meetings/<int:meeting_id>/minutes")
class MeetingMinutes(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, content_type="application/octet-stream", description="The file")
    def get(self, meeting_id):
        """Download the meeting's minutes file"""
        meeting = services.access_meeting(meeting_id)
        if meeting.minutes_file is None:
            abort(404, message="No minutes file is kept for this meeting.")
        return file_response(meeting.minutes_file)

    @blp.requires(RECORD, write=True)
    @found_first(services.access_meeting, "meeting_id")
    @blp.arguments(UploadSchema, location="files")
    @blp.response(200, MeetingSchema)
    def post(self, files, meeting_id):
        """Upload the minutes as a file (PDF or image); replaces an earlier file"""
        meeting = services.access_meeting(meeting_id)
        try:
            upload = check_upload(files["file"], DOCUMENT_KINDS)
        except UploadRejected as error:
            abort(422, message=str(error), errors={"files": {"file": [str(error)]}})
        services.attach_minutes(meeting, upload)
        return meeting


@blp.route("/<int:association_id>/officers")
class Officers(MethodView):
    get = officers.listing(
        "List the officers' terms, current and past (the handover history)",
        VIEW,
        lambda args, association: services.officers(
            association.id, args.get("post"), date.today() if args.get("current") else None
        ),
        args=OfficerQueryArgsSchema,
    )
    post = officers.creating(
        "Appoint an officer; a new chair or secretary-general takes over from the holder",
        MANAGE,
        OfficerCreateSchema,
        _recomputed(lambda data, association: services.appoint(association.id, **data)),
    )


@blp.route("/officers/<int:officer_id>")
class OfficerById(MethodView):
    get = officers.reading("Read one officer's term", VIEW)
    patch = officers.updating(
        "End an officer's term",
        MANAGE,
        OfficerEndSchema,
        _recomputed(lambda officer, data: services.end_term(officer, data["ends_on"])),
    )


@blp.route("/<int:association_id>/secretariat")
class SecretariatResource(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, SecretariatSchema)
    def get(self, association_id):
        """Read which office hosts the secretariat"""
        association = associations.access_association(association_id)
        row = services.secretariat(association.id)
        if row is None:
            abort(404, message="No host office is recorded yet.")
        return row

    put = secretariat.updating(
        "Set the office that hosts the secretariat",
        MANAGE,
        SecretariatSchema,
        lambda association, data: services.set_host_office(association.id, data["host_office"]),
    )


@blp.route("/<int:association_id>/lifecycle")
class Lifecycle(MethodView):
    get = lifecycle.listing(
        "List the association's status changes by its federation, with the reasons",
        VIEW,
        lambda _args, association: establishment.lifecycle_changes(association.id),
        args=ListArgsSchema,
    )


@blp.route("/<int:association_id>/establishment")
class EstablishmentResource(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, EstablishmentSchema)
    def get(self, association_id):
        """Read how the association was founded: charter, approval, document number"""
        association = associations.access_association(association_id)
        record = establishment.record_of_founding(association.id)
        if record is None:
            abort(404, message="No establishment record.")
        return record


@compliance_blp.route("/rules")
class Rules(MethodView):
    @compliance_blp.requires(VIEW)
    @compliance_blp.response(200, RuleSchema(many=True))
    def get(self):
        """List the rules, the thresholds in force for the caller's province, and the document's"""
        document = {k: getattr(compliance.DOCUMENT, k) for k in compliance.THRESHOLD_KEYS}
        federation_id = current_principal().federation_id
        if federation_id is None and current_principal().association_id is not None:
            federation_id = associations.access_association(
                current_principal().association_id
            ).federation_id
        in_force = (
            compliance.thresholds_for(federation_id) if federation_id else compliance.DOCUMENT
        )
        return [
            {
                "code": rule.code,
                "label": str(rule.label),
                "thresholds": {k: getattr(in_force, k) for k in rule.thresholds},
                "document_thresholds": {k: document[k] for k in rule.thresholds},
            }
            for rule in compliance.RULES
        ]


@compliance_blp.route("/findings")
class Findings(MethodView):
    @compliance_blp.requires(VIEW)
    @compliance_blp.arguments(FindingQueryArgsSchema, location="query")
    @compliance_blp.response(200, FindingSchema(many=True))
    @compliance_blp.paginate()
    def get(self, args, pagination_parameters):
        """List the stored findings of the associations in scope, by association and rule"""
        ids = paginate(compliance.associations_with(args.get("status")), pagination_parameters)
        stored = compliance.stored_findings(ids)
        return [
            _finding_row(association_id, finding)
            for association_id in ids
            for finding in stored[association_id]
        ]


@compliance_blp.route("/<int:association_id>")
class AssociationFindings(MethodView):
    @compliance_blp.requires(VIEW)
    @compliance_blp.response(200, FindingSchema(many=True))
    def get(self, association_id):
        """Evaluate every rule for one association as of today"""
        association = associations.access_association(association_id)
        findings = compliance.evaluate(association.id, date.today())
        return [_finding_row(association.id, f) for f in findings]


def _finding_row(association_id: int, finding: compliance.Finding) -> dict:
    return {
        "association_id": association_id,
        "rule": finding.rule,
        "period": finding.period,
        "label": finding.label,
        "status": finding.status.value,
        "evidence": finding.evidence,
        "next_change_on": finding.next_change_on,
    }
