"""The `alur` command: a Flask CLI group with Alur's own commands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup

from engine import lint_paths


def _create_app():
    from api.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def cli() -> None:
    """Alur: BPMN workflows for public services."""


@cli.command("lint", with_appcontext=False)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--forms", "forms_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of form files (default: forms/ beside the processes folder).")
def lint_command(paths: tuple[Path, ...], forms_dir: Path | None) -> None:
    """Check BPMN files (or folders of them) before they go live; exit 1 on any problem.

    With a reachable database, lanes are checked against the roles it knows; without one, against
    the roles of the seed data plus the lanes the diagrams declare (new roles are listed, not refused).
    """
    paths = paths or (Path("processes"),)
    roles, note = _lint_roles()
    declared = _declared_lanes(paths)
    if roles is None:
        from api.services.deploy import seed_roles

        seed = seed_roles()
        roles = seed | {lane for lanes in declared.values() for lane in lanes}
        note = (f"{note}: lane dicocokkan dengan {len(seed)} peran data seed (api/seed_data.json) ditambah lane "
                "yang dideklarasikan diagram")
        new = {lane: file for file, lanes in declared.items() for lane in lanes if lane not in seed}
        note += "".join(f"\nperan baru dari diagram {file}: '{lane}' (dibuat saat deploy dengan --create-roles)"
                        for lane, file in new.items())
    click.echo(note, err=True)
    report = lint_paths(list(paths), forms_dir=forms_dir, known_roles=roles)
    unknown = sorted({lane for lanes in declared.values() for lane in lanes if lane not in roles})
    if unknown:
        click.echo(f"lajur tanpa peran: {', '.join(unknown)}; buat perannya (`alur roles add`) atau pasang dengan "
                   "`alur deploy --create-roles`", err=True)
    for problem in report.problems:
        click.echo(problem.format())
    click.echo(report.summary())
    sys.exit(0 if report.ok else 1)


def _declared_lanes(paths: tuple[Path, ...]) -> dict[str, list[str]]:
    """Each .bpmn file of `paths` (files or folders) with the lanes it declares."""
    from engine import lane_names

    files = [f for path in paths for f in (sorted(path.glob("*.bpmn")) if path.is_dir() else [path])]
    return {str(f): lane_names(f.read_bytes(), str(f)) for f in files if f.suffix == ".bpmn"}


def _lint_roles() -> tuple[set[str] | None, str]:
    """The roles of the configured database, or None (fresh clone, unreachable); and a line saying which."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from api.app import create_app
    from api.config import load_config

    overrides: dict[str, object] = {"SECRET_KEY": "lint"}  # no sessions here: do not create the key file
    url = make_url(load_config(overrides)["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
        return None, "belum ada basis data"  # connecting would create an empty file
    if url.get_backend_name() != "sqlite":
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 5}}
    app = create_app(overrides)
    try:
        with app.app_context():
            from api.services.deploy import known_roles
            from api.services.versions import runtime

            runtime().use_stored_only()  # lint only reads
            roles = known_roles()
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).splitlines()[0]
        return None, f"basis data tidak dapat dibaca ({reason})"
    return roles, f"lane dicocokkan dengan {len(roles)} peran yang dikenal basis data"


def _upgrade() -> None:
    from flask_migrate import upgrade

    upgrade(directory=current_app.extensions["migrate"].directory)


@cli.command("migrate-db")
def migrate_db_command() -> None:
    """Bring the database schema up to date (same as `flask db upgrade`)."""
    _upgrade()
    click.echo("skema basis data mutakhir")


@cli.command("sync-processes")
def sync_processes_command() -> None:
    """Register new versions of the diagrams in processes/ (the app also does this on start)."""
    from api.services.versions import runtime

    added = runtime().sync()
    for ref in added:
        click.echo(f"{ref.version.process_id} v{ref.number} ({ref.version.short_hash})")
    click.echo(f"{len(added)} versi baru")


def _deployer(by: str | None) -> str:
    return by or f"cli:{os.environ.get('USER') or os.environ.get('USERNAME') or 'tanpa-nama'}"


