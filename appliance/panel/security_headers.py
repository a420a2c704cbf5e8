"""The headers every panel response carries, Flask's own and waitress's error pages alike.

One list, so the page the server writes by itself (a 400 for a malformed request, a 413
for a body over the cap, a 500) is no weaker than a page of the app: a browser must never
sniff it, frame it, cache it or send a Referer from it.
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

#: Sent with every response.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    # "same-origin", not "no-referrer": under no-referrer a browser sends `Origin: null` on
    # the panel's own form posts, and the Origin check (auth.check_origin) needs the real one.
    # No referrer ever leaves for another origin either way.
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)
#: Sent with every response except the static files (which the phone may cache).
NO_STORE = ("Cache-Control", "no-store")
