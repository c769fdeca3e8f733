"""API resources: activities of the five tasks, their evidence (as metadata), consulting
reports, technology transfers, nominations, exemplars, and the figures per association."""

from __future__ import annotations

from flask.views import MethodView

from service.activities import services, statistics, talent
from service.activities.models import FIGURES, SUBTYPES, TASK_LABELS
from service.activities.schemas import (
    ActivityCreateSchema,
    ActivityQueryArgsSchema,
    ActivitySchema,
    ActivityUpdateSchema,
    ConsultingReportCreateSchema,
    ConsultingReportSchema,
    ConsultingReportUpdateSchema,
    EvidenceSchema,
    ExemplarCreateSchema,
    ExemplarSchema,
    FiguresQueryArgsSchema,
    FiguresSchema,
    NominationCreateSchema,
    NominationSchema,
    OutcomeQueryArgsSchema,
    TalentQueryArgsSchema,
    TechTransferCreateSchema,
    TechTransferSchema,
    TechTransferUpdateSchema,
    VocabularySchema,
)
from service.associations.services import profiles_in_scope
from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.resources import Resource, Within
from service.rest import Blueprint, paginate

blp = Blueprint(
    "activities_api",
    __name__,
    url_prefix="/api/v1",
    description=(
        "The association's work (主要任务): activities of the five tasks with their figures,"
        " consulting reports, technology transfers, nominations and exemplars. Tokens above"
        " an association see the activities shared with the federation, and every figure."
    ),
)


VIEW, RECORD = Permission.VIEW_ACTIVITIES, Permission.RECORD_ACTIVITIES


def _by() -> str:
    return current_principal().audit_label


activities = Resource(
    blp,
    ActivitySchema,
    access=services.access_activity,
    id_name="activity_id",
    located_at="ActivityById",
)
evidence = Resource(blp, EvidenceSchema, within=Within("activity_id", services.access_activity))
reports = Resource(
    blp,
    ConsultingReportSchema,
    access=services.access_consulting_report,
    id_name="consulting_report_id",
    located_at="ConsultingReportById",
)
transfers = Resource(
    blp,
    TechTransferSchema,
    access=services.access_tech_transfer,
    id_name="tech_transfer_id",
    located_at="TechTransferById",
)
nominations = Resource(
    blp,
    NominationSchema,
    access=talent.access_nomination,
    id_name="nomination_id",
    located_at="NominationById",
)
exemplars = Resource(
    blp,
    ExemplarSchema,
    access=talent.access_exemplar,
    id_name="exemplar_id",
    located_at="ExemplarById",
)


@blp.route("/activities/")
class Activities(MethodView):
    get = activities.listing(
        "List activities, filtered by task, subtype, period, organiser and status",
        VIEW,
        lambda args: services.activities_query(**args),
        args=ActivityQueryArgsSchema,
    )
    post = activities.creating(
        "Record an activity (planned, or held after the fact) with its figures",
        RECORD,
        ActivityCreateSchema,
        lambda data: services.create_activity(data, _by(), status=data["status"]),
    )


@blp.route("/activities/<int:activity_id>")
class ActivityById(MethodView):
    get = activities.reading("Read one activity", VIEW)
    patch = activities.updating(
        "Change an activity's fields or move it on (planned → held → reported)",
        RECORD,
        ActivityUpdateSchema,
        services.change_activity,
    )


@blp.route("/activities/<int:activity_id>/evidence/")
class ActivityEvidence(MethodView):
    get = evidence.listing(
        "List the evidence files of an activity (names, types, sizes, checksums)",
        VIEW,
        services.evidence_query,
    )


