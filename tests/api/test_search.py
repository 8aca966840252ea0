"""Free-text search in the inbox and the admin list: words of the title, the tracking code or the reporter."""

from __future__ import annotations

from sqlalchemy import text

from api.db import db
from api.services.search import terms
from tests.api.conftest import REPORT, inbox, start_report


def admin_titles(client, users, q: str) -> list[str]:
    answer = client.get("/api/v1/admin/instances", query_string={"q": q}, headers=users.headers("admin"))
    assert answer.status_code == 200, answer.get_json()
    return sorted(i["title"] for i in answer.get_json()["items"])


def inbox_titles(client, users, q: str) -> list[str]:
    return sorted(t["instance_title"] for t in inbox(client, users, "petugas", q=q))


def test_words_are_normalized_without_accents_case_or_punctuation():
    assert terms("Jalan RUSAK di Désa  Gantiwarno, RT-001!") == ["jalan", "rusak", "di", "desa", "gantiwarno", "rt",
                                                                 "001"]
    assert terms("ALR-K1T38-Q4W6Z") == ["alr", "k1t38", "q4w6z"]


def test_the_inbox_finds_tasks_by_the_start_of_title_words_in_any_order(client, users):
    start_report(client, users, {**REPORT, "judul": "Jalan rusak di RT 1"})
    start_report(client, users, {**REPORT, "judul": "Lampu jalan padam"})
    start_report(client, users, {**REPORT, "judul": "Saluran air tersumbat"})

    assert inbox_titles(client, users, "jal") == ["Jalan rusak di RT 1", "Lampu jalan padam"]
    assert inbox_titles(client, users, "RUSAK jalan") == ["Jalan rusak di RT 1"]
    assert inbox_titles(client, users, "salur tersumbat") == ["Saluran air tersumbat"]
    assert inbox_titles(client, users, "jembatan") == []
    assert len(inbox_titles(client, users, "")) == 3  # an empty search filters nothing


def test_the_admin_list_finds_an_instance_by_its_tracking_code_or_a_part_of_it(client, users):
    code = start_report(client, users, {**REPORT, "judul": "Jalan rusak di RT 1"})["tracking_code"]
    start_report(client, users, {**REPORT, "judul": "Lampu jalan padam"})

    assert admin_titles(client, users, code.lower()) == ["Jalan rusak di RT 1"]
    assert admin_titles(client, users, code.split("-")[1]) == ["Jalan rusak di RT 1"]


def test_the_reporter_is_found_by_name_unless_the_report_is_anonymous(client, users):
    start_report(client, users, {**REPORT, "judul": "Jalan rusak di RT 1", "nama": "Siti Aminah"})
    start_report(client, users, {**REPORT, "judul": "Lampu jalan padam", "nama": "Siti Rahayu", "anonim": True})

    assert admin_titles(client, users, "aminah") == ["Jalan rusak di RT 1"]
    # An anonymous reporter's name finds nothing: a search must not tell who reported what.
    assert admin_titles(client, users, "rahayu") == []
    assert admin_titles(client, users, "siti") == ["Jalan rusak di RT 1"]
    assert inbox_titles(client, users, "siti") == ["Jalan rusak di RT 1"]


def test_the_search_reads_the_term_index_not_every_row(app):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            plan = db.session.execute(text(
                "EXPLAIN QUERY PLAN SELECT instance_id FROM search_terms WHERE term >= 'jal' AND term < 'jal{'"
            )).all()
            assert "SEARCH search_terms USING COVERING INDEX ix_search_terms_term" in str(plan)
        else:
            db.session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = db.session.execute(text(
                "EXPLAIN SELECT instance_id FROM search_terms WHERE term >= 'jal' AND term < 'jal{'")).all()
            assert "Index" in str(plan)
