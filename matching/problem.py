"""The assignment problem as data: what the solver is given, what it answers, and what a pair costs.

Every constraint is a value here, so that a new rule is new data rather than new code in the solver: the places a
proposal still needs (`ProposalNeed.need`), the evaluators it must not get (`excluded`: conflicts of interest,
evaluators it already has or who withdrew from it), each evaluator's free places (`EvaluatorSlot.capacity`) and
expertise. What makes one pair better than another is `pair_cost`, in one place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

MISMATCH_COST = 4  # a non-expert costs this much more than an expert: a few proposals of load balance
# With an affinity, a pair costs AFFINITY_WEIGHT * (1 - affinity): a pair 0.2 closer is worth as much as an expert
# over a non-expert, a few proposals of load balance.
AFFINITY_WEIGHT = 20
LOAD_STEP = 2      # free places of an evaluator priced together, one block at a time


@dataclass(frozen=True)
class ProposalNeed:
    """A proposal that needs `need` more evaluators; `excluded` are evaluators it must not get."""

    id: int
    strand: str | None
    need: int
    excluded: frozenset[int] = frozenset()
    conflicted: frozenset[int] = frozenset()  # the part of `excluded` that is a conflict of interest
    label: str = ""
    nationalities: frozenset[str] = frozenset()  # of the evaluators it already has (the panel rules count them)
    countries: frozenset[str] = frozenset()  # its evaluators should not be from these (the coordinator's or partners')
    genders: tuple[str, ...] = ()  # of the evaluators it already has, one each ("" when not given)

    @property
    def panel(self) -> int:
        """The size of its panel once complete: the evaluators it has and those it still needs."""
        return self.need + len(self.genders)


@dataclass(frozen=True)
class EvaluatorSlot:
    """An evaluator with `capacity` free places (maximum load minus current load) and their expertise."""

    id: int
    capacity: int
    expertise: frozenset[str] = frozenset()
    load: int = 0
    label: str = ""
    nationality: str = ""  # ISO code; "" when not given (no nationality rule applies to it)
    country: str = ""  # of their affiliation (the country rule); "" when not given
    gender: str = ""  # as declared (`COUNTED_GENDERS`, "another", "prefer_not_to_say"), "" when not given


ONE_PER_NATIONALITY = "at most one evaluator of each nationality per proposal"
NOT_FROM_THEIR_COUNTRY = "no evaluator from a country of the proposal's consortium"
# The genders a target share applies to. "another" is a declared gender too, but too rare in any pool to require on
# every panel; it, "prefer not to say" and no answer take any place without counting for or against the target.
COUNTED_GENDERS = ("woman", "man")
GENDER_NAMES = {"woman": "women", "man": "men"}
# What breaking a soft rule costs a pair: more than the whole range of affinities (AFFINITY_WEIGHT) and than a few
# proposals of load balance, so it is broken only when nothing else fits or the loads would be far apart.
SOFT_RULE_COST = 50


class Strength(StrEnum):
    """How a panel rule applies: not at all, as a preference (broken at a cost), or always."""

    OFF = "off"
    SOFT = "soft"
    HARD = "hard"


@dataclass(frozen=True)
class PanelRules:
    """A call's rules on who may sit together on a proposal's panel, each off, soft or hard."""

    nationality: Strength = Strength.OFF  # ONE_PER_NATIONALITY
    country: Strength = Strength.OFF  # NOT_FROM_THEIR_COUNTRY (`ProposalNeed.countries` says which countries)
    gender: Strength = Strength.OFF  # `gender_rule_name`: at least `gender_share` % of each counted gender
    gender_share: int = 0  # percent, 0 to 50

    def allows(self, proposal: ProposalNeed, evaluator: EvaluatorSlot) -> bool:
        """The evaluator may join the proposal's panel as it stands (a hard rule is never broken)."""
        if (self.nationality is Strength.HARD and evaluator.nationality
                and evaluator.nationality in proposal.nationalities):
            return False
        return not (self.country is Strength.HARD and self.against_country(proposal, evaluator))

    @staticmethod
    def against_country(proposal: ProposalNeed, evaluator: EvaluatorSlot) -> bool:
        """The evaluator is from a country the proposal's panel should keep away (the country rule)."""
        return bool(evaluator.country) and evaluator.country in proposal.countries

    @property
    def balances_genders(self) -> bool:
        return self.gender is not Strength.OFF and self.gender_share > 0

    def gender_minimum(self, panel: int) -> int:
        """Evaluators of each counted gender a panel of `panel` needs: the share of it, rounded down (40 % of 3
        is 1), so that the minimum of every gender fits on the panel together."""
        return self.gender_share * panel // 100 if self.balances_genders else 0

    def gender_places(self, proposal: ProposalNeed) -> dict[str, int]:
        """The places of the proposal still to fill with each counted gender: the minimum less those it has."""
        minimum = self.gender_minimum(proposal.panel)
        have = Counter(proposal.genders)
        return {g: max(0, minimum - have[g]) for g in COUNTED_GENDERS if minimum > have[g]}


