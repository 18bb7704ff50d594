"""The accounting of disclosures as files: CSV (every column) and PDF (reportlab, landscape A4,
drawn as `reports.pdf` draws the report: no system libraries)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from mitra.patients.models import Patient
from mitra.records.accounting import COLUMNS, Entry, as_rows

GREY = colors.HexColor("#5a6474")
LINE = colors.HexColor("#d9dde3")
_styles = getSampleStyleSheet()
H1 = ParagraphStyle("h1", parent=_styles["Heading1"], fontSize=15, spaceAfter=4)
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=9, leading=12)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=7.5, leading=9.5)
FOOTER = ("Only disclosures made through Mitra are listed. Disclosures the clinic made outside "
          "it (on paper, by phone) are in the clinic's own log.")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def filename(patient: Patient, generated_at: datetime, ext: str) -> str:
    return f"mitra-disclosures-{patient.pseudonym}-{generated_at:%Y-%m-%d}.{ext}"


def accounting_csv(items: list[Entry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in as_rows(items):
        # A cell starting with =, +, - or @ would be a formula in a spreadsheet.
        writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in row])
    return out.getvalue()


# The PDF's columns (of COLUMNS): when, to whom, how, what, purpose, consent id and its text
# version, by whom, checked.
PDF_COLUMNS = (0, 1, 2, 3, 5, 6, 8, 10, 11)
PDF_WIDTHS = [24, 34, 24, 48, 30, 36, 20, 28, 20]


def accounting_pdf(patient: Patient, items: list[Entry], *, generated_at: datetime) -> bytes:
    generated = timezone.localtime(generated_at)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
        topMargin=12 * mm, bottomMargin=14 * mm, author="Mitra",
        title=f"Accounting of disclosures {patient.pseudonym}")
    story: list = [
        Paragraph(f"Who has seen my records: {_esc(patient.display_name)}", H1),
        Paragraph(f"Study code {_esc(patient.pseudonym)} &middot; accounting of disclosures "
                  f"(42 CFR 2.24, 45 CFR 164.528) &middot; generated {generated:%Y-%m-%d %H:%M}"
                  f" ({generated.tzname()}) &middot; {len(items)} disclosure"
                  f"{'' if len(items) == 1 else 's'}", BODY),
        Spacer(1, 4 * mm),
    ]
    if items:
        header = [COLUMNS[i] for i in PDF_COLUMNS]
        body = [[row[i] for i in PDF_COLUMNS] for row in as_rows(items)]
        data = [[Paragraph(_esc(c), CELL) for c in row] for row in [header, *body]]
        table = Table(data, colWidths=[w * mm for w in PDF_WIDTHS], repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, GREY)]))
        story.append(table)
    else:
        story.append(Paragraph("No disclosure of these records has been made through Mitra.",
                               BODY))
    story += [Spacer(1, 4 * mm), Paragraph(FOOTER, BODY)]
    doc.build(story)
    return buffer.getvalue()
