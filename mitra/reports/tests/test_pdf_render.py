"""The PDF report as a reader sees it: rendered to pictures (PDFium, from pip), saved as test
artifacts, and checked for what a reader needs to find on them."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pypdfium2 as pdfium
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from mitra.diary.tests.factories import make_plan
from mitra.reports.pdf import BAND_SHADES, BLUE
from mitra.reports.tests.helpers import add_diary, add_scores, steady_days
from mitra.testing import login, make_cast
from tests.browser import ARTIFACTS

pytestmark = pytest.mark.django_db


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _near(pixel, colour, tolerance: int = 6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


@pytest.mark.slow
def test_the_clinician_report_renders_with_its_charts():
    cast = make_cast()
    add_scores(cast.patient, "phq9", [19, 16, 12, 9])
    add_scores(cast.patient, "gad7", [14, 12, 9, 7])
    add_diary(cast.patient, steady_days(60, 5.5))
    make_plan(cast.patient, by=cast.clinician)
    client = login(Client(), cast.clinician)
    start = timezone.localdate() - timedelta(days=59)
    response = client.get(reverse("reports:report", args=[cast.patient.uuid]),
                          {"start": start.isoformat()})
    assert response.status_code == 200

    pdf = pdfium.PdfDocument(response.content)
    assert len(pdf) >= 2
    ARTIFACTS.mkdir(exist_ok=True)
    pages = []
    for n in range(len(pdf)):
        image = pdf[n].render(scale=1.5).to_pil().convert("RGB")
        image.save(ARTIFACTS / f"report-page-{n + 1}.png")
        pages.append(image)

    first = pages[0]
    counts = Counter(first.get_flattened_data())
    total = first.width * first.height
    white = counts[(255, 255, 255)]
    assert 0.02 < 1 - white / total < 0.6, "page 1 is neither blank nor a solid block"
    # The score chart: its severity bands are shaded, and the PHQ-9 line is drawn over them.
    band_pixels = sum(n for px, n in counts.items()
                      if any(_near(px, _rgb(shade)) for shade in BAND_SHADES))
    assert band_pixels > 0.01 * total
    line = _rgb(BLUE.hexval()[2:])
    assert sum(n for px, n in counts.items() if _near(px, line, 30)) > 200
    # Two charts in all (scores, daily amounts): the blue series ink shows up in two separate
    # vertical places of the report, not only in the score chart.
    strips = []  # (page, strip index) of 20-pixel strips that carry series ink
    for n, page in enumerate(pages):
        ink = Image.new("L", page.size, 0)
        ink.putdata([255 if _near(px, line, 30) else 0 for px in page.get_flattened_data()])
        strips += [(n, top // 20) for top in range(0, page.height, 20)
                   if ink.crop((0, top, page.width, top + 20)).getbbox()]
    places = 1 + sum(1 for a, b in zip(strips, strips[1:], strict=False)
                     if a[0] != b[0] or b[1] - a[1] > 3)
    assert places >= 2, strips
    pdf.close()
