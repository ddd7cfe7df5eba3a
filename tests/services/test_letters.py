"""Decision letters: content of each kind (read back from the PDF), determinism, batches, idempotency, failures."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.enums import BatchStatus, CallKind, JobStatus, LetterKind, Role, RunStatus
from app.extensions import db
from app.models import Job, Letter, LetterBatch, OutboxMessage, Proposal, SelectionRun
from app.pdf import render_pdf
from app.queries.access import can_read_letter
from app.services import letters as letter_service
from app.services.errors import InvalidTransition, NotAllowed
from app.storage import get_storage
from tests.factories import make_approved_consensus, make_call, make_finalised_run, make_letter_scenario, make_proposal


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def flat(text: str) -> str:
    """Text with its line breaks and runs of spaces made single spaces (PDF extraction wraps lines)."""
    return " ".join(text.split())


@pytest.fixture
def scenario(app, app_ctx, make_user):
    applicant = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    data = make_letter_scenario(applicant)
    db.session.commit()
    return data


@pytest.fixture
def officer(app, make_user):
    return make_user(Role.OFFICER)


def generate(run: SelectionRun, officer) -> LetterBatch:
    batch = letter_service.start_letter_batch(run, actor=db.session.merge(officer))
    db.session.commit()  # JOBS_INLINE: the jobs run before commit() returns
    db.session.expire_all()
    return db.session.get(LetterBatch, batch.id)


def letter_of(proposal: Proposal) -> tuple[Letter, str]:
    letter = db.session.scalar(sa.select(Letter).where(Letter.proposal_id == proposal.id))
    assert letter is not None
    return letter, flat(pdf_text(letter_service.letter_pdf(letter)))


def test_batch_writes_one_letter_per_proposal_and_finishes(scenario, officer) -> None:
    batch = generate(scenario["run"], officer)
    assert batch.status is BatchStatus.FINISHED
    assert (batch.total, batch.done, batch.skipped, batch.failed) == (5, 5, 0, 0)
    kinds = dict(db.session.execute(sa.select(Letter.proposal_id, Letter.kind)).all())
    proposals = scenario["proposals"]
    assert kinds == {proposals["selected"].id: LetterKind.AWARD, proposals["reserve"].id: LetterKind.RESERVE,
                     proposals["not_funded"].id: LetterKind.REJECTION,
                     proposals["below_threshold"].id: LetterKind.REJECTION,
                     proposals["ineligible"].id: LetterKind.INELIGIBLE}
    for letter in db.session.scalars(sa.select(Letter)):
        data = letter_service.letter_pdf(letter)
        assert hashlib.sha256(data).hexdigest() == letter.sha256
        assert letter.page_count == len(PdfReader(io.BytesIO(data)).pages) >= 1
        assert letter.size_bytes == len(data)
        assert letter.verification_code == letter_service.verification_code(letter.reference)
    assert all(job.status is JobStatus.SUCCEEDED for job in db.session.scalars(sa.select(Job)))


def test_award_letter_names_the_grant_the_next_step_and_the_scores(scenario, officer) -> None:
    generate(scenario["run"], officer)
    proposal = scenario["proposals"]["selected"]
    letter, text = letter_of(proposal)
    assert "selected for funding" in text
    assert "Maximum EU contribution EUR 1,010,000.00" in text
    assert "Grant agreement preparation starts on 29 March 2022" in text
    assert "signed by 15 June 2022" in text
    assert "grants@eurogrants.test" in text
    assert "Rank in the call 1" in text
    # The Evaluation Summary: each criterion's score, threshold and weight, the total and the comments.
    assert "Evaluation Summary Report" in text
    assert "Relevance: 4.5 / 5 (threshold 3, weight 1)" in text
    assert "Quality: 4 / 5 (threshold 3, weight 1)" in text
    assert "below threshold" not in text
    assert "Total: 12.5 / 15 (overall threshold 10)" in text
    assert "Consensus on relevance." in text
    assert "Consensus reached." in text
    assert "Redress" in text
    assert "Article 263" in text
    # Reference, verification code and page numbers on the letter itself.
    assert letter.reference == f"{proposal.reference}-L1"
    assert letter.verification_code in text
    assert "Page 1 of 2" in text
    assert "Page 2 of 2" in text
    assert f"Ref. {letter.reference}" in text


def test_reserve_letter_gives_the_position_and_what_happens_if_budget_is_freed(scenario, officer) -> None:
    generate(scenario["run"], officer)
    _, text = letter_of(scenario["proposals"]["reserve"])
    assert "placed on the reserve list" in text
    assert "Position on the reserve list 1 of 5" in text
    assert "If budget is freed" in text
    assert "strictly in the order of the list" in text
    assert "Total: 11.5 / 15" in text


def test_rejection_letters_give_the_reason_from_the_run(scenario, officer) -> None:
    generate(scenario["run"], officer)
    _, below = letter_of(scenario["proposals"]["below_threshold"])
    assert "cannot be funded" in below
    assert "Reason Below threshold" in below
    assert "below threshold: quality 2.5 < 3" in below
    assert "Quality: 2.5 / 5 (threshold 3, weight 1), below threshold" in below
    _, not_funded = letter_of(scenario["proposals"]["not_funded"])
    assert "Reason Above the thresholds, not funded" in not_funded
    assert "Rank in the call 3" in not_funded
    assert "not funded: the budget and the reserve list are full" in not_funded
    assert "Evaluation Summary Report" in not_funded
    # This run's output names no reason code (see make_finalised_run): the letter quotes the core's selection line
    # and claims no reason of its own, neither the budget nor the reserve list.
    assert "used the available budget" not in not_funded
    assert "was filled by proposals ranked above it" not in not_funded


def test_ineligible_letter_lists_the_failed_rules_and_has_no_evaluation_summary(scenario, officer) -> None:
    generate(scenario["run"], officer)
    _, text = letter_of(scenario["proposals"]["ineligible"])
    assert "ineligible" in text
    assert "Fewer than 3 partners from 3 different eligible countries." in text
    assert "The coordinator is not a cluster organisation." in text
    assert "Evaluation Summary Report" not in text
    assert "Redress" in text


def test_event_call_letters_are_worded_for_events_and_offer_the_local_events_call(app_ctx, make_user, officer):
    applicant = db.session.merge(make_user(Role.APPLICANT))
    criteria = [{"key": "relevance", "name": "Relevance to the thematic areas"},
                {"key": "quality", "name": "Quality of content and format"},
                {"key": "diversity", "name": "Diversity of speakers and reach"}]
    local = make_call("EUID-2022-LOCAL", kind=CallKind.EVENT, budget=None, criteria=criteria,
                      title="EU Industry Week 2022: local events", programme="EU Industry Days 2022")
    sessions = make_call("EUID-2022-SESSIONS", kind=CallKind.EVENT, budget=None, criteria=criteria,
                         title="EU Industry Days 2022: stakeholder sessions", programme="EU Industry Days 2022",
                         transfer_to_call_id=local.id)
    accepted = make_proposal(sessions, applicant, acronym="GREENYOUTH", requested=None)
    refused = make_proposal(sessions, applicant, acronym="LATEIDEA", requested=None)
    make_approved_consensus(accepted, {"relevance": "5", "quality": "4", "diversity": "4"})
    make_approved_consensus(refused, {"relevance": "3", "quality": "3", "diversity": "3"})
    run = make_finalised_run(sessions, [(accepted, "selected"), (refused, "not_funded")])
    db.session.commit()
    generate(run, officer)

    _, yes = letter_of(accepted)
    assert "has been accepted for EU Industry Days 2022: stakeholder sessions" in yes
    assert "EU Industry Days branding" in yes
    assert "No EU funding is attached" in yes
    assert "Maximum EU contribution" not in yes
    assert "Evaluation Summary Report" in yes
    _, no = letter_of(refused)
    assert "has not been accepted" in no
    assert "transfer your proposal to EU Industry Week 2022: local events (EUID-2022-LOCAL" in no
    assert "Evaluation Summary Report" in no


def test_rendering_the_same_letter_twice_gives_the_same_bytes(scenario, officer) -> None:
    generate(scenario["run"], officer)
    run = scenario["run"]
    outcomes = letter_service.run_outcomes(run)
    for proposal in scenario["proposals"].values():
        report = letter_service._approved_reports([proposal.id]).get(proposal.id)
        first = letter_service.render_letter(proposal, run, outcomes[proposal.reference], report)
        second = letter_service.render_letter(proposal, run, outcomes[proposal.reference], report)
        assert first.pdf == second.pdf
        html = letter_service.letter_html(proposal, run, outcomes[proposal.reference], report)
        # the receipt's function gives the same bytes
        assert render_pdf(html, stylesheets=letter_service.LETTER_STYLESHEETS) == first.pdf
        assert first.pages == len(PdfReader(io.BytesIO(first.pdf)).pages)
        letter, _ = letter_of(proposal)
        assert first.sha256 == letter.sha256
        metadata = PdfReader(io.BytesIO(first.pdf)).metadata
        assert metadata["/CreationDate"].startswith("D:20220315103000")
        assert metadata["/ModDate"].startswith("D:20220315103000")


def test_generating_again_is_idempotent(scenario, officer) -> None:
    generate(scenario["run"], officer)
    before = {(x.id, x.sha256, x.verification_code) for x in db.session.scalars(sa.select(Letter))}
    messages = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    second = generate(scenario["run"], officer)
    assert second.status is BatchStatus.FINISHED
    assert (second.total, second.done, second.skipped, second.failed) == (5, 0, 5, 0)
    assert {(x.id, x.sha256, x.verification_code) for x in db.session.scalars(sa.select(Letter))} == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == messages == 5


def test_a_letter_whose_pdf_went_missing_is_rendered_again_identically(scenario, officer) -> None:
    generate(scenario["run"], officer)
    letter, _ = letter_of(scenario["proposals"]["reserve"])
    get_storage().delete(letter.sha256)
    batch = generate(scenario["run"], officer)
    assert (batch.done, batch.skipped) == (1, 4)
    assert get_storage().exists(letter.sha256)


def test_a_failing_letter_is_reported_and_the_others_are_kept(scenario, officer, monkeypatch) -> None:
    original = letter_service.render_letter
    broken = scenario["proposals"]["reserve"].reference

    def render(proposal, *args, **kwargs):
        if proposal.reference == broken:
            raise RuntimeError("template exploded")
        return original(proposal, *args, **kwargs)

    monkeypatch.setattr(letter_service, "render_letter", render)
    batch = generate(scenario["run"], officer)
    assert batch.status is BatchStatus.FINISHED_WITH_ERRORS
    assert (batch.done, batch.failed) == (4, 1)
    assert batch.errors == [{"proposal": broken, "message": "RuntimeError: template exploded"}]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 4

    monkeypatch.setattr(letter_service, "render_letter", original)
    again = generate(scenario["run"], officer)
    assert (again.status, again.done, again.skipped, again.failed) == (BatchStatus.FINISHED, 1, 4, 0)


def test_a_crashed_job_counts_its_letters_as_failed(scenario, officer) -> None:
    from app import jobs

    run = scenario["run"]
    batch = letter_service.start_letter_batch(run, actor=db.session.merge(officer))
    db.session.flush()
    job = db.session.scalars(sa.select(Job)).first()
    db.session.info.pop("eurogrants.pending_jobs", None)  # keep it from running
    db.session.commit()
    jobs._mark_crashed(job.id, "BrokenProcessPool: a worker died")
    db.session.expire_all()
    batch = db.session.get(LetterBatch, batch.id)
    assert batch.failed == len(job.payload["proposal_ids"])
    assert "the background job stopped: BrokenProcessPool" in batch.errors[0]["message"]


def test_letters_need_a_finalised_run_and_an_officer(scenario, officer, make_user) -> None:
    run = scenario["run"]
    applicant = db.session.merge(make_user(Role.APPLICANT))
    with pytest.raises(NotAllowed):
        letter_service.start_letter_batch(run, actor=applicant)
    run.status = RunStatus.DRAFT
    with pytest.raises(InvalidTransition, match="finalised"):
        letter_service.start_letter_batch(run, actor=db.session.merge(officer))


def test_a_second_batch_is_refused_while_one_is_running(scenario, officer) -> None:
    run = scenario["run"]
    first = letter_service.start_letter_batch(run, actor=db.session.merge(officer))
    db.session.info.pop("eurogrants.pending_jobs", None)
    db.session.flush()
    with pytest.raises(InvalidTransition) as refused:
        letter_service.start_letter_batch(run, actor=db.session.merge(officer))
    assert refused.value.details == {"batch": first.id}


def test_zip_holds_every_letter_and_a_manifest_and_is_reproducible(scenario, officer) -> None:
    generate(scenario["run"], officer)
    data = letter_service.letters_zip(scenario["run"])
    assert data == letter_service.letters_zip(scenario["run"])
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    assert len(names) == 6
    assert names[-1] == "manifest.csv"
    manifest = archive.read("manifest.csv").decode()
    for letter in db.session.scalars(sa.select(Letter)):
        name = letter_service.letter_filename(letter)
        assert hashlib.sha256(archive.read(name)).hexdigest() == letter.sha256
        assert f"{letter.reference}," in manifest
        assert letter.sha256 in manifest


def test_publishing_makes_letters_visible_to_their_organisation_only(scenario, officer, make_user) -> None:
    generate(scenario["run"], officer)
    owner = db.session.merge(make_user(Role.APPLICANT, organisation="Baltic Cluster Alliance", country="LT"))
    stranger = db.session.merge(make_user(Role.APPLICANT, organisation="Someone Else", country="FR"))
    assert letter_service.applicant_letters(owner) == []
    count = letter_service.publish_letters(scenario["run"], actor=db.session.merge(officer))
    db.session.commit()
    assert count == 5
    assert len(letter_service.applicant_letters(owner)) == 5
    assert letter_service.applicant_letters(stranger) == []
    letter, _ = letter_of(scenario["proposals"]["selected"])
    assert can_read_letter(owner, letter)
    assert not can_read_letter(stranger, letter)
    assert letter_service.publish_letters(scenario["run"], actor=db.session.merge(officer)) == 0


@pytest.mark.parametrize(("typed", "expected"), [
    ("abcde-fgh23", "ABCDE-FGH23"), (" ABCDEFGH23 ", "ABCDE-FGH23"), ("abcde fgh23", "ABCDE-FGH23"),
    ("ABCDE-FGH2", None), ("", None), ("ABCDE-FGH234", None),
])
def test_typed_codes_are_normalised(typed, expected) -> None:
    assert letter_service.normalise_code(typed) == expected


def test_verification_code_is_short_stable_and_found(scenario, officer) -> None:
    generate(scenario["run"], officer)
    letter, _ = letter_of(scenario["proposals"]["selected"])
    assert len(letter.verification_code) == 11
    assert letter.verification_code[5] == "-"
    assert letter_service.find_letter_by_code(letter.verification_code.lower().replace("-", " ")) == letter
    assert letter_service.find_letter_by_code("AAAAA-AAAAA") is None


def test_a_promotion_run_writes_only_to_the_proposals_it_changes(scenario, officer) -> None:
    proposals = scenario["proposals"]
    generate(scenario["run"], officer)
    promotion = make_finalised_run(scenario["call"], [
        (proposals["reserve"], "selected"), (proposals["not_funded"], "not_funded"),
        (proposals["below_threshold"], "below_threshold"),
    ], parent=scenario["run"])
    # The consortium that declined, as the promotion service writes it: it gets no letter.
    document = json.loads(promotion.output_json)
    document["proposals"].append({"id": proposals["selected"].reference, "status": "declined", "rank": 1,
                                  "total": "12.50", "reason": "rank 1; selected in run 1, then declined the grant"})
    promotion.output_json = json.dumps(document)
    inputs = json.loads(promotion.input_json)
    inputs["proposals"].append({"id": proposals["selected"].reference, "requested": "1000000.00", "eligible": True,
                                "scores": {}})
    promotion.input_json = json.dumps(inputs)
    db.session.commit()
    batch = generate(promotion, officer)
    assert (batch.total, batch.done) == (1, 1)
    letter = db.session.scalar(sa.select(Letter).where(Letter.run_id == promotion.id))
    assert (letter.proposal_id, letter.kind, letter.reference) == (
        proposals["reserve"].id, LetterKind.AWARD, f"{proposals['reserve'].reference}-L2")


def test_a_stalled_batch_is_closed_and_another_may_start(scenario, officer) -> None:
    from datetime import timedelta

    run = scenario["run"]
    first = letter_service.start_letter_batch(run, actor=db.session.merge(officer))
    db.session.info.pop("eurogrants.pending_jobs", None)  # its worker never runs
    db.session.commit()
    first.updated_at -= timedelta(minutes=11)
    db.session.commit()
    assert first.is_stalled()
    second = generate(run, officer)
    assert second.status is BatchStatus.FINISHED
    db.session.refresh(first)
    assert first.status is BatchStatus.FINISHED_WITH_ERRORS
    assert first.errors[-1]["message"] == "stalled; the next batch took over"
