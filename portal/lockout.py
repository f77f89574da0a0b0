"""The login lockout's idea of an account: the email, case-folded, so ANA@ and ana@ count once."""


def lockout_username(request, credentials) -> str | None:
    username = (credentials or {}).get("username") or request.POST.get("username")
    return username.strip().lower() if isinstance(username, str) else None
