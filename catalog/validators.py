"""Field validators of the catalog app."""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "gif", "webp"}
MAX_IMAGE_BYTES = 5 * 1024 * 1024

# Leading bytes of the accepted formats; the extension alone is not trusted.
_SIGNATURES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"GIF87a",
    b"GIF89a",
)


def looks_like_image(head: bytes) -> bool:
    """Return whether ``head`` (the first bytes of a file) starts like a JPEG/PNG/GIF/WebP."""
    if any(head.startswith(signature) for signature in _SIGNATURES):
        return True
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def validate_image_file(value) -> None:
    """Accept JPEG, PNG, GIF and WebP files up to 5 MB, checked by extension and content.

    Pillow is not a dependency: the check reads the file's signature bytes instead of
    decoding the picture.
    """
    name = getattr(value, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in IMAGE_EXTENSIONS:
        raise ValidationError(
            _("Upload a JPEG, PNG, GIF or WebP image."), code="invalid_image_extension"
        )
    size = getattr(value, "size", None)
    if size is not None and size > MAX_IMAGE_BYTES:
        raise ValidationError(_("An image may be at most 5 MB."), code="image_too_large")
    file = getattr(value, "file", None)
    if file is None:
        return
    try:
        position = value.tell()
    except (AttributeError, OSError, ValueError):
        position = None
    try:
        value.seek(0)
        head = value.read(16)
    except (OSError, ValueError):
        return  # the stored file is gone; nothing new is being uploaded
    finally:
        if position is not None:
            with contextlib.suppress(OSError, ValueError):
                value.seek(position)
    if not looks_like_image(head or b""):
        raise ValidationError(
            _("The file is not a JPEG, PNG, GIF or WebP image."), code="invalid_image"
        )
