"""The eligibility and admissibility checklist: each rule on both sides of its boundary."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.enums import CallKind, DocumentKind, OrganisationType
from app.models import Call, Document, Partner, Proposal
from app.queries.eligibility import check_proposal


def _call(**rules: object) -> Call:
    settings: dict[str, object] = dict(
        code="RULES", kind=CallKind.GRANT, min_partners=3, min_countries=3, eligible_countries=["BE", "DE", "FR", "LT"],
        max_grant_per_proposal=Decimal("1400000.00"), page_limit=50, strands=["Open", "Tourism"],
        strand_label="Strand", duration_min_months=24, duration_max_months=36,
        deadline=datetime(2021, 12, 7, 16, tzinfo=UTC),
    )
    settings.update(rules)
    return Call(**settings)


def _proposal(call: Call, *, countries: tuple[str, ...] = ("LT", "DE", "FR"), requested: str | None = "900000.00",
              amounts: tuple[str | None, ...] | None = None, pages: tuple[int, ...] = (50,),
              **fields: object) -> Proposal:
    """A proposal (not in the database) that passes every rule unless told otherwise."""
    values: dict[str, object] = dict(acronym="ACR", title="A title", abstract="An abstract.", strand="Open",
                                     duration_months=36)
    values.update(fields)
    proposal = Proposal(call=call, reference="RULES-0001", requested_grant=None if requested is None
                        else Decimal(requested), **values)
    share = None if requested is None else Decimal(requested) / len(countries)
    amounts = amounts if amounts is not None else tuple(str(share) for _ in countries)
    proposal.partners = [
        Partner(position=i, is_coordinator=i == 0, name=f"Org {i}", country=country,
                organisation_type=OrganisationType.CLUSTER, contact_email=f"org{i}@example.org",
                requested_amount=None if amount is None else Decimal(amount))
        for i, (country, amount) in enumerate(zip(countries, amounts, strict=True))
    ]
    proposal.documents = [Document(kind=DocumentKind.PART_B if i == 0 else DocumentKind.SUPPORT_LETTER,
                                   sha256="0" * 64, filename=f"doc{i}.pdf", size_bytes=1000, page_count=count)
                          for i, count in enumerate(pages)]
    return proposal


def _result(proposal: Proposal, key: str) -> bool:
    checks = {check.key: check for check in check_proposal(proposal).checks}
    return checks[key].ok


def test_the_reference_proposal_passes_everything() -> None:
    checklist = check_proposal(_proposal(_call()))
    assert checklist.ok, checklist.failures
    assert [c.key for c in checklist.checks] == [
        "mandatory_fields", "duration", "partner_details", "min_partners", "min_countries", "eligible_countries",
        "grant_cap", "budget_split", "part_b", "page_limit"]


@pytest.mark.parametrize(("countries", "ok"), [(("LT", "DE"), False), (("LT", "DE", "FR"), True),
                                               (("LT", "DE", "FR", "BE"), True)])
def test_minimum_number_of_partners(countries, ok) -> None:  # type: ignore[no-untyped-def]
    assert _result(_proposal(_call(min_countries=1), countries=countries), "min_partners") is ok


@pytest.mark.parametrize(("countries", "ok"), [(("LT", "DE", "DE"), False), (("LT", "DE", "FR"), True),
                                               (("LT", "LT", "DE", "FR"), True)])
def test_minimum_number_of_distinct_countries(countries, ok) -> None:  # type: ignore[no-untyped-def]
    assert _result(_proposal(_call(), countries=countries), "min_countries") is ok


@pytest.mark.parametrize(("countries", "eligible", "ok"), [
    (("LT", "DE", "FR"), ["BE", "DE", "FR", "LT"], True),
    (("LT", "DE", "CN"), ["BE", "DE", "FR", "LT"], False),
    (("LT", "DE", "CN"), [], True),  # an empty list: any country
])
def test_eligible_countries_only(countries, eligible, ok) -> None:  # type: ignore[no-untyped-def]
    proposal = _proposal(_call(eligible_countries=eligible), countries=countries)
    checks = {check.key: check for check in check_proposal(proposal).checks}
    if not eligible:
        assert "eligible_countries" not in checks
        return
    assert checks["eligible_countries"].ok is ok
    if not ok:
        assert "China (CN), which is not eligible" in checks["eligible_countries"].fix


@pytest.mark.parametrize(("requested", "ok"), [("1400000.00", True), ("1400000.01", False), ("0.01", True),
                                               ("0.00", False), (None, False)])
def test_requested_grant_within_the_cap(requested, ok) -> None:  # type: ignore[no-untyped-def]
    proposal = _proposal(_call(), requested=requested, amounts=(requested, "0.00", "0.00"))
    assert _result(proposal, "grant_cap") is ok


def test_the_split_must_add_up_to_the_cent() -> None:
    call = _call()
    assert _result(_proposal(call, amounts=("300000.00", "300000.00", "300000.00")), "budget_split")
    short = _proposal(call, amounts=("300000.00", "300000.00", "299999.99"))
    checks = {c.key: c for c in check_proposal(short).checks}
    assert not checks["budget_split"].ok
    assert "€0.01 less than the requested €900,000.00" in checks["budget_split"].fix
    assert not _result(_proposal(call, amounts=("300000.00", "300000.00", "300000.01")), "budget_split")
    assert not _result(_proposal(call, amounts=("450000.00", "450000.00", None)), "budget_split")


def test_event_calls_have_no_budget_rules() -> None:
    call = _call(kind=CallKind.EVENT, max_grant_per_proposal=None)
    checklist = check_proposal(_proposal(call, requested=None, amounts=(None, None, None)))
    assert checklist.ok
    assert not {"grant_cap", "budget_split"} & {c.key for c in checklist.checks}


@pytest.mark.parametrize(("pages", "ok"), [((50,), True), ((51,), False), ((50, 50), True), ((10, 51), False)])
def test_every_annex_within_the_page_limit(pages, ok) -> None:  # type: ignore[no-untyped-def]
    assert _result(_proposal(_call(), pages=pages), "page_limit") is ok


@pytest.mark.parametrize(("pages", "ok"), [((), False), ((3,), True)])
def test_part_b_is_required(pages, ok) -> None:  # type: ignore[no-untyped-def]
    assert _result(_proposal(_call(), pages=pages), "part_b") is ok


def test_a_removed_part_b_does_not_count() -> None:
    proposal = _proposal(_call())
    proposal.documents[0].removed_at = datetime(2021, 12, 1, tzinfo=UTC)
    assert not _result(proposal, "part_b")


@pytest.mark.parametrize("field", ["acronym", "title", "abstract"])
def test_mandatory_text_fields(field) -> None:  # type: ignore[no-untyped-def]
    checks = {c.key: c for c in check_proposal(_proposal(_call(), **{field: "  "})).checks}
    assert not checks["mandatory_fields"].ok
    assert field in checks["mandatory_fields"].fix


@pytest.mark.parametrize(("strand", "ok"), [("Open", True), (None, False), ("Not a strand", False)])
def test_the_strand_is_one_of_the_calls(strand, ok) -> None:  # type: ignore[no-untyped-def]
    assert _result(_proposal(_call(), strand=strand), "mandatory_fields") is ok


@pytest.mark.parametrize(("months", "ok"), [(23, False), (24, True), (36, True), (37, False), (None, False)])
def test_duration_within_the_calls_range(months, ok) -> None:  # type: ignore[no-untyped-def]
    assert _result(_proposal(_call(), duration_months=months), "duration") is ok


@pytest.mark.parametrize(("email", "ok"), [("org@example.org", True), ("", False), ("org@", False)])
def test_every_partner_has_a_valid_contact(email, ok) -> None:  # type: ignore[no-untyped-def]
    proposal = _proposal(_call())
    proposal.partners[2].contact_email = email
    assert _result(proposal, "partner_details") is ok


def test_failures_say_what_to_fix_and_where() -> None:
    checklist = check_proposal(_proposal(_call(), countries=("LT",), amounts=("900000.00",), pages=()))
    failures = {c.key: c for c in checklist.failures}
    assert failures["min_partners"].fix == "Add 2 more partners (you have 1)."
    assert failures["min_countries"].fix == "Partners come from 1 country; add partners from 2 more countries."
    assert failures["part_b"].section == "annexes"
    assert checklist.as_dict()["passed"] == len(checklist.checks) - len(failures)
