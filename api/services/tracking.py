"""Tracking codes: short, unambiguous to read aloud or type from an SMS."""

from __future__ import annotations

import secrets

# Crockford's base32 alphabet: no I, L, O or U, so no confusion between 1/I/L and 0/O.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_code(length: int = 10) -> str:
    """`ALR-XXXXX-XXXXX`: 50 random bits, so codes cannot be found by enumeration."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(length))
    return f"ALR-{raw[:5]}-{raw[5:]}"


def normalize(code: str) -> str:
    return code.strip().upper()
