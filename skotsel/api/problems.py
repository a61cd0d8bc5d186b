"""Errors as application/problem+json (RFC 9457): status, a title in Swedish and English, and a detail.

`title` is Swedish, the product's language; `title_en` (an extension member) is the same in English, and so are
`detail` and `detail_en`. Validation errors add `errors`: the field → messages of what was refused.
"""
from __future__ import annotations

from http import HTTPStatus

from flask import Response, json, request

PROBLEM_JSON = "application/problem+json"

#: status → (Swedish title, English title)
TITLES: dict[int, tuple[str, str]] = {
    400: ("Felaktig begäran", "Bad Request"),
    401: ("Giltig API-nyckel krävs", "Unauthorized"),
    403: ("Åtgärden är inte tillåten", "Forbidden"),
    404: ("Hittades inte", "Not Found"),
    405: ("Metoden stöds inte", "Method Not Allowed"),
    406: ("Svarsformatet stöds inte", "Not Acceptable"),
    409: ("Konflikt", "Conflict"),
    413: ("Begäran är för stor", "Content Too Large"),
    415: ("Innehållstypen stöds inte", "Unsupported Media Type"),
    422: ("Uppgifterna kunde inte godtas", "Unprocessable Content"),
    429: ("För många anrop", "Too Many Requests"),
    500: ("Internt fel", "Internal Server Error"),
}

#: status → (Swedish detail, English detail) when nothing more precise is known.
DETAILS: dict[int, tuple[str, str]] = {
    400: ("Begäran kunde inte tolkas.", "The request could not be understood."),
    401: ("Skicka en giltig API-nyckel i rubriken Authorization: Bearer <nyckel>.",
          "Send a valid API token in the header Authorization: Bearer <token>."),
    403: ("Du får se detta men inte göra så här med det.", "You may see this but not do this to it."),
    404: ("Det finns inget här, eller inget som du får se.", "There is nothing here, or nothing you may see."),
    405: ("Adressen finns men inte med den här metoden.", "The address exists but not with this method."),
    409: ("Begäran krockar med hur det ser ut nu.", "The request conflicts with the current state."),
    413: ("Begäran är för stor.", "The request is too large."),
    415: ("Skicka JSON (Content-Type: application/json).", "Send JSON (Content-Type: application/json)."),
    422: ("Några uppgifter saknas eller är felaktiga.", "Some values are missing or wrong."),
    429: ("Vänta en stund innan du försöker igen.", "Wait a while before you try again."),
    500: ("Något gick fel hos oss. Försök igen senare.", "Something went wrong on our side. Try again later."),
}


def titles(status: int) -> tuple[str, str]:
    if status in TITLES:
        return TITLES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return phrase, phrase


def problem(status: int, detail: str | None = None, detail_en: str | None = None, *,
            errors: dict | None = None, headers: dict | None = None, **extra) -> Response:
    """A problem+json response."""
    title_sv, title_en = titles(status)
    default_sv, default_en = DETAILS.get(status, (title_sv, title_en))
    body = {
        "type": "about:blank",
        "title": title_sv,
        "title_en": title_en,
        "status": status,
        "detail": detail or default_sv,
        "detail_en": detail_en or (default_en if detail is None else detail),
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response
