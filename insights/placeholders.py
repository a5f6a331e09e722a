"""The message-template language: plain text with `{name}` placeholders from a fixed list.

No format specs, no attribute or index access, no nesting: `{parent}` is replaced by a value and
that is all. (Python's `str.format` would run `{parent:>100000000}`, a 22-character template that
built a 100 MB string per message.) The template and the result both have a length limit, so the
work per message is bounded whatever a center admin types. No models here: the model field, the
settings page and the admin all validate with `validate_template`, one rule and one sentence.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

PLACEHOLDERS = ("parent", "child", "center", "counselor", "visit", "follow_up")
#: Longest template a center may save (a WhatsApp message, not a letter).
TEMPLATE_MAX_LENGTH = 1000
#: Longest message a template may produce; longer values are cut.
MESSAGE_MAX_LENGTH = 2000
#: Longest value one placeholder may bring in (names and dates are far shorter).
VALUE_MAX_LENGTH = 200

# Anything between braces, without nested braces: linear to scan, whatever the input.
_BRACED = re.compile(r"\{([^{}]*)\}")
_LIST = ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def validate_template(body: str) -> None:
    """Refuse a template that is too long or has anything in braces other than a known placeholder."""
    if len(body) > TEMPLATE_MAX_LENGTH:
        raise ValidationError(
            f"Keep the message under {TEMPLATE_MAX_LENGTH:,} characters (this one has {len(body):,}).",
            code="too_long",
        )
    for match in _BRACED.finditer(body):
        if match[1] not in PLACEHOLDERS:
            raise ValidationError(
                f"{match[0][:40]} is not a placeholder. Use only {_LIST}, written exactly like that.",
                code="unknown_placeholder",
            )
    if "{" in _BRACED.sub("", body) or "}" in _BRACED.sub("", body):
        raise ValidationError(
            f"A {{ or }} is not closed. Placeholders are written like {{parent}}: {_LIST}.",
            code="unmatched_brace",
        )


def render_template(body: str, **values: object) -> str:
    """Fill the known placeholders; anything else in braces becomes empty (a template saved before
    validation existed must still send a sensible message), and the result is cut to the limit."""
    filled = {name: str(values.get(name) or "")[:VALUE_MAX_LENGTH] for name in PLACEHOLDERS}
    text = _BRACED.sub(lambda match: filled.get(match[1], ""), body[:TEMPLATE_MAX_LENGTH])
    return text.strip()[:MESSAGE_MAX_LENGTH]
