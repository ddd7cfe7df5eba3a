"""Applicant forms: one per proposal section, the annex upload, submission and withdrawal."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import Field
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.enums import ConsentKind, DocumentKind, OrganisationType
from app.inputs import PartnerInput, ProposalChanges, read_typed_amount
from app.models.limits import (
    MAX_ABSTRACT,
    MAX_ACRONYM,
    MAX_DURATION_MONTHS,
    MAX_EMAIL,
    MAX_KEYWORD,
    MAX_KEYWORDS,
    MAX_PARTNER_NAME,
    MAX_PARTNERS,
    MAX_TITLE,
)
from app.privacy.texts import current_text
from forms.auth import ORGANISATION_TYPE_CHOICES, country_select_choices
from forms.wording import ProductForm, ProductSubform

# 1400000, 1400000.5, 1 400 000,00 is refused (ambiguous), 1,400,000.00 and 1 400 000.00 are fine.


class _VersionedForm(ProductForm):
    """Every save names the version it was based on; `next_section` is where to go after saving."""

    version = HiddenField(validators=[InputRequired()])
    next_section = HiddenField()

    def base_version(self) -> int:
        try:
            return int(self.version.data or "")
        except ValueError:
            return 0

    def locate(self, name: str) -> Field | None:
        """The field a refusal names (`details["field"]`), for the refusal to be shown beside it."""
        return self._fields.get(name)


class MoneyField(StringField):
    """An amount in euros typed in any common European form (app.inputs.read_typed_amount).

    `amount` holds the parsed Decimal (None when empty); `data` echoes it back normalised ("1200000.00"), or keeps
    the text as typed when it cannot be read, so that the person sees what to correct.
    """

    amount: Decimal | None = None

    def process_data(self, value: Any) -> None:
        self.amount = value if isinstance(value, Decimal) else None
        self.data = "" if value is None else (f"{value:.2f}" if isinstance(value, Decimal) else str(value))

    def process_formdata(self, valuelist: list[Any]) -> None:
        super().process_formdata(valuelist)
        self.amount = read_typed_amount(self.data or "")
        if self.amount is not None:
            self.data = f"{self.amount:.2f}"


class ProposalSummaryForm(_VersionedForm):
    acronym = StringField("Acronym", validators=[Length(max=MAX_ACRONYM)],
                          description=f"A short name, at most {MAX_ACRONYM} characters.")
    title = StringField("Title", validators=[Length(max=MAX_TITLE)])
    abstract = TextAreaField("Abstract", validators=[Length(max=MAX_ABSTRACT)],
                             description=f"What the project will do and for whom; at most {MAX_ABSTRACT} characters.")
    keywords = StringField("Keywords", validators=[Length(max=MAX_KEYWORDS * (MAX_KEYWORD + 2))],
                           description=f"Up to {MAX_KEYWORDS}, separated by commas, e.g. battery recycling, "
                                       f"circular economy: evaluators are matched on them, the title and the abstract.")
    strand = SelectField("Strand", choices=[], validate_choice=True)
    duration_months = IntegerField("Duration (months)",
                                   validators=[Optional(), NumberRange(1, MAX_DURATION_MONTHS)])
    submit = SubmitField("Save")

    def set_call(self, strands: list[str], strand_label: str, duration: tuple[int | None, int | None]) -> None:
        self.strand.label.text = strand_label
        self.strand.choices = [SelectChoice("", f"Choose a {strand_label.lower()}")] + [
            SelectChoice(s, s) for s in strands]
        low, high = duration
        if low is not None and high is not None:
            self.duration_months.description = f"The call allows {low} to {high} months."

    def changes(self) -> ProposalChanges:
        return ProposalChanges.parse({
            "acronym": self.acronym.data, "title": self.title.data, "abstract": self.abstract.data,
            "keywords": self.keywords.data or "",
            "strand": self.strand.data, "duration_months": self.duration_months.data})


class PartnerRowForm(ProductSubform):
    id = HiddenField()
    name = StringField("Organisation", validators=[Length(max=MAX_PARTNER_NAME)])
    country = SelectField("Country", choices=country_select_choices("Country"))
    organisation_type = SelectField("Type", choices=[SelectChoice("", "Type"), *ORGANISATION_TYPE_CHOICES])
    contact_email = EmailField("Contact e-mail", validators=[Length(max=MAX_EMAIL)])
    remove = BooleanField("Remove")

    def is_blank(self) -> bool:
        """An untouched row (the empty one offered for a new partner): ignored when saving."""
        return not any((field.data or "").strip() for field in (self.name, self.country, self.organisation_type,
                                                                  self.contact_email))


class ConsortiumForm(_VersionedForm):
    coordinator_contact_email = EmailField("Coordinator's contact e-mail", validators=[Length(max=MAX_EMAIL)])
    partners = FieldList(FormField(PartnerRowForm), min_entries=0, max_entries=MAX_PARTNERS)
    submit = SubmitField("Save")

    def validate_partners(self, field: FieldList) -> None:
        """A row that is not blank and not removed needs a name, a country and a type."""
        problems = False
        for row in field.entries:
            form: PartnerRowForm = row.form
            if form.remove.data or form.is_blank():
                continue
            for sub in (form.name, form.country, form.organisation_type):
                if not (sub.data or "").strip():
                    sub.errors = [*sub.errors, "Required."]
                    problems = True
        if problems:
            raise ValidationError("Complete the partners marked below (or tick Remove).")

    def kept_rows(self) -> list[PartnerRowForm]:
        """The partner rows to save: neither removed nor left blank, in order."""
        return [row.form for row in self.partners.entries if not row.form.remove.data and not row.form.is_blank()]

    def changes(self, amounts: Mapping[str, Decimal | None]) -> ProposalChanges:
        """The consortium as typed; each kept partner keeps its requested amount (`amounts` by partner id)."""
        return ProposalChanges.parse({
            "coordinator_contact_email": self.coordinator_contact_email.data or "",
            "partners": [PartnerInput(name=row.name.data or "", country=row.country.data or "",
                                      organisation_type=OrganisationType(row.organisation_type.data),
                                      contact_email=row.contact_email.data or "",
                                      requested_amount=amounts.get(row.id.data or ""))
                         for row in self.kept_rows()],
        })

    def locate(self, name: str) -> Field | None:
        """`partners.<1-based index among the kept rows>.<field>`, or a field of the form."""
        parts = name.split(".")
        if parts[0] == "partners" and len(parts) == 3 and parts[1].isdigit():
            kept = self.kept_rows()
            index = int(parts[1]) - 1
            field: Field | None = getattr(kept[index], parts[2], None) if 0 <= index < len(kept) else None
            return field
        return super().locate(name)


class BudgetForm(_VersionedForm):
    requested_grant = MoneyField("Requested EU grant (EUR)")
    amounts = FieldList(MoneyField("Amount (EUR)"), min_entries=0, max_entries=MAX_PARTNERS)
    submit = SubmitField("Save")

    def changes(self) -> ProposalChanges:
        return ProposalChanges.parse({"requested_grant": self.requested_grant.amount,
                                      "amounts": [entry.amount for entry in self.amounts.entries]})

    def locate(self, name: str) -> Field | None:
        """`amounts.<0-based position>`, or a field of the form."""
        parts = name.split(".")
        if parts[0] == "amounts" and len(parts) == 2 and parts[1].isdigit():
            index = int(parts[1])
            return self.amounts.entries[index] if index < len(self.amounts.entries) else None
        return super().locate(name)


class AnnexUploadForm(ProductForm):
    kind = SelectField("Annex", choices=[SelectChoice(k.value, k.label) for k in DocumentKind])
    file = FileField("PDF file", validators=[FileRequired("Choose a PDF file to upload.")])
    submit = SubmitField("Upload")


class SubmitProposalForm(_VersionedForm):
    # The declaration is stored with the version of its text the applicant was shown (app/privacy/texts.py).
    confirm = BooleanField(" ".join(current_text(ConsentKind.SUBMISSION_DECLARATION).lines),
                           validators=[DataRequired("Tick the declaration to submit.")])
    declaration_version = HiddenField(default=lambda: current_text(ConsentKind.SUBMISSION_DECLARATION).version)
    submit = SubmitField("Submit the proposal")


class WithdrawProposalForm(ProductForm):
    reason = TextAreaField("Reason (optional)", validators=[Length(max=1000)])
    confirm = BooleanField("I understand that withdrawal is final: the proposal cannot be submitted again.",
                           validators=[DataRequired("Tick the box to confirm.")])
    submit = SubmitField("Withdraw the proposal")


class StartProposalForm(ProductForm):
    submit = SubmitField("Start a proposal")
