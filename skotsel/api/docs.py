"""The OpenAPI document (/api/v1/openapi.json) and a readable page generated from it (/api/v1/docs): no script, no
outside reference, the same schemas that validate the requests."""
from __future__ import annotations

import re

from flask import Blueprint, Flask, current_app, jsonify, render_template_string
from markupsafe import Markup, escape
from flask_babel import gettext as _

DESCRIPTION = """\
Skötsel's JSON API: agreements, sites (also as GeoJSON), agreed tasks, occurrences, completions, deviations,
inspections and the compliance summary of a season; record a completion, mark a deviation fixed, verify or reopen
it, record an inspection.

**Authentication.** Send a personal API token: `Authorization: Bearer <token>`. Make one on your profile page or
with `flask --app skotsel create-token EMAIL`. The token acts with your rights today: you see exactly what the web
pages show you, and anything else is 404 Not Found.

**Rate limit.** 120 requests a minute per person (all their tokens together); over it, 429 with `Retry-After`.

**Pagination.** Lists are in id order, `limit` (1–100) per page; pass a page's `next_after` as `after` for the next
one (also in the `Link: rel="next"` header). `next_after` is null on the last page.

**Dates.** ISO 8601: days as `2026-06-15`, times with their UTC offset.

**Errors.** `application/problem+json` (RFC 9457): `status`, `title` (Swedish) and `title_en`, `detail` and
`detail_en`, and for refused values `errors` (field → messages).

**Idempotency.** `POST /api/v1/completions` requires an `Idempotency-Key` header: a retry with the same key and
body returns the first result (with `Idempotent-Replayed: true`) and records nothing more; the same key with another
body is refused with 422.
"""

PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ spec.info.title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45;
       color: #1d2b1f; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #d7e3d4; }
.op { border: 1px solid #d7e3d4; border-radius: 6px; padding: .6rem 1rem; margin: 1rem 0; }
.method { display: inline-block; min-width: 4rem; font-weight: 700; }
.get { color: #17603a; } .post { color: #8a4b00; }
code, pre { background: #f3f6f2; padding: .1rem .3rem; border-radius: 3px; }
pre { padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
table { border-collapse: collapse; margin: .4rem 0; } td, th { text-align: left; padding: .15rem .6rem .15rem 0;
vertical-align: top; }
th { font-weight: 600; } .muted { color: #5b6b5d; }
</style>
</head>
<body>
<h1>{{ spec.info.title }}</h1>
<p class="muted">OpenAPI {{ spec.openapi }} · {{ texts.version }} {{ spec.info.version }} ·
<a href="{{ json_url }}">openapi.json</a></p>
{{ prose(spec.info.description) }}
<h2>{{ texts.endpoints }}</h2>
{% for path, item in spec.paths.items() %}{% for method, op in item.items() if method in methods %}
<div class="op" id="{{ op.operationId or (method ~ path) }}">
<div><span class="method {{ method }}">{{ method|upper }}</span> <code>{{ path }}</code>
 — {{ op.summary or '' }}</div>
{% if op.description %}<p>{{ op.description }}</p>{% endif %}
{% set params = (item.parameters or []) + (op.parameters or []) %}
{% if params %}<table><tr><th>{{ texts.parameter }}</th><th>{{ texts.where }}</th><th>{{ texts.type }}</th>
<th></th></tr>
{% for p in params %}<tr><td><code>{{ p.name }}</code>{% if p.required %} *{% endif %}</td><td>{{ p['in'] }}</td>
<td>{{ describe(p.schema) }}</td><td class="muted">{{ p.description or (p.schema or {}).description or '' }}</td>
</tr>{% endfor %}</table>{% endif %}
{% if op.requestBody %}<p>{{ texts.body }}: {% for ct, media in op.requestBody.content.items() %}<code>{{ ct }}</code>
{{ describe(media.schema) }}{% endfor %}</p>{% endif %}
<p>{{ texts.responses }}: {% for code, response in op.responses.items()|sort %}<code>{{ code }}</code>
{{ describe_response(response) }}{% if not loop.last %}, {% endif %}{% endfor %}</p>
</div>
{% endfor %}{% endfor %}
<h2>{{ texts.schemas }}</h2>
{% for name, schema in spec.components.schemas.items() %}
<div class="op" id="schema-{{ name }}"><strong>{{ name }}</strong>
<table>{% for field, prop in (schema.properties or {}).items() %}<tr><td><code>{{ field }}</code>
{% if field in (schema.required or []) %} *{% endif %}</td><td>{{ describe(prop) }}</td>
<td class="muted">{{ prop.description or '' }}</td></tr>{% endfor %}</table></div>
{% endfor %}
</body>
</html>
"""

METHODS = ("get", "post", "put", "patch", "delete")


def _prose(text: str) -> Markup:
    """The description's paragraphs, with its **bold** and `code` (the only markup it uses)."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        html = str(escape(" ".join(paragraph.split())))
        html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
        html = re.sub(r"`(.+?)`", r"<code>\1</code>", html)
        paragraphs.append(f"<p>{html}</p>")
    return Markup("\n".join(paragraphs))


def _describe(schema) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_describe(part) for part in schema["anyOf"])
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if kind == "array":
        return f"array of {_describe(schema.get('items'))}"
    extra = []
    if "format" in schema:
        extra.append(schema["format"])
    if "enum" in schema:
        extra.append(", ".join(str(value) for value in schema["enum"]))
    if "pattern" in schema:
        extra.append(schema["pattern"])
    return f"{kind} ({'; '.join(extra)})" if extra else kind


def _describe_response(response) -> str:
    if "$ref" in response:
        return "problem+json"
    content = response.get("content") or {}
    for media in content.values():
        return _describe(media.get("schema"))
    return response.get("description", "")


def register(app: Flask, api) -> None:
    docs = Blueprint("api_docs", __name__, url_prefix="/api/v1")

    @docs.route("/openapi.json")
    def openapi_json():
        """The OpenAPI 3.1 document, public: it describes the API, not anyone's data."""
        response = jsonify(api.spec.to_dict())
        response.headers["Cache-Control"] = "no-cache"
        return response

    @docs.route("/docs")
    def docs_page():
        spec = api.spec.to_dict()
        texts = {"version": _("version"), "endpoints": _("Anrop"), "parameter": _("Parameter"), "where": _("Var"),
                 "type": _("Typ"), "body": _("Innehåll"), "responses": _("Svar"), "schemas": _("Scheman")}
        return render_template_string(PAGE, spec=spec, texts=texts, methods=METHODS, describe=_describe,
                                      describe_response=_describe_response, prose=_prose, json_url="/api/v1/openapi.json",
                                      lang=current_app.config.get("BABEL_DEFAULT_LOCALE", "sv"))

    app.register_blueprint(docs)