@blp.route("/activity-figures/")
class ActivityFigures(MethodView):
    @blp.requires(VIEW)
    @blp.arguments(FiguresQueryArgsSchema, location="query")
    @blp.response(200, FiguresSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """The year's figures of every task, per association in the token's scope"""
        profiles = paginate(profiles_in_scope(), pagination_parameters)
        year = args["year"]
        figures = statistics.all_figures([p.tenant_id for p in profiles], (year,))[year]
        return [
            {
                "association_id": p.tenant_id,
                "association_name": p.association.name,
                "year": args["year"],
                **figures[p.tenant_id],
            }
            for p in profiles
        ]


@blp.route("/activity-vocabulary")
class ActivityVocabulary(MethodView):
    @blp.requires(VIEW)
    @blp.response(200, VocabularySchema)
    def get(self):
        """The five tasks, each task's subtypes and the figures it records"""
        return {
            "tasks": {t.value: str(label) for t, label in TASK_LABELS.items()},
            "subtypes": {
                t.value: {k: str(v) for k, v in subtypes.items()}
                for t, subtypes in SUBTYPES.items()
            },
            "figures": {t.value: list(names) for t, names in FIGURES.items()},
        }


# --- consulting reports and technology transfers ------------------------------------------


@blp.route("/consulting-reports/")
class ConsultingReports(MethodView):
    get = reports.listing(
        "List decision-consulting reports, optionally of one year",
        VIEW,
        lambda args: services.consulting_reports_query(args.get("year")),
        args=OutcomeQueryArgsSchema,
    )
    post = reports.creating(
        "Record a decision-consulting report",
        RECORD,
        ConsultingReportCreateSchema,
        lambda data: services.save_consulting_report(None, data),
    )


@blp.route("/consulting-reports/<int:consulting_report_id>")
class ConsultingReportById(MethodView):
    get = reports.reading("Read one consulting report", VIEW)
    patch = reports.updating(
        "Change a consulting report, for example record its adoption",
        RECORD,
        ConsultingReportUpdateSchema,
        services.save_consulting_report,
    )


@blp.route("/tech-transfers/")
class TechTransfers(MethodView):
    get = transfers.listing(
        "List technology-transfer outcomes, optionally of one year",
        VIEW,
        lambda args: services.tech_transfers_query(args.get("year")),
        args=OutcomeQueryArgsSchema,
    )
    post = transfers.creating(
        "Record a technology-transfer outcome",
        RECORD,
        TechTransferCreateSchema,
        lambda data: services.save_tech_transfer(None, data),
    )


@blp.route("/tech-transfers/<int:tech_transfer_id>")
class TechTransferById(MethodView):
    get = transfers.reading("Read one technology-transfer outcome", VIEW)
    patch = transfers.updating(
        "Change a technology-transfer outcome",
        RECORD,
        TechTransferUpdateSchema,
        services.save_tech_transfer,
    )


# --- nominations and exemplars -------------------------------------------------------------


@blp.route("/nominations/")
class Nominations(MethodView):
    get = nominations.listing(
        "List award nominations",
        VIEW,
        lambda args: talent.nominations_query(args.get("status"), args.get("year")),
        args=TalentQueryArgsSchema,
    )
    post = nominations.creating(
        "Propose a nominee for an award (consent to be named recorded with it)",
        RECORD,
        NominationCreateSchema,
        lambda data: talent.propose_nomination(data, _by()),
    )


@blp.route("/nominations/<int:nomination_id>")
class NominationById(MethodView):
    get = nominations.reading("Read one nomination", VIEW)


@blp.route("/exemplars/")
class Exemplars(MethodView):
    get = exemplars.listing(
        "List exemplars (先进典型)",
        VIEW,
        lambda args: talent.exemplars_query(args.get("status"), args.get("year")),
        args=TalentQueryArgsSchema,
    )
    post = exemplars.creating(
        "Propose an exemplar to the federation",
        RECORD,
        ExemplarCreateSchema,
        lambda data: talent.propose_exemplar(data, _by()),
    )


@blp.route("/exemplars/<int:exemplar_id>")
class ExemplarById(MethodView):
    get = exemplars.reading("Read one exemplar", VIEW)
