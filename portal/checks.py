"""Deploy checks: settings that work on one process but not on several."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Cache backends whose counts live in one process (or none): with several workers each
# keeps its own, so the launch rate limit and the login lockout multiply by the workers.
PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs=None, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        Warning(
            "The cache is kept per process: with N workers the launch rate limit and the "
            "login lockout allow N times what they are set to.",
            hint="Set CACHE_URL=redis://… (shared by every process).",
            id="portal.W001",
        )
    ]
