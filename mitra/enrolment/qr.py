"""The invitation link as a QR code: SVG made on the server, inline in the page.

`qrcode`'s path image draws the modules as one <path> with presentation attributes (fill,
no style=), so the page's Content-Security-Policy needs nothing added, and no script or
image request leaves the site. The size comes from the stylesheet (`.qr svg`).
"""

from __future__ import annotations

import re

import qrcode  # type: ignore[import-untyped]  # ships no types; types-qrcode not installed
import qrcode.constants  # type: ignore[import-untyped]
from django.utils.safestring import SafeString, mark_safe
from qrcode.image.svg import SvgPathImage  # type: ignore[import-untyped]

_SIZE = re.compile(r'\s(width|height)="[^"]*"')


def qr_svg(text: str, *, label: str) -> SafeString:
    """`text` as an inline SVG QR code (error correction M, the standard 4-module margin),
    named `label` for screen readers."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4,
                         image_factory=SvgPathImage)
    code.add_data(text)
    code.make(fit=True)
    svg = code.make_image().to_string(encoding="unicode")
    # The stylesheet sizes it; the label is ours, escaped.
    svg = _SIZE.sub("", svg, count=2)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(label)}" '
                               'preserveAspectRatio="xMidYMid meet" ', 1)
    return mark_safe(svg)  # noqa: S308 - made here from qrcode's fixed markup


def _attr(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
            .replace(">", "&gt;"))
