"""Who the token acts for: a first call to check a token works."""


from ninja import Router

from mitra.api.errors import responses
from mitra.api.permissions import READ
from mitra.api.schemas.common import MeOut

router = Router(tags=["account"])


@router.get("/me", auth=READ, response=responses({200: MeOut}), url_name="me")
def me(request):
    token = request.auth
    return {
        "username": request.user.get_username(),
        "role": request.user.role,
        "token_name": token.name,
        "scopes": token.scopes,
        "token_expires_at": token.expires_at,
    }
