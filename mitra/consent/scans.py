"""Scans of paper consent forms: which files are taken, by their bytes. No Django.

A scan is accepted as PDF, PNG or JPEG only, recognised by its first bytes (the name and the
browser's Content-Type are the uploader's word, not the file's), and at most `MAX_BYTES`. The
type found here is the one the scan is served back with, always as an attachment.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_BYTES = 5 * 1024 * 1024
NAME_LENGTH = 120

# (first bytes, content type, file extension). JPEG: SOI then the start of any marker.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
ALLOWED = "a PDF, PNG or JPEG file of at most 5 MB"


class ScanRefused(ValueError):
    """The file is not a scan we keep; the message names the field and what is allowed."""

    field = "scan"


@dataclass(frozen=True)
class Scan:
    data: bytes
    content_type: str
    name: str


def kind_of(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of `data` by its magic bytes, or None."""
    for magic, content_type, extension in SIGNATURES:
        if data.startswith(magic):
            return content_type, extension
    return None


def safe_name(name: str, extension: str) -> str:
    """A download name made of the upload's name (letters, digits, '-', '_', '.' kept) with the
    extension of the type found, so a "form.pdf" that is a PNG is served as "form.png"."""
    stem = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].rsplit(".", 1)[0]
    kept = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in stem)
    kept = kept.strip("-_")[: NAME_LENGTH - len(extension) - 1] or "consent-scan"
    return f"{kept}.{extension}"


def accept(data: bytes, name: str) -> Scan:
    """The scan to store, or ScanRefused saying why."""
    if not data:
        raise ScanRefused(f"scan: the file is empty; allowed: {ALLOWED}.")
    if len(data) > MAX_BYTES:
        raise ScanRefused(f"scan: the file is {len(data) / 1024 / 1024:.1f} MB; "
                          f"allowed: {ALLOWED}.")
    kind = kind_of(data)
    if kind is None:
        raise ScanRefused(f"scan: the file is not a PDF, PNG or JPEG (by its content, whatever "
                          f"its name); allowed: {ALLOWED}.")
    content_type, extension = kind
    return Scan(data=data, content_type=content_type, name=safe_name(name, extension))
