"""Form pieces shared by every blueprint: the language switch, safe redirects, service errors on fields."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from skotsel.domain.errors import ValidationError
from skotsel.services.photos import Uploads

#: What a photo field accepts (the browser's file picker); the service checks the file itself.
PHOTO_TYPES = "image/jpeg,image/png,image/webp"


def choices(pairs) -> list[SelectChoice]:
    """WTForms choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def optional_int(value) -> int | None:
    """Coerce a select's or query's value to a number; empty, not a number or too large for the database is None."""
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?[0-9]{1,9}", text) else None


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (the field() macro draws it as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class LanguageForm(FlaskForm):
    locale = HiddenField()


class DeleteForm(FlaskForm):
    """An empty form: only the CSRF token, for delete and remove buttons."""


def safe_next(target: str | None) -> str | None:
    """Only a local path (no scheme, no host, no '//' or backslash trick) is a safe place to return to."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def error_message(error: ValidationError) -> str:
    return error.message_en if str(get_locale()) == "en" and error.message_en else error.message_sv


def show_error(form: FlaskForm, error: ValidationError) -> str | None:
    """Attach a service's ValidationError to its field; return the message if it belongs to no field."""
    message = error_message(error)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
        return None
    return message


class SwedishDecimalField(DecimalField):
    """A number typed the Swedish way too — "1,5", "10 000", "2000 kr" — and shown back with a decimal comma in
    Swedish. A text input with inputmode=decimal, since a number input refuses the comma in some browsers and then
    sends nothing."""

    widget = TextInput()

    def __init__(self, *args, invalid_message: str, unit: str = "", **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)
        self.invalid_message, self.unit = invalid_message, unit

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].replace("\u00a0", "").replace(" ", "")
        text = text.removesuffix(self.unit).replace(",", ".") if self.unit else text.replace(",", ".")
        if not text:
            self.data = None
            return
        try:
            self.data = Decimal(text)
        except InvalidOperation as error:
            self.data = None
            raise ValueError(str(self.invalid_message)) from error

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        text = f"{self.data.normalize():f}"
        return text.replace(".", ",") if str(get_locale()) != "en" else text


def uploads_of(field) -> Uploads | None:
    """The files chosen in a photo field, with the app's limits for storing them; None when none was chosen."""
    files = [upload for upload in (field.data or []) if getattr(upload, "filename", None)]
    if not files:
        return None
    config = current_app.config
    return Uploads(files=files, upload_folder=config["UPLOAD_FOLDER"], max_bytes=config["MAX_PHOTO_BYTES"],
                   max_pixels=config["MAX_PHOTO_PIXELS"])