@cli.command("deploy")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--note", default=None, help="Why this version (shown on the versions page).")
@click.option("--forms", "forms_dir", type=click.Path(path_type=Path), default=None,
              help="Folder of form files (default: the app's forms folder).")
@click.option("--by", default=None, help="Who deploys (default: cli:$USER).")
@click.option("--dry-run", is_flag=True, help="Only lint and say what would change.")
@click.option("--create-roles", is_flag=True, help="Create the roles that lanes name and the system lacks.")
def deploy_command(paths: tuple[Path, ...], note: str | None, forms_dir: Path | None, by: str | None,
                   dry_run: bool, create_roles: bool) -> None:
    """Lint and deploy .bpmn files (or folders) with the forms they name; exit 1 when refused."""
    from api.models import ORIGIN_CLI
    from api.services.deploy import deploy_paths

    config = current_app.config
    result = deploy_paths(list(paths) or [config["ALUR_PROCESSES_DIR"]], forms_dir or config["ALUR_FORMS_DIR"],
                          _deployer(by), ORIGIN_CLI, note, dry_run=dry_run, create_roles=create_roles)
    for problem in result.problems:
        click.echo(problem.format())
    for version in result.versions:
        number = f"v{version.number}" if version.number is not None else "(baru)"
        click.echo(f"{version.process_id:<30} {number:<7} {version.hash[:12]}  {version.outcome}")
    click.echo(result.message())
    sys.exit(0 if result.ok else 1)


@cli.command("versions")
@click.argument("process_id")
def versions_command(process_id: str) -> None:
    """List the versions of a process: number, hash, who deployed it, when, instances."""
    from api.services.deploy import list_versions

    items = list_versions(process_id)
    if not items:
        raise click.ClickException(f"proses tidak dikenal: {process_id}")
    for v in items:
        mark = "*" if v["current"] else " "
        counts = ", ".join(f"{k} {n}" for k, n in sorted(v["instances"].items())) or "tanpa instance"
        click.echo(f"{mark} v{v['number']:<4} {v['short_hash']}  {v['created_at'][:19]}  {v['deployed_by']:<20} "
                   f"{v['origin']:<7} {counts}" + (f"  -- {v['note']}" if v["note"] else ""))


@cli.command("diff")
@click.argument("process_id")
@click.argument("old", type=int)
@click.argument("new", type=int)
def diff_command(process_id: str, old: int, new: int) -> None:
    """Show what changed between two versions of a process (as JSON)."""
    import json

    from api.errors import ApiError
    from api.services.migration import diff_json

    try:
        click.echo(json.dumps(diff_json(process_id, old, new), indent=2, ensure_ascii=False))
    except ApiError as exc:
        raise click.ClickException(exc.message) from None


@cli.command("migrate")
@click.argument("process_id")
@click.option("--instance", "instance_id", type=int, default=None, help="Only this instance.")
@click.option("--from", "from_version", type=int, default=None, help="Only instances on this version number.")
@click.option("--to", "to_version", type=int, default=None, help="Target version number (default: the newest).")
@click.option("--status", "statuses", multiple=True, help="Only instances with this status (repeatable).")
@click.option("--dry-run", is_flag=True, help="Only report, per instance, whether it can move and why not.")
@click.option("--by", default=None, help="Who migrates (default: cli:$USER), for the audit trail.")
def migrate_command(process_id: str, instance_id: int | None, from_version: int | None, to_version: int | None,
                    statuses: tuple[str, ...], dry_run: bool, by: str | None) -> None:
    """Move running instances to another version; exit 1 when any instance was not moved."""
    from api.errors import ApiError
    from api.services import migration
    from api.services.instances import Actor

    try:
        target = migration.target_version(process_id, to_version)
        ids = [instance_id] if instance_id is not None else migration.select_instances(
            process_id, target=target, from_version=from_version, statuses=statuses or None)
    except ApiError as exc:
        raise click.ClickException(exc.message) from None
    if dry_run:
        batch = migration.dry_run(process_id, ids, target)
    else:
        batch = migration.migrate_instances(process_id, ids, target, Actor(_deployer(by)))
    for r in batch.results:
        click.echo(f"{r.instance_id:>10}  v{r.from_version or '?'} -> v{target.number}  {r.outcome:<13} "
                   f"{r.status or '':<10} {'; '.join(r.reasons)}")
    summary = batch.summary()
    click.echo(", ".join(f"{k} {n}" for k, n in summary.items()))
    sys.exit(0 if dry_run or summary["not_ok"] == 0 else 1)


