"""The PDF report for a chosen period, drawn with reportlab (pure pip install, no system
libraries) and reportlab's own charts.

For a prescriber or for the patient's own records: summary, questionnaire table and chart,
substance use and taper adherence, current medications with the latest screening's findings and
their citations, safety-plan status, the alerts of the period (clinician copy only), and on
every page the period, the generation time and the page number.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import HRFlowable

from mitra.consent.part2 import Notice
from mitra.reports.series import PatientSeries
from mitra.safety.kb import condition_label, format_reference, knowledge_base
from mitra.safety.models import SafetyPlan, ScreeningRun

BLUE = colors.HexColor("#1f5fa8")
ORANGE = colors.HexColor("#b35900")
GREY = colors.HexColor("#5a6474")
LINE = colors.HexColor("#d9dde3")
BAND_SHADES = ["#eef5ee", "#f7f4e6", "#fbeede", "#f9e3dc", "#f3d6d6", "#eddada"]
SEVERITY_WORDS = {"major": "Important", "moderate": "Worth discussing", "minor": "Minor"}
DISCLAIMER = ("Mitra records, measures and screens. It does not recommend kratom or kava, never "
              "proposes a dose, and is not a treatment.")

_styles = getSampleStyleSheet()
H1 = ParagraphStyle("h1", parent=_styles["Heading1"], fontSize=16, spaceAfter=4)
H2 = ParagraphStyle("h2", parent=_styles["Heading2"], fontSize=12.5, spaceBefore=10,
                    spaceAfter=4, textColor=colors.HexColor("#1d2430"), keepWithNext=1)
BODY = ParagraphStyle("body", parent=_styles["BodyText"], fontSize=9.5, leading=12.5,
                      alignment=TA_LEFT)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10, textColor=GREY)
# Table cells never break a word: reportlab otherwise splits one that is wider than its column
# ("Acknowledg" / "ed"); the columns are sized for their longest word instead.
CELL = ParagraphStyle("cell", parent=BODY, fontSize=8.5, leading=10.5, splitLongWords=0,
                      hyphenationLang="")


def _esc(text) -> str:
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _d(iso: str | date | None) -> str:
    if iso is None:
        return "-"
    day = date.fromisoformat(iso) if isinstance(iso, str) else iso
    return f"{day.day} {day:%b %Y}"  # 5 Sep 2026: the web pages' date format (j M Y)


def _day_month(day: date) -> str:
    return f"{day.day} {day:%b}"


def _n(value) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float | int) else str(value)


def _table(rows: list[list], widths: list[float], *, header: bool = True) -> Table:
    data = [[Paragraph(c if isinstance(c, str) else _n(c), CELL) for c in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    style = [("LINEBELOW", (0, 0), (-1, -1), 0.4, LINE), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    if header:
        style += [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
                  ("LINEBELOW", (0, 0), (-1, 0), 0.8, GREY)]
    table.setStyle(TableStyle(style))
    return table


@dataclass(frozen=True)
class Disclosed:
    """A report leaving the care team: to whom, why, when, under which consent, and the
    §2.32 notice it carries (None, and no consent, with Part 2 handling off)."""

    recipient: str
    purpose: str  # in words ("Treatment")
    on: date
    consent: str = ""  # the consent's UUID
    notice: Notice | None = None

    @property
    def line(self) -> str:
        text = f"Disclosed to {self.recipient} for {self.purpose.lower()} on {_d(self.on)}"
        return text + (f" under consent {self.consent}." if self.consent else ".")


NOTICE_BOX = colors.HexColor("#fff8e1")


def _notice_box(notice: Notice) -> Table:
    """The §2.32 notice, boxed, on the first page: the text a recipient must not miss."""
    box = Table([[Paragraph(f"<b>Notice: 42 CFR Part 2 (§2.32, version "
                            f"{_esc(notice.version)})</b>", BODY)],
                 [Paragraph(_esc(notice.text), SMALL)]], colWidths=["100%"], hAlign="LEFT")
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1, ORANGE),
                             ("BACKGROUND", (0, 0), (-1, -1), NOTICE_BOX),
                             ("LEFTPADDING", (0, 0), (-1, -1), 6),
                             ("RIGHTPADDING", (0, 0), (-1, -1), 6)]))
    return box


class _NumberedCanvas(pdfcanvas.Canvas):
    """Holds the pages back until the end so each footer can say "page N of M"."""

    footer = ""
    # The §2.32 short statement on every page of a disclosed report (blank otherwise).
    notice = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 7.5)
            self.setFillColor(GREY)
            self.drawString(18 * mm, 10 * mm, self.footer)
            self.drawRightString(A4[0] - 18 * mm, 10 * mm,
                                 f"Page {self._pageNumber} of {total}")
            self.drawString(18 * mm, 6.5 * mm, DISCLAIMER)
            if self.notice:
                self.drawString(18 * mm, 13.5 * mm, self.notice)
            super().showPage()
        super().save()


# -- charts ------------------------------------------------------------------------------


def _date_axis(plot: LinePlot, start: date, end: date) -> None:
    first, last = start.toordinal(), end.toordinal()
    plot.xValueAxis.valueMin = first
    plot.xValueAxis.valueMax = max(last, first + 1)
    span = max(last - first, 1)
    step = max(1, round(span / 6))
    plot.xValueAxis.valueSteps = list(range(first, last + 1, step))
    plot.xValueAxis.labelTextFormat = lambda v: _day_month(date.fromordinal(int(v)))
    plot.xValueAxis.labels.fontSize = 7
    plot.yValueAxis.labels.fontSize = 7


def score_chart(series: PatientSeries, width: float = 170 * mm, height: float = 62 * mm):
    """PHQ-9 and GAD-7 over the period, PHQ-9's severity bands shaded behind."""
    lines = [(i, q) for i, q in series.questionnaires.items()
             if i in ("phq9", "gad7") and any(p["total"] is not None for p in q["points"])]
    if not lines:
        return None
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 32, 22, width - 130, height - 34
    plot.data = [[(date.fromisoformat(p["date"]).toordinal(), p["total"])
                  for p in q["points"] if p["total"] is not None] for _i, q in lines]
    _date_axis(plot, series.period.start, series.period.end)
    top = max(q["max"] for _i, q in lines)
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, top
    plot.yValueAxis.valueStep = 5
    styles = [(BLUE, None, "FilledCircle"), (ORANGE, (3, 2), "FilledTriangle")]
    for n, (color, dash, marker) in enumerate(styles[:len(lines)]):
        plot.lines[n].strokeColor = color
        plot.lines[n].strokeWidth = 1.4
        if dash:
            plot.lines[n].strokeDashArray = dash
        plot.lines[n].symbol = makeMarker(marker, size=4, fillColor=color)
    # Severity bands of the first instrument shown (PHQ-9 when present), labelled on the right.
    bands = lines[0][1]["bands"]
    scale = plot.height / top
    for n, band in enumerate(bands):
        y0 = plot.y + band["min"] * scale
        y1 = plot.y + min(band["max"] + 1, top) * scale
        drawing.add(Rect(plot.x, y0, plot.width, y1 - y0, fillColor=colors.HexColor(
            BAND_SHADES[n % len(BAND_SHADES)]), strokeColor=None))
        drawing.add(String(plot.x + plot.width + 4, (y0 + y1) / 2 - 3,
                           f"{lines[0][1]['short_name']}: {band['label']}", fontSize=6.5,
                           fillColor=GREY))
    drawing.add(plot)
    _legend(drawing, plot.x, height - 9, [
        (styles[n][0], styles[n][1], f"{q['short_name']} (0-{q['max']})")
        for n, (_i, q) in enumerate(lines)], across=90)
    return drawing


