"""One citation model for every page, file and report that shows a source (no Django).

The bibliography is `data/references.yaml` (copied from the shared reference, keyed the same
way). A `Citation` carries what a reader needs to weigh a source: its type (a trial is not a
news page, a vendor's blog is not a regulator), its date as the reference gives it, the
reference's own note, and whether the title is only a description because the real title was
not seen. Links follow one rule (`Citation.link`): the DOI at doi.org, else the PubMed record,
else the source's own https address. An address that is plain http or a raw IP is refused when
the file is loaded, naming the file and the field.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlsplit

# The reference's own source types (kratom-kava-safety.yaml, meta.enums.source_type), and the
# label a page shows for each.
SOURCE_TYPES: dict[str, str] = {
    "primary_study": "Primary study",
    "systematic_review": "Systematic review",
    "review": "Review",
    "case_report": "Case report",
    "clinical_trial_registry": "Trial registry entry",
    "government": "Government publication",
    "regulator": "Regulator statement",
    "legislation": "Law, bill or ordinance",
    "court_or_litigation": "Court or litigation record",
    "news": "News",
    "law_firm_commentary": "Law-firm commentary",
    "vendor_or_advocacy": "Vendor or advocacy",
    "reference_database": "Reference database",
    "label": "Product or drug label",
}
# `design` narrows a source type where the reference's own title or note says what the source
# is (a randomised trial, a case series, a vendor's blog); it never widens one. Allowed per type.
DESIGNS: dict[str, dict[str, str]] = {
    "primary_study": {
        "trial": "Controlled trial",
        "clinical_study": "Clinical study (not a treatment trial)",
        "survey": "Survey",
        "observational": "Observational study",
        "laboratory": "Laboratory, animal or modelling study",
    },
    "case_report": {"case_series": "Case series"},
    "vendor_or_advocacy": {"vendor": "Vendor", "advocacy": "Advocacy"},
}
DESCRIPTION_MARK = "[description, not the title]"
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
PMID_RE = re.compile(r"^\d{1,9}$")
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
FIELDS = ("title", "title_is_description", "authors", "container", "year", "date",
          "volume_pages", "doi", "pmid", "pmcid", "url", "source_type", "design", "note")


class CitationError(ValueError):
    """A reference is malformed: names the file and the field."""

    def __init__(self, file: str, where: str, message: str):
        self.file, self.where, self.message = file, where, message
        super().__init__(f"{file}: {where}: {message}")


@dataclass(frozen=True)
class Citation:
    key: str
    title: str
    source_type: str
    design: str = ""
    title_is_description: bool = False
    authors: str = ""
    container: str = ""
    year: int | None = None
    date: str = ""  # as the reference gives it: YYYY, YYYY-MM or YYYY-MM-DD
    volume_pages: str = ""
    doi: str = ""
    pmid: str = ""
    pmcid: str = ""
    url: str = ""  # the source's own https address (never a mirror)
    note: str = ""  # the reference's note on this source, word for word

    @property
    def type_label(self) -> str:
        if self.design:
            return DESIGNS[self.source_type][self.design]
        return SOURCE_TYPES[self.source_type]

    @property
    def when(self) -> str:
        """The date as precisely as the reference gives it; "date unknown" when it gives none."""
        if self.date:
            return self.date
        return str(self.year) if self.year else "date unknown"

    @property
    def link(self) -> str:
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return self.url

    @property
    def display_title(self) -> str:
        return f"{self.title} {DESCRIPTION_MARK}" if self.title_is_description else self.title

    def text(self) -> str:
        """One line: [type, date] authors. title. container volume. identifier. Note: ..."""
        parts = [self.authors, self.display_title,
                 " ".join(p for p in (self.container, self.volume_pages) if p)]
        line = f"[{self.type_label}, {self.when}] " + ". ".join(
            p.rstrip(".") for p in parts if p)
        if self.doi:
            line += f". doi:{self.doi}"
        elif self.pmid:
            line += f". PMID {self.pmid}"
        if self.link and not self.doi and not self.pmid:
            line += f". {self.link}"
        if self.note:
            line += f". Note: {self.note}"
        return line

    def as_dict(self) -> dict[str, Any]:
        """For JSON and templates: the same names as the attributes a page reads."""
        return {
            "key": self.key, "title": self.title,
            "title_is_description": self.title_is_description, "type": self.source_type,
            "design": self.design or None, "type_label": self.type_label,
            "date": self.date or (str(self.year) if self.year else None), "when": self.when,
            "authors": self.authors or None, "container": self.container or None,
            "volume_pages": self.volume_pages or None, "doi": self.doi or None,
            "pmid": self.pmid or None, "link": self.link or None, "note": self.note or None,
        }


def check_url(url: str, file: str, where: str) -> str:
    """An https address on a named host; raises CitationError for http, an IP or no host."""
    def fail(message: str) -> NoReturn:
        raise CitationError(file, where, f"{url!r} {message}")

    parts = urlsplit(url)
    if parts.scheme != "https":
        fail("is not an https address (plain http and other schemes are refused)")
    host = (parts.hostname or "").rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not host or "." not in host:
            fail("has no public host name")
        return url
    fail("is a raw IP address, not the source's own host name")


def _text(ref: dict[str, Any], key: str, file: str, where: str, *,
          required: bool = False) -> str:
    value = ref.get(key)
    if value is None or value == "":
        if required:
            raise CitationError(file, f"{where}.{key}", "must be a non-empty string")
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise CitationError(file, f"{where}.{key}", "must be a non-empty string")
    return str(value).strip()


def parse_citation(key: str, ref: Any, file: str) -> Citation:
    where = f"references.{key}"
    if not isinstance(ref, dict):
        raise CitationError(file, where, "must be a mapping")
    unknown = sorted(set(ref) - set(FIELDS))
    if unknown:
        raise CitationError(file, f"{where}.{unknown[0]}",
                            f"is not a citation field (allowed: {', '.join(FIELDS)})")
    source_type = ref.get("source_type")
    if source_type not in SOURCE_TYPES:
        raise CitationError(file, f"{where}.source_type",
                            f"{source_type!r} is not one of {', '.join(SOURCE_TYPES)}")
    design = _text(ref, "design", file, where)
    if design and design not in DESIGNS.get(source_type, {}):
        allowed = ", ".join(DESIGNS.get(source_type, {})) or "none"
        raise CitationError(file, f"{where}.design",
                            f"{design!r} does not narrow {source_type} (allowed: {allowed})")
    flag = ref.get("title_is_description", False)
    if not isinstance(flag, bool):
        raise CitationError(file, f"{where}.title_is_description", "must be true or false")
    year = ref.get("year")
    if year is not None and (not isinstance(year, int) or isinstance(year, bool)
                             or not 1900 <= year <= 2100):
        raise CitationError(file, f"{where}.year", f"{year!r} is not a year")
    date = _text(ref, "date", file, where)
    if date and not DATE_RE.match(date):
        raise CitationError(file, f"{where}.date", f"{date!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    doi = _text(ref, "doi", file, where)
    if doi and not DOI_RE.match(doi):
        raise CitationError(file, f"{where}.doi", f"{doi!r} is not a DOI (10.xxxx/...)")
    pmid = _text(ref, "pmid", file, where)
    if pmid and not PMID_RE.match(pmid):
        raise CitationError(file, f"{where}.pmid", f"{pmid!r} is not a PubMed id (digits)")
    url = _text(ref, "url", file, where)
    if url:
        check_url(url, file, f"{where}.url")
    return Citation(
        key=key, title=_text(ref, "title", file, where, required=True),
        source_type=source_type, design=design, title_is_description=flag,
        authors=_text(ref, "authors", file, where), container=_text(ref, "container", file, where),
        year=year, date=date, volume_pages=_text(ref, "volume_pages", file, where),
        doi=doi, pmid=pmid, pmcid=_text(ref, "pmcid", file, where), url=url,
        note=_text(ref, "note", file, where),
    )


def parse_references(data: Any, file: str = "references.yaml") -> dict[str, Citation]:
    """Every entry of a `references:` mapping as a Citation; CitationError names the field."""
    if not isinstance(data, dict) or not data:
        raise CitationError(file, "references", "must be a non-empty mapping")
    return {str(key): parse_citation(str(key), ref, file) for key, ref in data.items()}