@cli.command("seed-demo")
def seed_demo_command() -> None:
    """Demo regions, one user per lane and, into a database without instances, the demo cases (idempotent)."""
    from api.seed import seed_demo

    _print_users(seed_demo())
    click.echo(_seed_demo_cases())


def _seed_demo_cases() -> str:
    """The demo cases of the seed file, or the refused case, field and reason as a CLI error (no stack trace)."""
    from api.seed import DemoCaseError, seed_demo_cases

    try:
        return seed_demo_cases().message()
    except DemoCaseError as exc:
        raise click.ClickException(str(exc)) from None


def _print_users(users) -> None:
    click.echo(f"{'pengguna':<28} {'kata sandi':<12} {'peran':<28} {'wilayah':<26} unit")
    for u in users:
        click.echo(f"{u.username:<28} {u.password:<12} {u.role:<28} {u.region or '(semua)':<26} {u.unit or '(semua)'}")


@cli.command("create-user")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "full_name", default="")
@click.option("--role", "roles", multiple=True, help="ROLE, ROLE@REGION_PREFIX or ROLE@REGION_PREFIX#UNIT, repeatable")
def create_user_command(username: str, password: str, full_name: str, roles: tuple[str, ...]) -> None:
    """Create a user (or add roles to one): --role 'Ketua RT@33.13.05.2001/RW02/RT001' --role Admin."""
    from api.db import db
    from api.seed import ensure_user, grant
    from api.services.organization import parse_grant

    user = ensure_user(username, password, full_name)
    for spec in map(parse_grant, roles):
        grant(user, spec.role, spec.region, spec.unit)
    db.session.commit()
    click.echo(f"pengguna {username}: {', '.join(roles) or 'tanpa peran'}")


# -- the organization: roles, units, regions, users (api/services/organization.py) -------------

_ORG_KINDS = {"roles": "peran", "units": "unit", "regions": "wilayah", "users": "pengguna"}


def _org_call(action):
    """Run an organization service call; a refusal becomes a CLI error naming the fields, not a stack trace."""
    from api.errors import ApiError

    try:
        return action()
    except ApiError as exc:
        fields = "; ".join(f"{f['field']}: {f['message']}" for f in exc.fields)
        raise click.ClickException(exc.message + (f" ({fields})" if fields else "")) from None


def _org_group(name: str, help_text: str) -> click.Group:
    kind = _ORG_KINDS[name]

    @cli.group(name, help=help_text)
    def group() -> None:
        pass

    @group.command("export")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path), required=False)
    def export_command(path: Path | None) -> None:
        """Write the CSV (to PATH, or to standard output)."""
        from api.services.organization import export_csv

        text = export_csv(kind)
        if path is None:
            click.echo(text, nl=False)
        else:
            path.write_text(text, encoding="utf-8")
            click.echo(f"{kind}: {max(0, text.count(chr(10)) - 1)} baris -> {path}", err=True)

    @group.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_command(path: Path) -> None:
        """Create or update every line of the CSV; nothing is stored when any line is wrong."""
        from api.services.organization import import_csv

        click.echo(_org_call(lambda: import_csv(kind, path.read_text(encoding="utf-8-sig"))).message())

    @group.command("remove")
    @click.argument("key")
    def remove_command(key: str) -> None:
        """Remove one (refused, with the reason, while running work needs it)."""
        from api.services import organization as org

        removers = {"peran": org.remove_role, "unit": org.remove_unit, "wilayah": org.remove_region,
                    "pengguna": org.remove_user}
        _org_call(lambda: removers[kind](key))
        click.echo(f"{kind} {key} dihapus" if kind != "pengguna" else f"pengguna {key} dinonaktifkan")

    return group


