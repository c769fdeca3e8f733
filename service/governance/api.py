"""API resources: congresses, committee terms, meetings, officers, the secretariat, and the
compliance findings, for the associations in the token's scope."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import abort

from service import jobs
from service.associations import services as associations
from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.files.checks import DOCUMENT_KINDS, UploadRejected, check_upload
from service.files.services import file_response
from service.governance import compliance, services
from service.governance.jobs import recompute_findings
from service.governance.models import (
    CommitteeTerm,
    Congress,
    Establishment,
    LifecycleChange,
    Meeting,
    Officer,
)
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
from service.rest import Blueprint, found_first, paginate
from tenants.db import db
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


_association_first = found_first(associations.access_association, "association_id")


def _written(association_id: int) -> None:
    """Commit once, then have the findings recomputed (inline without Redis)."""
    db.session.commit()
    jobs.enqueue(recompute_findings, association_id)


@blp.route("/<int:association_id>/congresses")
class Congresses(MethodView):
    @blp.requires(VIEW)
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, CongressSchema(many=True))
    @blp.paginate()
    def get(self, _args, association_id, pagination_parameters):
        """List an association's congress sessions, latest first"""
        association = associations.access_association(association_id)
        return paginate(services.congresses(association.id), pagination_parameters)

    @blp.requires(MANAGE, write=True)
    @_association_first
    @blp.arguments(CongressCreateSchema)
    @blp.response(201, CongressSchema)
    def post(self, data, association_id):
        """Record a congress session and the committee it elected"""
        association = associations.access_association(association_id)
        election = data.get("committee") or {}
        congress = services.hold_congress(
            association.id,
            held_on=data["held_on"],
            delegates=data["delegates"],
            notes=data.get("notes"),
            today=date.today(),
            term_ends_on=election.get("ends_on"),
            members=[services.NewMember(**m) for m in election.get("members", [])],
            standing_committee_formed_on=election.get("standing_committee_formed_on"),
        )
        _written(association.id)
        return congress


@blp.route("/congresses/<int:congress_id>")
class CongressById(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, CongressSchema)
    def get(self, congress_id):
        """Read one congress session"""
        return services.access(Congress, congress_id)


@blp.route("/<int:association_id>/committee-terms")
class CommitteeTerms(MethodView):
    @blp.requires(VIEW)
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, CommitteeTermSchema(many=True))
    @blp.paginate()
    def get(self, _args, association_id, pagination_parameters):
        """List an association's committee terms with their members, latest first"""
        association = associations.access_association(association_id)
        return paginate(services.committee_terms(association.id), pagination_parameters)


@blp.route("/committee-terms/<int:term_id>")
class CommitteeTermById(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, CommitteeTermSchema)
    def get(self, term_id):
        """Read one committee term with its members"""
        return services.access(CommitteeTerm, term_id)


@blp.route("/<int:association_id>/meetings")
class Meetings(MethodView):
    @blp.requires(VIEW)
    @blp.arguments(MeetingQueryArgsSchema, location="query")
    @blp.response(200, MeetingSchema(many=True))
    @blp.paginate()
    def get(self, args, association_id, pagination_parameters):
        """List an association's meetings, latest first"""
        association = associations.access_association(association_id)
        return paginate(services.meetings(association.id, args.get("body")), pagination_parameters)

    @blp.requires(RECORD, write=True)
    @_association_first
    @blp.arguments(MeetingCreateSchema)
    @blp.response(201, MeetingSchema)
    def post(self, data, association_id):
        """Record a meeting of the committee or the standing committee"""
        association = associations.access_association(association_id)
        meeting = services.record_meeting(association.id, today=date.today(), **data)
        _written(association.id)
        return meeting


@blp.route("/meetings/<int:meeting_id>")
class MeetingById(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, MeetingSchema)
    def get(self, meeting_id):
        """Read one meeting"""
        return services.access(Meeting, meeting_id)


