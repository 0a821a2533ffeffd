"""OpenRouter (https://openrouter.ai/api/v1)."""

from __future__ import annotations

import math
import time

from .base import Provider, openai_style_completion
from .common import Reply

# id: (display name, context length, max completion tokens, $/prompt token, $/completion token)
OPENROUTER_MODELS = {
    "google/gemini-2.5-pro-preview": ("Google: Gemini 2.5 Pro Preview 06-05", 1048576, 65536, "0.00000125", "0.00001"),
    "google/gemini-2.5-pro": ("Google: Gemini 2.5 Pro", 1048576, 65536, "0.00000125", "0.00001"),
    "google/gemini-2.5-flash": ("Google: Gemini 2.5 Flash", 1048576, 65535, "0.0000003", "0.0000025"),
    "deepseek/deepseek-chat": ("DeepSeek: DeepSeek V3", 163840, 163840, "0.0000003", "0.00000085"),
    "deepseek/deepseek-chat-v3-0324:free": ("DeepSeek: DeepSeek V3 0324 (free)", 163840, 163840, "0", "0"),
    "deepseek/deepseek-r1": ("DeepSeek: R1", 163840, 163840, "0.0000004", "0.000002"),
    "anthropic/claude-sonnet-4": ("Anthropic: Claude Sonnet 4", 200000, 64000, "0.000003", "0.000015"),
    "anthropic/claude-3.5-haiku": ("Anthropic: Claude 3.5 Haiku", 200000, 8192, "0.0000008", "0.000004"),
    "openai/gpt-4o": ("OpenAI: GPT-4o", 128000, 16384, "0.0000025", "0.00001"),
    "openai/gpt-4o-mini": ("OpenAI: GPT-4o-mini", 128000, 16384, "0.00000015", "0.0000006"),
    "openai/o3-mini": ("OpenAI: o3 Mini", 200000, 100000, "0.0000011", "0.0000044"),
    "mistralai/codestral-2508": ("Mistral: Codestral 2508", 256000, 256000, "0.0000003", "0.0000009"),
    "meta-llama/llama-3.3-70b-instruct:free": ("Meta: Llama 3.3 70B Instruct (free)", 131072, 2048, "0", "0"),
}


def or_err(status, message, user_id=False, **fields):
    """OpenRouter's {"error": {"message", "code", ...}} body; some carry a top-level user_id."""
    body = {"error": dict({"message": message, "code": status}, **fields)}
    if user_id:
        body["user_id"] = "{user_id}"
    return status, body


def openrouter_rate_limited(p, ctx, env):
    retry_s, limit = env.get("retry_s", 1.0), env.get("limit", 50)
    reset_ms = str(int((time.time() + retry_s) * 1000))
    rl_headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset_ms}
    if (ctx.model or "").endswith(":free"):
        body = or_err(429, "Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model "
                           "requests per day", metadata={"headers": rl_headers})[1]
    else:
        body = or_err(429, "Rate limit exceeded", metadata={"error_type": "rate_limit_exceeded"})[1]
    headers = dict(rl_headers)
    if p.retry_after_header(ctx, False):
        headers["Retry-After"] = str(math.ceil(retry_s))
    return Reply(429, body, headers)


OR_NO_AUTH = or_err(401, "No auth credentials found")


