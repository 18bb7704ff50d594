"""Base class for Mitra's management commands: one-line errors, never a traceback."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class UsageError(CommandError):
    """A bad argument: exit 2 with one line naming it."""

    def __init__(self, message: str):
        super().__init__(message, returncode=2)


class MitraCommand(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        prog = f"mitra {subcommand}"
        parser.prog = prog

        def one_line_error(message: str) -> None:
            if parser.called_from_command_line:
                sys.stderr.write(f"{prog}: error: {message} (see: {prog} --help)\n")
                sys.exit(2)
            raise CommandError(f"Error: {message}")

        parser.error = one_line_error  # type: ignore[method-assign]
        return parser

    def execute(self, *args: Any, **options: Any) -> str | None:
        # Django would print "UsageError: ..."; name the command instead, on one line.
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            if not getattr(self, "_called_from_command_line", False) or options.get("traceback"):
                raise
            name = type(self).__module__.rsplit(".", 1)[-1]
            message = " ".join(str(exc).split())
            sys.stderr.write(f"mitra {name}: error: {message}\n")
            sys.exit(exc.returncode)
