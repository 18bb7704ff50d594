import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitra.settings")
application = get_wsgi_application()

# Import every view now (the URL configuration) rather than on the first request, then take
# all that start-up made out of the garbage collector's sight: it lives as long as the
# process, and each full collection would walk its hundred thousand objects again (about a
# tenth of a millisecond a request on the diary benchmark).
get_resolver().url_patterns  # noqa: B018
gc.freeze()
