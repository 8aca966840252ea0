"""A forum's batch decision: one transaction that moves every proposal it lists.

Starts N proposals of the real procedures (processes/, forms/) in one desa through the services,
has the desa's musyawarah (forum_musrenbang_desa) accept them all in one batch (timed too), brings
them through SIMDA to the MUSRENBANG-CAM wait, then times, for the kecamatan's forum:
- opening the decision step (the waiting list read from `waiting_messages`, ranked);
- completing it with N rows: the forum's own step plus N deliveries (lock, engine, save) in one
  transaction;
and prints the per-proposal cost of the delivery against a plain task completion.

Run: .venv/bin/python -m bench.forum [--proposals 100] [--database-url URL]  (default: a temp SQLite file)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from api.app import create_app
from api.db import db
from api.models import PendingTask, User, WaitingMessageRow
from api.seed import ensure_user, grant
from api.services import instances
from api.services.inbox import open_task
from api.services.versions import runtime
from engine import FixedClock, use_clock

ROOT = Path(__file__).resolve().parents[1]
WIB = ZoneInfo("Asia/Jakarta")
PROPOSAL = {
    "tahun_rkpd": 2027, "tanggal_musyawarah_rt": "2026-01-14", "nik_pengusul": "3313051203800001",
    "nama_pengusul": "Sutarno", "alamat_pengusul": "Dusun Ngemplak RT 001 RW 002", "judul": "Usulan",
    "permasalahan": "Saluran irigasi tersier rusak sepanjang 300 meter.",
    "bidang_urusan": "pekerjaan_umum_penataan_ruang",
    "opd_tujuan": "dpupr", "wilayah": "33.13.05.2001/RW02/RT001", "volume": 300, "satuan": "meter",
    "perkiraan_biaya": 150_000_000, "penerima_manfaat": 240, "urgensi": "tinggi",
}
STEPS = [("verifikasi_rw", {"keputusan_rw": "terima"})]  # then the desa's musyawarah, then SIMDA
# Entered on the clock's day: the form refuses a SIMDA date after today.
SIMDA = ("input_simda", {"nomor_simda": "SIMDA-2027-0001", "tanggal_input_simda": "2026-01-22"})
DESA = {"nama_forum": "Musrenbang Desa 2027", "tahun_rkpd": 2027, "wilayah": "33.13.05.2001",
        "tanggal_forum": "2026-01-22", "tempat_forum": "Balai Desa"}
PESERTA_DESA = {"peserta": [{"nama": "Kepala Desa", "unsur": "Kepala Desa"}],
                "delegasi": [{"nama": "Kepala Desa", "unsur": "desa", "forum_tujuan": "musrenbang_cam"}]}
FORUM = {"nama_forum": "MUSRENBANG-CAM Matesih 2027", "tahun_rkpd": 2027, "wilayah": "33.13.05",
         "tanggal_forum": "2026-02-12", "tempat_forum": "Pendapa Kecamatan Matesih"}
PESERTA = {"peserta": [{"nama": "Camat", "unsur": "Camat"}],
           "delegasi": [{"nama": "Sekcam", "unsur": "kecamatan", "forum_tujuan": "forgab_opd"}]}


def principal(username: str):
    from api.auth import Principal, SignedInUser, load_grants

    user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one()
    return Principal(user=SignedInUser(user.id, user.username, user.full_name), token_id=0, grants=load_grants(user.id))


def pending(instance_id: int, name: str) -> str:
    return db.session.execute(db.select(PendingTask.id).filter_by(instance_id=instance_id, name=name)).scalar_one()


def decide_forum(who, actor, process_id: str, start: dict, attendance: dict, step: str) -> tuple[int, float, float]:
    """Hold one forum that accepts every waiting row: (rows, ms to open the list, ms to decide)."""
    forum = instances.start(runtime().current(process_id), start, actor)
    instances.complete(who, pending(forum.id, "catat_peserta_delegasi"), attendance)
    decision = pending(forum.id, step)
    began = time.perf_counter()
    rows = open_task(who, decision).data["usulan"]
    opened = (time.perf_counter() - began) * 1000
    rows = [{**r, "skor_prioritas": 50, "keputusan": "terima"} for r in rows]
    began = time.perf_counter()
    instances.complete(who, decision, {"nomor_berita_acara": "BA/1", "usulan": rows})
    return len(rows), opened, (time.perf_counter() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--proposals", type=int, default=100)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ALUR_PROCESSES_DIR": ROOT / "processes",
                          "ALUR_FORMS_DIR": ROOT / "forms", "ALUR_PASSWORD_METHOD": "scrypt:1024:8:1"})
        clock = FixedClock(datetime(2026, 1, 22, 9, 0, tzinfo=WIB))  # the desa's musyawarah, then the kecamatan's
        with app.app_context(), use_clock(clock):
            db.drop_all()
            db.create_all()
            runtime().sync()
            user = ensure_user("warga", "bench-pass")
            for role in ("Ketua RT", "Ketua RW", "Kepala Desa", "Operator Kecamatan", "Tim Musrenbang Kecamatan"):
                grant(user, role, "33.13.05")
            db.session.commit()
            who, actor = principal("warga"), instances.Actor("warga", user.id)
            ref = runtime().current("musrenbang")
            completions = []
            started = []

            def timed(instance_id: int, name: str, form: dict) -> None:
                task_id = pending(instance_id, name)
                began = time.perf_counter()
                instances.complete(who, task_id, form)
                completions.append((time.perf_counter() - began) * 1000)

            for number in range(args.proposals):
                inst = instances.start(ref, {**PROPOSAL, "judul": f"Usulan {number}"}, actor)
                started.append(inst.id)
                for name, form in STEPS:
                    timed(inst.id, name, form)
            desa_rows, desa_opened, desa_decided = decide_forum(
                who, actor, "forum_musrenbang_desa", DESA, PESERTA_DESA, "putuskan_usulan_desa")
            for instance_id in started:
                timed(instance_id, *SIMDA)
            clock.set(datetime(2026, 2, 12, 9, 0, tzinfo=WIB))
            count, opened, decided = decide_forum(
                who, actor, "forum_musrenbang_cam", FORUM, PESERTA, "putuskan_usulan_kecamatan")
            rows = range(count)
            at_opd = db.session.execute(db.select(db.func.count()).select_from(WaitingMessageRow)
                                        .where(WaitingMessageRow.element == "tunggu_forgab_opd")).scalar_one()
            assert at_opd == len(rows), (at_opd, len(rows))  # every proposal moved on
        plain = statistics.median(completions)
        p95 = statistics.quantiles(completions, n=20)[-1]
        print(f"forum of {len(rows)} proposals on {url.split(':')[0]}")
        print(f"{'musyawarah desa: open the decision step':<52} {desa_opened:9.1f} ms")
        print(f"{'musyawarah desa: decide all rows (one transaction)':<52} {desa_decided:9.1f} ms"
              f" ({desa_rows} rows, {desa_decided / desa_rows:.2f} ms each)")
        print(f"{'open the decision step (ranked waiting list)':<52} {opened:9.1f} ms")
        print(f"{'decide all rows (one transaction)':<52} {decided:9.1f} ms")
        print(f"{'  per proposal delivered':<52} {decided / len(rows):9.2f} ms")
        print(f"{'plain task completion (median / p95)':<52} {plain:9.2f} ms / {p95:.2f} ms")
        print(f"{'ratio per delivery / plain completion':<52} {decided / len(rows) / plain:9.2f}x")


if __name__ == "__main__":
    main()