def amount_lines(series: PatientSeries) -> list[dict]:
    """The amount chart's lines, before drawing: [{"name", "points": [(date, value)],
    "plan": bool}], empty lines left out.

    With a taper plan: the recorded amount in the plan's own terms over the whole period (also
    the days before the plan starts: the history the plan is judged against), and the plan
    from its start (dashed), so the two lines share one unit. Without one: the daily grams of
    each kratom form.
    """
    lines: list[dict] = []
    plan = series.plan
    if plan:
        lines.append({"name": f"Recorded ({plan['terms']} a day)", "plan": False, "points": [
            (date.fromisoformat(d), a) for d, a in zip(plan["dates"], plan["actual"],
                                                        strict=True) if a is not None]})
        lines.append({"name": f"Taper plan set by the clinician ({plan['terms']} a day)",
                      "plan": True, "points": [
                          (date.fromisoformat(d), p) for d, p in zip(plan["dates"],
                                                                      plan["planned"],
                                                                      strict=True)
                          if p is not None]})
    else:
        for s in series.substances.values():
            if s["kratom"] and s["unit"] == "g" and s["amounts"]:
                lines.append({"name": f"{s['label']} (g a day)", "plan": False, "points": [
                    (date.fromisoformat(d), a) for d, a in zip(s["dates"], s["amounts"],
                                                                strict=True) if a is not None]})
    return [line for line in lines if line["points"]]


