"""What the task and start forms accept from a browser: numbers, dates, and which fields are marked required."""

from __future__ import annotations

import pytest

from api.db import db
from api.models import Instance
from tests.web.conftest import login
from tests.web.proposal import USULAN
from tests.web.test_pages import start_proposal


def count_instances(app) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(Instance)).scalar_one()


@pytest.mark.parametrize("typed", ["NaN", "nan", "Infinity", "-inf"])
def test_given_nan_or_infinity_in_a_number_field_then_the_form_comes_back_with_the_message_beside_it(
        client, app, typed):
    login(client, "ketua_rt")

    answer = start_proposal(client, {**USULAN, "perkiraan_biaya": typed})

    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'id="galat-perkiraan_biaya"' in page and f'value="{typed}"' in page
    assert count_instances(app) == 0
