"""The proposal the page tests submit: the procedure scenarios' one, met at the RT today.

The pages run on the real clock, and the 6-month watch counts from the RT meeting: with the
scenarios' January 2026 meeting it would already be past and every proposal escalated at once
(and the form refuses a meeting that long ago, or an RW meeting before the RT's).
"""

from __future__ import annotations

from datetime import date

from tests.procedures.test_musrenbang import TERIMA_RW as SCENARIO_TERIMA_RW
from tests.procedures.test_musrenbang import USULAN as SCENARIO_USULAN

USULAN = {**SCENARIO_USULAN, "tanggal_musyawarah_rt": date.today().isoformat()}
TERIMA_RW = {**SCENARIO_TERIMA_RW, "tanggal_musyawarah_rw": date.today().isoformat()}  # the RW met that day too
__all__ = ["TERIMA_RW", "USULAN"]
