"""Scans of paper consents: taken by their bytes, never by their name."""

from __future__ import annotations

import pytest

from mitra.consent import scans


@pytest.mark.parametrize(("data", "content_type", "name"), [
    (b"%PDF-1.4\n...", "application/pdf", "form.pdf"),
    (b"\x89PNG\r\n\x1a\n....", "image/png", "form.png"),
    (b"\xff\xd8\xff\xe0..JFIF", "image/jpeg", "form.jpg"),
])
def test_pdf_png_and_jpeg_are_taken_with_the_type_their_bytes_say(data, content_type, name):
    scan = scans.accept(data, "form.pdf")
    assert (scan.content_type, scan.name, scan.data) == (content_type, name, data)


@pytest.mark.parametrize("data", [b"GIF89a", b"<html><script>", b"PK\x03\x04zip", b"%PD"])
def test_anything_else_is_refused_whatever_its_name(data):
    with pytest.raises(scans.ScanRefused, match="scan: the file is not a PDF, PNG or JPEG"):
        scans.accept(data, "form.pdf")


def test_an_empty_file_and_one_over_5_mb_are_refused():
    with pytest.raises(scans.ScanRefused, match="empty"):
        scans.accept(b"", "form.pdf")
    with pytest.raises(scans.ScanRefused, match=r"5\.0 MB; allowed: a PDF, PNG or JPEG file of "
                                                r"at most 5 MB"):
        scans.accept(b"%PDF-" + b"0" * scans.MAX_BYTES, "big.pdf")
    assert scans.accept(b"%PDF-" + b"0" * (scans.MAX_BYTES - 5), "ok.pdf")


@pytest.mark.parametrize(("name", "safe"), [
    ("../../etc/passwd", "passwd.pdf"),
    ('a"; filename=evil.html', "a---filename-evil.pdf"),
    ("C:\\scans\\Consent form (1).PDF", "Consent-form--1.pdf"),
    ("über.pdf", "ber.pdf"),
    ("", "consent-scan.pdf"),
    ("x" * 300 + ".pdf", "x" * 116 + ".pdf"),
])
def test_the_download_name_is_made_safe(name, safe):
    assert scans.safe_name(name, "pdf") == safe
