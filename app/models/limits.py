"""The limits of what people type, beside the models that store it.

Forms, API schemas and services read the same constants, so a field refused by a service is refused by its form
first, with the same figure in the message. Importing this module imports nothing else of the app.
"""

from __future__ import annotations

from decimal import Decimal

# Accounts
MIN_PASSWORD_LENGTH = 10

# Proposals (models/proposal.py)
MAX_ACRONYM = 30
MAX_TITLE = 300
MAX_ABSTRACT = 5000
MAX_KEYWORDS = 10  # a proposal's keywords (matched against the evaluators' expertise)
MAX_KEYWORD = 40
MAX_PARTNERS = 50  # the coordinator included
MAX_DURATION_MONTHS = 120
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_STRAND = 100
MAX_PARTNER_NAME = 200  # an organisation's name
MAX_EMAIL = 254
MAX_PRIVACY_CONTACT = 1000  # a call's controller or DPO, as printed in its privacy statement

# Evaluation (models/evaluation.py)
MAX_LOAD_LIMIT = 500  # proposals per evaluator and call
MAX_EVALUATORS_PER_PROPOSAL = 20  # a call's k
MAX_AFFILIATION = 200  # a pool member's organisation name
MAX_EXPERTISE_KEYWORDS = 20  # an evaluator's expertise keywords in a call's pool
MAX_EXPERTISE_KEYWORD = 60  # one keyword or phrase
MAX_EXPERTISE_STATEMENT = 2000  # an evaluator's short statement of expertise
MIN_REASON_LENGTH = 10  # a screening decision, a consensus reopened
MIN_WITHDRAWAL_REASON = 3  # an evaluator taken off a proposal, or out of the pool
MAX_REASON_LENGTH = 4000
MIN_NOTE_LENGTH = 10  # a conflict of interest declared, or waived
MAX_NOTE_LENGTH = 2000  # a conflict of interest declared, an invitation declined
SCORE_STEP = Decimal("0.5")  # scores run from 0 to the criterion's maximum in steps of this
MIN_COMMENT_LENGTH = 30  # each comment of a submitted report
MAX_COMMENT_LENGTH = 10_000

# Evaluation review (models/redress.py): the coordinator's grounds
MIN_REDRESS_GROUNDS = 50
MAX_REDRESS_GROUNDS = 5000

# Assessment (models/assessment.py): the officer's reasoned note in a call for expression of interest
MIN_ASSESSMENT_NOTE = 10
MAX_ASSESSMENT_NOTE = 2000
MIN_FIT = 1  # the fit with the call's aims (scoring.assessment.FIT_MIN, FIT_MAX)
MAX_FIT = 5

# Selection (models/selection.py)
MAX_RESERVE_SIZE = 1000
MIN_JUSTIFICATION = 20  # the officer's order of a residual tie
MAX_CRITERIA = 20  # a call's award criteria
MAX_STRANDS = 100  # a call's strands or thematic areas

# A call's own texts (models/call.py), in English and in the other languages alike
MAX_CALL_TITLE = 300
MAX_CALL_DESCRIPTION = 20_000
MAX_CRITERION_NAME = 200
MAX_CRITERION_DESCRIPTION = 5000
