"""Mitra's date formats (Django's FORMAT_MODULE_PATH): one style on every page, "5 Sep 2026".

Django 5 always localizes, so settings.DATE_FORMAT alone would lose to the en locale's own
"N j, Y" ("Sep. 5, 2026"). Pages used that, ISO dates ("2026-09-05") and "5 Sep" side by side;
now `{{ day }}` and `{{ day|date }}` give DATE_FORMAT, and `|day` (mitra.lib.display) does the
same for the ISO strings the data files and the time series carry.
"""
