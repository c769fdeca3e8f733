"""API resources: the association's suggestions, and the escalated ones for the federation."""

from __future__ import annotations

from flask.views import MethodView

from service.auth.principal import current_principal
from service.auth.roles import Permission
from service.resources import Resource
from service.rest import Blueprint
from service.suggestions import services
from service.suggestions.models import THEME_LABELS
from service.suggestions.schemas import (
    EscalatedQueryArgsSchema,
    SuggestionQueryArgsSchema,
    SuggestionSchema,
    SuggestionUpdateSchema,
    ThemeCountSchema,
)

blp = Blueprint(
    "suggestions_api",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Suggestions, opinions and demands (建议、意见和诉求) of S&T workers. Who submitted an"
        " item is never part of the API; above an association only escalated items exist."
    ),
)


suggestions = Resource(
    blp, SuggestionSchema, access=services.access_suggestion, id_name="suggestion_id"
)


@blp.route("/suggestions/")
class Suggestions(MethodView):
    get = suggestions.listing(
        "List the association's suggestions, by state, theme or escalation",
        Permission.VIEW_SUGGESTIONS,
        lambda args: services.inbox_query(
            args.get("state"), args.get("theme"), args.get("escalated")
        ),
        args=SuggestionQueryArgsSchema,
    )


@blp.route("/suggestions/<int:suggestion_id>")
class SuggestionById(MethodView):
    get = suggestions.reading("Read one suggestion", Permission.VIEW_SUGGESTIONS)
    patch = suggestions.updating(
        "Handle a suggestion: in progress, answered (with the answer), closed, escalated",
        Permission.HANDLE_SUGGESTIONS,
        SuggestionUpdateSchema,
        lambda found, changes: services.handle(found, changes, current_principal().audit_label),
    )


@blp.route("/escalated-suggestions/")
class EscalatedSuggestions(MethodView):
    get = suggestions.listing(
        "List the escalated suggestions of the associations in scope, theme by theme",
        Permission.VIEW_ESCALATED_SUGGESTIONS,
        lambda args: services.escalated_query(args.get("theme")),
        args=EscalatedQueryArgsSchema,
    )


@blp.route("/escalated-suggestions/themes")
class EscalatedThemes(MethodView):
    @blp.requires(Permission.VIEW_ESCALATED_SUGGESTIONS)
    @blp.response(200, ThemeCountSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Count the escalated suggestions per theme (every theme, zeros included)"""
        counts = services.escalated_counts()
        rows = [
            {"theme": str(t), "theme_label": str(label), "escalated": counts.get(str(t), 0)}
            for t, label in THEME_LABELS.items()
        ]
        pagination_parameters.item_count = len(rows)
        start = pagination_parameters.first_item
        return rows[start : start + pagination_parameters.page_size]