@blp.route("/meetings/<int:meeting_id>/minutes")
class MeetingMinutes(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, content_type="application/octet-stream", description="The file")
    def get(self, meeting_id):
        """Download the meeting's minutes file"""
        meeting = services.access(Meeting, meeting_id)
        if meeting.minutes_file is None:
            abort(404, message="No minutes file is kept for this meeting.")
        return file_response(meeting.minutes_file)

    @blp.requires(RECORD, write=True)
    @found_first(lambda meeting_id: services.access(Meeting, meeting_id), "meeting_id")
    @blp.arguments(UploadSchema, location="files")
    @blp.response(200, MeetingSchema)
    def post(self, files, meeting_id):
        """Upload the minutes as a file (PDF or image); replaces an earlier file"""
        meeting = services.access(Meeting, meeting_id)
        try:
            services.attach_minutes(meeting, check_upload(files["file"], DOCUMENT_KINDS))
        except UploadRejected as error:
            db.session.rollback()
            abort(422, message=str(error), errors={"files": {"file": [str(error)]}})
        db.session.commit()
        return meeting


@blp.route("/<int:association_id>/officers")
class Officers(MethodView):
    @blp.requires(VIEW)
    @blp.arguments(OfficerQueryArgsSchema, location="query")
    @blp.response(200, OfficerSchema(many=True))
    @blp.paginate()
    def get(self, args, association_id, pagination_parameters):
        """List the officers' terms, current and past (the handover history)"""
        association = associations.access_association(association_id)
        query = services.officers(association.id, args.get("post"))
        if args.get("current"):
            today = date.today()
            query = query.where(
                Officer.starts_on <= today,
                sa.or_(Officer.ends_on.is_(None), Officer.ends_on > today),
            )
        return paginate(query, pagination_parameters)

    @blp.requires(MANAGE, write=True)
    @_association_first
    @blp.arguments(OfficerCreateSchema)
    @blp.response(201, OfficerSchema)
    def post(self, data, association_id):
        """Appoint an officer; a new chair or secretary-general takes over from the holder"""
        association = associations.access_association(association_id)
        officer = services.appoint(association.id, **data)
        _written(association.id)
        return officer


@blp.route("/officers/<int:officer_id>")
class OfficerById(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, OfficerSchema)
    def get(self, officer_id):
        """Read one officer's term"""
        return services.access(Officer, officer_id)

    @blp.requires(MANAGE, write=True)
    @found_first(lambda officer_id: services.access(Officer, officer_id), "officer_id")
    @blp.arguments(OfficerEndSchema)
    @blp.response(200, OfficerSchema)
    def patch(self, data, officer_id):
        """End an officer's term"""
        officer = services.access(Officer, officer_id)
        services.end_term(officer, data["ends_on"])
        _written(officer.tenant_id)
        return officer


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

    @blp.requires(MANAGE, write=True)
    @_association_first
    @blp.arguments(SecretariatSchema)
    @blp.response(200, SecretariatSchema)
    def put(self, data, association_id):
        """Set the office that hosts the secretariat"""
        association = associations.access_association(association_id)
        row = services.set_host_office(association.id, data["host_office"])
        db.session.commit()
        return row


@blp.route("/<int:association_id>/lifecycle")
class Lifecycle(MethodView):
    @blp.requires(VIEW)
    @blp.arguments(ListArgsSchema, location="query")
    @blp.response(200, LifecycleChangeSchema(many=True))
    @blp.paginate()
    def get(self, _args, association_id, pagination_parameters):
        """List the association's status changes by its federation, with the reasons"""
        association = associations.access_association(association_id)
        query = (
            sa.select(LifecycleChange)
            .where(LifecycleChange.tenant_id == association.id)
            .order_by(LifecycleChange.changed_at, LifecycleChange.id)
        )
        return paginate(query, pagination_parameters)


@blp.route("/<int:association_id>/establishment")
class EstablishmentResource(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, EstablishmentSchema)
    def get(self, association_id):
        """Read how the association was founded: charter, approval, document number"""
        association = associations.access_association(association_id)
        record = db.session.scalar(
            sa.select(Establishment).where(Establishment.tenant_id == association.id)
        )
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
        query = sa.select(Association.id).order_by(Association.id)
        if args.get("status"):
            query = query.where(Association.id.in_(compliance.with_status(args["status"])))
        ids = paginate(query, pagination_parameters)
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
