"""The bare launch: login required, one requests call to mint, a 303 to the embed."""

import uuid

import requests
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.views.decorators.http import require_POST

SESSION = requests.Session()  # pooled keep-alive connections, as anyone would


@require_POST
@login_required
def launch(request, slug: str):
    user_id = settings.PEER_USERS[request.user.email]
    answer = SESSION.post(
        f"{settings.SPACEINVOICES_API_URL}/entities/users/{user_id}/token",
        headers={
            "Authorization": f"Bearer {settings.SPACEINVOICES_API_KEY}",
            "x-entity-id": settings.PEER_ENTITY_ID,
            "X-Request-Id": uuid.uuid4().hex,
        },
        json={"ttl": 120},
        timeout=(3.05, 10),
    )
    if answer.status_code != 201:
        return HttpResponse("Invoicing is unavailable right now.", status=503)
    response = HttpResponseRedirect(
        f"{settings.SPACEINVOICES_EMBED_URL}?token={answer.json()['token']}"
    )
    response.status_code = 303
    return response
