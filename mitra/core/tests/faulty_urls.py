"""The site's URLs plus two that fail for real, for test_outage.py: one writes to /dev/full
(the kernel answers ENOSPC, as a full disk does), one has a bug."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from mitra.urls import handler500  # noqa: F401 - handler500
from mitra.urls import urlpatterns as site_patterns


@login_not_required
def write_to_full_disk(request):
    with open("/dev/full", "w") as disk:  # noqa: PTH123
        disk.write("an audit event")
        disk.flush()


@login_not_required
def bug(request):
    raise RuntimeError("a bug, not an outage")


urlpatterns = [
    path("test-full-disk/", write_to_full_disk),
    path("test-bug/", bug),
    *site_patterns,
]
