"""Phone numbers: parsed and validated with `phonenumbers`, stored in E.164."""

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Return `raw` in E.164 (+919876543210) or raise ValidationError with a plain message."""
    region = region or settings.PHONE_DEFAULT_REGION
    try:
        number = phonenumbers.parse((raw or "").strip(), region)
    except phonenumbers.NumberParseException:
        raise ValidationError("Enter a valid phone number, e.g. 98765 43210 or +91 98765 43210.")
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("This phone number is not valid. Check the digits and country code.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def validate_phone(value: str) -> None:
    normalize_phone(value)
