"""What a patient accepted when they signed up: the version of the terms and consent text."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Acceptance(models.Model):
    """One acceptance of one version of the terms and consent text (`mitra.enrolment.terms`).

    Written with the password, in the same transaction: an account that has signed up has
    accepted the version it was shown. A later version asks again, adding a row (never
    changing one).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="acceptances")
    terms_version = models.CharField(max_length=32)
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [models.UniqueConstraint(fields=["user", "terms_version"],
                                               name="one_acceptance_per_version")]

    def __str__(self) -> str:
        return f"{self.user} accepted terms {self.terms_version}"
