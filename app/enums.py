"""The closed vocabularies of the domain, stored as their string values."""

from enum import StrEnum

from app.languages import N_


class Role(StrEnum):
    APPLICANT = "applicant"
    EVALUATOR = "evaluator"
    OFFICER = "officer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"applicant": N_("Applicant"), "evaluator": N_("Evaluator"), "officer": N_("Programme officer"),
                "admin": N_("Administrator")}[self.value]


class OrganisationType(StrEnum):
    CLUSTER = "cluster_organisation"
    SME = "sme"
    LARGE_COMPANY = "large_company"
    RESEARCH = "university_or_research"
    PUBLIC_AUTHORITY = "public_authority"
    BUSINESS_SUPPORT = "business_support_organisation"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "cluster_organisation": N_("Cluster organisation"),
            "sme": N_("SME"),
            "large_company": N_("Large company"),
            "university_or_research": N_("University or research organisation"),
            "public_authority": N_("Public authority"),
            "business_support_organisation": N_("Business support organisation"),
            "other": N_("Other"),
        }[self.value]


class CallKind(StrEnum):
    GRANT = "grant"
    EVENT = "event"


class EvaluationMode(StrEnum):
    """How a call decides: evaluators score its proposals (experts), or the programme officer assesses each eligible
    one as suitable or not for the call's aims (assessment: calls for expression of interest, which have no budget)."""

    EXPERTS = "experts"
    ASSESSMENT = "assessment"


class Verdict(StrEnum):
    """The programme officer's assessment of a proposal in an assessment-mode call."""

    SUITABLE = "suitable"
    NOT_SUITABLE = "not_suitable"


class CallState(StrEnum):
    """Derived from the clock: a call needs no cron job to close."""

    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


class CallPhase(StrEnum):
    """Where a call is in its life cycle (app/services/call_lifecycle.py). Only `published` and `archived` are
    decisions stored on the call; the others follow from its dates, proposals, assignments and runs."""

    DRAFT = "draft"
    PUBLISHED = "published"
    OPEN = "open"
    CLOSED = "closed"
    IN_EVALUATION = "in_evaluation"
    DECIDED = "decided"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class BudgetPolicy(StrEnum):
    SKIP = "skip"
    STOP = "stop"


class ProposalStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


class DocumentKind(StrEnum):
    PART_B = "part_b"
    SUPPORT_LETTER = "support_letter"

    @property
    def label(self) -> str:
        return {"part_b": N_("Part B (technical description)"), "support_letter": N_("Letter of support")}[self.value]


class Eligibility(StrEnum):
    """The officer's screening decision after the deadline."""

    PENDING = "pending"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"


class AssignmentState(StrEnum):
    PROPOSED = "proposed"      # computed or edited by the officer, invisible to the evaluator
    PUBLISHED = "published"    # the evaluator sees it
    WITHDRAWN = "withdrawn"    # the evaluator withdrew or was replaced; kept for the record


class Gender(StrEnum):
    """An evaluator's gender as they declare it (optional: no answer is None, and "prefer not to say" counts as one
    of the answers, not as missing)."""

    WOMAN = "woman"
    MAN = "man"
    ANOTHER = "another"  # non-binary or another gender identity
    PREFER_NOT_TO_SAY = "prefer_not_to_say"

    @property
    def label(self) -> str:
        return {"woman": N_("Woman"), "man": N_("Man"), "another": N_("Non-binary or another gender"),
                "prefer_not_to_say": N_("Prefer not to say")}[self.value]


class RuleStrength(StrEnum):
    """How a call's panel rule applies to the automatic assignment."""

    OFF = "off"
    SOFT = "soft"  # kept whenever it can be, broken as little as possible when it cannot
    HARD = "hard"  # never broken: the assignment is refused, naming the rule, when it cannot be met

    @property
    def label(self) -> str:
        return {"off": N_("Off"), "soft": N_("Soft: kept whenever possible"),
                "hard": N_("Hard: never broken")}[self.value]


