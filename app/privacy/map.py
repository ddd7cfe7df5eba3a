"""The record of processing: every column of the database and every kind of stored file, declared either personal
data — with its category, purpose, legal basis, retention rule and what erasing it means — or not personal, with the
reason.

It is the one declaration that the privacy statements, the erasure of a person, the retention job, the README's
table (`flask --app wsgi privacy map`, summarised by app/privacy/summary.py) and the tests read. A model that gains
a column this map does not classify fails tests/privacy/test_map.py. Classifying a new column is one line in COLUMNS,
with one of the classifications below or a new one, e.g. for an evaluator's nationality:

    "pool_members.nationality": EVALUATOR_PROFILE,

A personal column under a rule the retention job or the erasure applies (CLEAR or DELETE_ROW) must be in a table
that the rule knows how to reach (`app.services.erasure.SUBJECT_ROWS`); the same test says so when it is not.

The legal bases are those of Regulation (EU) 2018/1725 (the EU institutions' data protection regulation, "EUDPR"),
with the equivalent article of the GDPR (Regulation (EU) 2016/679) for anybody else who runs Eurogrants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.languages import N_


class Erase(StrEnum):
    """What happens to a personal column when its rule runs out, or when its person is erased."""

    CLEAR = "clear"  # emptied: NULL, "" or [] (the row and its counts stay)
    DELETE_ROW = "delete_row"  # the whole row goes
    PSEUDONYMISE = "pseudonymise"  # the person's name and e-mail address are replaced by their pseudonym
    KEEP = "keep"  # kept: a link to an account (pseudonymised with the person), or a record the rule keeps


@dataclass(frozen=True)
class Purpose:
    key: str
    name: str
    description: str


@dataclass(frozen=True)
class LegalBasis:
    key: str
    eudpr: str
    gdpr: str
    description: str


@dataclass(frozen=True)
class Rule:
    """A retention rule: how long, from which event, and what happens then.

    `keep` and `then` may name settings in braces ("{RETENTION_UNSUCCESSFUL_YEARS} years"): the configured period
    is read where the rule is shown (`describe`). `parts` are the rules a composite rule chooses from.
    """

    key: str
    name: str
    keep: str
    then: str
    settings: tuple[str, ...] = ()
    parts: tuple[Rule, ...] = ()

    def describe(self, config: Mapping[str, Any], translate: Callable[[str], str] = str) -> str:
        """How long, with the configured periods; in a reader's language with `translate` (gettext: the name and
        this wording are catalogue messages, the periods' braces kept)."""
        return str(translate(self.keep)).format(**{name: config[name] for name in self.settings})


@dataclass(frozen=True)
class Personal:
    category: str
    purpose: Purpose
    basis: LegalBasis
    rule: Rule
    erase: Erase = Erase.CLEAR


@dataclass(frozen=True)
class NotPersonal:
    reason: str


@dataclass(frozen=True)
class StoredFile:
    """A kind of stored file (app/storage.py), found through the column that holds its storage key."""

    kind: str
    table: str
    key_column: str
    classification: Personal


# --- purposes -------------------------------------------------------------------------------------------------------

ACCOUNTS = Purpose("accounts", N_("Accounts"),
                   N_("Give people an account to apply, evaluate or manage calls, and reach "
                   "them about it."))
INTAKE = Purpose("intake", N_("Proposals"), N_("Receive proposals, check them against the call's rules, and prove what "
                 "was submitted and when."))
EVALUATION = Purpose("evaluation", N_("Evaluation"), N_("Have proposals evaluated by independent experts free of "
                     "conflicts of interest."))
DECISIONS = Purpose("decisions", N_("Decisions and letters"),
                    N_("Decide on the proposals, tell the applicants, and let "
                    "them seek redress."))
ACCOUNTABILITY = Purpose("accountability", N_("Accountability"), N_("Keep a trail of every decision and change, and of "
                         "officers' access to personal data."))
