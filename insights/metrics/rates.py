"""Rounding shared by the figures."""

from __future__ import annotations


def rate(part: float | None, whole: float | None) -> float | None:
    """`part` as a percentage of `whole`, to one decimal; None when there is no whole."""
    return round(100.0 * part / whole, 1) if whole else None


def rounded(value) -> float | None:
    """A figure as shown: one decimal, None stays None."""
    return None if value is None else round(float(value), 1)
