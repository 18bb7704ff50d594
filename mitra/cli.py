"""The `mitra` command: Mitra's management commands, with one-line errors instead of tracebacks."""

from __future__ import annotations

import os
import sys

# Django's own commands that belong to the CLI; Mitra's commands are found in its apps.
DJANGO_COMMANDS = {
    "migrate", "check", "shell", "collectstatic", "createsuperuser", "db_worker", "makemigrations",
}


def one_line(exc: Exception) -> str:
    """An exception's message on one line (some drivers' messages span several)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _mitra_commands() -> dict[str, str]:
    from django.core.management import get_commands

    return {
        name: app
        for name, app in get_commands().items()
        if app.startswith("mitra.") or name in DJANGO_COMMANDS
    }


def _usage(commands: dict[str, str]) -> str:
    from django.core.management import load_command_class

    lines = ["usage: mitra COMMAND [options]   (mitra COMMAND --help for each)", "", "commands:"]
    for name in sorted(commands):
        try:
            help_text = load_command_class(commands[name], name).help.split("\n")[0]
        except Exception:  # a command that cannot load still gets listed
            help_text = ""
        lines.append(f"  {name:<14} {help_text}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mitra.settings")
    try:
        import django
        from django.core.exceptions import ImproperlyConfigured

        django.setup()
    except ImproperlyConfigured as exc:
        print(f"mitra: configuration error: {one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # var/ (MITRA_VAR_DIR) cannot be created or written
        print(f"mitra: cannot use {exc.filename or 'the data folder'}: {exc.strerror} "
              "(check MITRA_VAR_DIR)", file=sys.stderr)
        return 2
    from django.core.management import ManagementUtility
    from django.db import DatabaseError, InterfaceError

    commands = _mitra_commands()
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(_usage(commands))
        return 0
    if argv[0] not in commands:
        print(
            f"mitra: unknown command {argv[0]!r}; choose one of: {', '.join(sorted(commands))}",
            file=sys.stderr,
        )
        return 2
    try:
        ManagementUtility(["mitra", *argv]).execute()
    except (DatabaseError, InterfaceError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        hint = "check DATABASE_URL"
        if "no such table" in first or ("relation" in first and "does not exist" in first):
            hint = "run: mitra migrate"
        print(f"mitra: database error: {first} ({hint})", file=sys.stderr)
        return 1
    except ImproperlyConfigured as exc:  # a setting read by a command, e.g. WEB_CONCURRENCY
        print(f"mitra: configuration error: {one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