def gender_rule_name(share: int) -> str:
    """The gender rule as the officer reads it."""
    return f"at least {share} % women and {share} % men on every panel"


@dataclass(frozen=True)
class Pair:
    """One evaluator given to one proposal."""

    proposal_id: int
    evaluator_id: int
    expertise_match: bool
    affinity: float = 0.0            # `matching.affinity`, when the solver was given one
    shared_terms: tuple[str, ...] = ()  # why this evaluator: the terms that weigh most in the affinity


@dataclass(frozen=True)
class Solution:
    """The cheapest assignment: every proposal gets its `need` evaluators."""

    pairs: tuple[Pair, ...] = ()
    cost: int = 0


@dataclass(frozen=True)
class Shortfall:
    """Why a proposal cannot get all the evaluators it needs."""

    proposal_id: int
    label: str
    needed: int
    available: int      # evaluators free of conflicts that still have a free place
    conflicted: int     # evaluators in the pool who are conflicted
    full: int           # evaluators free of conflicts but at their maximum load
    reason: str
    rule: str = ""      # the panel rule that cannot be met ("" when conflicts and loads alone are the cause)
    # Which sentence `reason` is and the figures it quotes, for saying it again in another language: "too_few",
    # "competing", "nationality" or "gender" (`matching.shortfall` writes each).
    code: str = ""
    figures: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Infeasible:
    """No assignment gives every proposal its evaluators: the proposals that cannot all be covered, and why."""

    shortfalls: tuple[Shortfall, ...]
    missing: int  # evaluator places that cannot be filled in total
    message: str
    rule: str = ""  # the panel rule that cannot be met ("" when conflicts and loads alone are the cause)
    # As a shortfall's: "places" (conflicts and loads), "nationality" or "gender", and the message's figures.
    code: str = ""
    figures: Mapping[str, int] = field(default_factory=dict)


def is_expert(proposal: ProposalNeed, evaluator: EvaluatorSlot) -> bool:
    """The evaluator's expertise names the proposal's strand."""
    return proposal.strand is not None and proposal.strand in evaluator.expertise


def pair_cost(proposal: ProposalNeed, evaluator: EvaluatorSlot, affinity: float | None = None,
              rules: PanelRules | None = None) -> int:
    """What giving this evaluator to this proposal costs, before the evaluator's load is counted.

    Without an affinity, the strand decides (0 for an expert, else MISMATCH_COST); with one (in [0, 1], from what
    the proposal and the evaluator wrote, their strands included), the closer the cheaper. A soft country rule
    adds SOFT_RULE_COST for an evaluator from a country of the consortium it keeps away.
    """
    if affinity is not None:
        cost = round(AFFINITY_WEIGHT * (1.0 - min(1.0, max(0.0, affinity))))
    else:
        cost = 0 if is_expert(proposal, evaluator) else MISMATCH_COST
    if rules is not None and rules.country is Strength.SOFT and rules.against_country(proposal, evaluator):
        cost += SOFT_RULE_COST
    return cost