class CountryScope(StrEnum):
    """Whose countries the call's country rule keeps evaluators away from."""

    COORDINATOR = "coordinator"
    CONSORTIUM = "consortium"  # the coordinator's and every partner's

    @property
    def label(self) -> str:
        return {"coordinator": N_("The coordinator's country"),
                "consortium": N_("Any country of the consortium (coordinator and partners)")}[self.value]


class ConflictDeclaration(StrEnum):
    UNDECLARED = "undeclared"
    NO_CONFLICT = "no_conflict"
    CONFLICT = "conflict"


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"


class RunStatus(StrEnum):
    DRAFT = "draft"
    FINALISED = "finalised"


class Decision(StrEnum):
    """Where a proposal ends after a finalised selection run (or screening)."""

    SELECTED = "selected"
    RESERVE = "reserve"
    REJECTED = "rejected"
    INELIGIBLE = "ineligible"
    # A selected consortium that declined the grant (the selection's promotion run records it).
    DECLINED = "declined"


class LetterKind(StrEnum):
    AWARD = "award"
    RESERVE = "reserve"
    REJECTION = "rejection"
    INELIGIBLE = "ineligible"
    REDRESS_REPLY = "redress_reply"  # the review committee's reasoned reply to an evaluation review request


_LETTER_KIND_LABELS = {
    (LetterKind.AWARD, CallKind.GRANT): N_("Award letter"),
    (LetterKind.RESERVE, CallKind.GRANT): N_("Reserve list letter"),
    (LetterKind.REJECTION, CallKind.GRANT): N_("Rejection letter"),
    (LetterKind.INELIGIBLE, CallKind.GRANT): N_("Ineligibility letter"),
    (LetterKind.AWARD, CallKind.EVENT): N_("Acceptance letter"),
    (LetterKind.RESERVE, CallKind.EVENT): N_("Waiting list letter"),
    (LetterKind.REJECTION, CallKind.EVENT): N_("Non-acceptance letter"),
    (LetterKind.INELIGIBLE, CallKind.EVENT): N_("Ineligibility letter"),
    (LetterKind.REDRESS_REPLY, CallKind.GRANT): N_("Evaluation review reply"),
    (LetterKind.REDRESS_REPLY, CallKind.EVENT): N_("Evaluation review reply"),
}
_DECISION_LABELS = {
    CallKind.GRANT: {LetterKind.AWARD: N_("Selected for funding"), LetterKind.RESERVE: N_("Reserve list"),
                     LetterKind.REJECTION: N_("Not selected"), LetterKind.INELIGIBLE: N_("Ineligible"),
                     LetterKind.REDRESS_REPLY: N_("Review: the decision stands")},
    CallKind.EVENT: {LetterKind.AWARD: N_("Accepted"), LetterKind.RESERVE: N_("Waiting list"),
                     LetterKind.REJECTION: N_("Not accepted"), LetterKind.INELIGIBLE: N_("Ineligible"),
                     LetterKind.REDRESS_REPLY: N_("Review: the decision stands")},
}


def letter_kind_label(kind: LetterKind, call_kind: CallKind) -> str:
    """'Award letter', 'Waiting list letter': a letter's name in a grant call or an event call (English: translate it
    where it is shown, gettext of the same text)."""
    return _LETTER_KIND_LABELS[(kind, call_kind)]


def letter_decision_label(kind: LetterKind, call_kind: CallKind) -> str:
    """'Selected for funding', 'Accepted': the decision a letter announces."""
    return _DECISION_LABELS[call_kind][kind]