def _legend(drawing: Drawing, x: float, y: float, pairs: list[tuple], *,
            across: float = 0) -> None:
    """A short sample of each line (dashed where the line is), then its name: one row each,
    or side by side `across` points apart."""
    for n, (color, dash, name) in enumerate(pairs):
        row = y - (0 if across else n * 10)
        x0 = x + n * across
        sample = Line(x0, row + 2.5, x0 + 16, row + 2.5, strokeColor=color, strokeWidth=1.6)
        if dash:
            sample.strokeDashArray = dash
        drawing.add(sample)
        drawing.add(String(x0 + 21, row, name, fontSize=7.5, fillColor=colors.black))


def amount_chart(series: PatientSeries, width: float = 170 * mm, height: float = 62 * mm):
    """The amount chart (`amount_lines`), a marker on each recorded day; with a plan, a line
    where the plan starts when that is inside the period."""
    lines = amount_lines(series)
    if not lines:
        return None
    palette = [BLUE, colors.HexColor("#2f7d4a"), colors.HexColor("#7a3e9d")]
    legend_rows = 10 * len(lines)
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y, plot.width = 32, 22, width - 60
    plot.height = height - 30 - legend_rows
    plot.data = [[(day.toordinal(), value) for day, value in line["points"]] for line in lines]
    _date_axis(plot, series.period.start, series.period.end)
    top = max((v for line in lines for _d, v in line["points"]), default=1) or 1
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = 0, top * 1.1
    pairs = []
    for n, line in enumerate(lines):
        color = GREY if line["plan"] else palette[n % len(palette)]
        plot.lines[n].strokeColor = color
        plot.lines[n].strokeWidth = 1.6 if line["plan"] else 0.9
        dash = (4, 3) if line["plan"] else None
        if dash:
            plot.lines[n].strokeDashArray = dash
        # A marker on every recorded day (a lone day is a point, not nothing); the plan gets
        # markers only when it is too short to draw as a line.
        if not line["plan"] or len(line["points"]) < 2:
            plot.lines[n].symbol = makeMarker("FilledCircle", size=2.4, fillColor=color,
                                              strokeColor=color)
        pairs.append((color, dash, line["name"]))
    drawing.add(plot)
    plan = series.plan
    if plan:
        begins = date.fromisoformat(plan["start_date"])
        if series.period.start < begins <= series.period.end:
            first, last = plot.xValueAxis.valueMin, plot.xValueAxis.valueMax
            x = plot.x + plot.width * (begins.toordinal() - first) / (last - first)
            drawing.add(Line(x, plot.y, x, plot.y + plot.height, strokeColor=GREY,
                             strokeWidth=0.6, strokeDashArray=(1, 2)))
            label = f"Plan starts {_d(begins)}"
            anchor = "end" if x > plot.x + plot.width * 0.7 else "start"
            drawing.add(String(x - 3 if anchor == "end" else x + 3, plot.y + plot.height - 8,
                               label, fontSize=6.5, fillColor=GREY, textAnchor=anchor))
    _legend(drawing, plot.x, height - 9, pairs)
    return drawing


# -- sections ----------------------------------------------------------------------------


def _score_sentence(series: PatientSeries, instrument: str) -> str | None:
    latest = series.latest(instrument)
    if latest is None or latest["total"] is None:
        return None
    q = series.questionnaires[instrument]
    text = (f"<b>{q['short_name']}</b> latest {_n(latest['total'])} of {q['max']} "
            f"({_esc(latest['severity'] or 'no band')}) on {_d(latest['date'])}")
    if latest["baseline"] is not None and not latest["is_baseline"]:
        change = latest["change"]
        text += f"; baseline {_n(latest['baseline'])}, change {change:+g}"
        if latest["reliable"]:
            text += f" - <b>{latest['reliable']}</b>"
            if q["reliable_points"]:
                text += f" (reliable change: {q['reliable_points']} points or more"
                text += ", threshold not yet verified)" if q["reliable_unverified"] else ")"
        if latest["remission"]:
            text += "; in remission"
    return text + "."


def _pause_text(pause: dict) -> str:
    when = (f"paused {_d(pause['start'])} to {_d(pause['end'])}" if pause["end"]
            else f"paused from {_d(pause['start'])} until further notice")
    return f"{when}: {_esc(pause['reason'])}"


