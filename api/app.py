"""The Flask application: configuration, database, routes, errors, the process registry."""

from __future__ import annotations

import logging
import math
from typing import Any

from flask import Flask, Response, abort, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api
from flask_smorest.spec import openapi_cli
from flask_smorest.spec.plugins import integerconverter2paramschema
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from api import errors
from api.auth import has_bearer
from api.config import ROOT, load_config
from api.cookie_session import BearerFirstSessionInterface
from api.db import db, migrate
from api.json_depth import refuse_deep_json, refuse_non_finite_json
from api.routes.guard import authorize_first
from api.schemas import MAX_ID, ErrorSchema
from api.services.versions import init_runtime, runtime
from api.web import bp as web_pages

_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class _IdConverter(IntegerConverter):
    """`<int:...>` in a URL: a number beyond any id is no page (404), never a database overflow (500)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(*args, **kwargs)


class _FiniteJSONProvider(DefaultJSONProvider):
    """Answers are strict JSON: NaN or Infinity (a script's result, data stored before forms refused them)
    leave as null, since Python would write the bare words NaN/Infinity that other JSON readers refuse."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        try:
            return super().dumps(obj, allow_nan=False, **kwargs)
        except ValueError:  # only then is the value walked: answers without such numbers cost nothing more
            return super().dumps(_finite(obj), allow_nan=False, **kwargs)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


class _Api(Api):
    """Errors are documented per operation (`api.schemas.answers`) with our error body, never as a catch-all.

    The OpenAPI document is made from the code (routes, schemas) and the `API_`/`OPENAPI_`/`ETAG_`
    settings alone, and is only read once built, so an app whose settings match an earlier app's in
    the same process reuses that document instead of building it again: building it is most of
    creating an app (about 0.4 of 0.5 s), which the test suite would pay once per test.
    """

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None
    _documents: dict[tuple, tuple] = {}  # settings -> (spec, flask plugin, marshmallow plugin)

    def _document_key(self) -> tuple:
        assert self._app is not None
        return tuple(sorted((k, repr(v)) for k, v in self._app.config.items()
                            if k.startswith(("API_", "OPENAPI_", "ETAG_"))))

    @property
    def reuses_document(self) -> bool:
        return getattr(self, "_reused", False)

    def _init_spec(self, **kwargs: Any) -> None:
        known = self._documents.get(self._document_key())
        if known is None:
            self._reused = False
            super()._init_spec(**kwargs)
            return
        self._reused = True
        self.spec, self.flask_plugin, self.ma_plugin = known
        self._app.cli.add_command(openapi_cli)

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        if not self.reuses_document:
            super().register_blueprint(blp, parameters=parameters, **options)
            return
        self._app.extensions["flask-smorest"]["blp_name_to_api"][options.get("name", blp.name)] = self
        self._app.register_blueprint(blp, **options)

    def keep_document(self) -> None:
        """Offer the finished document to later apps of this process with the same settings."""
        self._documents.setdefault(self._document_key(), (self.spec, self.flask_plugin, self.ma_plugin))

    def _register_pagination_header(self) -> None:
        """Not registered: paging is in our answers' bodies, so flask-smorest's pagination header (and its
        schema, described in English) was referenced by no operation yet listed in the document."""


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.json = _FiniteJSONProvider(app)
    app.url_map.converters["int"] = _IdConverter
    app.session_interface = BearerFirstSessionInterface()
    app.config.update(load_config(overrides))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SpiffWorkflow logs every task state change at INFO: noise in our log and a write per step.
    logging.getLogger("spiff").setLevel(logging.WARNING)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    description = "Alur: alur kerja BPMN untuk layanan publik pemerintah daerah"
    api = _Api(app, spec_kwargs={"info": {"description": description}})
    from api.routes import admin, auth, organization, processes, public, tasks, versions

    for module in (auth, processes, tasks, admin, public, versions, organization):
        api.register_blueprint(module.blp)
    if not api.reuses_document:
        api.register_converter(_IdConverter, integerconverter2paramschema)
        api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
        api.keep_document()
    errors.register(app)  # after Api(): our JSON errors replace flask-smorest's handler
    init_runtime(app)
    app.register_blueprint(web_pages)  # the HTML pages (api/web), with their own CSRF check and headers
    proxies = int(app.config["ALUR_TRUSTED_PROXIES"])
    if proxies > 0:
        # Only then is X-Forwarded-For believed: without a proxy, any client could name any address
        # (and so escape the public rate limit, which keys on the client's address).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]

    @app.before_request
    def _before() -> None:
        if "\x00" in request.path:  # no resource has a NUL in its name (and PostgreSQL cannot even compare it)
            abort(404)
        refuse_deep_json()
        if request.path.startswith("/api/v1/"):
            _check_csrf()
            runtime().ensure_synced()
            authorize_first()
        refuse_non_finite_json()

    @app.after_request
    def _transport_security(response: Response) -> Response:
        if app.config["ALUR_SECURE_COOKIES"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return app


def _check_csrf() -> None:
    """A cookie-authenticated change must come as JSON: a cross-site HTML form cannot send that without CORS."""
    if request.method in _SAFE_METHODS or has_bearer(request):
        return
    if request.cookies and not request.is_json and request.headers.get("X-Requested-With") != "XMLHttpRequest":
        raise errors.ApiError(415, "unsupported_media_type", "kirim data sebagai JSON")