SECURITY = Purpose("security", N_("Security"), N_("Protect accounts against password guessing and misuse."))
RIGHTS = Purpose("rights", N_("Your rights"), N_("Answer requests to see, correct or erase personal data, and keep "
                 "proof of what was done."))
PANELS = Purpose("panels", N_("Balanced panels"),
                 N_("Compose evaluation panels with a balance of nationalities and genders, "
                 "as the call's rules ask, and show officers the balance reached."))
PURPOSES = (ACCOUNTS, INTAKE, EVALUATION, PANELS, DECISIONS, ACCOUNTABILITY, SECURITY, RIGHTS)

# --- legal bases ----------------------------------------------------------------------------------------------------

PUBLIC_TASK = LegalBasis(
    "public_task", N_("Art. 5(1)(a) of Regulation (EU) 2018/1725"), N_("Art. 6(1)(e) GDPR"),
    N_("a task carried out in the public interest: running the call under its programme and the Financial Regulation"))
LEGAL_OBLIGATION = LegalBasis(
    "legal_obligation", N_("Art. 5(1)(b) of Regulation (EU) 2018/1725"), N_("Art. 6(1)(c) GDPR"),
    N_("a legal obligation: keeping the records of an award procedure for audit and redress, and answering requests "
    "about personal data"))
CONTRACT = LegalBasis(
    "contract", N_("Art. 5(1)(c) of Regulation (EU) 2018/1725"), N_("Art. 6(1)(b) GDPR"),
    N_("a contract with the person: an evaluator's appointment as an independent expert"))
CONSENT = LegalBasis(
    "consent", N_("Art. 5(1)(d) of Regulation (EU) 2018/1725"), N_("Art. 6(1)(a) GDPR"),
    N_("consent: a sensitive answer the person gives only if they wish (\"prefer not to say\" is offered), declares "
    "themselves and may change or remove at any time"))
LEGAL_BASES = (PUBLIC_TASK, LEGAL_OBLIGATION, CONTRACT, CONSENT)

# --- retention rules ------------------------------------------------------------------------------------------------

ACCOUNT = Rule(
    "account", N_("Account"),
    N_("while the account is used; an applicant's or evaluator's account {RETENTION_ACCOUNT_INACTIVE_YEARS} years "
    "after its last log-in, any account when its owner asks"),
    N_("pseudonymised: name and e-mail address replaced by a pseudonym (\"Person 7f3a…\") everywhere, password, API "
    "tokens, corrections and log-in history deleted; records a rule keeps longer stay, under the pseudonym"),
    settings=("RETENTION_ACCOUNT_INACTIVE_YEARS",))
DRAFT = Rule(
    "draft", N_("Draft never submitted"), N_("{RETENTION_DRAFT_DAYS} days after the proposal's deadline"),
    N_("deleted with its annexes"), settings=("RETENTION_DRAFT_DAYS",))
UNSUCCESSFUL = Rule(
    "unsuccessful", N_("Proposal not funded"),
    N_("{RETENTION_UNSUCCESSFUL_YEARS} years after the redress period ({REDRESS_DAYS} days from the decision or the "
    "withdrawal) ends"), N_("its personal content is erased"),
    settings=("RETENTION_UNSUCCESSFUL_YEARS", "REDRESS_DAYS"))
FUNDED = Rule(
    "funded", N_("Funded proposal"),
    N_("the grant's audit period: {RETENTION_GRANT_AUDIT_YEARS} years after the project ends (the decision plus the "
    "project's duration)"), N_("its personal content is erased"), settings=("RETENTION_GRANT_AUDIT_YEARS",))
