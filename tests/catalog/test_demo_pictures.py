"""Demo product pictures are real PNGs of a real size (not 1×1) that pass the upload check."""

from __future__ import annotations

import struct
import zlib

from django.core.files.base import ContentFile

from catalog.demo import demo_picture
from catalog.validators import validate_image_file


def test_the_demo_picture_is_a_valid_800_pixel_png():
    data = demo_picture(7, "food")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, colour) == (800, 800, 8, 2)
    start = data.index(b"IDAT") + 4
    length = struct.unpack(">I", data[start - 8 : start - 4])[0]
    raw = zlib.decompress(data[start : start + length])
    assert len(raw) == 800 * (1 + 800 * 3)
    assert len(set(raw[1 + 3 * 400 :: 2401][:50])) > 1 or len(set(raw)) > 3  # not one colour
    validate_image_file(ContentFile(data, name="demo.png"))


def test_pictures_differ_by_seed_and_palette():
    assert demo_picture(1, "food") != demo_picture(2, "food")
    assert demo_picture(1, "food") != demo_picture(1, "digital")
