"""The least a launch can be in Django: mint, then redirect; no check of any kind."""

import http.client
import json
import threading
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect

_local = threading.local()  # one kept-alive connection per gunicorn thread


def _connection() -> http.client.HTTPConnection:
    if not hasattr(_local, "connection"):
        api = urlsplit(settings.SPACEINVOICES_API_URL)
        _local.connection = http.client.HTTPConnection(api.hostname, api.port, timeout=10)
    return _local.connection


def launch(request, slug: str):
    try:
        status, body = _mint()
    except (http.client.RemoteDisconnected, ConnectionError):
        _local.connection.close()  # the server closed the idle connection: once more
        status, body = _mint()
    if status != 201:
        return HttpResponse("Invoicing is unavailable right now.", status=503)
    response = HttpResponseRedirect(
        f"{settings.SPACEINVOICES_EMBED_URL}?token={json.loads(body)['token']}"
    )
    response.status_code = 303
    return response


def _mint() -> tuple[int, bytes]:
    connection = _connection()
    connection.request(
        "POST",
        f"{urlsplit(settings.SPACEINVOICES_API_URL).path}/entities/users/"
        f"{settings.FRAMEWORK_USER_ID}/token",
        body=b'{"ttl": 120}',
        headers={
            "Authorization": f"Bearer {settings.SPACEINVOICES_API_KEY}",
            "x-entity-id": settings.FRAMEWORK_ENTITY_ID,
            "X-Request-Id": uuid.uuid4().hex,
            "Content-Type": "application/json",
        },
    )
    answer = connection.getresponse()
    return answer.status, answer.read()