PROPOSAL_FILE = Rule(
    "proposal_file", N_("Proposal file"),
    N_("drafts: {RETENTION_DRAFT_DAYS} days after the deadline; proposals not funded: {RETENTION_UNSUCCESSFUL_YEARS} "
    "years after the redress period ends; funded proposals: {RETENTION_GRANT_AUDIT_YEARS} years after the project "
    "ends"),
    N_("drafts are deleted; of a submitted proposal, the submitted versions' text, the annexes and letters (files), "
    "contact addresses, texts that may name people and the e-mails sent are erased; the reference, title, scores, "
    "decision and every hash stay, and a receipt verifies as \"content erased on <date> under <rule>\""),
    settings=("RETENTION_DRAFT_DAYS", "RETENTION_UNSUCCESSFUL_YEARS", "RETENTION_GRANT_AUDIT_YEARS"),
    parts=(DRAFT, UNSUCCESSFUL, FUNDED))
EVALUATOR = Rule(
    "evaluator", N_("Evaluator's declarations"), N_("{RETENTION_EVALUATOR_YEARS} years after the call's decision"),
    N_("affiliation, nationality, gender, expertise and written declarations are erased; the acceptance of the code of "
    "conduct and the conflict declarations stay as dates and answers"), settings=("RETENTION_EVALUATOR_YEARS",))
AUDIT = Rule(
    "audit", N_("Audit trail"), N_("kept as long as the system runs"),
    N_("the people it names are pseudonymised when they are erased, so it still tells the whole story"))
WITH_RECORD = Rule(
    "with_record", N_("With its record"), N_("as long as the record it belongs to"),
    N_("points to the person's pseudonym once the person is erased"))
ACCESS_LOG = Rule(
    "access_log", N_("Access log"), N_("{RETENTION_ACCESS_LOG_YEARS} years after the access"), N_("deleted"),
    settings=("RETENTION_ACCESS_LOG_YEARS",))
SHORT = Rule(
    "short", N_("Short-lived"),
    N_("{RETENTION_SHORT_DAYS} days after the log-in attempt, after an e-mail change was requested, or after an "
    "invitation was answered or expired"), N_("deleted, or the address erased"), settings=("RETENTION_SHORT_DAYS",))
REGISTER = Rule(
    "register", N_("Erasure register"), N_("kept as long as the system runs"),
    N_("it holds pseudonyms only; it makes a restored backup forget what was erased after the backup was made"))
REQUEST = Rule(
    "request", N_("On request"),
    N_("when the person asks (Art. 19 of Regulation (EU) 2018/1725, Art. 17 GDPR) and no rule above keeps it longer"),
    N_("as for the account"))
RULES: dict[str, Rule] = {rule.key: rule for rule in (
    ACCOUNT, DRAFT, UNSUCCESSFUL, FUNDED, PROPOSAL_FILE, EVALUATOR, AUDIT, WITH_RECORD, ACCESS_LOG, SHORT, REGISTER,
    REQUEST)}

# --- classifications ------------------------------------------------------------------------------------------------

IDENTITY = Personal(N_("Name and e-mail address"), ACCOUNTS, PUBLIC_TASK, ACCOUNT, Erase.PSEUDONYMISE)
CREDENTIALS = Personal(N_("Password (a salted hash)"), SECURITY, PUBLIC_TASK, ACCOUNT)
ACCOUNT_USE = Personal(N_("Organisation membership and last log-in"), ACCOUNTS, PUBLIC_TASK, ACCOUNT)
LANGUAGE = Personal(N_("Language chosen for pages, e-mails and letters"), ACCOUNTS, PUBLIC_TASK, ACCOUNT)
API_TOKENS = Personal(N_("API tokens and their use"), SECURITY, PUBLIC_TASK, ACCOUNT, Erase.DELETE_ROW)
SESSIONS = Personal(
    N_("Signed-in sessions (the browser's user agent, the network address, when started and last seen)"),
                    SECURITY, PUBLIC_TASK, ACCOUNT, Erase.DELETE_ROW)
SECOND_FACTOR = Personal(N_("Two-factor sign-in: the authenticator's secret and when it was set up and last used"),
                         SECURITY, PUBLIC_TASK, ACCOUNT)
