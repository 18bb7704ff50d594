from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "mitra.evidence"
    label = "evidence"
    verbose_name = "Evidence library"
