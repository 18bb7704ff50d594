"""The measures app's instrument library seen as FHIR needs it (`fhir.Instrument`).

Plain Python: reads the instrument data files through `mitra.measures.library` and the alias
table `data/questionnaire_aliases.yaml`. A malformed alias file stops start-up (ApiConfig.ready)
naming the file and the field.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from mitra.api import fhir
from mitra.lib.yamldata import load_yaml
from mitra.measures import library

ALIASES_FILE = Path(__file__).resolve().parent / "data" / "questionnaire_aliases.yaml"


class AliasError(ValueError):
    pass


def load_aliases(path: Path = ALIASES_FILE) -> dict[str, dict[str, dict[str, str]]]:
    """{instrument id: {canonical: {their linkId: our linkId}}}, checked against the library."""
    raw = load_yaml(path.read_text(encoding="utf-8"))
    lib = library.library()
    out: dict[str, dict[str, dict[str, str]]] = {}
    for index, entry in enumerate(raw.get("aliases") or []):
        where = f"{path.name}: aliases.{index}"
        for key in ("canonical", "instrument", "source"):
            if not entry.get(key):
                raise AliasError(f"{where}.{key}: required")
        inst = lib.get(entry["instrument"])
        if inst is None:
            raise AliasError(f"{where}.instrument: {entry['instrument']!r} is not one of "
                             f"{', '.join(sorted(lib))}")
        links = {str(k): str(v) for k, v in (entry.get("link_ids") or {}).items()}
        ours = {item.link_id for item in inst.items}
        for theirs, mine in links.items():
            if mine not in ours:
                raise AliasError(f"{where}.link_ids.{theirs}: {mine!r} is not an item of "
                                 f"{inst.id}")
        out.setdefault(inst.id, {})[entry["canonical"]] = links
    return out


def _item(inst: library.Instrument, item: library.Item) -> fhir.Item:
    numeric = (item.response.min, item.response.max) if item.response is not None else None
    options = tuple(
        fhir.AnswerOption(value=o.value, text=o.text, loinc=inst.loinc_answer_code(item, o.value))
        for o in inst.options_for(item)
    ) if numeric is None else ()
    return fhir.Item(link_id=item.link_id, text=item.text, options=options, loinc=item.loinc,
                     scored=item.scored, required=item.required, numeric=numeric)


def to_fhir(inst: library.Instrument, aliases: dict[str, dict[str, str]]) -> fhir.Instrument:
    return fhir.Instrument(
        id=inst.id,
        name=inst.name,
        version=inst.version,
        items=tuple(_item(inst, item) for item in inst.items),
        panel_loinc=inst.loinc.panel,
        panel_display=inst.loinc.panel_display,
        total_loinc=inst.loinc.total,
        total_display=inst.loinc.total_display,
        copyright=inst.licence.text,
        aliases=aliases,
    )


@cache
def fhir_instruments() -> dict[str, fhir.Instrument]:
    aliases = load_aliases()
    return {inst.id: to_fhir(inst, aliases.get(inst.id, {})) for inst in library.instruments()}


def get(instrument_id: str) -> fhir.Instrument:
    return fhir_instruments()[instrument_id]
