"""Photos and their thumbnails, served only to people who may see the completion or deviation they belong to.

Everyone else gets a 404, exactly as for a photo that does not exist; someone not signed in is sent to log in.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file
from flask_login import current_user

from skotsel.extensions import login_manager
from skotsel.models import Photo
from skotsel.services import photos
from skotsel.services.access import load
from skotsel.web import current_principal

bp = Blueprint("photos", __name__, url_prefix="/photos")

#: A photo's bytes never change (a new photo gets a new id), so the browser may keep it for a while; "private"
#: keeps shared caches from serving it to someone who is not allowed to see it.
CACHE_SECONDS = 3600


@bp.before_request
def signed_in_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.route("/<int:photo_id>")
def show(photo_id: int):
    photo = load(current_principal(), Photo, photo_id)
    return _send(photos.path_of(photo, upload_folder=current_app.config["UPLOAD_FOLDER"]),
                 mimetype=photo.content_type, download_name=photos.download_name(photo))


@bp.route("/<int:photo_id>/thumb")
def thumbnail(photo_id: int):
    photo = load(current_principal(), Photo, photo_id)
    return _send(photos.thumbnail_path_of(photo, upload_folder=current_app.config["UPLOAD_FOLDER"]),
                 mimetype="image/jpeg", download_name=photos.download_name(photo, thumbnail=True))


def _send(path, *, mimetype: str, download_name: str):
    """The file inline with the type it was stored as; never sniffed as anything else, never run as a page."""
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=mimetype, as_attachment=False, download_name=download_name,
                         max_age=CACHE_SECONDS)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    return response
