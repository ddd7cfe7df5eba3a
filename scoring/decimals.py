"""Exact decimal arithmetic and the two ways numbers are written in the output."""

from __future__ import annotations

from decimal import Context, Decimal, DecimalException, DivisionByZero, Inexact, InvalidOperation, Overflow
from functools import lru_cache

# All arithmetic runs in this context: precision far beyond any parsed input (at most 40 characters, within
# 1e-20 to 1e20), and an operation that would have to round raises instead of silently losing a cent.
EXACT = Context(prec=100, traps=[Inexact, InvalidOperation, DivisionByZero, Overflow])

ZERO = Decimal(0)
HALF_STEPS = Decimal(2)
CENT = Decimal("0.01")


@lru_cache(maxsize=4096)  # reasons repeat the same few scores and thresholds thousands of times
def plain(value: Decimal) -> str:
    """Write a number without trailing zeros or exponent: 14.750 -> "14.75", 12.0 -> "12", 1E+2 -> "100"."""
    text = format(value.normalize(EXACT), "f")
    return "0" if text == "-0" else text


def money(value: Decimal) -> str:
    """Write an amount with thousands separators and two places, as in a letter: "40,600,000.00"."""
    return format(value, ",.2f")


def is_whole_cents(value: Decimal) -> bool:
    """True when the amount has no fraction of a cent."""
    try:
        value.quantize(CENT, context=EXACT)  # EXACT traps the rounding a fraction of a cent would need
    except DecimalException:
        return False
    return True


def is_half_step(value: Decimal) -> bool:
    """True when the score is a multiple of 0.5."""
    return EXACT.remainder(EXACT.multiply(value, HALF_STEPS), 1) == 0
