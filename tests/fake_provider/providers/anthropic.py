"""Anthropic."""

from __future__ import annotations

import math
import time

from . import streaming
from .base import Provider
from .common import Reply, iso_utc, rand_id, render

# (pinned id, display name, created_at, aliases, max input, max output)
ANTHROPIC_MODELS = [
    ("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z", ["claude-opus-4-1"], 200000, 32000),
    ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z", ["claude-sonnet-4-5"], 200000, 64000),
    ("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-01T00:00:00Z", ["claude-haiku-4-5"], 200000, 64000),
    ("claude-opus-4-20250514", "Claude Opus 4", "2025-05-22T00:00:00Z", ["claude-opus-4-0"], 200000, 32000),
    ("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22T00:00:00Z", ["claude-sonnet-4-0"], 200000, 64000),
    ("claude-3-7-sonnet-20250219", "Claude Sonnet 3.7", "2025-02-24T00:00:00Z", ["claude-3-7-sonnet-latest"], 200000, 64000),
    ("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z", ["claude-3-5-haiku-latest"], 200000, 8192),
]

ANTHROPIC_ALIASES = {alias: m[0] for m in ANTHROPIC_MODELS for alias in m[3]}
ANTHROPIC_BY_ID = {m[0]: m for m in ANTHROPIC_MODELS}


def anthropic_err(status, type_, message):
    return (status, {"type": "error", "error": {"type": type_, "message": message}, "request_id": "{request_id}"})


def anthropic_rate_limited(p, ctx, env):
    retry_s, limit = env.get("retry_s", 1.0), env.get("limit", 50)
    reset = iso_utc(time.time() + retry_s)
    body = render(anthropic_err(429, "rate_limit_error",
                                "Number of request tokens has exceeded your per-minute rate limit "
                                "(https://docs.anthropic.com/en/api/rate-limits); see the response headers for current "
                                "usage. Please reduce the prompt length or the maximum tokens requested, or try again "
                                "later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss "
                                "your options for a rate limit increase.")[1], env)
    headers = {"anthropic-ratelimit-requests-limit": str(limit), "anthropic-ratelimit-requests-remaining": "0",
               "anthropic-ratelimit-requests-reset": reset, "anthropic-ratelimit-tokens-limit": "40000",
               "anthropic-ratelimit-tokens-remaining": "0", "anthropic-ratelimit-tokens-reset": reset}
    if p.retry_after_header(ctx, True):
        headers["retry-after"] = str(math.ceil(retry_s))
    return Reply(429, body, headers)


ANTHROPIC_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                   404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
                   504: "timeout_error", 529: "overloaded_error"}


class Anthropic(Provider):
    name = "anthropic"
    hosts = ("anthropic",)
    routes = (
        ("GET", r"/models", "ep_models", True),
        ("GET", r"/models/(?P<model>[^/]+)", "ep_model", True),
        ("POST", r"/messages", "ep_messages", True),
        ("POST", r"/messages/count_tokens", "ep_count", True),
    )
    default_denial = "404"
    errors = {
        "missing_key": anthropic_err(401, "authentication_error", "x-api-key header is required"),
        "invalid_key": anthropic_err(401, "authentication_error", "invalid x-api-key"),
        "missing_version": anthropic_err(400, "invalid_request_error", "anthropic-version: header is required"),
        "missing_field": anthropic_err(400, "invalid_request_error", "{field}: Field required"),
        "unknown_model": anthropic_err(404, "not_found_error", "model: {model}"),
        "deny_400": anthropic_err(400, "invalid_request_error", "model: {model}"),
        "permission": anthropic_err(403, "permission_error",
                                    "Your API key does not have permission to use the specified resource."),
        "disabled_api": anthropic_err(404, "not_found_error", "Not found"),
        "no_credit": anthropic_err(400, "invalid_request_error",
                                   "Your credit balance is too low to access the Anthropic API. Please go to Plans & "
                                   "Billing to upgrade or purchase credits."),
        "rate_limited": anthropic_rate_limited,
        "overloaded": anthropic_err(529, "overloaded_error", "Overloaded"),
        "unavailable": anthropic_err(503, "api_error", "Service unavailable"),
        "server_error": anthropic_err(500, "api_error", "Internal server error"),
        "route_not_found": anthropic_err(404, "not_found_error", "Not found"),
        "request_too_large": (413, "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center>"
                                   "<h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
                                   "</body>\r\n</html>\r\n"),
    }

    def envelope(self, ctx, status, message):
        return {"type": "error", "error": {"type": ANTHROPIC_TYPES.get(status, "api_error"), "message": message},
                "request_id": ctx.request_id}

    def read_auth(self, ctx):
        key = ctx.headers.get("x-api-key")
        if key:
            return "key", key
        return ("malformed" if ctx.headers.get("Authorization") else "missing"), None

    def check_key(self, ctx):
        if ctx.rec.state == "disabled_api":
            return self.error(ctx, "disabled_api")
        reply = super().check_key(ctx)
        if reply is None and not ctx.headers.get("anthropic-version"):
            return self.error(ctx, "missing_version")
        return reply

    def card(self, pinned):
        _, name, created, _, max_in, max_out = ANTHROPIC_BY_ID[pinned]
        return {"type": "model", "id": pinned, "display_name": name, "created_at": created,
                "max_input_tokens": max_in, "max_tokens": max_out}

    def ep_models(self, ctx):
        ids = [m[0] for m in ANTHROPIC_MODELS]
        q = {k: v[0] for k, v in ctx.query.items()}
        if q.get("after_id") in ids:
            ids = ids[ids.index(q["after_id"]) + 1:]
        elif q.get("before_id") in ids:
            ids = ids[:ids.index(q["before_id"])]
        limit = max(1, min(1000, int(q.get("limit", "20") or 20)))
        page = ids[:limit] if "before_id" not in q else ids[-limit:]
        data = [self.card(i) for i in page]
        return Reply(200, {"data": data, "has_more": len(page) < len(ids),
                           "first_id": page[0] if page else None, "last_id": page[-1] if page else None})

    def ep_model(self, ctx):
        pinned = self.resolve(ctx, ctx.model)
        if pinned is None:
            return self.error(ctx, "unknown_model")
        return Reply(200, self.card(pinned))

    def resolve(self, ctx, model):
        return model if model in ANTHROPIC_BY_ID else ANTHROPIC_ALIASES.get(model)

    def validate(self, ctx):
        for field in ("model", "messages") + (("max_tokens",) if ctx.sub == "/messages" else ()):
            if ctx.json_field(field) is None:
                return self.error(ctx, "missing_field", field=field)
        return None

    def ep_messages(self, ctx):
        return self.complete(ctx, self.success)

    def ep_count(self, ctx):
        return self.complete(ctx, lambda c, m: Reply(200, {"input_tokens": 8}), rate_limited=False)

    def success(self, ctx, pinned):
        return Reply(200, {"id": "msg_01" + rand_id(22), "type": "message", "role": "assistant", "model": pinned,
                           "content": [{"type": "text", "text": "ok"}], "stop_reason": "max_tokens",
                           "stop_sequence": None, "usage": {"input_tokens": 8, "output_tokens": 1,
                                                            "cache_creation_input_tokens": 0,
                                                            "cache_read_input_tokens": 0, "service_tier": "standard"}})

    def stream_of(self, ctx, body, settings):
        head, tail = streaming.anthropic_events(body, settings["chunks"], ctx.json_field("max_tokens"))
        return streaming.Stream(head, tail, "text/event-stream; charset=utf-8", settings)

    def finish(self, ctx, reply):
        reply.headers.setdefault("request-id", ctx.request_id)
        return reply
