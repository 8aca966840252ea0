"""`alur lint` checks lanes against the roles the database knows, and only reads it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from api.db import db
from api.models import ProcessVersionRow
from tests.bpmn_builder import build_bpmn

ROOT = Path(__file__).resolve().parents[2]
BODY = """
<bpmn:startEvent id="mulai"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
<bpmn:userTask id="catat" name="Catat"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
<bpmn:userTask id="periksa" name="Periksa"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
<bpmn:endEvent id="akhir"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
<bpmn:sequenceFlow id="f1" sourceRef="mulai" targetRef="catat"/>
<bpmn:sequenceFlow id="f2" sourceRef="catat" targetRef="periksa"/>
<bpmn:sequenceFlow id="f3" sourceRef="periksa" targetRef="akhir"/>
"""


def lint(tmp_path: Path, database: str, lanes: dict[str, list[str]]) -> subprocess.CompletedProcess:
    folder = tmp_path / "baru"
    folder.mkdir()
    (folder / "baru.bpmn").write_text(build_bpmn("uji_baru", BODY, lanes, name="Baru"), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": database, "ALUR_DATA_DIR": str(tmp_path / "data"),
           "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "api.cli", "lint", str(folder)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_given_a_database_a_lane_no_one_holds_is_reported_and_nothing_is_stored(app, users, database, tmp_path):
    with app.app_context():
        versions = db.session.execute(db.select(db.func.count()).select_from(ProcessVersionRow)).scalar()

    done = lint(tmp_path, database, {"Petugas Uji": ["mulai", "catat"], "Bukan Peran": ["periksa", "akhir"]})

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Bukan Peran" in done.stdout and "Petugas Uji" not in done.stdout
    assert "peran yang dikenal basis data" in done.stderr
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(ProcessVersionRow)).scalar() == versions


def test_given_a_database_lanes_of_granted_roles_pass(app, users, database, tmp_path):
    done = lint(tmp_path, database, {"Petugas Uji": ["mulai", "catat"], "Kepala Uji": ["periksa", "akhir"]})
    assert done.returncode == 0, done.stdout + done.stderr


def test_without_a_database_lanes_are_not_matched_and_that_is_said(tmp_path):
    done = lint(tmp_path, f"sqlite:///{tmp_path / 'tidak_ada.db'}", {"Bukan Peran": ["mulai", "catat", "periksa",
                                                                                     "akhir"]})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "belum ada basis data" in done.stderr
    assert not (tmp_path / "tidak_ada.db").exists()
