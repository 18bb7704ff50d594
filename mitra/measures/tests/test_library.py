import shutil

import pytest
import yaml
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from mitra.measures import library as library_module
from mitra.measures.library import DATA_DIR, LibraryError, load_library, unverified_marks

CONTRACT_IDS = {"phq9", "phq2", "gad7", "gad2", "sows", "cows", "auditc", "craving"}


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "instruments"
    shutil.copytree(DATA_DIR, target)
    return target


def edit(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_the_packaged_library_has_the_eight_instruments():
    lib = load_library()
    assert set(lib) == CONTRACT_IDS
    for inst in lib.values():
        assert inst.version and inst.as_of and inst.citations and inst.licence.status


def test_it_keeps_the_reference_unverified_marks_visible():
    lib = load_library()
    phq9 = dict(unverified_marks(lib["phq9"]))
    assert "thresholds.reliable_change" in phq9  # IAPT 6 points: secondary quotation only
    assert "scoring.rounding" in phq9
    assert "stem" in dict(unverified_marks(lib["gad7"]))
    sows = dict(unverified_marks(lib["sows"]))
    assert {"items", "severity_bands", "instructions", "alert_threshold"} <= set(sows)
    craving = dict(unverified_marks(lib["craving"]))
    assert "items.0" in craving and "items.0.response" in craving  # the 0-10 range is ours
    # Verified values stay unmarked: the PHQ-9 bands and response rule are published.
    assert not any(path.startswith("severity_bands") for path in phq9)
    assert "thresholds.response" not in phq9


def test_a_malformed_file_names_the_file_and_the_field(data_copy):
    edit(data_copy / "phq9.yaml", lambda d: d["items"][2].pop("text"))
    with pytest.raises(LibraryError, match=r"phq9\.yaml: field items\.2\.text"):
        load_library(data_copy)


def test_a_typo_in_a_field_name_is_refused(data_copy):
    edit(data_copy / "gad7.yaml", lambda d: d["scoring"].update(maxx=21))
    with pytest.raises(LibraryError, match=r"gad7\.yaml: field scoring\.maxx"):
        load_library(data_copy)


def test_a_max_that_disagrees_with_the_items_is_refused(data_copy):
    # Some web pages give the COWS maximum as 47; the items add up to 48.
    edit(data_copy / "cows.yaml", lambda d: d["scoring"].update(max=47))
    with pytest.raises(LibraryError, match=r"cows\.yaml: field scoring\.max: .*0-48"):
        load_library(data_copy)


def test_overlapping_bands_are_refused(data_copy):
    edit(data_copy / "phq9.yaml", lambda d: d["severity_bands"][1].update(min=4))
    with pytest.raises(LibraryError, match=r"phq9\.yaml: field severity_bands\.1\.min"):
        load_library(data_copy)


def test_an_unknown_source_key_is_refused(data_copy):
    edit(data_copy / "phq9.yaml",
         lambda d: d["thresholds"]["response"].update(source=["nosuch_source"]))
    with pytest.raises(LibraryError, match=r"thresholds\.response\.source.*nosuch_source"):
        load_library(data_copy)


def test_a_malformed_file_stops_start_up(data_copy, monkeypatch):
    edit(data_copy / "sows.yaml", lambda d: d["answer_options"][4].update(value="four"))
    monkeypatch.setattr(library_module, "DATA_DIR", data_copy)
    library_module.library.cache_clear()
    try:
        with pytest.raises(ImproperlyConfigured, match=r"sows\.yaml: field answer_options\.4"):
            apps.get_app_config("measures").ready()
    finally:
        monkeypatch.undo()
        library_module.library.cache_clear()
    apps.get_app_config("measures").ready()  # the packaged files load again


def test_cows_sweating_item_reads_as_the_published_form():
    sweating = load_library()["cows"].items[1]
    assert "room temperature or patient activity" in sweating.text
    assert "of patient activity" not in sweating.text


def test_bands_that_stop_short_of_the_scale_are_refused(data_copy):
    # The old SOWS convention (1-10, 11-20, 21-30 on a 0-64 scale) left 0 and 31-64 unbanded.
    edit(data_copy / "gad7.yaml", lambda d: d["severity_bands"].pop())
    with pytest.raises(LibraryError,
                       match=r"gad7\.yaml: .*the bands cover 0-14, the scale 0-21"):
        load_library(data_copy)


def test_an_alert_threshold_outside_the_scale_is_refused(data_copy):
    edit(data_copy / "sows.yaml", lambda d: d["alert_threshold"].update(at_least=65))
    with pytest.raises(LibraryError, match=r"sows\.yaml: .*alert_threshold\.at_least"):
        load_library(data_copy)

