"""The citation model: load-time checks, links, types, and what the reference's marks become."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from mitra.evidence import library
from mitra.safety import kb as kbmod
from mitra.safety.citations import (
    DESCRIPTION_MARK,
    DESIGNS,
    SOURCE_TYPES,
    CitationError,
    check_url,
    parse_citation,
)
from mitra.safety.tests.factories import edit_yaml


def _set(directory: Path, key: str, **fields) -> None:
    edit_yaml(directory / "references.yaml", lambda d: d["references"][key].update(fields))


# ---- load-time validation: one test per rule --------------------------------------------------

def test_a_raw_ip_address_is_refused_naming_the_file_and_field(data_copy):
    _set(data_copy, "unodc2025", url="https://47.251.13.51:8081/33257199")
    with pytest.raises(kbmod.KnowledgeBaseError) as exc:
        kbmod.load(data_copy)
    assert exc.value.file == "references.yaml"
    assert exc.value.where == "references.unodc2025.url"
    assert "raw IP address" in str(exc.value)


def test_a_plain_http_address_is_refused_naming_the_file_and_field(data_copy):
    _set(data_copy, "unodc2025", url="http://www.pubmed.gov/34001777/")
    with pytest.raises(kbmod.KnowledgeBaseError) as exc:
        kbmod.load(data_copy)
    assert exc.value.where == "references.unodc2025.url"
    assert "not an https address" in str(exc.value)


@pytest.mark.parametrize("url, message", [
    ("https://[2001:db8::1]/paper", "raw IP address"),
    ("https://10.0.0.7/paper", "raw IP address"),
    ("ftp://example.org/paper", "not an https address"),
    ("https://localhost/paper", "no public host name"),
    ("pmc.ncbi.nlm.nih.gov/articles/PMC1", "not an https address"),
])
def test_other_unsafe_addresses_are_refused(url, message):
    with pytest.raises(CitationError, match=message):
        check_url(url, "references.yaml", "references.x.url")


def test_an_https_address_on_a_host_name_passes():
    assert check_url("https://www.cdc.gov/mmwr/", "f", "w") == "https://www.cdc.gov/mmwr/"


def test_a_citation_without_a_known_type_is_refused(data_copy):
    _set(data_copy, "post2019", source_type="journal")
    with pytest.raises(kbmod.KnowledgeBaseError, match=r"references\.post2019\.source_type"):
        kbmod.load(data_copy)


def test_a_design_that_does_not_narrow_its_type_is_refused(data_copy):
    _set(data_copy, "reuters2017_gottlieb", design="trial")  # a news item is no trial
    with pytest.raises(kbmod.KnowledgeBaseError, match=r"reuters2017_gottlieb\.design"):
        kbmod.load(data_copy)


@pytest.mark.parametrize("field, value", [
    ("doi", "doi.org/10.1000/x"), ("pmid", "PMC123"), ("date", "July 2026"),
    ("title_is_description", "yes"), ("url_seen", "https://example.org/"),
])
def test_malformed_fields_are_refused(field, value):
    with pytest.raises(CitationError, match=rf"references\.k\.{field}"):
        parse_citation("k", {"title": "T", "source_type": "news", field: value},
                       "references.yaml")


# ---- links ----------------------------------------------------------------------------------

def test_links_go_to_the_doi_then_pubmed_then_the_sources_own_address():
    refs = kbmod.load().references
    # bleifuss2025 was read at a raw-IP PubMed mirror: the link is its DOI.
    assert refs["bleifuss2025"].link == "https://doi.org/10.1016/j.ajem.2025.06.016"
    assert refs["vicknasingam2020"].link == "https://pubmed.ncbi.nlm.nih.gov/32607084/"
    # anwar2016 was read at a mirror; the CDC's own page is linked.
    assert refs["anwar2016"].link == "https://www.cdc.gov/mmwr/volumes/65/wr/mm6529a4.htm"
    # Only a reproduction of the FDA statement was seen: no link rather than the copy.
    assert refs["fda2025_florida_statement"].link == ""


def test_every_packaged_citation_has_a_type_and_a_safe_link_or_none():
    refs = kbmod.load().references
    assert len(refs) > 150
    for key, c in refs.items():
        assert c.source_type in SOURCE_TYPES, key
        assert not c.design or c.design in DESIGNS[c.source_type], key
        assert c.type_label and c.when, key
        if c.link:
            parts = urlsplit(c.link)
            assert parts.scheme == "https", key
            with pytest.raises(ValueError):
                ipaddress.ip_address(parts.hostname)


def test_every_citation_the_packaged_files_use_resolves_to_a_typed_reference():
    kb = kbmod.load()
    used = {k for r in kb.rules for k in r.citations}
    used |= {k for c in library.load()[1] for k in c.citations}
    for entry in kb.legal.values():
        for item in (entry, *entry["products"], *entry["populations"]):
            used |= set(item["sources"])
    assert len(used) > 100
    for key in used:
        assert kb.references[key].type_label, key


# ---- what the reference marked stays marked -------------------------------------------------

def test_a_title_that_is_only_a_description_says_so():
    refs = kbmod.load().references
    case = refs["sharma2025_cureus"]  # the reference: the exact published title was not seen
    assert case.title_is_description and case.source_type == "case_report"
    assert case.display_title.endswith(DESCRIPTION_MARK)
    assert DESCRIPTION_MARK in case.text()
    # The reference's note "Title not captured" makes the same mark.
    assert refs["hindawi2020_peds"].title_is_description
    assert not refs["post2019"].title_is_description


def test_the_references_notes_and_dates_are_kept_word_for_word():
    refs = kbmod.load().references
    assert refs["mcintyre2015"].note == "Author list not captured in the excerpt seen."
    assert refs["fl_sb1734_2025"].note == "Bill summary only; enactment not confirmed."
    assert refs["fda2025_florida_statement"].date == "2025-08-13"
    assert refs["healthcanada_milton"].when == "date unknown"
    line = refs["fl_sb1734_2025"].text()
    assert line.startswith("[Law, bill or ordinance, 2025]")
    assert line.endswith("Note: Bill summary only; enactment not confirmed.")


def test_news_and_vendor_pages_are_typed_as_what_they_are():
    refs = kbmod.load().references
    assert refs["reuters2017_gottlieb"].type_label == "News"
    assert refs["otiesbotanicals"].type_label == "Vendor"
    assert refs["ohio2025_kratomscience"].type_label == "Advocacy"
    assert refs["vicknasingam2020"].type_label == "Controlled trial"
