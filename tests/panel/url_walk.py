"""Build a request for every route of the app, filling path arguments with plausible values."""

from __future__ import annotations

from collections.abc import Iterator

from werkzeug.routing import Rule

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def argument_values(name: str, session_id: str) -> list[str]:
    if "session" in name or name == "id":
        return [session_id]
    if name == "filename":
        return [
            "panel.js",
            f"../../sessions/{session_id}/part-0001.mp4.age",
            f"sessions/{session_id}/part-0001.mp4.age",
        ]
    return [session_id, "part-0001.mp4.age"]


def requests_for_every_route(app, session_id: str) -> Iterator[tuple[str, str, Rule]]:
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        combos: list[dict[str, str]] = [{}]
        for argument in sorted(rule.arguments):
            combos = [
                {**combo, argument: value}
                for combo in combos
                for value in argument_values(argument, session_id)
            ]
        for values in combos:
            url = adapter.build(rule.endpoint, values, force_external=False)
            for method in sorted(rule.methods & set(METHODS)):
                yield method, url, rule