def _not_comparable(plan: dict) -> str:
    n = plan.get("days_not_comparable") or 0
    if not n:
        return ""
    return (f"; {n} recorded day{'s' if n != 1 else ''} not compared (amounts recorded in "
            f"another unit, or capsules without a known fill)")


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def _use_days(s: dict) -> str:
    """"used on 12 of 27 diary days": the days with any use, of the days with a diary entry."""
    return f"used on {s['days_used']} of {_days(s['days_recorded'])} with a diary entry"


def _on_days_used(s: dict) -> str:
    """The amount on the days it was used (never averaged over days without use, which would
    read as a daily amount no one took): "4 g on the day used", "on the 12 days used, 3.5 g a
    day on average (2 to 5 g)"."""
    unit = _esc(s["unit"])
    if s["days_used"] == 1:
        return f"{_n(s['mean_on_days_used'])} {unit} on the one day used"
    text = (f"on the {s['days_used']} days used, {_n(s['mean_on_days_used'])} {unit} a day "
            "on average")
    if s["least_on_a_day"] != s["most_on_a_day"]:
        text += f" ({_n(s['least_on_a_day'])} to {_n(s['most_on_a_day'])} {unit})"
    return text


def _before_plan(series: PatientSeries, p: dict) -> str:
    """When the plan `p` starts inside the period: the recorded amount before it, the baseline
    the plan is read against."""
    begins = date.fromisoformat(p["start_date"])
    if not series.period.start < begins <= series.period.end:
        return ""
    before = [a for d, a in zip(p["dates"], p["actual"], strict=True)
              if a is not None and date.fromisoformat(d) < begins]
    if not before:
        return (f" The plan starts on {_d(begins)}, inside this period; no amount that can be "
                f"counted in {_esc(p['terms'])} was recorded before it.")
    used = [a for a in before if a > 0]
    text = (f" The plan starts on {_d(begins)}, inside this period. Before it, use was "
            f"recorded on {len(used)} of {_days(len(before))} with a diary entry")
    if used:
        text += (f"; on those days {_n(round(sum(used) / len(used), 1))} {_esc(p['terms'])} "
                 f"a day on average (least {_n(min(used))}, most {_n(max(used))})")
    return text + "."


def _summary(series: PatientSeries, audience: str) -> list:
    items = [line for i in ("phq9", "gad7") if (line := _score_sentence(series, i))]
    a = series.adherence
    if a.get("days_enrolled"):
        items.append(f"<b>Diary</b>: entries on {a['days_with_entry']} of {a['days_enrolled']}"
                     f" days ({round(float(a['share']) * 100)}%).")
    for sub in series.substances.values():
        if sub["kratom"]:
            amount = ("; " + _on_days_used(sub) if sub["mean_on_days_used"] is not None
                      else "")
            items.append(f"<b>{_esc(sub['label'])}</b>: {_use_days(sub)}{amount}.")
    if series.plan:
        p = series.plan
        items.append(f"<b>Taper plan</b> ({_esc(p['label'])}): {_n(p['start_amount'])} to "
                     f"{_n(p['target_amount'])} {_esc(p['unit'])}, {p['step']}, from "
                     f"{_d(p['start_date'])}; at or below the plan on {p['days_at_or_below']} "
                     f"of {_days(p['days_compared'])} with a diary entry while the plan ran "
                     f"({_esc(p['terms'])}){_not_comparable(p)}.")
    if audience == "clinician":
        urgent = [x for x in series.alerts if x["priority_value"] <= 2]
        items.append(f"<b>Alerts in the period</b>: {len(series.alerts)}, of which "
                     f"{len(urgent)} urgent or high priority.")
        if series.open_earlier:
            kinds = ", ".join(sorted({f"{a['priority'].lower()} {a['kind'].lower()}"
                                      for a in series.open_earlier}))
            items.append(f"<b>Still open from before the period</b>: "
                         f"{len(series.open_earlier)} ({_esc(kinds)}).")
    return [Paragraph(f"&bull; {t}", BODY) for t in items] or [
        Paragraph("No questionnaires or diary entries in this period.", BODY)]


