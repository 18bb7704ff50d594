from django.conf import settings

from mitra.lib.navigation import items_for


def navigation(request):
    user = getattr(request, "user", None)
    role = user.role if user is not None and user.is_authenticated else ""
    nav = items_for(role, request.path) if role else []
    account = items_for(role, request.path, menu="account") if role else []
    return {"nav_items": nav, "nav_folded": [i for i in nav if not i["pinned"]],
            "account_items": account, "site_name": settings.SITE_NAME}