roles_group = _org_group("roles", "Roles: the names lanes use and users hold.")
units_group = _org_group("units", "Organizational units (OPD, bidang, Komisi/AKD, kecamatan) tasks are routed to.")
regions_group = _org_group("regions", "Regions (kode wilayah) for grants, units and instances.")
users_group = _org_group("users", "Users and their role, region and unit grants.")


@roles_group.command("list")
def roles_list() -> None:
    from api.services.organization import list_roles

    for r in list_roles():
        used = ", ".join(r["processes"]) or "-"
        click.echo(f"{r['name']:<30} {r['users']:>4} pengguna  lane di: {used:<30} {r['description']}")


@roles_group.command("add")
@click.argument("name")
@click.option("--description", default="", help="What holders of the role do.")
def roles_add(name: str, description: str) -> None:
    from api.db import db
    from api.services.organization import save_role

    new = _org_call(lambda: save_role(name, description))
    db.session.commit()
    click.echo(f"peran {name} {'dibuat' if new else 'diperbarui'}")


@units_group.command("list")
def units_list() -> None:
    from api.services.organization import list_units

    for u in list_units():
        click.echo(f"{u['code']:<28} {u['kind']:<10} {u['region']:<10} {u['parent'] or '-':<16} {u['name']}")


@units_group.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--kind", required=True, help="opd, bidang, akd, lembaga, kecamatan, desa, lainnya")
@click.option("--parent", default="", help="Code of the parent unit.")
@click.option("--region", default="", help="Region code (kode wilayah) of the unit.")
def units_add(code: str, name: str, kind: str, parent: str, region: str) -> None:
    from api.db import db
    from api.services.organization import save_unit

    new = _org_call(lambda: save_unit({"kode": code, "nama": name, "jenis": kind, "induk": parent, "wilayah": region}))
    db.session.commit()
    click.echo(f"unit {code} {'dibuat' if new else 'diperbarui'}")


@regions_group.command("list")
def regions_list() -> None:
    from api.services.organization import list_regions

    for r in list_regions():
        click.echo(f"{r['code']:<28} {r['level']:<10} {r['time_zone'] or '-':<14} {r['name']}")


@regions_group.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--level", required=True, help="provinsi, kabupaten, kota, kecamatan, desa, kelurahan, rw, rt")
@click.option("--parent", default="")
@click.option("--zone", default=None, help="Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT); "
              "'' = ikut induk; tanpa opsi ini: tetap")
def regions_add(code: str, name: str, level: str, parent: str, zone: str | None) -> None:
    from api.db import db
    from api.services.organization import save_region

    row = {"kode": code, "nama": name, "tingkat": level, "induk": parent}
    if zone is not None:
        row["zona_waktu"] = zone
    new = _org_call(lambda: save_region(row))
    db.session.commit()
    click.echo(f"wilayah {code} {'dibuat' if new else 'diperbarui'}")


@users_group.command("list")
def users_list() -> None:
    from api.services.organization import GrantSpec, list_users

    for u in list_users():
        grants = ", ".join(GrantSpec(g["role"], g["region_prefix"], g["unit"]).text() for g in u["grants"]) or "-"
        click.echo(f"{u['username']:<24} {'aktif' if u['active'] else 'nonaktif':<9} {grants}")


@users_group.command("add")
@click.argument("username")
@click.option("--password", default=None, help="Required for a new user (asked when missing).")
@click.option("--name", "full_name", default="")
@click.option("--email", default=None)
@click.option("--grant", "grants", multiple=True, help="ROLE[@REGION][#UNIT], repeatable; replaces the user's grants")
def users_add(username: str, password: str | None, full_name: str, email: str | None, grants: tuple[str, ...]) -> None:
    """Create or change a user: --grant 'OPD@33.13#dpupr' --grant 'Pemantau@33.13'."""
    from api.db import db
    from api.models import User
    from api.services.organization import parse_grant, save_user

    exists = db.session.execute(db.select(User.id).filter_by(username=username)).first()
    if exists is None and not password:
        password = click.prompt("kata sandi", hide_input=True, confirmation_prompt=True)
    specs = [parse_grant(g) for g in grants] if grants else None
    new = _org_call(lambda: save_user(username, full_name, email, password, True, specs))
    db.session.commit()
    click.echo(f"pengguna {username} {'dibuat' if new else 'diperbarui'}")