RECOVERY_CODES = Personal(
    N_("Two-factor recovery codes (hashed) and when each was used"), SECURITY, PUBLIC_TASK, ACCOUNT,
                          Erase.DELETE_ROW)
JOIN_MESSAGE = Personal(N_("Message sent with a request to join an organisation"), ACCOUNTS, PUBLIC_TASK, ACCOUNT)
CORRECTIONS = Personal(N_("Corrections of personal data (the value before and after)"), RIGHTS, LEGAL_OBLIGATION,
                       ACCOUNT)
LINK = Personal(N_("Who did what: a link to an account"), ACCOUNTABILITY, PUBLIC_TASK, WITH_RECORD, Erase.KEEP)
CONSENTS = Personal(N_("Texts accepted (code of conduct, declarations), with their version and time"), ACCOUNTABILITY,
                    LEGAL_OBLIGATION, WITH_RECORD, Erase.KEEP)
CONTACTS = Personal(N_("Contact e-mail addresses of the consortium"), INTAKE, PUBLIC_TASK, PROPOSAL_FILE)
PROPOSAL_TEXT = Personal(N_("Texts of a proposal file that may name people (abstract, reasons)"), INTAKE, PUBLIC_TASK,
                         PROPOSAL_FILE)
ANNEXES = Personal(N_("Annexes (Part B with the team's CVs, letters of support)"), INTAKE, PUBLIC_TASK, PROPOSAL_FILE,
                   Erase.DELETE_ROW)
SUBMITTED_VERSIONS = Personal(
    N_("Submitted versions: the submitter's name and e-mail address, contacts, annexes' names"),
                              INTAKE, LEGAL_OBLIGATION, PROPOSAL_FILE)
EVALUATION_COMMENTS = Personal(N_("Evaluators' comments on a proposal"), EVALUATION, PUBLIC_TASK, PROPOSAL_FILE)
NOTIFICATIONS = Personal(
    N_("E-mails sent about a decision (recipients and text)"), DECISIONS, PUBLIC_TASK, PROPOSAL_FILE)
LETTERS = Personal(N_("Decision letters (addressed to the consortium, with the evaluation summary)"), DECISIONS,
                   LEGAL_OBLIGATION, PROPOSAL_FILE)
EVALUATOR_PROFILE = Personal(N_("Evaluator's affiliation, country and expertise"), EVALUATION, CONTRACT, EVALUATOR)
EVALUATOR_NATIONALITY = Personal(N_("Evaluator's nationality"), PANELS, CONTRACT, EVALUATOR)
EVALUATOR_GENDER = Personal(
    N_("Evaluator's gender (sensitive; optional and self-declared, \"prefer not to say\" offered)"),
                            PANELS, CONSENT, EVALUATOR)
EVALUATOR_STATEMENTS = Personal(N_("Evaluator's written declarations (conflicts of interest, withdrawal)"), EVALUATION,
                                CONTRACT, EVALUATOR)
EVALUATOR_RECORD = Personal(N_("Evaluator's answers and dates (conflict declared or not, code of conduct accepted)"),
                            EVALUATION, CONTRACT, EVALUATOR, Erase.KEEP)
AUDIT_DETAILS = Personal(N_("Audit trail details (e-mail addresses of the people an event concerns)"), ACCOUNTABILITY,
                         PUBLIC_TASK, AUDIT, Erase.PSEUDONYMISE)
LOGIN_ATTEMPTS = Personal(N_("Log-in attempts (a hash of the e-mail address given)"), SECURITY, PUBLIC_TASK, SHORT,
                          Erase.DELETE_ROW)
LOGIN_COUNTERS = Personal(N_("Counts of recent log-in attempts (a hash of the e-mail and network address given)"),
                          SECURITY, PUBLIC_TASK, SHORT, Erase.DELETE_ROW)
