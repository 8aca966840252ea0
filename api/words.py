"""The Indonesian words users read for stored status codes.

One list for the pages and for the API's messages, so a refusal says "kasus berstatus dibatalkan"
in the same word the admin list shows; the codes themselves stay in the data and the JSON fields.
"""

from __future__ import annotations

CASE_STATUS_NAMES = {
    "running": "berjalan",
    "waiting": "menunggu waktu/pesan",
    "error": "ada kesalahan",
    "complete": "selesai",
    "suspended": "ditangguhkan",
    "cancelled": "dibatalkan",
}
OUTBOX_STATUS_NAMES = {
    "pending": "menunggu dikirim",
    "sent": "terkirim",
    "failed": "gagal dikirim",
    "no_recipient": "tanpa penerima",
}


def case_status_name(status: str) -> str:
    """The word for a case's status; an unknown code is shown as it is rather than hidden."""
    return CASE_STATUS_NAMES.get(status, status)


def outbox_status_name(status: str) -> str:
    """The word for an outgoing message's status; an unknown code is shown as it is."""
    return OUTBOX_STATUS_NAMES.get(status, status)
