"""API resources: activities of the five tasks, their evidence (as metadata), consulting
reports, technology transfers, nominations, exemplars, and the figures per association."""

from __future__ import annotations

from flask.views import MethodView

from service.activities import aggregates, services, talent
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
from service.rest import Blueprint, found_first, paginate
from tenants.db import db

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


def _save(action):
    """Run a service call and commit it (a refusal is answered by `service.rest.refusal`)."""
    result = action()
    db.session.commit()
    return result


def _by() -> str:
    return current_principal().audit_label


@blp.route("/activities/")
class Activities(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.arguments(ActivityQueryArgsSchema, location="query")
    @blp.response(200, ActivitySchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List activities, filtered by task, subtype, period, organiser and status"""
        return paginate(services.activities_query(**args), pagination_parameters)

    @blp.requires(Permission.RECORD_ACTIVITIES, write=True)
    @blp.arguments(ActivityCreateSchema)
    @blp.response(201, ActivitySchema)
    def post(self, data):
        """Record an activity (planned, or held after the fact) with its figures"""
        status = data.pop("status")
        return _save(lambda: services.create_activity(data, _by(), status=status))


@blp.route("/activities/<int:activity_id>")
class ActivityById(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.response(200, ActivitySchema)
    def get(self, activity_id):
        """Read one activity"""
        return services.access_activity(activity_id)

    @blp.requires(Permission.RECORD_ACTIVITIES, write=True)
    @found_first(services.access_activity, "activity_id")
    @blp.arguments(ActivityUpdateSchema)
    @blp.response(200, ActivitySchema)
    def patch(self, changes, activity_id):
        """Change an activity's fields or move it on (planned → held → reported)"""
        activity = services.access_activity(activity_id)
        status = changes.pop("status", None)

        def change():
            if changes:
                services.update_activity(activity, changes)
            if status:
                services.set_status(activity, status)
            return activity

        return _save(change)


@blp.route("/activities/<int:activity_id>/evidence/")
class ActivityEvidence(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.response(200, EvidenceSchema(many=True))
    @blp.paginate()
    def get(self, activity_id, pagination_parameters):
        """List the evidence files of an activity (names, types, sizes, checksums)"""
        activity = services.access_activity(activity_id)
        items = services.evidence_of(activity)
        pagination_parameters.item_count = len(items)
        start = pagination_parameters.first_item
        return items[start : start + pagination_parameters.page_size]


@blp.route("/activity-figures/")
class ActivityFigures(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.arguments(FiguresQueryArgsSchema, location="query")
    @blp.response(200, FiguresSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """The year's figures of every task, per association in the token's scope"""
        profiles = paginate(profiles_in_scope(), pagination_parameters)
        figures = aggregates.all_figures([p.tenant_id for p in profiles], args["year"])
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
    @blp.requires(Permission.VIEW_ACTIVITIES)
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
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.arguments(OutcomeQueryArgsSchema, location="query")
    @blp.response(200, ConsultingReportSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List decision-consulting reports, optionally of one year"""
        return paginate(services.consulting_reports_query(args.get("year")), pagination_parameters)

    @blp.requires(Permission.RECORD_ACTIVITIES, write=True)
    @blp.arguments(ConsultingReportCreateSchema)
    @blp.response(201, ConsultingReportSchema)
    def post(self, data):
        """Record a decision-consulting report"""
        return _save(lambda: services.save_consulting_report(None, data))


@blp.route("/consulting-reports/<int:consulting_report_id>")
class ConsultingReportById(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.response(200, ConsultingReportSchema)
    def get(self, consulting_report_id):
        """Read one consulting report"""
        return services.access_consulting_report(consulting_report_id)

    @blp.requires(Permission.RECORD_ACTIVITIES, write=True)
    @found_first(services.access_consulting_report, "consulting_report_id")
    @blp.arguments(ConsultingReportUpdateSchema)
    @blp.response(200, ConsultingReportSchema)
    def patch(self, changes, consulting_report_id):
        """Change a consulting report, for example record its adoption"""
        report = services.access_consulting_report(consulting_report_id)
        return _save(lambda: services.save_consulting_report(report, changes))


@blp.route("/tech-transfers/")
class TechTransfers(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.arguments(OutcomeQueryArgsSchema, location="query")
    @blp.response(200, TechTransferSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List technology-transfer outcomes, optionally of one year"""
        return paginate(services.tech_transfers_query(args.get("year")), pagination_parameters)

    @blp.requires(Permission.RECORD_ACTIVITIES, write=True)
    @blp.arguments(TechTransferCreateSchema)
    @blp.response(201, TechTransferSchema)
    def post(self, data):
        """Record a technology-transfer outcome"""
        return _save(lambda: services.save_tech_transfer(None, data))


@blp.route("/tech-transfers/<int:tech_transfer_id>")
class TechTransferById(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.response(200, TechTransferSchema)
    def get(self, tech_transfer_id):
        """Read one technology-transfer outcome"""
        return services.access_tech_transfer(tech_transfer_id)

    @blp.requires(Permission.RECORD_ACTIVITIES, write=True)
    @found_first(services.access_tech_transfer, "tech_transfer_id")
    @blp.arguments(TechTransferUpdateSchema)
    @blp.response(200, TechTransferSchema)
    def patch(self, changes, tech_transfer_id):
        """Change a technology-transfer outcome"""
        transfer = services.access_tech_transfer(tech_transfer_id)
        return _save(lambda: services.save_tech_transfer(transfer, changes))


# --- nominations and exemplars -------------------------------------------------------------


@blp.route("/nominations/")
class Nominations(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.arguments(TalentQueryArgsSchema, location="query")
    @blp.response(200, NominationSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List award nominations"""
        query = talent.nominations_query(args.get("status"), args.get("year"))
        return paginate(query, pagination_parameters)

    @blp.requires(Permission.RECORD_ACTIVITIES, write=True)
    @blp.arguments(NominationCreateSchema)
    @blp.response(201, NominationSchema)
    def post(self, data):
        """Propose a nominee for an award (consent to be named recorded with it)"""
        return _save(lambda: talent.propose_nomination(data, _by()))


@blp.route("/nominations/<int:nomination_id>")
class NominationById(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.response(200, NominationSchema)
    def get(self, nomination_id):
        """Read one nomination"""
        return talent.access_nomination(nomination_id)


@blp.route("/exemplars/")
class Exemplars(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.arguments(TalentQueryArgsSchema, location="query")
    @blp.response(200, ExemplarSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List exemplars (先进典型)"""
        query = talent.exemplars_query(args.get("status"), args.get("year"))
        return paginate(query, pagination_parameters)

    @blp.requires(Permission.RECORD_ACTIVITIES, write=True)
    @blp.arguments(ExemplarCreateSchema)
    @blp.response(201, ExemplarSchema)
    def post(self, data):
        """Propose an exemplar to the federation"""
        return _save(lambda: talent.propose_exemplar(data, _by()))


@blp.route("/exemplars/<int:exemplar_id>")
class ExemplarById(MethodView):
    @blp.requires(Permission.VIEW_ACTIVITIES)
    @blp.response(200, ExemplarSchema)
    def get(self, exemplar_id):
        """Read one exemplar"""
        return talent.access_exemplar(exemplar_id)
