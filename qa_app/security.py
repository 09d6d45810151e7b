"""Security headers, with a per-request nonce for GOV.UK Frontend's one inline script."""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def reject_nul_bytes() -> None:
    """A NUL byte is never valid text here, and PostgreSQL refuses it: answer 400 early."""
    from flask import abort

    if request.content_length and request.content_length > 1_000_000:
        values: list[str] = []
    else:
        values = [v for vs in request.form.listvalues() for v in vs]
    values += [request.path, *(v for vs in request.args.listvalues() for v in vs)]
    if any("\x00" in value for value in values):
        abort(400, description="The request contains a character that is not allowed.")


def init_security_headers(app: Flask) -> None:
    app.before_request(reject_nul_bytes)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = _policy(csp_nonce())
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.endpoint not in {"assets", "govuk_dist", "static"}:
            response.headers["Cache-Control"] = "no-store"
        return response

    app.jinja_env.globals["csp_nonce"] = csp_nonce
