from mitra.accounts.models import User
from mitra.accounts.totp import current_code
from mitra.lib.command import MitraCommand, UsageError


class Command(MitraCommand):
    help = "Print the current TOTP code of a synthetic demo account (never of a real user)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username, is_demo=True).first()
        if user is None:
            raise UsageError(f"{username!r} is not a demo account")
        try:
            self.stdout.write(current_code(user))
        except Exception:
            raise UsageError(f"{username!r} has no authenticator") from None