INVITEE = Personal(N_("E-mail address of an invited colleague"), ACCOUNTS, PUBLIC_TASK, SHORT)
NEW_EMAIL = Personal(N_("A new e-mail address waiting for confirmation"), RIGHTS, LEGAL_OBLIGATION, SHORT,
                     Erase.DELETE_ROW)
ACCESS = Personal(N_("Officers' access to personal data (who, which proposal or person, when)"), ACCOUNTABILITY,
                  LEGAL_OBLIGATION, ACCESS_LOG, Erase.DELETE_ROW)
REGISTER_ENTRY = Personal(N_("Erasure register (pseudonyms, rules and dates)"), RIGHTS, LEGAL_OBLIGATION, REGISTER,
                          Erase.KEEP)

# Reasons a column is not personal data.
ID = "an identifier or a link between records"
SETTING = "a setting of the call or of the process"
STATE = "the state of a record (status, counts, times of the record itself)"
LEGAL_PERSON = "about an organisation (a legal person), not a natural person"
PROJECT = "what the project is (reference, acronym, title, strand, money): kept for counts, rankings and letters"
SCORE = "a score of a proposal"
TECHNICAL = "technical: job payloads and results hold ids and counts"
HASH = "a SHA-256 of content or of a secret, not of a person's data"
OFFICERS_TEXT = "an officer's working note about the procedure (officers are told not to name people in it)"


def not_personal(table: str, columns: str, reason: str) -> dict[str, NotPersonal]:
    """Several columns of one table that hold no personal data, for one reason."""
    return {f"{table}.{name}": NotPersonal(reason) for name in columns.split()}


