from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from mitra.api.snapshot import SNAPSHOT, current_schema, render


@pytest.mark.slow
def test_the_live_schema_equals_the_committed_snapshot():
    # After an intended API change: `mitra openapi --write`, then review the diff.
    served = Client().get("/api/openapi.json")
    assert served.status_code == 200
    assert render(json.loads(served.content)) == render(current_schema())
    assert SNAPSHOT.read_text(encoding="utf-8") == render(current_schema()), (
        "the OpenAPI schema changed: run `mitra openapi --write` and commit the snapshot"
    )


def test_every_operation_documents_its_errors_and_needs_a_token():
    schema = current_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            codes = set(operation["responses"])
            assert {"400", "401", "403", "404"} <= codes, f"{method} {path}"
            assert operation.get("security"), f"{method} {path} is not token-protected"


def test_the_docs_page_loads_nothing_from_another_site():
    page = Client().get("/api/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui-bundle.js" in html
    external = re.findall(r'(?:src|href)="(https?:)?//', html)
    assert not external, external
    asset = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', html).group(1)
    assert Client().get(asset).status_code == 200
