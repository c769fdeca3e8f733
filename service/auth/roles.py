"""The role table of docs/ARCHITECTURE.md, once. Every permission check in the service
points here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from service.i18n import lazy_gettext as _l


class Level(StrEnum):
    """Where a role's scope sits."""

    PLATFORM = "platform"
    FEDERATION = "federation"
    ASSOCIATION = "association"


class Permission(StrEnum):
    VIEW_PROFILE = "view_profile"
    EDIT_PROFILE = "edit_profile"
    VIEW_FEDERATION = "view_federation"
    MANAGE_USERS = "manage_users"
    # Reset any account's password, the holder being told (never by the level above them).
    RECOVER_ACCOUNTS = "recover_accounts"
    MANAGE_TOKENS = "manage_tokens"
    # The association's sign-in with the university's identity service (service/sso).
    CONFIGURE_SIGN_IN = "configure_sign_in"
    VIEW_AUDIT = "view_audit"
    PROVISION = "provision"
    VIEW_MEMBERS = "view_members"
    EDIT_MEMBERS = "edit_members"
    # Bulk export with phone and e-mail in clear; everyone else's exports are masked (PIPL).
    EXPORT_MEMBER_CONTACTS = "export_member_contacts"
    MANAGE_MEMBERSHIP_POLICY = "manage_membership_policy"
    OWN_MEMBER_RECORD = "own_member_record"
    VIEW_GOVERNANCE = "view_governance"
    MANAGE_GOVERNANCE = "manage_governance"
    RECORD_MEETINGS = "record_meetings"
    REVIEW_ESTABLISHMENT = "review_establishment"
    CHANGE_LIFECYCLE = "change_lifecycle"
    SET_THRESHOLDS = "set_thresholds"
    # The federation's own work: categories, guidance, problems, health weights (省科协).
    MANAGE_FEDERATION = "manage_federation"
    # Both supervisors comment on an association or on guidance (教育厅 reads and comments).
    COMMENT_FEDERATION = "comment_federation"
    # An association reads the federation's guidance, and answers it.
    VIEW_GUIDANCE = "view_guidance"
    RESPOND_GUIDANCE = "respond_guidance"
    VIEW_REPORTS = "view_reports"
    PREPARE_REPORTS = "prepare_reports"  # compile, explain, submit the association's report
    REVIEW_REPORTS = "review_reports"  # open periods, approve/return, reopen, roll up, lock
    READ_NATIONAL = "read_national"  # the national API: locked roll-ups and approved reports
    # The national forms' header block per year (表号, 制定机关, 批准文号, 有效期至).
    CONFIGURE_NATIONAL_FORMS = "configure_national_forms"
    # The five tasks' activities, outcomes, nominations and exemplars.
    VIEW_ACTIVITIES = "view_activities"
    RECORD_ACTIVITIES = "record_activities"
    RECOGNISE_EXEMPLARS = "recognise_exemplars"
    # Suggestions, opinions and demands (建议、意见和诉求).
    SUBMIT_SUGGESTION = "submit_suggestion"
    VIEW_SUGGESTIONS = "view_suggestions"
    HANDLE_SUGGESTIONS = "handle_suggestions"
    VIEW_ESCALATED_SUGGESTIONS = "view_escalated_suggestions"
    REPLY_ESCALATED_SUGGESTIONS = "reply_escalated_suggestions"


class Role(StrEnum):
    OPERATOR = "operator"
    FEDERATION_OFFICER = "federation_officer"
    EDUCATION_SUPERVISOR = "education_supervisor"
    ASSOCIATION_ADMIN = "association_admin"
    ASSOCIATION_STAFF = "association_staff"
    MEMBER = "member"


@dataclass(frozen=True)
class RoleSpec:
    level: Level
    label: object  # a lazy gettext string
    permissions: frozenset[Permission]


