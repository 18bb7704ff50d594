"""Panels one app puts on another app's page (`mitra.lib.panels`)."""

from django.test import RequestFactory
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from mitra.lib import panels


def test_panels_render_in_order_safe_html_kept_and_plain_text_escaped(monkeypatch):
    monkeypatch.setattr(panels, "PANELS", {})
    request = RequestFactory().get("/")
    assert panels.render_panels("page:x", request, None) == ""
    panels.register("page:x", "a", lambda request, subject: format_html("<p>{}</p>", subject))
    panels.register("page:x", "b", lambda request, subject: "")
    panels.register("page:x", "c", lambda request, subject: "<b>not markup</b>")
    panels.register("page:y", "d", lambda request, subject: mark_safe("<p>elsewhere</p>"))
    assert panels.render_panels("page:x", request, "one") == (
        "<p>one</p>&lt;b&gt;not markup&lt;/b&gt;")
    # Registering a name again replaces it, in its place.
    panels.register("page:x", "a", lambda request, subject: mark_safe("<p>again</p>"))
    assert panels.render_panels("page:x", request, "one").startswith("<p>again</p>&lt;b&gt;")


def test_the_cbt_app_registers_its_prompt_for_the_diary_page():
    assert "cbt:relapse_plan_prompt" in panels.PANELS["diary:entry"]
