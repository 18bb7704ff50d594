"""The researcher's export page: start (idempotent by the client's UUID), the background task,
download; nobody else reaches it, and a researcher only their own exports."""

from __future__ import annotations

import io
import uuid

import pyarrow.parquet as pq
import pytest
from django.urls import reverse

from mitra.accounts.models import Role
from mitra.audit.models import AuditEvent
from mitra.research.models import ResearchExport
from mitra.research.tasks import run_research_export
from mitra.testing import login, make_cast, make_user

pytestmark = pytest.mark.django_db
URL = reverse("research:exports")


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


def test_a_researcher_starts_an_export_once_and_downloads_it(
        client, django_capture_on_commit_callbacks):
    cast = make_cast()
    login(client, cast.researcher)
    token = str(uuid.uuid4())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.post(URL, {"uuid": token}).status_code == 302
        assert client.post(URL, {"uuid": token}).status_code == 302  # a resubmit
    assert ResearchExport.objects.count() == 1 and len(callbacks) == 1
    export = ResearchExport.objects.get()
    assert export.state == "queued"
    assert "Waiting for the worker" in client.get(URL).content.decode()
    # The worker's part, run here in-process.
    assert run_research_export.call(token) == "ready"
    assert run_research_export.call(token) == "not queued"  # safe to run twice
    export.refresh_from_db()
    assert export.state == "ready" and export.participants == 2
    page = client.get(URL).content.decode()
    assert "responses.parquet" in page and cast.patient.display_name not in page
    response = client.get(reverse("research:download", args=[export.uuid,
                                                            "participants.parquet"]))
    assert response.status_code == 200
    table = pq.read_table(io.BytesIO(b"".join(response.streaming_content)))
    assert table.num_rows == 2
    assert AuditEvent.objects.filter(event="research.export.downloaded").count() == 1
    assert AuditEvent.objects.filter(event="research.exported").count() == 1


def test_a_start_without_a_uuid_is_refused_naming_it(client):
    login(client, make_cast().researcher)
    response = client.post(URL, {"uuid": "not-a-uuid"})
    assert response.status_code == 400
    assert "uuid: a client-made UUID is required" in response.content.decode()
    assert not ResearchExport.objects.exists()


def test_at_most_two_exports_wait_at_once(client):
    cast = make_cast()
    login(client, cast.researcher)
    for _ in range(2):
        client.post(URL, {"uuid": str(uuid.uuid4())})
    response = client.post(URL, {"uuid": str(uuid.uuid4())})
    assert response.status_code == 400 and ResearchExport.objects.count() == 2


def test_another_researcher_cannot_see_or_download_it(client):
    cast = make_cast()
    export = ResearchExport.objects.create(requested_by=cast.researcher, state="ready",
                                           files=[{"name": "README.txt", "bytes": 1}])
    other = make_user("rex", Role.RESEARCHER)
    login(client, other)
    assert str(export.uuid) not in client.get(URL).content.decode()
    assert client.get(reverse("research:download",
                              args=[export.uuid, "README.txt"])).status_code == 404


def test_only_files_of_the_export_are_served(client):
    cast = make_cast()
    export = ResearchExport.objects.create(requested_by=cast.researcher, state="ready",
                                           files=[{"name": "README.txt", "bytes": 1}])
    login(client, cast.researcher)
    for name in ("manifest.json", "..", "%2e%2e%2fsecret_key"):
        url = reverse("research:download", args=[export.uuid, "README.txt"]).replace(
            "README.txt", name)
        assert client.get(url).status_code == 404


def test_a_failed_export_says_why(client, monkeypatch):
    cast = make_cast()
    export = ResearchExport.objects.create(requested_by=cast.researcher)

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr("mitra.research.tasks.export_research", broken)
    assert run_research_export.call(str(export.uuid)) == "failed"
    export.refresh_from_db()
    assert export.state == "failed" and "No space left" in export.error
    login(client, cast.researcher)
    assert "No space left on device" in client.get(URL).content.decode()
