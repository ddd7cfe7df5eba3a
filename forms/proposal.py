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
from app.inputs import PartnerInput, ProposalChanges, TypedAmountError, read_typed_amount
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
from app.translation import gettext as _
from app.translation import lazy_gettext as _l
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
        try:
            self.amount = read_typed_amount(self.data or "")
        except TypedAmountError as error:  # WTForms shows a ValueError's text as the field's error: the reader's words
            raise ValueError(_(error.template, **error.params)) from error
        if self.amount is not None:
            self.data = f"{self.amount:.2f}"


class ProposalSummaryForm(_VersionedForm):
    acronym = StringField(_l("Acronym"), validators=[Length(max=MAX_ACRONYM)],
                          description=_l("A short name, at most %(max)d characters.", max=MAX_ACRONYM))
    title = StringField(_l("Title"), validators=[Length(max=MAX_TITLE)])
    abstract = TextAreaField(_l("Abstract"), validators=[Length(max=MAX_ABSTRACT)],
                             description=_l("What the project will do and for whom; at most %(max)d characters.",
                                            max=MAX_ABSTRACT))
    keywords = StringField(_l("Keywords"), validators=[Length(max=MAX_KEYWORDS * (MAX_KEYWORD + 2))],
                           description=_l("Up to %(max)d, separated by commas, e.g. battery recycling, circular "
                                          "economy: evaluators are matched on them, the title and the abstract.",
                                          max=MAX_KEYWORDS))
    strand = SelectField(_l("Strand"), choices=[], validate_choice=True)
    duration_months = IntegerField(_l("Duration (months)"),
                                   validators=[Optional(), NumberRange(1, MAX_DURATION_MONTHS)])
    submit = SubmitField(_l("Save"))

    def set_call(self, strands: list[str], strand_label: str, duration: tuple[int | None, int | None]) -> None:
        self.strand.label.text = strand_label
        # The strand's name is the call's own text (user content), shown as the officer wrote it.
        self.strand.choices = [SelectChoice("", _("Choose: %(strand)s", strand=strand_label.lower()))] + [
            SelectChoice(s, s) for s in strands]
        low, high = duration
        if low is not None and high is not None:
            self.duration_months.description = _("The call allows %(low)d to %(high)d months.", low=low, high=high)

    def changes(self) -> ProposalChanges:
        return ProposalChanges.parse({
            "acronym": self.acronym.data, "title": self.title.data, "abstract": self.abstract.data,
            "keywords": self.keywords.data or "",
            "strand": self.strand.data, "duration_months": self.duration_months.data})


class PartnerRowForm(ProductSubform):
    id = HiddenField()
    name = StringField(_l("Organisation"), validators=[Length(max=MAX_PARTNER_NAME)])
    country = SelectField(_l("Country"), choices=[])
    organisation_type = SelectField(_l("Type"), choices=[SelectChoice("", _l("Type")), *ORGANISATION_TYPE_CHOICES])
    contact_email = EmailField(_l("Contact e-mail"), validators=[Length(max=MAX_EMAIL)])
    remove = BooleanField(_l("Remove"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The countries' names in the reader's language, read per request.
        self.country.choices = country_select_choices(_("Country"))

    def is_blank(self) -> bool:
        """An untouched row (the empty one offered for a new partner): ignored when saving."""
        return not any((field.data or "").strip() for field in (self.name, self.country, self.organisation_type,
                                                                  self.contact_email))


class ConsortiumForm(_VersionedForm):
    coordinator_contact_email = EmailField(_l("Coordinator's contact e-mail"), validators=[Length(max=MAX_EMAIL)])
    partners = FieldList(FormField(PartnerRowForm), min_entries=0, max_entries=MAX_PARTNERS)
    submit = SubmitField(_l("Save"))

    def validate_partners(self, field: FieldList) -> None:
        """A row that is not blank and not removed needs a name, a country and a type."""
        problems = False
        for row in field.entries:
            form: PartnerRowForm = row.form
            if form.remove.data or form.is_blank():
                continue
            for sub in (form.name, form.country, form.organisation_type):
                if not (sub.data or "").strip():
                    sub.errors = [*sub.errors, _("Required.")]
                    problems = True
        if problems:
            raise ValidationError(_("Complete the partners marked below (or tick Remove)."))

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
    requested_grant = MoneyField(_l("Requested EU grant (EUR)"))
    amounts = FieldList(MoneyField(_l("Amount (EUR)")), min_entries=0, max_entries=MAX_PARTNERS)
    submit = SubmitField(_l("Save"))

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
    kind = SelectField(_l("Annex"), choices=[SelectChoice(k.value, _l(k.label)) for k in DocumentKind])
    file = FileField(_l("PDF file"), validators=[FileRequired(_l("Choose a PDF file to upload."))])
    submit = SubmitField(_l("Upload"))

    def offer(self, kinds: list[DocumentKind]) -> None:
        """Offer only these annex types (the call's): any other is refused as not a valid choice."""
        self.kind.choices = [SelectChoice(k.value, _l(k.label)) for k in kinds]


class SubmitProposalForm(_VersionedForm):
    # The declaration is stored with the version of its text the applicant was shown (app/privacy/texts.py).
    confirm = BooleanField(" ".join(current_text(ConsentKind.SUBMISSION_DECLARATION).lines),
                           validators=[DataRequired(_l("Tick the declaration to submit."))])
    declaration_version = HiddenField(default=lambda: current_text(ConsentKind.SUBMISSION_DECLARATION).version)
    submit = SubmitField(_l("Submit the proposal"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The declaration in the reader's language, sentence by sentence; the English is the version recorded.
        self.confirm.label.text = " ".join(_(line) for line in current_text(ConsentKind.SUBMISSION_DECLARATION).lines)


class WithdrawProposalForm(ProductForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Length(max=1000)])
    confirm = BooleanField(_l("I understand that withdrawal is final: the proposal cannot be submitted again."),
                           validators=[DataRequired(_l("Tick the box to confirm."))])
    submit = SubmitField(_l("Withdraw the proposal"))


class StartProposalForm(ProductForm):
    submit = SubmitField(_l("Start a proposal"))
