"""The closed vocabularies of the domain, stored as their string values."""

from enum import StrEnum


class Role(StrEnum):
    APPLICANT = "applicant"
    EVALUATOR = "evaluator"
    OFFICER = "officer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {"applicant": "Applicant", "evaluator": "Evaluator", "officer": "Programme officer",
                "admin": "Administrator"}[self.value]


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
            "cluster_organisation": "Cluster organisation",
            "sme": "SME",
            "large_company": "Large company",
            "university_or_research": "University or research organisation",
            "public_authority": "Public authority",
            "business_support_organisation": "Business support organisation",
            "other": "Other",
        }[self.value]


class CallKind(StrEnum):
    GRANT = "grant"
    EVENT = "event"


class CallState(StrEnum):
    """Derived from the clock: a call needs no cron job to close."""

    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


class BudgetPolicy(StrEnum):
    SKIP = "skip"
    STOP = "stop"
