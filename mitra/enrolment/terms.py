"""The terms and consent text a patient reads and accepts at sign-up, by version.

Each version is a template, `enrolment/terms/<version>.html`, never edited once in use: a
change is a new version (a new file and a new CURRENT), so every `Acceptance` names the text
its patient was shown. A further consent (42 CFR Part 2, the consent issue) is a section added
to the next version's template.
"""

from __future__ import annotations

CURRENT = "2026-12-01"
VERSIONS = ("2026-12-01",)


def template_of(version: str) -> str:
    if version not in VERSIONS:
        raise ValueError(f"terms_version: {version!r} is not a version of the terms; "
                         f"allowed: {', '.join(VERSIONS)}")
    return f"enrolment/terms/{version}.html"
