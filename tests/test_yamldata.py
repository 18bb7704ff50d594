"""Data files are read with a safe loader, the C one when PyYAML has it."""

import datetime

import pytest
import yaml

from mitra.lib import yamldata


def test_plain_data_loads_as_with_the_pure_python_safe_loader():
    text = "as_of: 2026-11-01\nitems:\n  - {id: a, score: 3, note: 'ü ✓'}\n  - null\n"
    assert yamldata.load_yaml(text) == yaml.safe_load(text)
    assert yamldata.load_yaml(text)["as_of"] == datetime.date(2026, 11, 1)


def test_python_objects_are_refused():
    with pytest.raises(yaml.YAMLError):
        yamldata.load_yaml("!!python/object/apply:os.system ['echo unsafe']")


def test_the_c_loader_is_used_where_pyyaml_has_it():
    if not yaml.__with_libyaml__:
        pytest.skip("this PyYAML was built without libyaml")
    assert yamldata._SAFE_LOADER is yaml.CSafeLoader
