"""Liveness (/healthz) and readiness (/readyz) for load balancers and orchestrators."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@require_GET
@never_cache
def healthz(request):
    """Answers while the process is up; touches nothing else."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request):
    """The database, and the cache when one is configured, answer."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
    if "locmem" not in settings.CACHES["default"]["BACKEND"].lower():
        try:
            cache.set("readyz", "1", 5)
            checks["cache"] = "ok" if cache.get("readyz") == "1" else "unavailable"
        except Exception:
            checks["cache"] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