def _questionnaire_section(series: PatientSeries) -> list:
    rows = [["Date", "Questionnaire", "Total", "Severity", "Change vs baseline",
             "Reliable change"]]
    for i in ("phq9", "gad7", "sows", "cows"):
        q = series.questionnaires.get(i)
        for p in (q["points"] if q else []):
            change = "baseline" if p["is_baseline"] else (
                f"{p['change']:+g}" if p["change"] is not None else "-")
            flag = " <b>Item alert</b>: " + _esc("; ".join(p["alerts"])) if p["alerts"] else ""
            rows.append([_d(p["date"]), q["short_name"],
                         f"{_n(p['total'])} / {q['max']}" + (" (prorated)" if p["prorated"]
                                                               else ""),
                         _esc(p["severity"] or "-") + flag, change,
                         _esc(p["reliable"] or "-")])
    out: list = [Paragraph("Questionnaires", H2)]
    if len(rows) == 1:
        return out + [Paragraph("No questionnaires in this period.", BODY)]
    chart = score_chart(series)
    if chart is not None:
        out.append(chart)
    out.append(_table(rows, [24 * mm, 26 * mm, 24 * mm, 36 * mm, 30 * mm, 32 * mm]))
    cites = []
    for i in ("phq9", "gad7"):
        q = series.questionnaires.get(i)
        if q:
            cites.append(f"{q['short_name']}: bands and thresholds from the Mitra instrument "
                         f"file ({_esc('; '.join(q['citations']))}).")
    out += [Spacer(1, 3)] + [Paragraph(c, SMALL) for c in cites]
    return out


def _substance_section(series: PatientSeries) -> list:
    out: list = [Paragraph("Substance use and taper", H2)]
    if not series.substances:
        return out + [Paragraph("No use recorded in the diary in this period.", BODY)]
    chart = amount_chart(series)
    if chart is not None:
        out.append(chart)
    rows = [["Substance", "Days used, of days with a diary entry",
             "Amount on a day used: average (least to most)", "Uses on one day, at most"]]
    for s in series.substances.values():
        if s["mean_on_days_used"] is None:
            amount = "not added up (recorded in several units)"
        else:
            unit = _esc(s["unit"])
            amount = f"{_n(s['mean_on_days_used'])} {unit}"
            if s["least_on_a_day"] != s["most_on_a_day"]:
                amount += f" ({_n(s['least_on_a_day'])} to {_n(s['most_on_a_day'])} {unit})"
        rows.append([_esc(s["label"]), f"{s['days_used']} of {s['days_recorded']}", amount,
                     max(s["uses"]) if s["uses"] else "-"])
    out.append(_table(rows, [56 * mm, 32 * mm, 54 * mm, 28 * mm]))
    if series.plan:
        p = series.plan
        pauses = "; ".join(_pause_text(x) for x in p["pauses"]) or "no pauses"
        out.append(Spacer(1, 4))
        out.append(Paragraph(
            f"Taper plan set by the clinician: {_n(p['start_amount'])} to "
            f"{_n(p['target_amount'])} {_esc(p['unit'])} of {_esc(p['label'].lower())}, "
            f"{p['step']}, from {_d(p['start_date'])} ({pauses}). On "
            f"{p['days_at_or_below']} of the {_days(p['days_compared'])} with a diary entry "
            f"while the plan ran, the recorded amount was at or below the planned amount, both "
            f"counted in {_esc(p['terms'])}{_not_comparable(p)}.{_before_plan(series, p)}", BODY))
    out.append(Paragraph("Amounts are what the patient recorded. Grams are grams of kratom "
                         "plant material; extracts and 7-OH products are never converted.",
                         SMALL))
    return out


def _medication_section(series: PatientSeries) -> list:
    out: list = [Paragraph("Current medications and screening", H2)]
    current = [m for m in series.medications if m["current"]]
    if current:
        out.append(_table([["Medication", "Started"]] + [
            [_esc(m["name"]), _d(m["started_on"])] for m in current], [80 * mm, 40 * mm]))
    else:
        out.append(Paragraph("No current medications recorded.", BODY))
    run = ScreeningRun.objects.filter(patient=series.patient).first()
    if run is None:
        return out + [Paragraph("No risk screening has been run.", BODY)]
    kb = knowledge_base()
    result = run.result or {}
    out.append(Paragraph(
        f"Latest screening {_d(timezone.localtime(run.created_at).date())} "
        f"(knowledge base {_esc(run.kb_version)}):", BODY))
    findings = result.get("findings", [])
    if not findings:
        out.append(Paragraph("No interaction or condition findings.", BODY))
    for f in findings:
        level = _esc(f["evidence_level"].replace("_", " "))
        matched = ", ".join(condition_label(m) for m in f["matched"])
        cites = "; ".join(_esc(format_reference(kb.references, k)) for k in f["citations"])
        out.append(KeepTogether([
            Paragraph(f"&bull; <b>{SEVERITY_WORDS.get(f['severity'], f['severity'])}</b> "
                      f"({level} evidence): {_esc(f['summary'])} "
                      f"<i>Matched: {_esc(matched)}.</i>", BODY),
            Paragraph(f"Sources: {cites}", SMALL),
        ]))
    for u in result.get("unrecognized", []):
        out.append(Paragraph(f"&bull; <b>Not recognized - not screened</b>: {_esc(u['name'])}",
                             BODY))
    return out


