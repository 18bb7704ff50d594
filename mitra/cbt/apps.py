from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class CbtConfig(AppConfig):
    name = "mitra.cbt"
    label = "cbt"
    verbose_name = "CBT toolkit"

    def ready(self) -> None:
        from mitra.cbt import catalogue
        from mitra.cbt.prompts import diary_panel
        from mitra.lib import panels
        from mitra.lib.navigation import register

        # A malformed knowledge file stops start-up, naming the file and the field.
        try:
            catalogue.distortions()
            catalogue.modules()
        except catalogue.CatalogueError as exc:
            raise ImproperlyConfigured(f"mitra/cbt/data/{exc}") from None
        register("CBT", "cbt:home", "patient")
        # After a strong craving the diary page offers the relapse-prevention plan too.
        panels.register("diary:entry", "cbt:relapse_plan_prompt", diary_panel)
