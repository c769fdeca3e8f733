"""Every route, every role: another tenant's ids get 404 and change nothing; a role without
the permission gets 403 (and changes nothing) in its own tenant. Ids in request bodies are
refused as well as ids in URLs. A route missing from ROUTES fails the suite.

For a foreign id the one answer is 404. The only 403 is `_expected_denial`'s: a role or token
that lacks the route's permission in the role table (service/auth/roles.py) is refused before
any lookup, whatever the id. `NOT_THEIRS` lists the routes that answer 404 to a principal even
for ids of its own province, and why."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from service.auth.roles import ROLES, TOKEN_PERMISSIONS, Level, Permission, Role
from tenants.db import db
from tenants.scope import system_scope
from tests.snapshots import row_counts

P = Permission


PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed-in"  # any signed-in user, no further permission


@dataclass(frozen=True)
class Route:
    need: Permission | str
    ids: tuple[str, ...] = ()
    api: bool = False
    write: bool = False
    values: tuple[tuple[str, str], ...] = ()  # other URL values, not ids
    # Platform operators manage every token by design; a token id is never foreign to them.
    operator_sees_all: bool = False
    operator_answer: int | None = None  # what the operator gets there, if not 200/302


# Routes whose permission a principal holds but whose rows are never its own: 404, as for
# anything that is not the caller's, with its own province's ids too.
NOT_THEIRS: dict[tuple[str, str], set[str]] = {
    # A national token reads a federation's dashboards (aggregates), not what the federation
    # tells or notes about its associations (found by tests/service/test_content_leak.py).
    ("federation_api.GuidanceList", "GET"): {"national"},
    ("federation_api.GuidanceById", "GET"): {"national"},
    ("federation_api.Problems", "GET"): {"national"},
}

ROUTES: dict[tuple[str, str], Route] = {
    ("static", "GET"): Route(PUBLIC),
    ("web.healthz", "GET"): Route(PUBLIC),
    ("web.readyz", "GET"): Route(PUBLIC),
    # Its own check (METRICS_TOKEN or loopback); tested in test_observability.py.
    ("observability.metrics", "GET"): Route(PUBLIC),
    ("web.language", "GET"): Route(PUBLIC),
    ("auth.login", "GET"): Route(PUBLIC),
    ("auth.login", "POST"): Route(PUBLIC),
    ("auth.logout", "POST"): Route(PUBLIC),
    ("api-docs.openapi_json", "GET"): Route(PUBLIC),
    ("api-docs.openapi_swagger_ui", "GET"): Route(PUBLIC),
    ("api-docs.openapi_redoc", "GET"): Route(PUBLIC),
    ("web.home", "GET"): Route(SIGNED_IN),
    ("auth.password", "GET"): Route(SIGNED_IN),
    ("auth.password", "POST"): Route(SIGNED_IN),
    ("web.operator_home", "GET"): Route(P.PROVISION),
    ("web.new_federation", "GET"): Route(P.PROVISION),
    ("web.new_federation", "POST"): Route(P.PROVISION, write=True),
    # The directory of every federation is the operator's by design.
    ("web.federation", "GET"): Route(P.PROVISION, ("federation_id",), operator_sees_all=True),
    ("associations.index", "GET"): Route(P.VIEW_FEDERATION),
    ("associations.profile", "GET"): Route(P.VIEW_PROFILE, ("association_id",)),
    ("associations.edit", "GET"): Route(P.EDIT_PROFILE, ("association_id",)),
    ("associations.edit", "POST"): Route(P.EDIT_PROFILE, ("association_id",)),
    ("audit.index", "GET"): Route(P.VIEW_AUDIT),
    ("auth.tokens", "GET"): Route(P.MANAGE_TOKENS),
    ("auth.create_token", "POST"): Route(P.MANAGE_TOKENS),
    ("auth.revoke_token", "POST"): Route(P.MANAGE_TOKENS, ("token_id",), operator_sees_all=True),
    ("auth.users", "GET"): Route(P.MANAGE_USERS),
    ("auth.create_user", "POST"): Route(P.MANAGE_USERS),
    ("auth.set_active", "POST"): Route(P.MANAGE_USERS, ("user_id",)),
    ("members.index", "GET"): Route(P.VIEW_MEMBERS),
    ("members.new", "GET"): Route(P.EDIT_MEMBERS),
    ("members.new", "POST"): Route(P.EDIT_MEMBERS),
    ("members.detail", "GET"): Route(P.VIEW_MEMBERS, ("member_id",)),
    ("members.edit", "GET"): Route(P.EDIT_MEMBERS, ("member_id",)),
    ("members.edit", "POST"): Route(P.EDIT_MEMBERS, ("member_id",)),
    ("members.change_status", "POST"): Route(P.EDIT_MEMBERS, ("member_id",)),
    # The ids are in the body: see the "web-members-status-changed" body case.
    ("members.change_statuses", "POST"): Route(P.EDIT_MEMBERS),
    ("members.export", "GET"): Route(P.VIEW_MEMBERS, values=(("fmt", "csv"),)),
    ("members.template", "GET"): Route(P.EDIT_MEMBERS),
    ("members.imports", "GET"): Route(P.EDIT_MEMBERS),
    ("members.imports", "POST"): Route(P.EDIT_MEMBERS),
    ("members.import_status", "GET"): Route(P.EDIT_MEMBERS, ("import_id",)),
    ("members.import_errors", "GET"): Route(
        P.EDIT_MEMBERS, ("import_id",), values=(("fmt", "csv"),)
    ),
    ("members.import_rejected", "GET"): Route(
        P.EDIT_MEMBERS, ("import_id",), values=(("fmt", "csv"),)
    ),
    ("members.import_review_post", "POST"): Route(P.EDIT_MEMBERS, ("import_id",)),
    ("members.import_titles", "GET"): Route(P.EDIT_MEMBERS),
    ("members.group_imports", "GET"): Route(P.EDIT_MEMBERS),
    ("members.group_imports", "POST"): Route(P.EDIT_MEMBERS),
    ("members.group_template", "GET"): Route(P.EDIT_MEMBERS),
    ("members.import_titles", "POST"): Route(P.EDIT_MEMBERS),
    ("join.apply", "GET"): Route(PUBLIC),  # any open association's form, by design
    ("join.apply", "POST"): Route(PUBLIC),
    ("members.applications_index", "GET"): Route(P.EDIT_MEMBERS),
    ("members.application", "GET"): Route(P.EDIT_MEMBERS, ("member_application_id",)),
    ("members.application", "POST"): Route(P.EDIT_MEMBERS, ("member_application_id",)),
    ("members.application_merge", "GET"): Route(P.EDIT_MEMBERS, ("member_application_id",)),
    ("members.application_merge", "POST"): Route(P.EDIT_MEMBERS, ("member_application_id",)),
    ("members.policy", "GET"): Route(P.MANAGE_MEMBERSHIP_POLICY),
    ("members.policy", "POST"): Route(P.MANAGE_MEMBERSHIP_POLICY),
    ("members.groups", "GET"): Route(P.VIEW_MEMBERS),
    ("members.new_group", "GET"): Route(P.EDIT_MEMBERS),
    ("members.new_group", "POST"): Route(P.EDIT_MEMBERS),
    ("members.group", "GET"): Route(P.VIEW_MEMBERS, ("group_id",)),
    ("members.group", "POST"): Route(P.EDIT_MEMBERS, ("group_id",)),
    ("me.record_page", "GET"): Route(P.OWN_MEMBER_RECORD),
    ("me.record_page", "POST"): Route(P.OWN_MEMBER_RECORD),
    ("me.export", "GET"): Route(P.OWN_MEMBER_RECORD, values=(("fmt", "json"),)),
    ("me.withdraw_consent", "POST"): Route(P.OWN_MEMBER_RECORD),
    ("me.erase", "POST"): Route(P.OWN_MEMBER_RECORD),
    ("members_api.Members", "GET"): Route(P.VIEW_MEMBERS, api=True),
    ("members_api.Members", "POST"): Route(P.EDIT_MEMBERS, api=True, write=True),
    ("members_api.MemberById", "GET"): Route(P.VIEW_MEMBERS, ("member_id",), api=True),
    ("members_api.MemberById", "PATCH"): Route(
        P.EDIT_MEMBERS, ("member_id",), api=True, write=True
    ),
    ("members_api.GroupMembers", "GET"): Route(P.VIEW_MEMBERS, api=True),
    ("members_api.GroupMembers", "POST"): Route(P.EDIT_MEMBERS, api=True, write=True),
    ("members_api.GroupMemberById", "GET"): Route(P.VIEW_MEMBERS, ("group_id",), api=True),
    ("members_api.GroupMemberById", "PATCH"): Route(
        P.EDIT_MEMBERS, ("group_id",), api=True, write=True
    ),
    ("members_api.MemberCounts", "GET"): Route(P.VIEW_FEDERATION, api=True),
    ("member_imports_api.MemberImports", "POST"): Route(P.EDIT_MEMBERS, api=True, write=True),
    ("member_imports_api.MemberImportById", "GET"): Route(P.VIEW_MEMBERS, ("import_id",), api=True),
    ("member_imports_api.MemberImportProblems", "GET"): Route(
        P.VIEW_MEMBERS, ("import_id",), api=True
    ),
    ("auth_api.Me", "GET"): Route(P.VIEW_PROFILE, api=True),
    ("associations_api.Associations", "GET"): Route(P.VIEW_PROFILE, api=True),
    ("associations_api.AssociationById", "GET"): Route(
        P.VIEW_PROFILE, ("association_id",), api=True
    ),
    ("associations_api.AssociationById", "PATCH"): Route(
        P.EDIT_PROFILE, ("association_id",), api=True, write=True
    ),
    # governance
    ("governance.overview", "GET"): Route(P.VIEW_GOVERNANCE, ("association_id",)),
    ("governance.rules", "GET"): Route(P.VIEW_GOVERNANCE),
    ("governance.compliance_page", "GET"): Route(P.VIEW_GOVERNANCE, ("association_id",)),
    ("governance.findings_list", "GET"): Route(P.VIEW_FEDERATION),
    ("governance.explain_finding", "POST"): Route(P.MANAGE_FEDERATION, ("finding_id",)),
    ("governance.set_thresholds", "POST"): Route(P.SET_THRESHOLDS),
    ("governance.new_congress", "GET"): Route(P.MANAGE_GOVERNANCE, ("association_id",)),
    ("governance.new_congress", "POST"): Route(P.MANAGE_GOVERNANCE, ("association_id",)),
    ("governance.new_meeting", "GET"): Route(P.RECORD_MEETINGS, ("association_id",)),
    ("governance.new_meeting", "POST"): Route(P.RECORD_MEETINGS, ("association_id",)),
    ("governance.new_officer", "GET"): Route(P.MANAGE_GOVERNANCE, ("association_id",)),
    ("governance.new_officer", "POST"): Route(P.MANAGE_GOVERNANCE, ("association_id",)),
    ("governance.end_officer_term", "POST"): Route(P.MANAGE_GOVERNANCE, ("officer_id",)),
    ("governance.secretariat", "GET"): Route(P.MANAGE_GOVERNANCE, ("association_id",)),
    ("governance.secretariat", "POST"): Route(P.MANAGE_GOVERNANCE, ("association_id",)),
    ("governance_api.Congresses", "GET"): Route(P.VIEW_GOVERNANCE, ("association_id",), api=True),
    ("governance_api.Congresses", "POST"): Route(
        P.MANAGE_GOVERNANCE, ("association_id",), api=True, write=True
    ),
    ("governance_api.CongressById", "GET"): Route(P.VIEW_GOVERNANCE, ("congress_id",), api=True),
    ("governance_api.CommitteeTerms", "GET"): Route(
        P.VIEW_GOVERNANCE, ("association_id",), api=True
    ),
    ("governance_api.CommitteeTermById", "GET"): Route(P.VIEW_GOVERNANCE, ("term_id",), api=True),
    ("governance_api.Meetings", "GET"): Route(P.VIEW_GOVERNANCE, ("association_id",), api=True),
    ("governance_api.Meetings", "POST"): Route(
        P.RECORD_MEETINGS, ("association_id",), api=True, write=True
    ),
    ("governance_api.MeetingById", "GET"): Route(P.VIEW_GOVERNANCE, ("meeting_id",), api=True),
    ("governance_api.Officers", "GET"): Route(P.VIEW_GOVERNANCE, ("association_id",), api=True),
    ("governance_api.Officers", "POST"): Route(
        P.MANAGE_GOVERNANCE, ("association_id",), api=True, write=True
    ),
    ("governance_api.OfficerById", "GET"): Route(P.VIEW_GOVERNANCE, ("officer_id",), api=True),
    ("governance_api.OfficerById", "PATCH"): Route(
        P.MANAGE_GOVERNANCE, ("officer_id",), api=True, write=True
    ),
    ("governance_api.SecretariatResource", "GET"): Route(
        P.VIEW_GOVERNANCE, ("association_id",), api=True
    ),
    ("governance_api.SecretariatResource", "PUT"): Route(
        P.MANAGE_GOVERNANCE, ("association_id",), api=True, write=True
    ),
    # establishment and lifecycle
    ("establishment.apply", "GET"): Route(PUBLIC),
    ("establishment.apply", "POST"): Route(PUBLIC),
    ("establishment.track", "GET"): Route(PUBLIC),  # the key is posted from the fragment
    ("establishment.track", "POST"): Route(PUBLIC),
    ("establishment.index", "GET"): Route(P.REVIEW_ESTABLISHMENT),
    ("establishment.provision", "GET"): Route(P.PROVISION),
    ("establishment.provision", "POST"): Route(P.PROVISION),
    ("establishment.review", "GET"): Route(P.REVIEW_ESTABLISHMENT, ("application_id",)),
    ("establishment.review", "POST"): Route(P.REVIEW_ESTABLISHMENT, ("application_id",)),
    ("establishment.lifecycle", "GET"): Route(P.CHANGE_LIFECYCLE, ("association_id",)),
    ("establishment.lifecycle", "POST"): Route(P.CHANGE_LIFECYCLE, ("association_id",)),
    ("governance_api.Lifecycle", "GET"): Route(P.VIEW_GOVERNANCE, ("association_id",), api=True),
    ("governance_api.EstablishmentResource", "GET"): Route(
        P.VIEW_GOVERNANCE, ("association_id",), api=True
    ),
    ("establishment.admin_link", "POST"): Route(P.REVIEW_ESTABLISHMENT, ("application_id",)),
    ("auth.set_password", "GET"): Route(PUBLIC),  # the token is posted from the fragment
    ("auth.set_password", "POST"): Route(PUBLIC),
    ("auth.forgot_password", "GET"): Route(PUBLIC),  # a link to the address on file
    ("auth.forgot_password", "POST"): Route(PUBLIC),
    ("auth.account_recovery", "GET"): Route(P.RECOVER_ACCOUNTS),
    ("auth.account_recovery", "POST"): Route(P.RECOVER_ACCOUNTS),
    # The second factor: the code at sign-in (a held sign-in in the session, else back to
    # the login page), enrolment and recovery codes of one's own account, the operator's reset.
    ("second_factor.challenge", "GET"): Route(PUBLIC),
    ("second_factor.challenge", "POST"): Route(PUBLIC),
    ("second_factor.enrol", "GET"): Route(SIGNED_IN),
    ("second_factor.enrol", "POST"): Route(SIGNED_IN),
    ("second_factor.renew_recovery_codes", "POST"): Route(SIGNED_IN),
    ("second_factor.reset", "GET"): Route(P.RECOVER_ACCOUNTS),
    ("second_factor.reset", "POST"): Route(P.RECOVER_ACCOUNTS),
    # Signing in with the university's account: public by nature, each step bound to the
    # association in the URL and to the sign-in started in this session (tests/sso).
    ("sso.pick", "GET"): Route(PUBLIC),
    ("sso.start", "GET"): Route(PUBLIC),
    ("sso.cas_return", "GET"): Route(PUBLIC),
    ("sso.oidc_return", "GET"): Route(PUBLIC),  # the OIDC redirect URI, by the state
    ("sso.cas_logout", "POST"): Route(PUBLIC),  # CAS single logout, by the ticket
    ("sso.oidc_logout", "POST"): Route(PUBLIC),  # OIDC back-channel logout, by the signed token
    ("sso.link", "GET"): Route(PUBLIC),
    ("sso.link", "POST"): Route(PUBLIC),
    ("sso.no_record", "GET"): Route(PUBLIC),
    # One's own link, seen and undone (with a confirmation); an administrator undoes the
    # link of an account they manage (access_user: 404 for any other).
    ("sso.account", "GET"): Route(SIGNED_IN),
    ("sso.unlink_own", "POST"): Route(SIGNED_IN),
    ("sso.unlink_account", "POST"): Route(P.MANAGE_USERS, ("user_id",)),
    # A federation's own sign-in for its staff: public by nature, bound to the federation in
    # the URL and to the sign-in started in this session (tests/sso/test_federation.py).
    ("sso_federation.start", "GET"): Route(PUBLIC),
    ("sso_federation.cas_return", "GET"): Route(PUBLIC),
    ("sso_federation.oidc_return", "GET"): Route(PUBLIC),
    ("sso_federation.cas_logout", "POST"): Route(PUBLIC),
    ("sso_federation.oidc_logout", "POST"): Route(PUBLIC),  # back-channel, by the signed token
    ("sso_federation.link", "GET"): Route(PUBLIC),
    ("sso_federation.link", "POST"): Route(PUBLIC),
    ("sso_federation.settings", "GET"): Route(P.MANAGE_FEDERATION),
    ("sso_federation.settings", "POST"): Route(P.MANAGE_FEDERATION),
    ("sso_federation.settings_for", "GET"): Route(
        P.PROVISION, ("federation_id",), operator_sees_all=True
    ),
    ("sso_federation.settings_for", "POST"): Route(
        P.PROVISION, ("federation_id",), operator_sees_all=True, operator_answer=400
    ),
    ("sso.settings", "GET"): Route(P.CONFIGURE_SIGN_IN),
    ("sso.settings", "POST"): Route(P.CONFIGURE_SIGN_IN),
    # The operator sets any association's sign-in on its behalf; an empty form changes nothing.
    ("sso.settings_for", "GET"): Route(P.PROVISION, ("association_id",), operator_sees_all=True),
    ("sso.settings_for", "POST"): Route(
        P.PROVISION, ("association_id",), operator_sees_all=True, operator_answer=400
    ),
    ("establishment_api.Applications", "GET"): Route(P.VIEW_FEDERATION, api=True),
    ("establishment_api.Applications", "POST"): Route(P.REVIEW_ESTABLISHMENT, api=True, write=True),
    ("establishment_api.ApplicationById", "GET"): Route(
        P.VIEW_FEDERATION, ("application_id",), api=True
    ),
    **{
        (f"establishment_api.{decision}", "POST"): Route(
            P.REVIEW_ESTABLISHMENT, ("application_id",), api=True, write=True
        )
        for decision in ("Approve", "ReturnForRevision", "Reject")
    },
    # files: meeting minutes, founding papers, an application's supporting documents
    ("governance.minutes_file", "GET"): Route(P.VIEW_GOVERNANCE, ("meeting_id",)),
    ("governance.founding_document", "GET"): Route(P.VIEW_GOVERNANCE, ("founding_document_id",)),
    ("governance_api.MeetingMinutes", "GET"): Route(P.VIEW_GOVERNANCE, ("meeting_id",), api=True),
    ("governance_api.MeetingMinutes", "POST"): Route(
        P.RECORD_MEETINGS, ("meeting_id",), api=True, write=True
    ),
    ("establishment.document", "GET"): Route(P.REVIEW_ESTABLISHMENT, ("application_document_id",)),
    ("establishment.track_document", "POST"): Route(PUBLIC),  # the secret key in the body
    ("establishment.track_by_path", "GET"): Route(PUBLIC),  # an old link: to the fragment
    ("establishment_api.ApplicationDocuments", "POST"): Route(
        P.REVIEW_ESTABLISHMENT, ("application_id",), api=True, write=True
    ),
    ("establishment_api.ApplicationDocumentById", "GET"): Route(
        P.VIEW_FEDERATION, ("application_document_id",), api=True
    ),
    ("compliance_api.Rules", "GET"): Route(P.VIEW_GOVERNANCE, api=True),
    ("compliance_api.Findings", "GET"): Route(P.VIEW_GOVERNANCE, api=True),
    ("compliance_api.AssociationFindings", "GET"): Route(
        P.VIEW_GOVERNANCE, ("association_id",), api=True
    ),
    # activities of the five tasks, outcomes, evidence
    ("activities.index", "GET"): Route(P.VIEW_ACTIVITIES),
    ("activities.imports", "GET"): Route(P.RECORD_ACTIVITIES),
    ("activities.imports", "POST"): Route(P.RECORD_ACTIVITIES),
    ("activities.template", "GET"): Route(P.RECORD_ACTIVITIES),
    ("activities.import_status", "GET"): Route(P.RECORD_ACTIVITIES, ("activity_import_id",)),
    ("activities.import_review_post", "POST"): Route(P.RECORD_ACTIVITIES, ("activity_import_id",)),
    ("activities.import_errors", "GET"): Route(
        P.RECORD_ACTIVITIES, ("activity_import_id",), values=(("fmt", "csv"),)
    ),
    ("activities.import_rejected", "GET"): Route(
        P.RECORD_ACTIVITIES, ("activity_import_id",), values=(("fmt", "csv"),)
    ),
    ("activities.new", "GET"): Route(P.RECORD_ACTIVITIES, values=(("task", "academic"),)),
    ("activities.new", "POST"): Route(P.RECORD_ACTIVITIES, values=(("task", "integrity"),)),
    ("activities.detail", "GET"): Route(P.VIEW_ACTIVITIES, ("activity_id",)),
    ("activities.edit", "GET"): Route(P.RECORD_ACTIVITIES, ("activity_id",)),
    ("activities.edit", "POST"): Route(P.RECORD_ACTIVITIES, ("activity_id",)),
    ("activities.advance", "POST"): Route(P.RECORD_ACTIVITIES, ("activity_id",)),
    # The ids are in the body: see the "web-activities-marked-reported" body case.
    ("activities.report_many", "POST"): Route(P.RECORD_ACTIVITIES),
    ("activities.upload_evidence", "POST"): Route(P.RECORD_ACTIVITIES, ("activity_id",)),
    ("activities.download_evidence", "GET"): Route(P.VIEW_ACTIVITIES, ("evidence_id",)),
    ("activities.delete_evidence", "POST"): Route(P.RECORD_ACTIVITIES, ("evidence_id",)),
    ("activities.calendar", "GET"): Route(P.VIEW_ACTIVITIES),
    ("activities.figures", "GET"): Route(P.VIEW_ACTIVITIES),
    ("activities.export", "GET"): Route(P.VIEW_ACTIVITIES),
    ("activities.outcomes", "GET"): Route(P.VIEW_ACTIVITIES),
    ("activities.new_consulting_report", "GET"): Route(P.RECORD_ACTIVITIES),
    ("activities.new_consulting_report", "POST"): Route(P.RECORD_ACTIVITIES),
    ("activities.edit_consulting_report", "GET"): Route(
        P.RECORD_ACTIVITIES, ("consulting_report_id",)
    ),
    ("activities.edit_consulting_report", "POST"): Route(
        P.RECORD_ACTIVITIES, ("consulting_report_id",)
    ),
    ("activities.new_tech_transfer", "GET"): Route(P.RECORD_ACTIVITIES),
    ("activities.new_tech_transfer", "POST"): Route(P.RECORD_ACTIVITIES),
    ("activities.edit_tech_transfer", "GET"): Route(P.RECORD_ACTIVITIES, ("tech_transfer_id",)),
    ("activities.edit_tech_transfer", "POST"): Route(P.RECORD_ACTIVITIES, ("tech_transfer_id",)),
    # nominations and exemplars
    ("talent.nominations", "GET"): Route(P.VIEW_ACTIVITIES),
    ("talent.new_nomination", "GET"): Route(P.RECORD_ACTIVITIES),
    ("talent.new_nomination", "POST"): Route(P.RECORD_ACTIVITIES),
    ("talent.nomination", "GET"): Route(P.VIEW_ACTIVITIES, ("nomination_id",)),
    ("talent.nomination_consent", "POST"): Route(P.RECORD_ACTIVITIES, ("nomination_id",)),
    ("talent.nomination_outcome", "POST"): Route(P.RECORD_ACTIVITIES, ("nomination_id",)),
    ("talent.nomination_decision", "POST"): Route(P.RECOGNISE_EXEMPLARS, ("nomination_id",)),
    ("talent.exemplars", "GET"): Route(P.VIEW_ACTIVITIES),
    ("talent.new_exemplar", "GET"): Route(P.RECORD_ACTIVITIES),
    ("talent.new_exemplar", "POST"): Route(P.RECORD_ACTIVITIES),
    ("talent.exemplar", "GET"): Route(P.VIEW_ACTIVITIES, ("exemplar_id",)),
    ("talent.exemplar_consent", "POST"): Route(P.RECORD_ACTIVITIES, ("exemplar_id",)),
    ("talent.exemplar_decision", "POST"): Route(P.RECOGNISE_EXEMPLARS, ("exemplar_id",)),
    ("talent.exemplar_publish", "POST"): Route(P.RECOGNISE_EXEMPLARS, ("exemplar_id",)),
    # Published exemplars only, read under the federation in the URL; tested in test_talent.
    ("talent.public_exemplars", "GET"): Route(PUBLIC),
    # suggestions
    ("suggestions.new", "GET"): Route(P.SUBMIT_SUGGESTION),
    ("suggestions.new", "POST"): Route(P.SUBMIT_SUGGESTION),
    ("suggestions.received", "GET"): Route(P.SUBMIT_SUGGESTION),
    ("suggestions.mine", "GET"): Route(P.SUBMIT_SUGGESTION),
    ("suggestions.receipt", "POST"): Route(P.SUBMIT_SUGGESTION),  # by the secret code
    ("suggestions.inbox", "GET"): Route(P.VIEW_SUGGESTIONS),
    ("suggestions.detail", "GET"): Route(P.VIEW_SUGGESTIONS, ("suggestion_id",)),
    ("suggestions.handle", "POST"): Route(P.HANDLE_SUGGESTIONS, ("suggestion_id",)),
    ("suggestions.escalate", "POST"): Route(P.HANDLE_SUGGESTIONS, ("suggestion_id",)),
    ("suggestions.escalated", "GET"): Route(P.VIEW_ESCALATED_SUGGESTIONS),
    ("suggestions.escalated_detail", "GET"): Route(
        P.VIEW_ESCALATED_SUGGESTIONS, ("suggestion_id",)
    ),
    ("suggestions.reply", "POST"): Route(P.REPLY_ESCALATED_SUGGESTIONS, ("suggestion_id",)),
    # activities API
    ("activities_api.Activities", "GET"): Route(P.VIEW_ACTIVITIES, api=True),
    ("activities_api.Activities", "POST"): Route(P.RECORD_ACTIVITIES, api=True, write=True),
    ("activities_api.ActivityById", "GET"): Route(P.VIEW_ACTIVITIES, ("activity_id",), api=True),
    ("activities_api.ActivityById", "PATCH"): Route(
        P.RECORD_ACTIVITIES, ("activity_id",), api=True, write=True
    ),
    ("activities_api.ActivityEvidence", "GET"): Route(
        P.VIEW_ACTIVITIES, ("activity_id",), api=True
    ),
    ("activities_api.ActivityFigures", "GET"): Route(
        P.VIEW_ACTIVITIES, api=True, values=(("year", "2026"),)
    ),
    ("activities_api.ActivityVocabulary", "GET"): Route(P.VIEW_ACTIVITIES, api=True),
    ("activities_api.ConsultingReports", "GET"): Route(P.VIEW_ACTIVITIES, api=True),
    ("activities_api.ConsultingReports", "POST"): Route(P.RECORD_ACTIVITIES, api=True, write=True),
    ("activities_api.ConsultingReportById", "GET"): Route(
        P.VIEW_ACTIVITIES, ("consulting_report_id",), api=True
    ),
    ("activities_api.ConsultingReportById", "PATCH"): Route(
        P.RECORD_ACTIVITIES, ("consulting_report_id",), api=True, write=True
    ),
    ("activities_api.TechTransfers", "GET"): Route(P.VIEW_ACTIVITIES, api=True),
    ("activities_api.TechTransfers", "POST"): Route(P.RECORD_ACTIVITIES, api=True, write=True),
    ("activities_api.TechTransferById", "GET"): Route(
        P.VIEW_ACTIVITIES, ("tech_transfer_id",), api=True
    ),
    ("activities_api.TechTransferById", "PATCH"): Route(
        P.RECORD_ACTIVITIES, ("tech_transfer_id",), api=True, write=True
    ),
    ("activities_api.Nominations", "GET"): Route(P.VIEW_ACTIVITIES, api=True),
    ("activities_api.Nominations", "POST"): Route(P.RECORD_ACTIVITIES, api=True, write=True),
    ("activities_api.NominationById", "GET"): Route(
        P.VIEW_ACTIVITIES, ("nomination_id",), api=True
    ),
    ("activities_api.Exemplars", "GET"): Route(P.VIEW_ACTIVITIES, api=True),
    ("activities_api.Exemplars", "POST"): Route(P.RECORD_ACTIVITIES, api=True, write=True),
    ("activities_api.ExemplarById", "GET"): Route(P.VIEW_ACTIVITIES, ("exemplar_id",), api=True),
    # suggestions API
    ("suggestions_api.Suggestions", "GET"): Route(P.VIEW_SUGGESTIONS, api=True),
    ("suggestions_api.SuggestionById", "GET"): Route(
        P.VIEW_SUGGESTIONS, ("suggestion_id",), api=True
    ),
    ("suggestions_api.SuggestionById", "PATCH"): Route(
        P.HANDLE_SUGGESTIONS, ("suggestion_id",), api=True, write=True
    ),
    ("suggestions_api.EscalatedSuggestions", "GET"): Route(P.VIEW_ESCALATED_SUGGESTIONS, api=True),
    ("suggestions_api.EscalatedThemes", "GET"): Route(P.VIEW_ESCALATED_SUGGESTIONS, api=True),
    # federation: dashboards, categories, guidance, problems
    ("federation.overview", "GET"): Route(P.VIEW_FEDERATION),
    ("federation.table", "GET"): Route(P.VIEW_FEDERATION),
    ("federation.choose_columns", "POST"): Route(P.VIEW_FEDERATION),
    ("federation.act_on_chosen", "POST"): Route(P.VIEW_FEDERATION),
    ("federation.set_weights", "POST"): Route(P.MANAGE_FEDERATION),
    ("federation.category", "GET"): Route(P.VIEW_FEDERATION, values=(("code", "research"),)),
    ("federation.trends", "GET"): Route(P.VIEW_FEDERATION),
    ("federation.association", "GET"): Route(P.VIEW_FEDERATION, ("association_id",)),
    ("federation.change_category", "POST"): Route(P.MANAGE_FEDERATION, ("association_id",)),
    ("federation.comment_on_association", "POST"): Route(P.COMMENT_FEDERATION, ("association_id",)),
    ("federation.taxonomy", "GET"): Route(P.VIEW_FEDERATION),
    ("federation.taxonomy", "POST"): Route(P.MANAGE_FEDERATION),
    ("federation.universities", "GET"): Route(P.VIEW_FEDERATION),
    ("federation.universities", "POST"): Route(P.MANAGE_FEDERATION),
    ("federation.export", "GET"): Route(P.VIEW_FEDERATION, values=(("view", "overview"),)),
    ("federation.exemplar_page", "GET"): Route(P.VIEW_FEDERATION),
    ("federation.publish_exemplar_page", "POST"): Route(P.MANAGE_FEDERATION),
    # By the federation's code, once it published the page; see the test at the end.
    ("federation_public.exemplar_page", "GET"): Route(PUBLIC, values=(("code", "F0"),)),
    ("guidance.index", "GET"): Route(P.VIEW_FEDERATION),
    ("guidance.new", "GET"): Route(P.MANAGE_FEDERATION),
    ("guidance.new", "POST"): Route(P.MANAGE_FEDERATION),
    ("guidance.detail", "GET"): Route(P.VIEW_FEDERATION, ("guidance_id",)),
    ("guidance.remind", "POST"): Route(P.MANAGE_FEDERATION, ("guidance_id",)),
    ("guidance.comment", "POST"): Route(P.COMMENT_FEDERATION, ("guidance_id",)),
    ("guidance.attachment", "GET"): Route(P.VIEW_FEDERATION, ("guidance_file_id",)),
    ("guidance.response_file", "GET"): Route(P.VIEW_FEDERATION, ("receipt_id",)),
    ("inbox.inbox", "GET"): Route(P.VIEW_GUIDANCE),
    ("inbox.read", "GET"): Route(P.VIEW_GUIDANCE, ("guidance_id",)),
    ("inbox.acknowledge", "POST"): Route(P.RESPOND_GUIDANCE, ("guidance_id",)),
    ("inbox.respond", "POST"): Route(P.RESPOND_GUIDANCE, ("guidance_id",)),
    ("inbox.inbox_attachment", "GET"): Route(P.VIEW_GUIDANCE, ("guidance_file_id",)),
    ("inbox.own_response_file", "GET"): Route(P.VIEW_GUIDANCE, ("guidance_id",)),
    ("problems.index", "GET"): Route(P.VIEW_FEDERATION),
    ("problems.new", "GET"): Route(P.MANAGE_FEDERATION),
    ("problems.new", "POST"): Route(P.MANAGE_FEDERATION),
    ("problems.detail", "GET"): Route(P.VIEW_FEDERATION, ("problem_id",)),
    ("problems.update", "POST"): Route(P.MANAGE_FEDERATION, ("problem_id",)),
    ("problems.link_finding", "POST"): Route(P.MANAGE_FEDERATION, ("problem_id",)),
    ("federation_api.Overview", "GET"): Route(P.VIEW_FEDERATION, api=True),
    ("federation_api.AssociationTable", "GET"): Route(P.VIEW_FEDERATION, api=True),
    ("federation_api.AssociationAggregates", "GET"): Route(
        P.VIEW_FEDERATION, ("association_id",), api=True
    ),
    ("federation_api.CategoryView", "GET"): Route(
        P.VIEW_FEDERATION, api=True, values=(("code", "research"),)
    ),
    ("federation_api.Trends", "GET"): Route(P.VIEW_FEDERATION, api=True),
    ("federation_api.GuidanceList", "GET"): Route(P.VIEW_FEDERATION, api=True),
    ("federation_api.GuidanceById", "GET"): Route(P.VIEW_FEDERATION, ("guidance_id",), api=True),
    ("federation_api.Problems", "GET"): Route(P.VIEW_FEDERATION, api=True),
    ("federation_api.Exemplars", "GET"): Route(P.VIEW_FEDERATION, api=True),
    # annual reporting
    ("reporting.index", "GET"): Route(P.VIEW_REPORTS),
    ("reporting.open_period", "POST"): Route(P.REVIEW_REPORTS),
    ("reporting.period", "GET"): Route(P.VIEW_REPORTS, ("period_id",)),
    ("reporting.compile_own", "POST"): Route(P.PREPARE_REPORTS, ("period_id",)),
    ("reporting.report", "GET"): Route(P.VIEW_REPORTS, ("report_id",)),
    ("reporting.explain", "POST"): Route(P.PREPARE_REPORTS, ("report_id",)),
    ("reporting.submit", "POST"): Route(P.PREPARE_REPORTS, ("report_id",)),
    ("reporting.review", "POST"): Route(P.REVIEW_REPORTS, ("report_id",)),
    ("reporting.comment", "POST"): Route(P.COMMENT_FEDERATION, ("report_id",)),
    ("reporting.reopen", "POST"): Route(P.REVIEW_REPORTS, ("report_id",)),
    ("reporting.request_reopen", "POST"): Route(P.PREPARE_REPORTS, ("report_id",)),
    ("reporting.decline_reopen", "POST"): Route(P.REVIEW_REPORTS, ("report_id",)),
    ("reporting.print_report", "GET"): Route(P.VIEW_REPORTS, ("report_id",)),
    ("reporting.export", "GET"): Route(P.VIEW_REPORTS, ("report_id",), values=(("fmt", "csv"),)),
    ("reporting.rollup", "GET"): Route(P.REVIEW_REPORTS, ("period_id",)),
    ("reporting.compile_rollup", "POST"): Route(P.REVIEW_REPORTS, ("period_id",)),
    ("reporting.lock_rollup", "POST"): Route(P.REVIEW_REPORTS, ("rollup_id",)),
    ("reporting.export_rollup", "GET"): Route(
        P.REVIEW_REPORTS, ("rollup_id",), values=(("fmt", "json"),)
    ),
    ("reporting.endpoint", "GET"): Route(P.REVIEW_REPORTS),
    ("reporting.endpoint", "POST"): Route(P.REVIEW_REPORTS),
    ("reporting_api.Reports", "GET"): Route(P.VIEW_REPORTS, api=True),
    ("reporting_api.ReportById", "GET"): Route(P.VIEW_REPORTS, ("report_id",), api=True),
    ("reporting_api.Periods", "GET"): Route(P.VIEW_REPORTS, api=True),
    ("reporting_api.Periods", "POST"): Route(P.REVIEW_REPORTS, api=True, write=True),
    ("reporting_api.PeriodById", "GET"): Route(P.VIEW_REPORTS, ("period_id",), api=True),
    ("reporting_api.CompileReport", "POST"): Route(
        P.PREPARE_REPORTS, ("period_id",), api=True, write=True
    ),
    **{
        (f"reporting_api.{step}", "POST"): Route(
            P.PREPARE_REPORTS, ("report_id",), api=True, write=True
        )
        for step in ("Explanations", "SubmitReport")
    },
    **{
        (f"reporting_api.{step}", "POST"): Route(
            P.REVIEW_REPORTS, ("report_id",), api=True, write=True
        )
        for step in ("ReturnReport", "ApproveReport")
    },
    ("reporting_api.Rollups", "GET"): Route(P.REVIEW_REPORTS, ("period_id",), api=True),
    ("reporting_api.Rollups", "POST"): Route(
        P.REVIEW_REPORTS, ("period_id",), api=True, write=True
    ),
    ("reporting_api.RollupById", "GET"): Route(P.REVIEW_REPORTS, ("rollup_id",), api=True),
    ("reporting_api.LockRollup", "POST"): Route(
        P.REVIEW_REPORTS, ("rollup_id",), api=True, write=True
    ),
    ("national_api.Federations", "GET"): Route(P.READ_NATIONAL, api=True),
    ("national_api.LockedRollup", "GET"): Route(
        P.READ_NATIONAL, ("federation_id",), api=True, values=(("year", "2025"),)
    ),
    ("national_api.ApprovedReports", "GET"): Route(P.READ_NATIONAL, ("federation_id",), api=True),
    ("national_api.Indicators", "GET"): Route(P.READ_NATIONAL, api=True),
    # the national forms: the catalogue's forms and rows, the operator's header blocks
    ("national_forms.catalogue", "GET"): Route(P.VIEW_REPORTS),
    ("national_forms.headers", "GET"): Route(P.CONFIGURE_NATIONAL_FORMS),
    **{
        ("national_forms.edit_header", method): Route(
            P.CONFIGURE_NATIONAL_FORMS, values=(("year", "2025"), ("table", "CAST-ORG"))
        )
        for method in ("GET", "POST")
    },
}

WEB_PRINCIPALS = [
    "anonymous",
    Role.OPERATOR,
    Role.FEDERATION_OFFICER,
    Role.EDUCATION_SUPERVISOR,
    Role.ASSOCIATION_ADMIN,
    Role.ASSOCIATION_STAFF,
    Role.MEMBER,
]
API_PRINCIPALS = ["anonymous", "association-ro", "association-rw", "federation", "national"]


def _rule(app, endpoint: str):
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def test_the_matrix_covers_every_route(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - ROUTES.keys() == set(), "routes missing from the isolation matrix"
    assert ROUTES.keys() - routes == set(), "matrix entries for routes that no longer exist"


# --- who is calling -------------------------------------------------------------------


@dataclass
class Caller:
    level: Level | str | None
    permissions: frozenset
    is_operator: bool = False
    headers: dict | None = None
    who: str = ""


def _web_caller(client, world, who) -> Caller:
    if who == "anonymous":
        return Caller(None, frozenset())
    if who is Role.OPERATOR:
        user = world.operator
    elif ROLES[who].level is Level.FEDERATION:
        user = world.a.users[who]
    else:
        user = world.a.first.users[who]
    client.login_as(user)
    return Caller(
        ROLES[who].level, ROLES[who].permissions, is_operator=who is Role.OPERATOR, who=str(who)
    )


def _api_caller(world, who) -> Caller:
    tokens = {
        "association-ro": (world.a.first.tokens["ro"], Level.ASSOCIATION, False),
        "association-rw": (world.a.first.tokens["rw"], Level.ASSOCIATION, True),
        "federation": (world.a.tokens["ro"], Level.FEDERATION, False),
        "national": (world.national_a, "national", False),
    }
    if who == "anonymous":
        return Caller(None, frozenset(), headers={})
    (_token, plaintext), level, writes = tokens[who]
    return Caller(
        level,
        TOKEN_PERMISSIONS[(level, writes)],
        headers={"Authorization": f"Bearer {plaintext}"},
        who=who,
    )


# --- which ids ------------------------------------------------------------------------

GOVERNANCE_IDS = (
    "congress_id",
    "term_id",
    "meeting_id",
    "officer_id",
    "founding_document_id",
    "finding_id",
)
# Records of the association's work: (Tenant attribute, index). The first activity and
# suggestion are the ones the federation may see (shared, escalated).
WORK_IDS = {
    "activity_id": ("activities", 0),
    "evidence_id": ("evidence", 0),
    "consulting_report_id": ("consulting_reports", 0),
    "tech_transfer_id": ("transfers", 0),
    "nomination_id": ("nominations", 0),
    "exemplar_id": ("exemplars", 0),
    "suggestion_id": ("suggestions", 0),
    "activity_import_id": ("activity_imports", 0),
}
FEDERATION_IDS = {
    "period_id": lambda p: p.reporting["period_id"],
    "rollup_id": lambda p: p.reporting["rollup_id"],
    "federation_id": lambda p: p.federation.id,
}


def _foreign_ids(world, caller: Caller, param: str) -> list[int]:
    """Ids of objects outside the caller's reach: the other province always; for an
    association-level caller, also the other association of its own province."""
    b, a = world.b.first, world.a.second
    same_province = caller.level is Level.ASSOCIATION
    if param == "application_id":  # a federation's; the other province's is foreign
        return [world.b.application[0]]
    if param == "application_document_id":
        return [world.b.application_document]
    federation_owned = {
        "guidance_file_id": lambda p: p.guidance_file_id,
        "receipt_id": lambda p: p.receipt_id,
        "problem_id": lambda p: p.problem_id,
    }
    if param in federation_owned:
        return [federation_owned[param](world.b)]
    if param == "guidance_id":  # and, to an association, guidance sent to its neighbour only
        return [world.b.guidance_id] + ([world.a.private_guidance_id] if same_province else [])
    if param in FEDERATION_IDS:  # a federation's rows: the other province's are foreign
        return [FEDERATION_IDS[param](world.b)]
    pick = {
        "association_id": lambda t: t.association.id,
        "token_id": lambda t: t.tokens["rw"][0].id,
        "user_id": lambda t: t.users[Role.ASSOCIATION_STAFF].id,
        "member_id": lambda t: t.members[0].id,
        "group_id": lambda t: t.groups[0].id,
        "import_id": lambda t: t.imports[0].id,
        "member_application_id": lambda t: t.applications[0].id,
        "report_id": lambda t: t.reports[0],
        **{kind: (lambda t, k=kind: t.governance[k]) for kind in GOVERNANCE_IDS},
        **{
            kind: (lambda t, a=attr, i=index: getattr(t, a)[i].id)
            for kind, (attr, index) in WORK_IDS.items()
        },
    }[param]
    return [pick(b)] + ([pick(a)] if same_province else [])


def _own_id(world, caller: Caller, param: str) -> int:
    tenant = world.a.first
    if param == "association_id":
        return tenant.association.id
    if param == "token_id":
        if caller.level is Level.FEDERATION:
            return world.a.tokens["ro"][0].id
        return tenant.tokens["rw"][0].id
    if param in GOVERNANCE_IDS:
        return tenant.governance[param]
    if param in WORK_IDS:
        attr, index = WORK_IDS[param]
        return getattr(tenant, attr)[index].id
    if param == "application_id":
        return world.a.application[0]
    if param == "application_document_id":
        return world.a.application_document
    if param in ("guidance_id", "guidance_file_id", "receipt_id", "problem_id"):
        return getattr(world.a, param)
    if param in FEDERATION_IDS:
        return FEDERATION_IDS[param](world.a)
    if param == "user_id":
        if caller.is_operator:
            return world.a.users[Role.FEDERATION_OFFICER].id
        return tenant.users[Role.ASSOCIATION_STAFF].id
    owned = {
        "member_id": tenant.members,
        "group_id": tenant.groups,
        "import_id": tenant.imports,
        "member_application_id": tenant.applications,
    }
    if param == "report_id":
        return tenant.reports[0]
    return owned[param][0].id


def _snapshot() -> dict:
    with system_scope("test: snapshot every table"):
        return {
            table.name: db.session.execute(
                sa.select(table).order_by(*table.primary_key.columns)
            ).all()
            for table in db.metadata.sorted_tables
        }


def _call(client, app, endpoint, method, values, caller: Caller):
    rule = _rule(app, endpoint)
    values = {**dict(ROUTES[(endpoint, method)].values), **values}
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **values)
    kwargs = {"method": method, "headers": caller.headers or {}}
    if method in ("POST", "PATCH", "PUT"):
        kwargs["json" if "_api." in endpoint else "data"] = {}
    assert rule is not None
    return client.open(url, **kwargs)


def _expected_denial(route: Route, caller: Caller) -> int | None:
    """The status a caller gets before any lookup, or None when it may try."""
    if caller.level is None:
        return 401 if route.api else 302
    if route.need == SIGNED_IN:
        return None
    if route.write and route.need not in caller.permissions:
        return 403
    return None if route.need in caller.permissions else 403


ID_ROUTES = [(k, r) for k, r in ROUTES.items() if r.ids]
PLAIN_ROUTES = [(k, r) for k, r in ROUTES.items() if not r.ids and r.need != PUBLIC]


def _cases(routes, web, api):
    return [
        pytest.param(key, route, who, id=f"{key[0]}-{key[1]}-{who}")
        for key, route in routes
        for who in (api if route.api else web)
    ]


@pytest.mark.parametrize(("key", "route", "who"), _cases(ID_ROUTES, WEB_PRINCIPALS, API_PRINCIPALS))
def test_foreign_ids_get_404_and_change_nothing(app, world, client, key, route, who):
    caller = _api_caller(world, who) if route.api else _web_caller(client, world, who)
    denial = _expected_denial(route, caller)
    for param in route.ids:
        for foreign in _foreign_ids(world, caller, param):
            before = _snapshot()
            response = _call(client, app, *key, {param: foreign}, caller)
            if caller.is_operator and route.operator_sees_all:
                # Nothing is foreign to the platform operator here: it may act (or read), by
                # design.
                expected = route.operator_answer or (200 if key[1] == "GET" else 302)
                assert response.status_code == expected, (key, who)
                continue
            # Exactly 404; a 403 only from the role table, before any lookup.
            assert response.status_code == (denial or 404), (key, who, foreign)
            assert _snapshot() == before, f"{key} by {who} changed the database"


@pytest.mark.parametrize(
    ("key", "route", "who"),
    _cases(ID_ROUTES + PLAIN_ROUTES, WEB_PRINCIPALS, API_PRINCIPALS),
)
def test_own_tenant_roles_get_in_or_403(app, world, client, key, route, who):
    caller = _api_caller(world, who) if route.api else _web_caller(client, world, who)
    values = {param: _own_id(world, caller, param) for param in route.ids}
    denial = _expected_denial(route, caller)
    if denial is None and caller.who in NOT_THEIRS.get(key, ()):
        denial = 404
    # A refusal changes nothing: every table's row count, the audit log's included (every
    # write leaves an event there), is the same after it.
    before = row_counts() if denial in (403, 404) else None
    response = _call(client, app, *key, values, caller)
    if denial:
        assert response.status_code == denial, (key, who)
        if before is not None:
            assert row_counts() == before, f"{key} by {who} was refused but changed the database"
    else:
        assert response.status_code not in (401, 403, 404), (key, who, response.status_code)
        assert response.status_code < 500


def test_a_public_page_of_exemplars_is_its_federation_s_own_and_only_once_published(
    app, world, client
):
    """The public route has no principal: the federation's code is the whole scope. A code
    whose page is unpublished (or unknown) is 404; a published one shows its own exemplars."""
    from service.activities import talent
    from service.activities.models import Exemplar
    from service.federation import exemplars

    with system_scope("test"):
        for province, name in ((world.a, "甲省典型"), (world.b, "乙省典型")):
            exemplar = db.session.get(Exemplar, province.first.exemplars[0].id)
            exemplar.name = name
            talent.recognise_exemplar(exemplar, "test")
            talent.publish_exemplar(exemplar, True)
        db.session.commit()
    mine, theirs = (
        f"/public/federations/{p.federation.code}/exemplars" for p in (world.a, world.b)
    )
    assert client.get(mine).status_code == 404
    assert client.get(theirs).status_code == 404
    assert client.get("/public/federations/NO-SUCH/exemplars").status_code == 404
    with system_scope("test"):
        exemplars.set_published(world.a.federation.id, True, "test")
        db.session.commit()
    own = client.get(mine)
    assert own.status_code == 200
    assert "甲省典型" in own.get_data(as_text=True)
    assert "乙省典型" not in own.get_data(as_text=True)
    assert client.get(theirs).status_code == 404


# --- ids in request bodies ------------------------------------------------------------


@dataclass(frozen=True)
class BodyCase:
    """A write whose body names a row by id: made by `who` (a principal of province a's
    first association, or of province a), at `url`, with `body` whose `field` takes an id of
    kind `param` (a URL parameter's name, as in `_foreign_ids`)."""

    who: object
    method: str
    url: object  # (world) -> str
    body: object  # (world) -> dict
    field: str
    param: str
    api: bool = False
    many: bool = False  # the field takes a list of ids


def _integrity_activity(world) -> dict:
    return {
        "task": "integrity",
        "subtype": "lecture",
        "title": "科学道德和学风建设宣讲报告会",
        "starts_on": "2025-09-12",
        "ends_on": "2025-09-12",
        "status": "held",
        "audience": 500,
        "speakers": 1,
        "speaker_kind": "academician",
        "speaker_name": "周院士",
        "audience_group": "graduate",
    }


def _academic_form(world) -> dict:
    return {
        "subtype": "international",
        "title": "国际材料科学研讨会",
        "starts_on": "2025-10-20",
        "ends_on": "2025-10-22",
        "place": "紫金港校区",
        "visibility": "private",
        "status": "held",
        "events": "1",
        "participants": "260",
        "speakers": "30",
        "papers": "48",
        "foreign_participants": "0",
    }


def _secretary_general(world) -> dict:
    # The world's standing committee met on 2025-09-10: it may approve the appointment.
    return {
        "post": "secretary_general",
        "name": "钱进",
        "starts_on": "2025-10-01",
        "nominated_on": "2025-09-01",
    }


def _officers_url(world) -> str:
    return f"/governance/{world.a.first.association.id}/officers/new"


BODY_CASES = {
    "api-activity-organiser": BodyCase(
        "association-rw",
        "POST",
        lambda w: "/api/v1/activities/",
        _integrity_activity,
        "organiser_group_id",
        "group_id",
        api=True,
    ),
    "api-activity-change-organiser": BodyCase(
        "association-rw",
        "PATCH",
        lambda w: f"/api/v1/activities/{w.a.first.activities[0].id}",
        lambda w: {},
        "organiser_group_id",
        "group_id",
        api=True,
    ),
    "api-officer-approving-meeting": BodyCase(
        "association-rw",
        "POST",
        lambda w: f"/api/v1/governance/{w.a.first.association.id}/officers",
        _secretary_general,
        "approving_meeting_id",
        "meeting_id",
        api=True,
    ),
    "web-activity-organiser": BodyCase(
        Role.ASSOCIATION_STAFF,
        "POST",
        lambda w: "/activities/new/academic",
        _academic_form,
        "organiser_group_id",
        "group_id",
    ),
    "web-activities-marked-reported": BodyCase(
        Role.ASSOCIATION_STAFF,
        "POST",
        lambda w: "/activities/reported",
        lambda w: {"confirmed": "yes"},
        "activity_id",
        "activity_id",
        many=True,
    ),
    "web-members-status-changed": BodyCase(
        Role.ASSOCIATION_STAFF,
        "POST",
        lambda w: "/members/status",
        lambda w: {"status": "lapsed", "confirmed": "yes"},
        "member_id",
        "member_id",
        many=True,
    ),
    "web-officer-approving-meeting": BodyCase(
        Role.ASSOCIATION_ADMIN,
        "POST",
        _officers_url,
        _secretary_general,
        "approving_meeting_id",
        "meeting_id",
    ),
    "web-application-merged-into-member": BodyCase(
        Role.ASSOCIATION_STAFF,
        "POST",
        lambda w: f"/members/applications/{w.a.first.applications[0].id}/merge",
        lambda w: {"decision": "merge", "keep_name": "application"},
        "member_id",
        "member_id",
    ),
    "web-guidance-to-associations": BodyCase(
        Role.FEDERATION_OFFICER,
        "POST",
        lambda w: "/federation/guidance/new",
        lambda w: {"title": "通知", "body": "请报送材料。", "audience": "associations"},
        "associations",
        "association_id",
        many=True,
    ),
    # The table's bulk export: the export is logged, so one's own id changes the log.
    "web-chosen-associations-exported": BodyCase(
        Role.FEDERATION_OFFICER,
        "POST",
        lambda w: "/federation/associations/chosen",
        lambda w: {"action": "export"},
        "association_id",
        "association_id",
        many=True,
    ),
    "web-problem-about-association": BodyCase(
        Role.FEDERATION_OFFICER,
        "POST",
        lambda w: "/federation/problems/new",
        lambda w: {"title": "问题", "description": "说明。", "category": ""},
        "association_id",
        "association_id",
    ),
    "web-problem-finding": BodyCase(
        Role.FEDERATION_OFFICER,
        "POST",
        lambda w: f"/federation/problems/{w.a.problem_id}/findings",
        lambda w: {},
        "finding_id",
        "finding_id",
    ),
    "web-problem-assignee": BodyCase(
        Role.FEDERATION_OFFICER,
        "POST",
        lambda w: f"/federation/problems/{w.a.problem_id}",
        lambda w: {"state": "in_progress", "note": "跟进"},
        "assignee_id",
        "assignee_id",
    ),
}


def _body_ids(world, case: BodyCase, caller: Caller) -> tuple[int, list[int]]:
    """(an id of the caller's own, ids that are not its own) for the body's field."""
    if case.param == "assignee_id":  # an officer of the caller's federation, or of the other
        return (
            world.a.users[Role.FEDERATION_OFFICER].id,
            [world.b.users[Role.FEDERATION_OFFICER].id, world.a.first.users[Role.MEMBER].id],
        )
    own = _own_id(world, caller, case.param)
    return own, _foreign_ids(world, caller, case.param)


def _send(client, case: BodyCase, world, caller: Caller, value: int):
    body = {**case.body(world), case.field: [value] if case.many else value}
    kwargs = {"method": case.method, "headers": caller.headers or {}}
    kwargs["json" if case.api else "data"] = body
    return client.open(case.url(world), **kwargs)


@pytest.mark.parametrize("name", BODY_CASES)
def test_foreign_ids_in_bodies_are_refused_and_change_nothing(app, world, client, name):
    """The same write succeeds with an id of the caller's own and is refused, with nothing
    changed, with another association's or province's: the body, not only the URL."""
    case = BODY_CASES[name]
    caller = _api_caller(world, case.who) if case.api else _web_caller(client, world, case.who)
    own, foreign = _body_ids(world, case, caller)
    for value in foreign:
        before = _snapshot()
        response = _send(client, case, world, caller, value)
        assert response.status_code in (400, 404, 422), (name, value, response.status_code)
        assert _snapshot() == before, f"{name} with the foreign id {value} changed the database"
    before = _snapshot()
    response = _send(client, case, world, caller, own)
    assert response.status_code in (200, 201, 302), (name, response.get_data(as_text=True))
    assert _snapshot() != before, f"{name} with its own id changed nothing"
