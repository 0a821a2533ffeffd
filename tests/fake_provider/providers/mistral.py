"""Mistral: api.mistral.ai (general) and codestral.mistral.ai (Codestral)."""

from __future__ import annotations

import secrets

from . import registry
from .base import Provider, openai_style_completion
from .common import Reply

# (pinned id, aliases, supports FIM, max context)
MISTRAL_MODELS = [
    ("mistral-small-2506", ["mistral-small-latest"], False, 131072),
    ("mistral-medium-2505", ["mistral-medium-latest"], False, 131072),
    ("mistral-large-2411", ["mistral-large-latest"], False, 131072),
    ("devstral-small-2507", ["devstral-small-latest"], False, 131072),
    ("devstral-medium-2507", ["devstral-medium-latest"], False, 131072),
    ("ministral-8b-2410", ["ministral-8b-latest"], False, 131072),
    ("codestral-2508", ["codestral-latest"], True, 256000),
    ("codestral-2501", [], True, 256000),
]

MISTRAL_CHAT_FIELDS = {"model", "messages", "temperature", "top_p", "max_tokens", "stream", "stop", "random_seed",
                       "response_format", "tools", "tool_choice", "presence_penalty", "frequency_penalty", "n",
                       "prediction", "parallel_tool_calls", "safe_prompt", "prompt_mode"}
MISTRAL_FIM_FIELDS = {"model", "prompt", "suffix", "temperature", "top_p", "max_tokens", "min_tokens", "stream",
                      "stop", "random_seed"}


def mistral_unauthorized(p, ctx, env):
    style = registry.STATE.setting("mistral_401")
    if style == "message":
        return Reply(401, {"message": "Unauthorized", "request_id": secrets.token_hex(16)})
    if style == "empty":
        return Reply(401, b"")
    return Reply(401, {"detail": "Unauthorized"})


def mistral_error(status, message, type_, code):
    return (status, {"object": "error", "message": message, "type": type_, "param": None,
                     "code": code, "raw_status_code": status})


class Mistral(Provider):
    name = "mistral"
    hosts = ("mistral", "codestral")
    routes = (
        ("GET", r"/models", "ep_models", True),
        ("GET", r"/models/(?P<model>[^/]+)", "ep_model", True),
        ("POST", r"/chat/completions", "ep_chat", True),
        ("POST", r"/fim/completions", "ep_fim", True),
    )
    default_denial = "400"
    errors = {
        "invalid_key": mistral_unauthorized,
        "missing_key": mistral_unauthorized,
        "route_not_found": (404, {"detail": "Not Found"}),
        "model_not_found": (404, {"detail": "Model not found"}),
        "unknown_model": mistral_error(400, "Invalid model: {model}", "invalid_model", "1500"),
        "deny_404": mistral_error(404, "Invalid model: {model}", "invalid_model", "1500"),
        "permission": (403, {"detail": "Forbidden"}),
        "rate_limited": mistral_error(429, "Rate limit exceeded", "rate_limited", "1300"),
        "rate_limited_old": (429, {"message": "Requests rate limit exceeded"}),
        "unavailable": mistral_error(503, "Service unavailable", "service_unavailable", "3000"),
        "server_error": mistral_error(500, "Internal server error", "internal_server_error", "3000"),
    }

    def envelope(self, ctx, status, message):
        return mistral_error(status, message, "error", str(status))[1]

    def key_fits_host(self, ctx, rec):
        return (rec.mistral_kind == "codestral") == (ctx.host == "codestral")

    def check_key(self, ctx):
        # Mistral: a key without billing set up answers 401 everywhere (providers.md §10.7).
        if ctx.rec.state == "no_credit":
            return self.error(ctx, "invalid_key")
        return super().check_key(ctx)

    def catalogue(self, ctx):
        return [m for m in MISTRAL_MODELS if ctx.host != "codestral" or m[2]]

    def cards(self, ctx):
        out = []
        for pinned, aliases, fim, max_ctx in self.catalogue(ctx):
            for ident in [pinned] + aliases:
                others = [a for a in [pinned] + aliases if a != ident]
                out.append({
                    "id": ident, "object": "model", "created": 1750000000, "owned_by": "mistralai",
                    "capabilities": {"completion_chat": True, "completion_fim": fim, "function_calling": True,
                                     "fine_tuning": False, "vision": False, "classification": False},
                    "name": pinned, "description": f"Official {pinned} Mistral AI model",
                    "max_context_length": max_ctx, "aliases": others, "deprecation": None,
                    "deprecation_replacement_model": None, "default_model_temperature": 0.3, "type": "base"})
        return out

    def ep_models(self, ctx):
        if ctx.host == "codestral" and registry.STATE.setting("codestral_models") != "serve":
            return self.error(ctx, "route_not_found")  # [inf] no source shows /v1/models on codestral
        return Reply(200, {"object": "list", "data": self.cards(ctx)})

    def ep_model(self, ctx):
        if ctx.host == "codestral" and registry.STATE.setting("codestral_models") != "serve":
            return self.error(ctx, "route_not_found")
        for card in self.cards(ctx):
            if card["id"] == ctx.model:
                return Reply(200, card)
        return self.error(ctx, "model_not_found")

    def resolve(self, ctx, model):
        """Pinned id for a model or alias; FIM only accepts FIM-capable (codestral) models."""
        fim = ctx.sub == "/fim/completions"
        for pinned, aliases, can_fim, _ in self.catalogue(ctx):
            if model in [pinned] + aliases and (can_fim or not fim):
                return pinned
        return None

    def validate_fields(self, ctx, allowed, required):
        body = ctx.body if isinstance(ctx.body, dict) else {}
        problems = [{"type": "missing", "loc": ["body", f], "msg": "Field required", "input": body}
                    for f in required if f not in body]
        problems += [{"type": "extra_forbidden", "loc": ["body", f], "msg": "Extra inputs are not permitted",
                      "input": v} for f, v in body.items() if f not in allowed]
        return Reply(422, {"detail": problems}) if problems else None

    def ep_chat(self, ctx):
        return self.complete(ctx, self.success,
                             validate=lambda c: self.validate_fields(c, MISTRAL_CHAT_FIELDS, ("model", "messages")))

    def ep_fim(self, ctx):
        return self.complete(ctx, self.success,
                             validate=lambda c: self.validate_fields(c, MISTRAL_FIM_FIELDS, ("model", "prompt")))

    def success(self, ctx, pinned):
        reply = openai_style_completion(ctx, ctx.model, "")
        reply.body["id"] = secrets.token_hex(16)
        reply.body["choices"][0]["message"].update({"tool_calls": None, "prefix": False})
        del reply.body["choices"][0]["logprobs"]
        return reply