def _safety_plan_section(series: PatientSeries) -> list:
    out: list = [Paragraph("Safety plan", H2)]
    plan = SafetyPlan.objects.filter(patient=series.patient).first()
    version = plan.current if plan else None
    if version is None:
        return out + [Paragraph("No safety plan has been written yet.", BODY)]
    filled = sum(1 for s in version.sections() if s["text"].strip())
    return out + [Paragraph(
        f"Version {version.number}, last saved {_d(timezone.localtime(version.created_at).date())}"
        f"; {filled} of {len(version.SECTIONS)} sections filled in.", BODY)]


def _alert_table(alerts: list[dict], limit: int = 40) -> list:
    rows = [["Date", "Priority", "Kind", "Status", "Reason"]] + [
        [_d(a["date"]), a["priority"], _esc(a["kind"]), a["status"], _esc(a["reason"])]
        for a in sorted(alerts, key=lambda a: (a["priority_value"], a["date"]))[:limit]]
    out: list = [_table(rows, [22 * mm, 16 * mm, 36 * mm, 27 * mm, 71 * mm])]
    if len(alerts) > limit:
        out.append(Paragraph(f"The {limit} most urgent of {len(alerts)} alerts are listed.",
                             SMALL))
    return out


def _alerts_section(series: PatientSeries) -> list:
    out: list = [Paragraph("Alerts in the period", H2)]
    if series.alerts:
        out += _alert_table(series.alerts)
    else:
        out.append(Paragraph("No alerts in this period.", BODY))
    if series.open_earlier:
        out += [Paragraph("Raised before the period and still open", H2),
                *_alert_table(series.open_earlier)]
    return out


def render_report(series: PatientSeries, *, audience: str, generated_at: datetime,
                  disclosed: Disclosed | None = None) -> bytes:
    """The report as PDF bytes. `audience`: "clinician" (prescriber copy) or "patient".
    `disclosed`: the report leaves the care team (the line saying so; the §2.32 notice boxed
    on the first page and its short statement in every footer, when it carries one)."""
    patient, period = series.patient, series.period
    generated = timezone.localtime(generated_at)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
        bottomMargin=18 * mm, title=f"Mitra report {patient.pseudonym}", author="Mitra",
        subject=f"{period.start} to {period.end}",
    )
    for_whom = ("For the prescriber and care team" if audience == "clinician"
                else "For your own records")
    story: list = [
        Paragraph(f"Mitra report: {_esc(patient.display_name)}", H1),
        Paragraph(f"Study code {_esc(patient.pseudonym)} &middot; {for_whom}", BODY),
        Paragraph(f"<b>Period</b>: {_d(period.start)} to {_d(period.end)} ({period.days} days)"
                  f" &middot; <b>Generated on</b> {_d(generated.date())} {generated:%H:%M} "
                  f"({generated.tzname()})", BODY),
    ]
    if disclosed is not None:
        story.append(Paragraph(f"<b>{_esc(disclosed.line)}</b>", BODY))
        if disclosed.notice is not None:
            story += [Spacer(1, 4), _notice_box(disclosed.notice)]
    story += [
        HRFlowable(width="100%", color=LINE, spaceBefore=4, spaceAfter=2),
        Paragraph("Summary", H2),
        *_summary(series, audience),
        *_questionnaire_section(series),
        *_substance_section(series),
        *_medication_section(series),
        *_safety_plan_section(series),
    ]
    if audience == "clinician":
        story += _alerts_section(series)

    class Canvas(_NumberedCanvas):
        footer = (f"Mitra · {patient.pseudonym} · {_d(period.start)} to {_d(period.end)} · "
                  f"generated {_d(generated.date())} {generated:%H:%M}")
        notice = (disclosed.notice.short if disclosed is not None and disclosed.notice
                  else "")

    doc.build(story, canvasmaker=Canvas)
    return buffer.getvalue()
