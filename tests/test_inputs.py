"""Typed inputs parsed at the edge: normalised values, and every value that cannot be stored named by its field.

Plain data: no app, no database. What a service does with the problems (refuse after its own checks) is tested
with the services (tests/services/test_proposals.py, tests/services/test_call_settings.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from app.call_inputs import CallSettings, changed_names
from app.enums import OrganisationType
from app.inputs import UNSET, PartnerInput, ProposalChanges, parse_amount, read_typed_amount
from app.models.limits import MAX_ACRONYM, MAX_AMOUNT, MAX_DURATION_MONTHS, MAX_PARTNERS
from app.services.errors import InvalidInput

# -- amounts ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("given", "parsed"), [
    ("1400000", Decimal("1400000.00")), (" 1400000.5 ", Decimal("1400000.50")), (Decimal("0"), Decimal("0.00")),
    ("1e3", Decimal("1000.00")), (str(MAX_AMOUNT), MAX_AMOUNT), (None, None), ("", None), ("  ", None),
])
def test_an_amount_is_euros_to_the_cent(given: object, parsed: Decimal | None) -> None:
    assert parse_amount(given) == parsed


@pytest.mark.parametrize(("given", "message"), [
    ("ten", "Write the amount in euros"), ("NaN", "Write the amount in euros"), ("Infinity", "Write the amount"),
    ("-0.01", "cannot be negative"), ("10.001", "at most two decimals"), ("1e999999", "too large"),
    (MAX_AMOUNT + Decimal("0.01"), "too large"),
])
def test_an_amount_that_cannot_be_stored_says_why(given: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_amount(given)


# -- a proposal's changes -----------------------------------------------------------------------------------------

def test_only_the_fields_given_are_changes() -> None:
    changes = ProposalChanges.parse({"title": "  Green   Baltic  ", "strand": ""})
    assert changes.columns() == {"title": "Green Baltic", "strand": None}
    assert changes.acronym is UNSET
    assert changes.partners is UNSET
    assert not changes.problems
    assert not changes.unknown


def test_text_is_kept_as_typed_on_one_line_but_the_abstract_keeps_its_lines() -> None:
    changes = ProposalChanges.parse({"acronym": " BALTIC \n GREEN ", "abstract": "  First line.\n\nSecond.  "})
    assert changes.acronym == "BALTIC GREEN"
    assert changes.abstract == "First line.\n\nSecond."


def test_input_that_is_not_yet_right_is_no_problem() -> None:
    """A strand the call does not have, a mistyped address: the checklist flags them; nothing is lost."""
    changes = ProposalChanges.parse({"strand": "Astrology", "coordinator_contact_email": "lukas@",
                                     "partners": [PartnerInput("Nord", "de", OrganisationType.SME, "nord at x")]})
    assert not changes.problems
    assert changes.partners == (PartnerInput("Nord", "DE", OrganisationType.SME, "nord at x"),)


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({"acronym": "X" * (MAX_ACRONYM + 1)}, "acronym", f"At most {MAX_ACRONYM} characters (this has 31)."),
    ({"strand": "x" * 101}, "strand", "At most 100 characters."),
    ({"duration_months": "ten"}, "duration_months", "Give a whole number of months."),
    ({"duration_months": 1e309}, "duration_months", "Give a whole number of months."),
    ({"duration_months": MAX_DURATION_MONTHS + 1}, "duration_months", f"Between 1 and {MAX_DURATION_MONTHS} months."),
    ({"duration_months": "0"}, "duration_months", f"Between 1 and {MAX_DURATION_MONTHS} months."),
    ({"requested_grant": "10.001"}, "requested_grant", "Use at most two decimals (cents)."),
    ({"coordinator_contact_email": "x" * 255}, "coordinator_contact_email", "At most 254 characters."),
    ({"partners": [PartnerInput(" ", "DE", OrganisationType.SME)]}, "partners.1.name", "Give the partner's name."),
    ({"partners": [PartnerInput("N" * 201, "DE", OrganisationType.SME)]}, "partners.1.name",
     "At most 200 characters."),
    ({"partners": [PartnerInput("Ok", "DE", OrganisationType.SME), PartnerInput("Nowhere", "QQ",
                                                                                 OrganisationType.SME)]},
     "partners.2.country", "Choose the partner's country."),
    ({"partners": [PartnerInput("Ok", "DE", OrganisationType.SME, requested_amount=Decimal("-1"))]},
     "partners.1.requested_amount", "The amount cannot be negative."),
    ({"amounts": ["1", "x"]}, "amounts.1", "Write the amount in euros, e.g. 1400000.00."),
])
def test_a_value_that_cannot_be_stored_is_named_by_its_field(raw: dict[str, Any], field: str, message: str) -> None:
    assert ProposalChanges.parse(raw).problems == {field: message}


def test_more_partners_than_a_consortium_may_have_are_a_problem() -> None:
    partners = [PartnerInput(f"P{i}", "DE", OrganisationType.SME) for i in range(MAX_PARTNERS)]
    assert ProposalChanges.parse({"partners": partners}).problems == {"partners": f"At most {MAX_PARTNERS} partners."}
    assert not ProposalChanges.parse({"partners": partners[1:]}).problems


def test_problems_keep_the_order_of_the_form_and_names_unknown_fields_apart() -> None:
    changes = ProposalChanges.parse({"amounts": ["x"], "title": "T" * 301, "colour": "blue", "size": 3})
    assert list(changes.problems) == ["title", "amounts.0"]
    assert changes.unknown == ("colour", "size")


def test_one_refusal_names_every_problem() -> None:
    one = InvalidInput.naming({"title": "Too long."}, several="fields cannot be saved")
    assert (one.message, one.details) == ("Too long.", {"fields": {"title": "Too long."}, "field": "title"})
    two = InvalidInput.naming({"title": "Too long.", "acronym": "Too short."}, several="fields cannot be saved")
    assert two.message == "2 fields cannot be saved: Too long."
    assert two.details == {"fields": {"title": "Too long.", "acronym": "Too short."}}


# -- a call's settings --------------------------------------------------------------------------------------------

BRUSSELS_WINTER = timezone(timedelta(hours=1))


def test_settings_are_normalised_to_the_second_the_cent_and_a_set_of_codes() -> None:
    settings = CallSettings.parse({
        "deadline": datetime(2031, 12, 7, 17, 0, 0, 999_999, tzinfo=BRUSSELS_WINTER), "budget": "42000000",
        "eligible_countries": ["de", " LT", "be", "DE", ""], "max_awards": None, "min_partners": "3"})
    assert settings.deadline == datetime(2031, 12, 7, 16, 0, 0, tzinfo=UTC)
    assert settings.budget == Decimal("42000000.00")
    assert settings.eligible_countries == ("BE", "DE", "LT")
    assert settings.given() == {"deadline": settings.deadline, "budget": settings.budget, "max_awards": None,
                                "min_partners": 3, "eligible_countries": ("BE", "DE", "LT")}
    assert settings.opens_at is UNSET
    assert not settings.problems


@pytest.mark.parametrize(("raw", "field", "message"), [
    ({"deadline": datetime(2031, 12, 7, 17)}, "deadline", "Give a date and time with its time zone."),
    ({"opens_at": "2031-12-07T17:00:00+01:00"}, "opens_at", "Give a date and time with its time zone."),
    ({"budget": "-1"}, "budget", "The amount cannot be negative."),
    ({"max_grant_per_proposal": "1.001"}, "max_grant_per_proposal", "Use at most two decimals (cents)."),
    ({"min_partners": None}, "min_partners", "Required."),
    ({"min_countries": ""}, "min_countries", "Required."),
    ({"page_limit": "many"}, "page_limit", "Give a whole number."),
    ({"max_awards": 0}, "max_awards", "At least 1."),
    ({"eligible_countries": ["BE", "QQ", "ZZ"]}, "eligible_countries", "Unknown country codes: QQ, ZZ."),
])
def test_a_setting_that_cannot_be_stored_is_named(raw: dict[str, Any], field: str, message: str) -> None:
    assert CallSettings.parse(raw).problems == {field: message}


def test_optional_settings_may_be_emptied() -> None:
    settings = CallSettings.parse({name: None for name in ("budget", "max_awards", "page_limit",
                                                           "duration_min_months", "duration_max_months")})
    assert not settings.problems
    assert set(settings.given().values()) == {None}


def test_a_name_that_is_no_setting_is_unknown() -> None:
    assert CallSettings.parse({"deadline_": 1, "id": "X"}).unknown == ("deadline_", "id")


def test_changed_settings_are_named_as_the_officer_reads_them() -> None:
    assert changed_names(["deadline", "max_grant_per_proposal", "eligible_countries"]) == (
        "deadline, maximum grant per proposal, eligible countries")


# -- amounts as people type them (app.inputs.read_typed_amount, behind every money field of the pages) ----------

@pytest.mark.parametrize("typed", ["1 200 000,00", "1.200.000,00", "1,200,000.00", "1200000", "1 200 000",
                                   "1\u00a0200\u00a0000,00", "1'200'000.00", "1200000.00", "1200000,0"])
def test_an_amount_typed_in_a_common_european_form_is_read(typed: str) -> None:
    assert read_typed_amount(typed) == Decimal("1200000.00")


@pytest.mark.parametrize(("typed", "says"), [
    ("1.200", "“1.200” can be read two ways: write 1200 for 1200 euros, or 1,20 with two decimals"),
    ("1,200", "“1,200” can be read two ways"),
    ("1.200.000.00", "Write the amount in euros, e.g. 1200000, 1 200 000,00 or 1,200,000.00."),
    ("1,200.000,00", "Write the amount in euros"),
    ("12 thousand", "Write the amount in euros"),
    ("-5", "Write the amount in euros"),
    ("10,001", "“10,001” can be read two ways"),
    ("1,2345", "Write the amount in euros"),
])
def test_an_ambiguous_or_unreadable_amount_is_refused_with_what_to_write(typed: str, says: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(says)):
        read_typed_amount(typed)


def test_an_empty_amount_is_none() -> None:
    assert read_typed_amount("  ") is None


@pytest.mark.parametrize(("language", "months", "name"), [
    ("en", "Between 1 and 120 months.", "Give the partner's name."),
    ("fr", "Entre 1 et 120 mois.", "Indiquez le nom du partenaire."),
    ("de", "Zwischen 1 und 120 Monaten.", "Geben Sie den Namen des Partners an.")])
def test_a_proposals_field_problems_are_said_in_the_requests_language(app, language: str, months: str,  # type: ignore[no-untyped-def]
                                                                      name: str) -> None:
    with app.test_request_context(headers={"Accept-Language": language}):
        changes = ProposalChanges.parse({"duration_months": 999, "partners": [
            PartnerInput(name="", country="DE", organisation_type="sme")]})
    assert changes.problems["duration_months"] == months
    assert changes.problems["partners.1.name"] == name