class RedressStatus(StrEnum):
    """Where an evaluation review (redress) request is: filed and awaiting the review committee."""

    FILED = "filed"
    REJECTED = "rejected"  # the committee found no failing that could change the decision: it stands
    UPHELD = "upheld"  # the committee found a failing: the proposal is re-evaluated by new evaluators

    @property
    def label(self) -> str:
        return {"filed": N_("Filed: awaiting the review committee"),
                "rejected": N_("Rejected: the decision stands"),
                "upheld": N_("Upheld: the proposal is being re-evaluated")}[self.value]


class RedressGround(StrEnum):
    """What a redress request may point to: a procedural failing or a factual error, never the scientific merit."""

    ELIGIBILITY_CHECK = "eligibility_check"
    EVALUATION_PROCEDURE = "evaluation_procedure"
    SCORE_COMMENT_INCOHERENCE = "incoherence"

    @property
    def label(self) -> str:
        return {"eligibility_check": N_("The eligibility check (a factual error or a rule misapplied)"),
                "evaluation_procedure": N_("The evaluation procedure (a step not followed as the call says)"),
                "incoherence": N_("Incoherence between the scores and the comments")}[self.value]


# The letters that may be reviewed, and the grounds each stage admits: an ineligible proposal was not evaluated, and a
# proposal that was evaluated passed the eligibility check.
REDRESS_GROUNDS: dict[LetterKind, tuple[RedressGround, ...]] = {
    LetterKind.INELIGIBLE: (RedressGround.ELIGIBILITY_CHECK,),
    LetterKind.REJECTION: (RedressGround.EVALUATION_PROCEDURE, RedressGround.SCORE_COMMENT_INCOHERENCE),
    LetterKind.RESERVE: (RedressGround.EVALUATION_PROCEDURE, RedressGround.SCORE_COMMENT_INCOHERENCE),
}


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class BatchStatus(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"                 # every letter is there
    FINISHED_WITH_ERRORS = "finished_with_errors"  # some letters failed; the others are kept

    @property
    def label(self) -> str:
        return {"running": N_("Running"), "finished": N_("Finished"),
                "finished_with_errors": N_("Finished with errors")}[self.value]


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"      # claimed by a worker: being sent now (never picked up by a second one)
    SENT = "sent"
    FAILED = "failed"        # the SMTP server refused it; stays for another try
    CANCELLED = "cancelled"  # withdrawn by the officer, never sent


class OfferStatus(StrEnum):
    """An offer to transfer a proposal that was not selected to another call (event calls)."""

    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class JoinRequestStatus(StrEnum):
    """A newcomer's request to join an existing organisation, answered by one of its members."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    CANCELLED = "cancelled"  # withdrawn by the newcomer, or made moot (they joined through an invitation)

    @property
    def label(self) -> str:
        return {"pending": "Waiting for a member", "approved": "Approved", "refused": "Refused",
                "cancelled": "Cancelled"}[self.value]


class InvitationStatus(StrEnum):
    """A member's invitation of a colleague, by e-mail address; it expires when left unanswered."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REVOKED = "revoked"  # by a member, or replaced by a newer invitation to the same address


class ConsentKind(StrEnum):
    """A text a person accepted, kept with the version of the text (app/privacy/texts.py)."""

    CODE_OF_CONDUCT = "code_of_conduct"  # the evaluator's code of conduct and confidentiality, per call
    SUBMISSION_DECLARATION = "submission_declaration"  # the applicant's declaration, per submitted version

    @property
    def label(self) -> str:
        return {"code_of_conduct": "Code of conduct and confidentiality",
                "submission_declaration": "Declaration at submission"}[self.value]


class ErasureKind(StrEnum):
    """What an entry of the erasure register erased (app/services/personal_data.py, app/services/retention.py)."""

    PERSON = "person"  # an account pseudonymised everywhere
    PROPOSAL = "proposal"  # a proposal file's personal content (snapshots, annexes, letters, contacts, comments)
    DRAFT = "draft"  # a draft never submitted, deleted
    EVALUATORS = "evaluators"  # the evaluators' declarations of a call (the subject is the call)
