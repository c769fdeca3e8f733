"""The dashboards' numbers over the API, for the federation's own systems: the same data as
the pages and the xlsx exports."""

from __future__ import annotations

from flask import url_for
from flask.views import MethodView
from flask_smorest import abort

from service.associations.services import access_association
from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.federation import categories, dashboards, exemplars, guidance, problems, scope
from service.federation.schemas import OverviewArgs, TableArgs, TrendArgs, YearArgs
from service.federation.scope import federation_id
from service.federation.table_choice import table_args
from service.rest import Blueprint

blp = Blueprint(
    "federation_api",
    __name__,
    url_prefix="/api/v1/federation",
    description="The provincial federation's dashboards (from the rollups), guidance, problems.",
)


def _own_federation_id() -> int:
    """The caller's own federation, for the federation's own work (guidance, problems): a
    national token reads the dashboards' numbers, not what a federation tells or notes about
    its associations. 404, as for anything that is not the caller's."""
    principal = current_principal()
    if not principal.federation_id:
        abort(404)
    return principal.federation_id


def _year(args: dict) -> int:
    return args.get("year") or dashboards.this_year()


@blp.route("/overview")
class Overview(MethodView):
    @blp.requires(Permission.VIEW_FEDERATION)
    @blp.arguments(OverviewArgs, location="query")
    @blp.response(200)
    @blp.alt_response(400, response="DEFAULT_ERROR", description="No such category.")
    def get(self, args):
        """Associations by status, coverage, members, activities per task against last year,
        findings by rule, open problems; of one category with `category`"""
        fed = federation_id()
        category = categories.resolve(fed, args.get("category"))
        if args.get("category") and category is None:
            abort(400, message="No such category in this federation.")
        return dashboards.overview(fed, _year(args), category)


@blp.route("/associations")
class AssociationTable(MethodView):
    @blp.requires(Permission.VIEW_FEDERATION)
    @blp.arguments(TableArgs, location="query")
    @blp.response(200)
    def get(self, args):
        """One row per association with its metrics and health score; filter and sort"""
        fed = federation_id()
        rows = dashboards.table(fed, _year(args), **table_args(categories.labels(fed)))
        return {
            "year": _year(args),
            "weights": dashboards.weights(fed),
            "rows": [r.as_dict() for r in rows],
        }


@blp.route("/associations/<int:association_id>")
class AssociationAggregates(MethodView):
    @blp.requires(Permission.VIEW_FEDERATION)
    @blp.response(200)
    def get(self, association_id):
        """One association's aggregates over the years (no personal data)"""
        fed = federation_id()
        if access_association(association_id).federation_id != fed:
            abort(404)
        return dashboards.association_page(fed, association_id)


@blp.route("/categories/<code>")
class CategoryView(MethodView):
    @blp.requires(Permission.VIEW_FEDERATION)
    @blp.arguments(YearArgs, location="query")
    @blp.response(200)
    def get(self, args, code):
        """Distributions within one category, placements, leaders and laggards"""
        fed = federation_id()
        if code not in categories.labels(fed):
            abort(404, message="No such category in this federation.")
        return dashboards.category_view(fed, code, _year(args))


@blp.route("/trends")
class Trends(MethodView):
    @blp.requires(Permission.VIEW_FEDERATION)
    @blp.arguments(TrendArgs, location="query")
    @blp.response(200)
    def get(self, args):
        """One metric per category over the years"""
        return dashboards.trends(federation_id(), args["metric"])


def _guidance(item, follows) -> dict:
    return {
        "id": item.id,
        "title": item.title,
        "audience": item.audience,
        "targets": item.targets,
        "deadline": item.deadline.isoformat() if item.deadline else None,
        "response_required": item.response_required,
        "issued_at": item.issued_at.isoformat(),
        **guidance.counts(follows),
    }


@blp.route("/guidance")
class GuidanceList(MethodView):
    @blp.requires(Permission.VIEW_FEDERATION)
    @blp.response(200)
    def get(self):
        """The federation's guidance with how many have read, acknowledged, responded"""
        items = guidance.of_federation(_own_federation_id())
        return {"items": [_guidance(g, guidance.follow_up(g)) for g in items]}


@blp.route("/guidance/<int:guidance_id>")
class GuidanceById(MethodView):
    @blp.requires(Permission.VIEW_FEDERATION)
    @blp.response(200)
    def get(self, guidance_id):
        """One piece of guidance and where each association stands with it"""
        item = guidance.access_guidance(guidance_id, _own_federation_id())
        follows = guidance.follow_up(item)
        return {
            **_guidance(item, follows),
            "associations": [
                {
                    "association_id": f.association_id,
                    "name": f.name,
                    "read_at": _iso(f.receipt.read_at),
                    "acknowledged_at": _iso(f.receipt.acknowledged_at),
                    "responded_at": _iso(f.receipt.responded_at),
                    "overdue": f.overdue,
                }
                for f in follows
            ],
        }


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@blp.route("/problems")
class Problems(MethodView):
    @blp.requires(Permission.VIEW_FEDERATION)
    @blp.response(200)
    def get(self):
        """The federation's problems, open ones first"""
        items = problems.of_federation(_own_federation_id())
        items.sort(key=lambda p: p.state == "resolved")
        return {
            "items": [
                {
                    "id": p.id,
                    "title": p.title,
                    "association_id": p.association_id,
                    "category": p.category,
                    "state": p.state,
                    "assignee_id": p.assignee_id,
                    "opened_at": p.opened_at.isoformat(),
                }
                for p in items
            ]
        }


@blp.route("/exemplars")
class Exemplars(MethodView):
    @blp.requires(Permission.VIEW_FEDERATION)
    @blp.response(200)
    def get(self):
        """The exemplars the federation recognised, and whether their public page is up"""
        fed = federation_id()
        published = exemplars.published_at(fed)
        code = scope.federation(fed).code
        return {
            "published": published is not None,
            "published_at": _iso(published),
            "public_url": (
                url_for("federation_public.exemplar_page", code=code, _external=True)
                if published
                else None
            ),
            "items": [e.as_dict() for e in exemplars.recognised(fed)],
        }