COLUMNS: dict[str, Personal | NotPersonal] = {
    # --- accounts ---
    "users.email": IDENTITY, "users.full_name": IDENTITY, "users.password_hash": CREDENTIALS,
    "users.organisation_id": ACCOUNT_USE, "users.last_login_at": ACCOUNT_USE, "users.language": LANGUAGE,
    "users.registration_organisation_name": ACCOUNT_USE, "users.registration_country": ACCOUNT_USE,
    "users.registration_organisation_type": ACCOUNT_USE,
    "users.totp_secret": SECOND_FACTOR, "users.totp_confirmed_at": SECOND_FACTOR, "users.totp_last_step": SECOND_FACTOR,
    "recovery_codes.used_at": RECOVERY_CODES, "recovery_codes.user_id": LINK,
    **not_personal("recovery_codes", "id created_at", STATE), **not_personal("recovery_codes", "code_hash", HASH),
    **not_personal("users", "id", ID),
    **not_personal("users", "is_active_account created_at email_confirmed_at", STATE),
    "user_roles.user_id": LINK, **not_personal("user_roles", "role", STATE),
    "api_tokens.label": API_TOKENS, "api_tokens.last_used_at": API_TOKENS, "api_tokens.user_id": LINK,
    **not_personal("api_tokens", "id created_at revoked_at expires_at", STATE),
    **not_personal("api_tokens", "token_hash", HASH),
    "user_sessions.user_agent": SESSIONS, "user_sessions.address": SESSIONS, "user_sessions.user_id": LINK,
    "user_sessions.started_at": SESSIONS, "user_sessions.last_seen_at": SESSIONS,
    **not_personal("user_sessions", "id", ID), **not_personal("user_sessions", "token_hash", HASH),
    "login_attempts.email_digest": LOGIN_ATTEMPTS, **not_personal("login_attempts", "id at succeeded", STATE),
    "attempt_counters.key": LOGIN_COUNTERS, **not_personal("attempt_counters", "count expires_at", STATE),
    **not_personal("organisations", "id", ID), **not_personal("organisations", "name country type", LEGAL_PERSON),
    **not_personal("organisations", "created_at", STATE),
    "organisation_invitations.email": INVITEE, "organisation_invitations.invited_by_id": LINK,
    "organisation_invitations.answered_by_id": LINK,
    **not_personal("organisation_invitations", "id organisation_id", ID),
    **not_personal("organisation_invitations", "token_hash", HASH),
    **not_personal("organisation_invitations", "status created_at expires_at answered_at", STATE),
    "organisation_join_requests.message": JOIN_MESSAGE, "organisation_join_requests.user_id": LINK,
    "organisation_join_requests.decided_by_id": LINK,
    **not_personal("organisation_join_requests", "id organisation_id", ID),
    **not_personal("organisation_join_requests", "status created_at decided_at", STATE),
    # --- calls ---
    **not_personal("calls", "id practice_of_id transfer_to_call_id", ID),
    **not_personal("calls", "code title programme kind description opens_at deadline time_zone budget max_awards "
                            "max_grant_per_proposal min_partners min_countries eligible_countries page_limit "
                            "evaluators_per_proposal strands strand_label duration_min_months duration_max_months "
                            "overall_threshold tie_break coverage_field budget_policy reserve_size country_conflict "
                            "nationality_rule country_conflict_scope country_conflict_strength gender_rule "
                            "gender_target evaluation_deadline evaluation_mode created_at", SETTING),
    # The controller's and the DPO's published contact: a function's address, shown to everyone.
    **not_personal("calls", "privacy_controller privacy_dpo", SETTING),
    # The letters' contact point is a function's address too; the life cycle's decisions are the call's state.
    **not_personal("calls", "letter_contact grant_preparation_days redress_days redress_unopened_days "
                            "redress_wording organisation_types required_annexes optional_annexes texts", SETTING),
    **not_personal("calls", "published_at archived_at", STATE),
    **not_personal("criteria", "id call_id", ID),
    **not_personal("criteria", "key name description max_score weight threshold position", SETTING),
    # --- proposals ---
    "proposals.abstract": PROPOSAL_TEXT, "proposals.extension_reason": PROPOSAL_TEXT,
    "proposals.eligibility_reason": PROPOSAL_TEXT,
    "proposals.created_by_id": LINK, "proposals.extension_granted_by_id": LINK, "proposals.withdrawn_by_id": LINK,
    "proposals.updated_by_id": LINK, "proposals.screened_by_id": LINK,
    **not_personal("proposals", "id call_id organisation_id transferred_from_id", ID),
    **not_personal("proposals", "number reference acronym title keywords strand duration_months requested_grant",
                   PROJECT),
    **not_personal("proposals", "status edit_version extended_deadline extension_granted_at withdrawn_at eligibility "
                                "screened_at decision reserve_position decided_at created_at updated_at", STATE),
    "partners.contact_email": CONTACTS, **not_personal("partners", "id proposal_id", ID),
    **not_personal("partners", "position is_coordinator name country organisation_type", LEGAL_PERSON),
    **not_personal("partners", "requested_amount", PROJECT),
    "documents.filename": ANNEXES, "documents.uploaded_by_id": LINK, **not_personal("documents", "id proposal_id", ID),
    **not_personal("documents", "kind size_bytes page_count uploaded_at removed_at", STATE),
    **not_personal("documents", "sha256", HASH),
    "submissions.snapshot": SUBMITTED_VERSIONS, "submissions.submitted_by_id": LINK,
    **not_personal("submissions", "id proposal_id", ID),
    **not_personal("submissions", "version receipt_number submitted_at edit_version", STATE),
    **not_personal("submissions", "sha256", HASH),
    # --- evaluation ---
    "pool_members.organisation_name": EVALUATOR_PROFILE, "pool_members.country": EVALUATOR_PROFILE,
    "pool_members.expertise": EVALUATOR_PROFILE, "pool_members.expertise_keywords": EVALUATOR_PROFILE,
    "pool_members.expertise_statement": EVALUATOR_PROFILE, "pool_members.nationality": EVALUATOR_NATIONALITY,
    "pool_members.gender": EVALUATOR_GENDER, "assignments.shared_terms": EVALUATOR_PROFILE,
    "assignments.affinity": EVALUATOR_PROFILE, "pool_members.withdrawn_reason": EVALUATOR_STATEMENTS,
    "pool_members.code_of_conduct_accepted_at": EVALUATOR_RECORD, "pool_members.user_id": LINK,
    **not_personal("pool_members", "id call_id", ID),
    **not_personal("pool_members", "max_load invited_at withdrawn_at", STATE),
    "assignments.conflict_note": EVALUATOR_STATEMENTS, "assignments.conflict_waived_reason": EVALUATOR_STATEMENTS,
    "assignments.withdrawn_reason": EVALUATOR_STATEMENTS, "assignments.conflict": EVALUATOR_RECORD,
    "assignments.declared_at": EVALUATOR_RECORD, "assignments.evaluator_id": LINK,
    "assignments.conflict_waived_by_id": LINK, **not_personal("assignments", "id call_id proposal_id", ID),
    **not_personal("assignments", "state is_rapporteur created_at published_at withdrawn_at", STATE),
    "individual_reports.overall_comment": EVALUATION_COMMENTS, **not_personal("individual_reports", "id assignment_id",
                                                                             ID),
    **not_personal("individual_reports", "status updated_at submitted_at", STATE),
    "individual_scores.comment": EVALUATION_COMMENTS, **not_personal("individual_scores", "id report_id criterion_id",
                                                                     ID),
    **not_personal("individual_scores", "score", SCORE),
    "consensus_reports.overall_comment": EVALUATION_COMMENTS, "consensus_reports.rapporteur_id": LINK,
    "consensus_reports.approved_by_id": LINK, **not_personal("consensus_reports", "id proposal_id", ID),
    **not_personal("consensus_reports", "status updated_at submitted_at approved_at superseded_at", STATE),
    "consensus_scores.comment": EVALUATION_COMMENTS, **not_personal("consensus_scores", "id report_id criterion_id",
                                                                    ID),
    **not_personal("consensus_scores", "score", SCORE),
    # A call for expression of interest: the programme officer's assessment, with its reasons (like a comment).
    "assessments.note": EVALUATION_COMMENTS, "assessments.assessor_id": LINK,
    **not_personal("assessments", "id proposal_id", ID), **not_personal("assessments", "verdict fit", SCORE),
    **not_personal("assessments", "created_at updated_at", STATE),
    # --- selection and letters ---
    "selection_runs.created_by_id": LINK, "selection_runs.finalised_by_id": LINK,
    **not_personal("selection_runs", "id call_id parent_run_id", ID),
    **not_personal("selection_runs", "number status options input_json output_json input_sha256 output_sha256 "
                                     "summary created_at finalised_at superseded_at", STATE),
    **not_personal("selection_runs", "note", OFFICERS_TEXT),
    "tie_resolutions.created_by_id": LINK, "tie_resolutions.revoked_by_id": LINK,
    **not_personal("tie_resolutions", "id call_id", ID),
    **not_personal("tie_resolutions", "ordered_references created_at revoked_at", STATE),
    **not_personal("tie_resolutions", "justification", OFFICERS_TEXT),
    "transfer_offers.offered_by_id": LINK, "transfer_offers.responded_by_id": LINK,
    **not_personal("transfer_offers", "id proposal_id target_call_id run_id copy_id", ID),
    **not_personal("transfer_offers", "status offered_at responded_at", STATE),
    "letters.published_by_id": LINK, **not_personal("letters", "id proposal_id run_id batch_id", ID),
    **not_personal("letters", "kind reference verification_code decision_date created_at published_at size_bytes "
                              "page_count opened_at", STATE),
    # --- evaluation review (redress): the coordinator's grounds may name people; kept like the proposal's file ---
    "redress_requests.grounds_text": PROPOSAL_TEXT, "redress_requests.assessment": PROPOSAL_TEXT,
    "redress_requests.filed_by_id": LINK, "redress_requests.decided_by_id": LINK,
    "redress_requests.closed_by_id": LINK,
    **not_personal("redress_requests", "id call_id proposal_id letter_id reply_letter_id rerun_id outcome_run_id", ID),
    **not_personal("redress_requests", "stage ground status filed_at window_closes_at decided_at outcome closed_at",
                   STATE),
    **not_personal("letters", "sha256", HASH),
    "letter_batches.created_by_id": LINK, **not_personal("letter_batches", "id run_id", ID),
    **not_personal("letter_batches", "status total done skipped failed errors created_at updated_at finished_at",
                   STATE),
    "outbox_messages.recipients": NOTIFICATIONS, "outbox_messages.body": NOTIFICATIONS,
    "outbox_messages.error": NOTIFICATIONS, **not_personal("outbox_messages", "id call_id letter_id", ID),
    **not_personal("outbox_messages", "subject status attempts created_at sent_at cancelled_at", STATE),
    # --- the system ---
    "audit_events.data": AUDIT_DETAILS, "audit_events.actor_id": LINK,
    **not_personal("audit_events", "id object_type object_id", ID), **not_personal("audit_events", "at action", STATE),
    **not_personal("jobs", "id kind payload status attempts result error created_at started_at finished_at "
                           "claimed_by dispatched_at", TECHNICAL),
    # --- personal data itself ---
    "consents.given_at": CONSENTS, "consents.user_id": LINK, **not_personal("consents", "id call_id submission_id", ID),
    **not_personal("consents", "kind text_version text_sha256", STATE),
    "personal_data_corrections.old_value": CORRECTIONS, "personal_data_corrections.new_value": CORRECTIONS,
    "personal_data_corrections.user_id": LINK, "personal_data_corrections.corrected_by_id": LINK,
    **not_personal("personal_data_corrections", "id organisation_id", ID),
    **not_personal("personal_data_corrections", "field corrected_at", STATE),
    "email_changes.new_email": NEW_EMAIL, "email_changes.user_id": LINK, **not_personal("email_changes", "id", ID),
    **not_personal("email_changes", "requested_at expires_at sent_at send_error confirmed_at cancelled_at", STATE),
    "personal_data_access.user_id": ACCESS, "personal_data_access.subject_id": ACCESS,
    "personal_data_access.path": ACCESS, "personal_data_access.note": ACCESS,
    **not_personal("personal_data_access", "id proposal_id proposal_reference", ID),
    **not_personal("personal_data_access", "at action", STATE),
    "personal_data_erasures.label": REGISTER_ENTRY, "personal_data_erasures.request_reference": REGISTER_ENTRY,
    "personal_data_erasures.erased_by_id": LINK, **not_personal("personal_data_erasures", "id subject_id", ID),
    **not_personal("personal_data_erasures", "kind rule erased_at summary", STATE),
}

STORED_FILES: tuple[StoredFile, ...] = (
    StoredFile("annex", "documents", "sha256", ANNEXES),
    StoredFile("letter", "letters", "sha256", LETTERS),
)


def personal_columns(rule: Rule | None = None) -> dict[str, Personal]:
    """`table.column` → classification of every personal column (under `rule` only, when given)."""
    return {name: kind for name, kind in COLUMNS.items()
            if isinstance(kind, Personal) and (rule is None or kind.rule is rule)}


def columns_of(table: str, rule: Rule, *erase: Erase) -> list[str]:
    """The names of `table`'s personal columns under `rule` that are erased in one of the ways `erase`."""
    prefix = f"{table}."
    return [name.removeprefix(prefix) for name, kind in personal_columns(rule).items()
            if name.startswith(prefix) and kind.erase in erase]


def rule_periods(config: Mapping[str, Any]) -> dict[str, str]:
    """Each rule's key → how long, with the configured periods."""
    return {key: rule.describe(config) for key, rule in RULES.items()}
