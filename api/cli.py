"""The `alur` command: a Flask CLI group with Alur's own commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import FlaskGroup

from engine.lint import lint_paths


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
    """Check BPMN files (or folders of them) before they go live; exit 1 on any problem."""
    report = lint_paths(list(paths) or [Path("processes")], forms_dir=forms_dir)
    for problem in report.problems:
        click.echo(problem.format())
    click.echo(report.summary())
    sys.exit(0 if report.ok else 1)


def main() -> None:
    cli()
