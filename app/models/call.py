"""Calls for proposals and their award criteria."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.enums import BudgetPolicy, CallKind, CallState, CountryScope, EvaluationMode, RuleStrength
from app.extensions import Model
from app.models.types import MONEY, SCORE, UTCDateTime


class Call(Model):
    __tablename__ = "calls"
    __table_args__ = (
        sa.CheckConstraint("budget IS NULL OR budget >= 0", name="budget_not_negative"),
        sa.CheckConstraint("max_awards IS NULL OR max_awards > 0", name="max_awards_positive"),
        sa.CheckConstraint(
            "max_grant_per_proposal IS NULL OR max_grant_per_proposal >= 0", name="max_grant_not_negative"
        ),
        sa.CheckConstraint("min_partners >= 1", name="min_partners_positive"),
        sa.CheckConstraint("min_countries >= 1", name="min_countries_positive"),
        sa.CheckConstraint("evaluators_per_proposal >= 1", name="evaluators_positive"),
        sa.CheckConstraint("page_limit IS NULL OR page_limit >= 1", name="page_limit_positive"),
        sa.CheckConstraint("reserve_size >= 0", name="reserve_size_not_negative"),
        sa.CheckConstraint("opens_at < deadline", name="opens_before_deadline"),
        sa.CheckConstraint("grant_preparation_days IS NULL OR grant_preparation_days >= 1",
                           name="grant_preparation_days_positive"),
        sa.CheckConstraint("gender_target >= 0 AND gender_target <= 50", name="gender_target_share"),
        sa.CheckConstraint("redress_days IS NULL OR redress_days >= 1", name="redress_days_positive"),
        sa.CheckConstraint("redress_unopened_days IS NULL OR redress_unopened_days >= 1",
                           name="redress_unopened_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    programme: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[CallKind] = mapped_column(
        sa.Enum(CallKind, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e])
    )
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Experts score the proposals, or (a call for expression of interest) the officer assesses them.
    evaluation_mode: Mapped[EvaluationMode] = mapped_column(
        sa.Enum(EvaluationMode, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e]),
        default=EvaluationMode.EXPERTS, server_default=EvaluationMode.EXPERTS.value,
    )
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    time_zone: Mapped[str] = mapped_column(sa.String(60), default="Europe/Brussels")
    budget: Mapped[Decimal | None] = mapped_column(MONEY)
    max_awards: Mapped[int | None]
    max_grant_per_proposal: Mapped[Decimal | None] = mapped_column(MONEY)
    min_partners: Mapped[int] = mapped_column(default=1)
    min_countries: Mapped[int] = mapped_column(default=1)
    # ISO alpha-2 codes; an empty list means organisations from any country may take part.
    eligible_countries: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    page_limit: Mapped[int | None]
    # OrganisationType values every partner, the coordinator included, must be (empty: any type).
    organisation_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # DocumentKind values: the annexes a proposal must have, and those it may add (the upload offers no others).
    required_annexes: Mapped[list[str]] = mapped_column(sa.JSON, default=lambda: ["part_b"])
    optional_annexes: Mapped[list[str]] = mapped_column(sa.JSON, default=lambda: ["support_letter"])
    evaluators_per_proposal: Mapped[int] = mapped_column(default=3)
    strands: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    strand_label: Mapped[str] = mapped_column(sa.String(60), default="Strand")
    duration_min_months: Mapped[int | None]
    duration_max_months: Mapped[int | None]
    overall_threshold: Mapped[Decimal | None] = mapped_column(SCORE)
    tie_break: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    coverage_field: Mapped[str | None] = mapped_column(sa.String(40))
    budget_policy: Mapped[BudgetPolicy] = mapped_column(
        sa.Enum(BudgetPolicy, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]),
        default=BudgetPolicy.SKIP,
    )
    reserve_size: Mapped[int] = mapped_column(default=0)
    # The country rule: when on, no evaluator from the coordinator's country (or, by scope, any partner's). Hard, it
    # is a conflict of interest (never assigned, proposal hidden); soft, the assignment avoids it when it can.
    country_conflict: Mapped[bool] = mapped_column(default=True)
    country_conflict_scope: Mapped[CountryScope] = mapped_column(
        sa.Enum(CountryScope, native_enum=False, length=12, values_callable=lambda e: [m.value for m in e]),
        default=CountryScope.COORDINATOR,
    )
    country_conflict_strength: Mapped[RuleStrength] = mapped_column(
        sa.Enum(RuleStrength, native_enum=False, length=4, values_callable=lambda e: [m.value for m in e]),
        default=RuleStrength.HARD,
    )
    # Panel rule: at most one evaluator of each nationality on a proposal (off, soft or hard).
    nationality_rule: Mapped[RuleStrength] = mapped_column(
        sa.Enum(RuleStrength, native_enum=False, length=4, values_callable=lambda e: [m.value for m in e]),
        default=RuleStrength.OFF,
    )
    # Panel rule: at least `gender_target` % women and as many men on each panel (off, soft or hard; see
    # matching.problem.COUNTED_GENDERS for the genders it does not count).
    gender_rule: Mapped[RuleStrength] = mapped_column(
        sa.Enum(RuleStrength, native_enum=False, length=4, values_callable=lambda e: [m.value for m in e]),
        default=RuleStrength.OFF,
    )
    gender_target: Mapped[int] = mapped_column(default=40)
    # When individual evaluation reports are due (set by the officer when assignments are published).
    evaluation_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    practice_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("calls.id"))
    # Event calls: proposals not selected here may be offered a copy in this other call (sessions → local events).
    transfer_to_call_id: Mapped[int | None] = mapped_column(sa.ForeignKey("calls.id"))
    # The call's privacy statement (generated from app/privacy/map.py) names the controller and its data protection
    # officer: how to reach each (empty: the instance's defaults, PRIVACY_CONTROLLER and PRIVACY_DPO).
    privacy_controller: Mapped[str] = mapped_column(sa.Text, default="")
    privacy_dpo: Mapped[str] = mapped_column(sa.Text, default="")
    # Letters' texts: whom applicants write to, and how many days after the letter grant preparation starts (empty
    # or None: the instance's LETTER_CONTACT_EMAIL and GRANT_PREPARATION_DAYS).
    letter_contact: Mapped[str] = mapped_column(sa.String(200), default="")
    grant_preparation_days: Mapped[int | None]
    # The redress window: days from the letter's receipt, and the days after which a letter not opened counts as
    # received (None: the instance's REDRESS_DAYS and REDRESS_UNOPENED_DAYS, 30 and 10).
    redress_days: Mapped[int | None]
    redress_unopened_days: Mapped[int | None]
    # The letters' paragraph on the further means of redress (Ombudsman, court): empty, the standard wording in the
    # letter's language; an officer's own text is printed as written.
    redress_wording: Mapped[str] = mapped_column(sa.Text, default="")
    # The call's own texts in the other languages, by language: {"fr": {"title": …, "description": …, "criteria":
    # {key: {"name": …, "description": …}}}}. The criteria's are kept here, by key, because a change of the criteria
    # replaces their rows; a text not given (or empty) reads as the English of the columns.
    texts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # The life cycle's two decisions (app/services/call_lifecycle.py); every other phase is derived from the dates,
    # the proposals, the assignments and the runs. A call never published is a draft only officers see.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="call", order_by="Criterion.position", cascade="all, delete-orphan", lazy="selectin"
    )

    def __init__(self, **kwargs: Any) -> None:
        # The annex rules a call had before they were settings, already on a call not yet flushed (the checklist
        # may read one: an officer's preview, a test).
        for name, value in (("organisation_types", []), ("required_annexes", ["part_b"]),
                            ("optional_annexes", ["support_letter"]), ("redress_wording", ""),
                            ("texts", {})):
            kwargs.setdefault(name, value)
        super().__init__(**kwargs)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @property
    def deadline_local(self) -> datetime:
        return self.deadline.astimezone(self.zone)

    @property
    def opens_local(self) -> datetime:
        return self.opens_at.astimezone(self.zone)

    def state(self, now: datetime | None = None) -> CallState:
        """Upcoming, open or closed at `now`; open means strictly before the deadline. A draft (never published) is
        upcoming whatever its dates say: nobody may submit to a call that was not announced."""
        now = now or utcnow()
        if now < self.opens_at or self.published_at is None:
            return CallState.UPCOMING
        return CallState.OPEN if now < self.deadline else CallState.CLOSED

    def is_open(self, now: datetime | None = None) -> bool:
        return self.state(now) is CallState.OPEN

    def time_left(self, now: datetime | None = None) -> timedelta:
        return max(self.deadline - (now or utcnow()), timedelta(0))

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_grant(self) -> bool:
        return self.kind is CallKind.GRANT

    @property
    def is_assessed(self) -> bool:
        """Selected by the officer's assessment, not by evaluators' scores (a call for expression of interest)."""
        return self.evaluation_mode is EvaluationMode.ASSESSMENT

    @property
    def max_total_score(self) -> Decimal:
        return sum((c.max_score for c in self.criteria), Decimal(0))

    def text(self, field: str, language: str) -> str:
        """The call's `field` ("title" or "description") in `language`, its English when none was given."""
        given = (self.texts or {}).get(language, {}).get(field)
        return given if given else str(getattr(self, field))

    def criterion_text(self, key: str, field: str, language: str) -> str | None:
        """The criterion `key`'s `field` ("name" or "description") given in `language`, None when not given."""
        given = (self.texts or {}).get(language, {}).get("criteria", {}).get(key, {}).get(field)
        return str(given) if given else None

    def __repr__(self) -> str:
        return f"<Call {self.code}>"


class Criterion(Model):
    __tablename__ = "criteria"
    __table_args__ = (
        sa.UniqueConstraint("call_id", "key", name="uq_criteria_call_id_key"),
        sa.UniqueConstraint("call_id", "position", name="uq_criteria_call_id_position"),
        sa.CheckConstraint("max_score > 0", name="max_score_positive"),
        sa.CheckConstraint("weight > 0", name="weight_positive"),
        sa.CheckConstraint("threshold IS NULL OR (threshold >= 0 AND threshold <= max_score)",
                           name="threshold_within_scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(sa.ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    max_score: Mapped[Decimal] = mapped_column(SCORE, default=Decimal(5))
    weight: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(1))
    threshold: Mapped[Decimal | None] = mapped_column(SCORE)
    position: Mapped[int]

    call: Mapped[Call] = relationship(back_populates="criteria")

    def text(self, field: str, language: str) -> str:
        """The criterion's `field` ("name" or "description") in `language`, its English when none was given."""
        # A criterion not yet given to a call (a form's preview, a rule's test) has only its English.
        given = self.call.criterion_text(self.key, field, language) if self.call is not None else None
        return given or str(getattr(self, field))