P = Permission
# The secretariat (association admin) runs governance; staff record meetings; everyone who
# may see the association may see who leads it and whether it meets the document's rules.
_GOVERNANCE_ALL = frozenset({P.VIEW_GOVERNANCE, P.MANAGE_GOVERNANCE, P.RECORD_MEETINGS})
# Secretariat and staff record the association's work and handle what members submit.
_ACTIVITIES_ALL = frozenset({P.VIEW_ACTIVITIES, P.RECORD_ACTIVITIES})
_SUGGESTIONS_ALL = frozenset({P.SUBMIT_SUGGESTION, P.VIEW_SUGGESTIONS, P.HANDLE_SUGGESTIONS})
ROLES: dict[Role, RoleSpec] = {
    Role.OPERATOR: RoleSpec(
        Level.PLATFORM,
        _l("Platform operator"),
        frozenset(
            {
                P.PROVISION,
                P.MANAGE_USERS,
                P.RECOVER_ACCOUNTS,
                P.MANAGE_TOKENS,
                P.VIEW_AUDIT,
                P.CONFIGURE_NATIONAL_FORMS,
            }
        ),
    ),
    Role.FEDERATION_OFFICER: RoleSpec(
        Level.FEDERATION,
        _l("Federation officer"),
        frozenset(
            {
                P.VIEW_PROFILE,
                P.VIEW_FEDERATION,
                P.VIEW_GOVERNANCE,
                P.REVIEW_ESTABLISHMENT,
                P.CHANGE_LIFECYCLE,
                P.SET_THRESHOLDS,
                P.MANAGE_TOKENS,
                P.VIEW_AUDIT,
                P.MANAGE_FEDERATION,
                P.COMMENT_FEDERATION,
                P.VIEW_REPORTS,
                P.REVIEW_REPORTS,
                P.VIEW_ACTIVITIES,
                P.RECOGNISE_EXEMPLARS,
                P.VIEW_ESCALATED_SUGGESTIONS,
                P.REPLY_ESCALATED_SUGGESTIONS,
            }
        ),
    ),
    Role.EDUCATION_SUPERVISOR: RoleSpec(
        Level.FEDERATION,
        _l("Education supervisor"),
        frozenset(
            {
                P.VIEW_PROFILE,
                P.VIEW_FEDERATION,
                P.VIEW_GOVERNANCE,
                P.COMMENT_FEDERATION,
                P.VIEW_REPORTS,
                P.VIEW_ACTIVITIES,
                P.VIEW_ESCALATED_SUGGESTIONS,
            }
        ),
    ),
    Role.ASSOCIATION_ADMIN: RoleSpec(
        Level.ASSOCIATION,
        _l("Association administrator"),
        frozenset(
            {
                P.VIEW_PROFILE,
                P.EDIT_PROFILE,
                P.MANAGE_USERS,
                P.CONFIGURE_SIGN_IN,
                P.MANAGE_TOKENS,
                P.VIEW_AUDIT,
                P.VIEW_MEMBERS,
                P.EDIT_MEMBERS,
                P.EXPORT_MEMBER_CONTACTS,
                P.MANAGE_MEMBERSHIP_POLICY,
                P.VIEW_GUIDANCE,
                P.RESPOND_GUIDANCE,
                P.VIEW_REPORTS,
                P.PREPARE_REPORTS,
            }
            | _GOVERNANCE_ALL
            | _ACTIVITIES_ALL
            | _SUGGESTIONS_ALL
        ),
    ),
    Role.ASSOCIATION_STAFF: RoleSpec(
        Level.ASSOCIATION,
        _l("Association staff"),
        frozenset(
            {
                P.VIEW_PROFILE,
                P.VIEW_MEMBERS,
                P.EDIT_MEMBERS,
                P.VIEW_GOVERNANCE,
                P.RECORD_MEETINGS,
                P.VIEW_GUIDANCE,
                P.VIEW_REPORTS,
                P.PREPARE_REPORTS,
            }
            | _ACTIVITIES_ALL
            | _SUGGESTIONS_ALL
        ),
    ),
    Role.MEMBER: RoleSpec(
        Level.ASSOCIATION,
        _l("Member"),
        frozenset({P.VIEW_PROFILE, P.OWN_MEMBER_RECORD, P.VIEW_GOVERNANCE, P.SUBMIT_SUGGESTION}),
    ),
}

# What an API token may do, by its level and whether it may write.
_TOKEN_READS = frozenset({P.VIEW_PROFILE, P.VIEW_GOVERNANCE})
# An association's tokens read its activities and suggestions (never who submitted one); a
# federation's read the shared activities, every figure and the escalated suggestions.
# National tokens get the figures through the reports' roll-ups, not activity by activity.
# The reporting cycle through the API: an association's writing token compiles, explains and
# submits its own report (as its staff may); a federation's writing token opens periods,
# returns or approves reports and compiles and locks the roll-up (as its officer may). Never
# the other side's steps: an association does not approve itself.
_WORK_READS = frozenset({P.VIEW_ACTIVITIES, P.VIEW_SUGGESTIONS})
_FEDERATION_WORK_READS = frozenset({P.VIEW_ACTIVITIES, P.VIEW_ESCALATED_SUGGESTIONS})
TOKEN_PERMISSIONS: dict[tuple[Level | str, bool], frozenset[Permission]] = {
    (Level.ASSOCIATION, False): _TOKEN_READS | {P.VIEW_MEMBERS, P.VIEW_REPORTS} | _WORK_READS,
    (Level.ASSOCIATION, True): _TOKEN_READS
    | {P.EDIT_PROFILE, P.VIEW_MEMBERS, P.EDIT_MEMBERS, P.VIEW_REPORTS, P.PREPARE_REPORTS}
    | _GOVERNANCE_ALL
    | _WORK_READS
    | {P.RECORD_ACTIVITIES, P.HANDLE_SUGGESTIONS},
    (Level.FEDERATION, False): _TOKEN_READS
    | {P.VIEW_FEDERATION, P.VIEW_REPORTS}
    | _FEDERATION_WORK_READS,
    (Level.FEDERATION, True): _TOKEN_READS
    | {P.VIEW_FEDERATION, P.VIEW_REPORTS, P.REVIEW_ESTABLISHMENT, P.REVIEW_REPORTS}
    | _FEDERATION_WORK_READS,
    ("national", False): _TOKEN_READS | {P.VIEW_FEDERATION, P.READ_NATIONAL},
    ("national", True): _TOKEN_READS | {P.VIEW_FEDERATION, P.READ_NATIONAL},
}