def _sqlite_path() -> Path:
    """The database file, or a refusal naming PostgreSQL's own tools (they copy a live database consistently)."""
    from sqlalchemy.engine import make_url

    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database:
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        raise click.ClickException(
            "PostgreSQL: gunakan pg_dump/pg_restore (lihat README, 'Backup and restore'), mis.\n"
            f"  pg_dump --format=custom --no-owner --file alur.dump '{plain}'")
    return Path(url.database)


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Copy the SQLite database to PATH while the system runs (SQLite's online backup: one consistent moment)."""
    import sqlite3

    source_path = _sqlite_path()
    if path.exists():
        raise click.ClickException(f"{path} sudah ada; pilih nama lain")
    # Write beside the target and rename at the end: a backup cut off half-way never looks complete.
    partial = path.with_name(path.name + ".partial")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        target.close()
        source.close()
    partial.replace(path)
    click.echo(f"cadangan {source_path} -> {path} ({path.stat().st_size} bita)")


@cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the current database (stop gunicorn and `alur worker` first).")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the SQLite database with a backup made by `alur backup` (the server and worker must be stopped)."""
    import sqlite3

    target_path = _sqlite_path()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise click.ClickException(f"{path} rusak (integrity_check gagal)")
        if not source.execute("SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'").fetchone():
            raise click.ClickException(f"{path} bukan cadangan basis data Alur")
        if target_path.exists() and not yes:
            raise click.ClickException(
                f"{target_path} akan ditimpa: hentikan server dan worker, lalu ulangi dengan --yes")
        target_path.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(target_path, timeout=30)
        try:
            source.backup(target)  # page by page under SQLite's lock: readers never see half a restore
        finally:
            target.close()
        count = source.execute("SELECT count(*) FROM instances").fetchone()[0]
    finally:
        source.close()
    click.echo(f"dipulihkan {path} -> {target_path} ({count} instance); jalankan `alur migrate-db` bila versinya lama")


@cli.command("worker")
def worker_command() -> None:
    """Fire due timers and deliver the outbox until stopped, under a watchdog (api/watchdog.py)."""
    from api.watchdog import supervise
    from api.worker import run_forever

    supervise(current_app._get_current_object(), run_forever)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


@cli.command("run-demo")
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000, type=int)
@click.option("--workers", default=2, type=int)
def run_demo_command(host: str, port: int, workers: int) -> None:
    """Migrate, seed (users, then demo cases into an empty database), then run gunicorn and the timer worker."""
    from api.seed import seed_demo

    _upgrade()
    users = seed_demo()
    cases = _seed_demo_cases()
    base = f"http://{host}:{port}"
    click.echo(f"\nAlur berjalan di {base}")
    click.echo(f"  petugas:  {base}/masuk  (kotak tugas {base}/tugas, mulai layanan {base}/mulai)")
    click.echo(f"  publik:   {base}/publik  (lacak {base}/lacak)")
    click.echo(f"  admin:    {base}/admin/instance   analis: {base}/analis")
    click.echo(f"  rekap:    {base}/rekap   laporan: {base}/laporan")
    click.echo(f"  API:      {base}/api/v1  (dokumentasi {base}/api/docs)")
    click.echo(f"basis data: {current_app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}\n")
    _print_users(users)
    click.echo(cases)
    # `kill` (SIGTERM) stops the demo like Ctrl-C: both children are terminated below.
    signal.signal(signal.SIGTERM, _interrupt)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ)
    children = [
        subprocess.Popen([str(bin_dir / "gunicorn"), "--workers", str(workers), "--bind", f"{host}:{port}",
                          "--access-logfile", "-", "api.app:create_app()"], env=env),
        subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], env=env),
    ]
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            child.wait(timeout=15)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
