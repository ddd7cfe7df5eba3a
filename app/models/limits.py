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
MAX_PARTNERS = 50  # the coordinator included
MAX_DURATION_MONTHS = 120
MAX_AMOUNT = Decimal("999999999999.99")  # Numeric(14, 2)
MAX_STRAND = 100
MAX_PARTNER_NAME = 200  # an organisation's name
MAX_EMAIL = 254

# Evaluation (models/evaluation.py)
MAX_LOAD_LIMIT = 500  # proposals per evaluator and call
MIN_REASON_LENGTH = 10  # a screening decision, a consensus reopened
MIN_NOTE_LENGTH = 10  # a conflict of interest declared, or waived
MIN_COMMENT_LENGTH = 30  # each comment of a submitted report
MAX_COMMENT_LENGTH = 10_000

# Selection (models/selection.py)
MAX_RESERVE_SIZE = 1000
MIN_JUSTIFICATION = 20  # the officer's order of a residual tie
