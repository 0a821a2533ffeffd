"""OpenAI."""

from __future__ import annotations

import math
import re
import secrets

from .base import Provider, openai_style_completion
from .common import Reply, openai_duration

# id: (created, snapshot the id points to or None)
OPENAI_MODELS = {
    "gpt-4o": (1715367049, "gpt-4o-2024-08-06"),
    "gpt-4o-2024-08-06": (1722814719, None),
    "gpt-4o-2024-11-20": (1739331543, None),
    "chatgpt-4o-latest": (1723515131, None),
    "gpt-4o-mini": (1721172741, "gpt-4o-mini-2024-07-18"),
    "gpt-4o-mini-2024-07-18": (1721172717, None),
    "gpt-4.1": (1744316542, "gpt-4.1-2025-04-14"),
    "gpt-4.1-2025-04-14": (1744315746, None),
    "gpt-4.1-mini": (1744318173, None),
    "o1": (1734375816, None),
    "o3-mini": (1737146383, "o3-mini-2025-01-31"),
    "o3-mini-2025-01-31": (1738010200, None),
    "o3": (1744225308, None),
    "o4-mini": (1744225351, None),
    "gpt-5": (1754425777, "gpt-5-2025-08-07"),
    "gpt-5-2025-08-07": (1754425867, None),
    "gpt-5-mini": (1754425928, None),
}
REASONING_MODEL = re.compile(r"^(o1|o3|o4|gpt-5)")


def openai_err(status, message, type_="invalid_request_error", param=None, code=None):
    return (status, {"error": {"message": message, "type": type_, "param": param, "code": code}})


def openai_rate_limited(p, ctx, env):
    retry_s, limit = env.get("retry_s", 1.0), env.get("limit", 10)
    body = openai_err(429, f"Rate limit reached for {ctx.model} in organization org-fakeprovider000000000000 on "
                           f"requests per min (RPM): Limit {limit}, Used {limit}, Requested 1. Please try again in "
                           f"{retry_s:.3g}s. Visit https://platform.openai.com/account/rate-limits to learn more.",
                      "requests", None, "rate_limit_exceeded")[1]
    headers = {"x-ratelimit-limit-requests": str(limit), "x-ratelimit-remaining-requests": "0",
               "x-ratelimit-reset-requests": openai_duration(retry_s),
               "x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "29990",
               "x-ratelimit-reset-tokens": "20ms"}
    if p.retry_after_header(ctx, True):
        headers["retry-after"] = str(math.ceil(retry_s))
    return Reply(429, body, headers)


class OpenAI(Provider):
    name = "openai"
    hosts = ("openai",)
    models = OPENAI_MODELS
    routes = (
        ("GET", r"/models", "ep_models", True),
        ("GET", r"/models/(?P<model>[^/]+)", "ep_model", True),
        ("POST", r"/chat/completions", "ep_chat", True),
    )
    default_denial = "404"
    errors = {
        "missing_key": openai_err(401, "You didn't provide an API key. You need to provide your API key in an Authorization "
                                       "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
                                       "field (with blank username) if you're accessing the API from your browser and are "
                                       "prompted for a username and password. You can obtain an API key from "
                                       "https://platform.openai.com/account/api-keys."),
        "invalid_key": openai_err(401, "Incorrect API key provided: {masked}. You can find your API key at "
                                       "https://platform.openai.com/account/api-keys.", code="invalid_api_key"),
        "restricted": openai_err(401, "You have insufficient permissions for this operation. Missing scopes: model.request. "
                                      "Check that you have the correct role in your organization (Reader, Writer, Owner) "
                                      "and project (Member, Owner), and if you're using a restricted API key, that it has "
                                      "the necessary scopes."),
        "unknown_model": openai_err(404, "The model `{model}` does not exist or you do not have access to it.",
                                    code="model_not_found"),
        "model_not_found": openai_err(404, "The model '{model}' does not exist", param="model", code="model_not_found"),
        "deny_400": openai_err(400, "invalid model ID"),
        "permission": openai_err(403, "Project `proj_fakeprovider0000000000000` does not have access to model `{model}`",
                                 code="model_not_found"),
        "no_model": openai_err(400, "you must provide a model parameter"),
        "no_messages": openai_err(400, "Missing required parameter: 'messages'.", param="messages",
                                  code="missing_required_parameter"),
        "unsupported_max_tokens": openai_err(400, "Unsupported parameter: 'max_tokens' is not supported with this model. "
                                                  "Use 'max_completion_tokens' instead.", param="max_tokens",
                                             code="unsupported_parameter"),
        "no_credit": openai_err(429, "You exceeded your current quota, please check your plan and billing details. For more "
                                     "information on this error, read the docs: "
                                     "https://platform.openai.com/docs/guides/error-codes/api-errors.",
                                "insufficient_quota", None, "insufficient_quota"),
        "rate_limited": openai_rate_limited,
        "route_not_found": openai_err(404, "Invalid URL ({method} {path})"),
        "server_error": openai_err(500, "The server had an error while processing your request. Sorry about that!",
                                   "server_error"),
        "unavailable": openai_err(503, "The engine is currently overloaded, please try again later.", "server_error"),
    }

    def envelope(self, ctx, status, message):
        return openai_err(status, message, "server_error" if status >= 500 else "invalid_request_error")[1]

    def env_defaults(self, ctx):
        env = super().env_defaults(ctx)
        token = ctx.token or ""  # OpenAI echoes the first 8 and last 4 characters
        env["masked"] = token[:8] + "*" * (len(token) - 12) + token[-4:] if len(token) > 12 else token[:2] + "*" * 6
        return env

    def ep_models(self, ctx):
        return Reply(200, {"object": "list", "data": [self.card(m) for m in self.models]})

    def card(self, model_id):
        return {"id": model_id, "object": "model", "created": self.models[model_id][0], "owned_by": "system"}

    def ep_model(self, ctx):
        if ctx.model not in self.models:
            return self.error(ctx, "model_not_found")
        return Reply(200, self.card(ctx.model))

    def ep_chat(self, ctx):
        if ctx.rec.state == "restricted":
            return self.error(ctx, "restricted")
        if not ctx.model:
            return self.error(ctx, "no_model")
        if not ctx.json_field("messages"):
            return self.error(ctx, "no_messages")
        return self.complete(ctx, self.success)

    def resolve(self, ctx, model):
        if model not in self.models:
            return None
        return self.models[model][1] or model

    def check_params(self, ctx, canonical):
        if REASONING_MODEL.match(ctx.model) and ctx.json_field("max_tokens") is not None:
            return self.error(ctx, "unsupported_max_tokens")
        return None

    def success(self, ctx, canonical):
        extra = {"system_fingerprint": "fp_fake0001", "service_tier": "default"}
        return openai_style_completion(ctx, canonical, "chatcmpl-", extra)

    def finish(self, ctx, reply):
        reply.headers.setdefault("x-request-id", "req_" + secrets.token_hex(16))
        return reply
