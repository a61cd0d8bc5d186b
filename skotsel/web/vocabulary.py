"""The words the UI shows for stored codes (site kinds, roles, agreement statuses), in Swedish, translated by Babel."""
from flask_babel import lazy_gettext as _l

SITE_KIND_LABELS = {"green_space": _l("Grönyta"), "beach": _l("Badplats"), "playground": _l("Lekplats"),
                    "other": _l("Övrigt")}
ROLE_LABELS = {"admin": _l("Administratör"), "reviewer": _l("Granskare"), "coordinator": _l("Samordnare"),
               "member": _l("Medlem")}
AGREEMENT_STATUS_LABELS = {"draft": _l("Utkast"), "active": _l("Gällande"), "ended": _l("Avslutat")}


def template_labels() -> dict:
    return {"site_kind_labels": SITE_KIND_LABELS, "role_labels": ROLE_LABELS, "status_labels": AGREEMENT_STATUS_LABELS}
