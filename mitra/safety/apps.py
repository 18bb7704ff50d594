from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class SafetyConfig(AppConfig):
    name = "mitra.safety"
    label = "safety"
    verbose_name = "Safety and alerts"

    def ready(self) -> None:
        from mitra.lib import jobs
        from mitra.lib.navigation import register
        from mitra.safety import crisis, kb
        from mitra.safety.escalation import escalate_due_alerts

        # A malformed knowledge-base file must stop start-up, naming the file and the field:
        # a screen that silently lost a rule would look like "no risk found".
        try:
            kb.knowledge_base.cache_clear()
            kb.knowledge_base()
            crisis._load.cache_clear()
            crisis._load()
        except (kb.KnowledgeBaseError, crisis.CrisisDataError) as exc:
            raise ImproperlyConfigured(f"mitra/safety/data/{exc}") from None
        register("Alerts", "safety:inbox", "clinician", pinned=True)
        register("Legal status", "safety:legal_index", "clinician")
        jobs.register("escalated", escalate_due_alerts,
                      "notify the care team of urgent alerts left unacknowledged")
        register("Safety plan", "safety:my_plan", "patient")
        register("Legal status", "safety:my_legal", "patient")
        # Second in every patient's menu, after Home: crisis help one tap away on any page,
        # in view on a phone too (pinned: outside the folded "Menu").
        register("Help now", "safety:crisis", "patient", position=2, pinned=True)
