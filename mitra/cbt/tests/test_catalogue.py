import pytest

from mitra.cbt import catalogue


def test_shipped_files_are_valid_and_cite_their_sources():
    traps = catalogue.distortions()
    assert len(traps.distortions) >= 10
    assert {"beck1979", "burns1980"} <= set(traps.references)
    mods = catalogue.modules()
    assert {"cbt-model", "anxiety", "depression", "cravings", "kratom-kava"} <= set(
        mods.by_slug())


def test_no_module_presents_kratom_as_treatment_or_gives_a_dose():
    text = catalogue.modules().by_slug()["kratom-kava"].text().lower()
    assert "never suggests an amount" in text
    assert "no controlled human trial has shown" in text
    for module in catalogue.modules().modules:
        assert not catalogue.DOSE_PATTERN.search(module.text()), module.slug


def _write(tmp_path, text):
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path


def test_a_missing_field_is_named(tmp_path):
    path = _write(tmp_path, """
version: 1
as_of: 2026-01-01
references: {a: "A"}
distortions:
  - {key: x_y, name: Xyz, definition: "long enough text", ask_yourself: "why?", sources: [a]}
""")
    with pytest.raises(catalogue.CatalogueError, match=r"broken.yaml: distortions.0.example"):
        catalogue.parse_distortions(path)


def test_an_unknown_reference_is_named(tmp_path):
    path = _write(tmp_path, """
version: 1
as_of: 2026-01-01
references: {a: "A"}
distortions:
  - {key: x_y, name: Xyz, definition: "long enough text", example: "an example here",
     ask_yourself: "why so?", sources: [nope]}
""")
    with pytest.raises(catalogue.CatalogueError, match="distortions\\[0\\].sources: unknown"):
        catalogue.parse_distortions(path)


def test_a_module_reading_like_a_dose_is_refused(tmp_path):
    path = _write(tmp_path, """
version: 1
as_of: 2026-01-01
references: {a: "A"}
modules:
  - slug: bad
    title: Bad module
    summary: "This one is wrong on purpose."
    minutes: 2
    sections:
      - heading: Dose
        paragraphs: ["Take 5 g of leaf powder in the morning."]
    sources: [a]
""")
    with pytest.raises(catalogue.CatalogueError, match="never give a dose"):
        catalogue.parse_modules(path)