class OpenRouter(Provider):
    name = "openrouter"
    hosts = ("openrouter",)
    prefixes = ("/api/v1",)
    routes = (
        ("GET", r"/key", "ep_key", True),
        ("GET", r"/auth/key", "ep_key", True),
        ("GET", r"/models", "ep_models", False),
        ("GET", r"/models/user", "ep_models_user", True),
        ("POST", r"/chat/completions", "ep_chat", True),
    )
    default_denial = "400"
    stream_comments = ("OPENROUTER PROCESSING", "OPENROUTER PROCESSING")
    errors = {
        "missing_key": OR_NO_AUTH,
        "no_auth": OR_NO_AUTH,
        "deny_401": OR_NO_AUTH,
        "invalid_key": or_err(401, "User not found."),
        "route_not_found": or_err(401, "No cookie auth credentials found"),
        "unknown_model": or_err(400, "{model} is not a valid model ID", user_id=True),
        "no_model": or_err(400, "No models provided", user_id=True),
        "deny_404": or_err(404, "No endpoints found for {model}."),
        "permission": or_err(403, "Your request was blocked by your guardrail settings for {model}."),
        "no_credit": or_err(402, "This request requires more credits, or fewer max_tokens. You requested up to "
                                 "{requested} tokens, but can only afford {affordable}. To increase, visit "
                                 "https://openrouter.ai/settings/credits and upgrade to a paid account",
                            user_id=True, metadata={"provider_name": None}),
        "key_limit": or_err(403, "Key limit exceeded (total limit). Manage it using https://openrouter.ai/settings/keys"),
        "rate_limited": openrouter_rate_limited,
        "error_in_200": (200, {"error": {"code": 429, "message": "Rate limit exceeded"},
                               "choices": [{"delta": {"content": ""}, "finish_reason": "error"}]}),
        "bad_gateway": or_err(502, "Provider returned error",
                              metadata={"raw": "upstream error", "provider_name": "Google", "is_byok": False}),
        "unavailable": or_err(503, "No allowed providers are available for the selected model."),
    }

    def resolve(self, ctx, model):
        return model if model in OPENROUTER_MODELS else None

    def env_defaults(self, ctx):
        env = super().env_defaults(ctx)
        info = OPENROUTER_MODELS.get(ctx.model)
        env.update(requested=ctx.json_field("max_tokens") or (info[2] if info else 4096), affordable=0)
        return env

    def card(self, model_id):
        name, ctx_len, max_out, p_in, p_out = OPENROUTER_MODELS[model_id]
        return {"id": model_id, "canonical_slug": model_id.split(":")[0], "name": name, "created": 1747000000,
                "description": name, "context_length": ctx_len,
                "architecture": {"modality": "text->text", "input_modalities": ["text"], "output_modalities": ["text"]},
                "pricing": {"prompt": p_in, "completion": p_out, "request": "0", "image": "0"},
                "top_provider": {"context_length": ctx_len, "max_completion_tokens": max_out, "is_moderated": False},
                "per_request_limits": None,
                "supported_parameters": ["max_tokens", "temperature", "top_p", "stop", "tools", "tool_choice"]}

    def ep_models(self, ctx):
        return Reply(200, {"data": [self.card(m) for m in OPENROUTER_MODELS]})

    def ep_models_user(self, ctx):
        return Reply(200, {"data": [self.card(m) for m in OPENROUTER_MODELS if ctx.rec.allows(m)]})

    def ep_key(self, ctx):
        rec, key = ctx.rec, ctx.token
        remaining = rec.limit_remaining if rec.limit_remaining is not None else (
            0 if rec.state == "key_limit" else (rec.limit if rec.limit is not None else None))
        return Reply(200, {"data": {
            "label": f"{key[:12]}...{key[-3:]}", "limit": rec.limit, "limit_reset": None,
            "limit_remaining": remaining, "include_byok_in_limit": False,
            "usage": 0.1015, "usage_daily": 0.0, "usage_weekly": 0.0, "usage_monthly": 0.1015,
            "byok_usage": 0, "byok_usage_daily": 0, "byok_usage_weekly": 0, "byok_usage_monthly": 0,
            "is_free_tier": False, "is_provisioning_key": False, "is_management_key": False,
            "expires_at": None, "creator_user_id": self.env(ctx, {})["user_id"],
            "rate_limit": {"requests": -1, "interval": "10s"}}})

    def ep_chat(self, ctx):
        if not ctx.model:
            return self.error(ctx, "no_model")
        return self.complete(ctx, self.chat_success)

    def check_credit(self, ctx, model):
        rec = ctx.rec
        if rec.state == "key_limit" or (rec.limit_remaining is not None and rec.limit_remaining <= 0):
            return self.error(ctx, "key_limit")
        balance = 0 if rec.state == "no_credit" else rec.balance
        if balance is None:
            return None
        _, _, max_out, _, p_out = OPENROUTER_MODELS[model]
        requested = ctx.json_field("max_tokens") or ctx.json_field("max_completion_tokens") or max_out
        price = float(p_out)
        if balance <= 0:
            affordable = 0
        elif price == 0:
            return None
        else:
            affordable = int(balance / price + 1e-9)  # 0.30104 / 0.00001 must be 30104
        if requested > affordable:
            return self.error(ctx, "no_credit", requested=requested, affordable=affordable)
        return None

    def chat_success(self, ctx, model):
        provider = {"google": "Google", "deepseek": "DeepSeek", "anthropic": "Anthropic", "openai": "OpenAI",
                    "mistralai": "Mistral", "meta-llama": "Together"}[model.split("/")[0]]
        reply = openai_style_completion(ctx, model, "gen-", {"provider": provider})
        reply.body["choices"][0]["native_finish_reason"] = reply.body["choices"][0]["finish_reason"]
        return reply
