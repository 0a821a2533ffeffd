"""Gemini (Generative Language API)."""

from __future__ import annotations

from . import streaming
from .base import Provider
from .common import Reply, rand_id

GEMINI_GENERATE = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
# id: (display name, version, input limit, output limit, methods, thinking model)
GEMINI_MODELS = {
    "gemini-2.5-pro": ("Gemini 2.5 Pro", "2.5", 1048576, 65536, GEMINI_GENERATE, True),
    "gemini-2.5-flash": ("Gemini 2.5 Flash", "001", 1048576, 65536, GEMINI_GENERATE, True),
    "gemini-2.5-flash-lite": ("Gemini 2.5 Flash-Lite", "001", 1048576, 65536, GEMINI_GENERATE, False),
    "gemini-2.0-flash": ("Gemini 2.0 Flash", "2.0", 1048576, 8192, GEMINI_GENERATE, False),
    "gemini-2.0-flash-001": ("Gemini 2.0 Flash 001", "2.0", 1048576, 8192, GEMINI_GENERATE, False),
    "gemini-flash-latest": ("Gemini Flash Latest", "Gemini Flash Latest", 1048576, 65536, GEMINI_GENERATE, True),
    "gemini-pro-latest": ("Gemini Pro Latest", "Gemini Pro Latest", 1048576, 65536, GEMINI_GENERATE, True),
    "gemini-embedding-001": ("Gemini Embedding 001", "001", 2048, 1, ["embedContent", "countTextTokens", "countTokens"], False),
}

GEMINI_RPC_METHOD = {"ep_list": "ModelService.ListModels", "ep_get": "ModelService.GetModel",
                     "generateContent": "GenerativeService.GenerateContent",
                     "streamGenerateContent": "GenerativeService.StreamGenerateContent",
                     "countTokens": "GenerativeService.CountTokens"}
GRPC_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
               429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


def gemini_key_invalid(message):
    return (400, {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT", "details": [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID", "domain": "googleapis.com",
         "metadata": {"service": "generativelanguage.googleapis.com"}},
        {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": message}]}})


def gemini_delay(seconds):
    """RetryInfo.retryDelay: whole seconds from 10 s up ("51s"), one decimal below ("3.4s")."""
    return f"{int(seconds)}s" if seconds >= 10 else f"{seconds:.1f}s"


def gemini_quota(limit, quota_id, metric):
    """429 RESOURCE_EXHAUSTED with Help, QuotaFailure and RetryInfo; limit None = the key's rate limit."""
    def build(p, ctx, env):
        retry_s = env.get("retry_s", 51.638674421)
        model, value = ctx.model, limit if limit is not None else env.get("limit", 10)
        msg = ("You exceeded your current quota, please check your plan and billing details. For more information on "
               "this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, "
               "head to: https://ai.dev/usage?tab=rate-limit. \n"
               f"* Quota exceeded for metric: {metric}, limit: {value}, model: {model}\n"
               f"Please retry in {retry_s:.9f}".rstrip("0").rstrip(".") + "s.")
        value = str(value)
        return Reply(429, {"error": {"code": 429, "message": msg, "status": "RESOURCE_EXHAUSTED", "details": [
            {"@type": "type.googleapis.com/google.rpc.Help",
             "links": [{"description": "Learn more about Gemini API quotas",
                        "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}]},
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                {"quotaMetric": metric, "quotaId": quota_id,
                 "quotaDimensions": {"location": "global", "model": model}, "quotaValue": value}]},
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": gemini_delay(retry_s)}]}})
    return build


GEMINI_FREE_REQUESTS = "generativelanguage.googleapis.com/generate_content_free_tier_requests"
GEMINI_PROJECT = "123456789012"


def gemini_service_blocked(p, ctx, env):
    method = GEMINI_RPC_METHOD.get(env.get("rpc", ""), "GenerativeService.GenerateContent")
    full_method = f"google.ai.generativelanguage.{ctx.api_version.strip('/')}.{method}"
    msg = f"Requests to this API generativelanguage.googleapis.com method {full_method} are blocked."
    return Reply(403, {"error": {"code": 403, "message": msg, "status": "PERMISSION_DENIED", "details": [
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_SERVICE_BLOCKED",
         "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com",
                                                  "methodName": full_method,
                                                  "consumer": f"projects/{GEMINI_PROJECT}"}},
        {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": msg}]}})


GEMINI_SERVICE_DISABLED_MSG = (
    f"Generative Language API has not been used in project {GEMINI_PROJECT} before or it is disabled. Enable it by "
    f"visiting https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/overview?project="
    f"{GEMINI_PROJECT} then retry. If you enabled this API recently, wait a few minutes for the action to propagate "
    f"to our systems and retry.")


class Gemini(Provider):
    name = "gemini"
    hosts = ("gemini",)
    prefixes = ("/v1beta", "/v1")
    routes = (
        ("GET", r"/models", "ep_list", True),
        ("GET", r"/models/(?P<model>[^/:]+)", "ep_get", True),
        ("POST", r"/models/(?P<model>[^/:]+):(?P<action>generateContent|streamGenerateContent|countTokens)",
         "ep_action", True),
    )
    default_denial = "429_limit0"
    errors = {
        "missing_key": (403, {"error": {"code": 403, "message": "Method doesn't allow unregistered callers (callers without "
                                        "established identity). Please use API Key or other form of API consumer identity "
                                        "to call this API.", "status": "PERMISSION_DENIED"}}),
        "malformed_auth": (401, {"error": {"code": 401, "message": "Request had invalid authentication credentials. Expected "
                                           "OAuth 2 access token, login cookie or other valid authentication credential. See "
                                           "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                                           "status": "UNAUTHENTICATED"}}),
        "invalid_key": gemini_key_invalid("API key not valid. Please pass a valid API key."),
        "not_active": gemini_key_invalid("API Key not found. Please pass a valid API key."),
        "expired": gemini_key_invalid("API key expired. Please renew the API key."),
        "disabled_api": (403, {"error": {"code": 403, "message": GEMINI_SERVICE_DISABLED_MSG, "status": "PERMISSION_DENIED",
                                         "details": [
            {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED", "domain": "googleapis.com",
             "metadata": {"service": "generativelanguage.googleapis.com", "consumer": f"projects/{GEMINI_PROJECT}",
                          "activationUrl": "https://console.developers.google.com/apis/api/generativelanguage.googleapis.com/"
                                           f"overview?project={GEMINI_PROJECT}"}},
            {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US",
             "message": GEMINI_SERVICE_DISABLED_MSG}]}}),
        "restricted": gemini_service_blocked,
        "unknown_model": (404, {"error": {"code": 404, "message": "models/{model} is not found for API version {api_version}, "
                                          "or is not supported for {action}. Call ListModels to see the list of available "
                                          "models and their supported methods.", "status": "NOT_FOUND"}}),
        "route_not_found": (404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}),
        "deny_400": (400, {"error": {"code": 400, "message": "* GenerateContentRequest.model: unexpected model name format\n",
                                     "status": "INVALID_ARGUMENT"}}),
        "permission": (403, {"error": {"code": 403, "message": "Permission denied on resource model models/{model}.",
                                       "status": "PERMISSION_DENIED"}}),
        "deny_limit0": gemini_quota(0, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", GEMINI_FREE_REQUESTS),
        "rate_limited": gemini_quota(None, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", GEMINI_FREE_REQUESTS),
        "rate_limited_day": gemini_quota(None, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", GEMINI_FREE_REQUESTS),
        "unavailable": (503, {"error": {"code": 503, "message": "The model is overloaded. Please try again later.",
                                        "status": "UNAVAILABLE"}}),
        "timeout": (504, {"error": {"code": 504, "message": "Deadline expired before operation could complete.",
                                    "status": "DEADLINE_EXCEEDED"}}),
        "server_error": (500, {"error": {"code": 500, "message": "An internal error has occurred. Please retry or report in "
                                         "https://developers.generativeai.google/guide/troubleshooting", "status": "INTERNAL"}}),
    }
    errors["deny_401"] = errors["malformed_auth"]

    def envelope(self, ctx, status, message):
        return {"error": {"code": status, "message": message, "status": GRPC_STATUS.get(status, "UNKNOWN")}}

    def env_defaults(self, ctx):
        env = super().env_defaults(ctx)
        env["action"] = ctx.params.get("action") or "generateContent"
        env["rpc"] = ctx.params.get("action") or ("ep_get" if ctx.params.get("model") else "ep_list")
        return env

    def read_auth(self, ctx):
        key = ctx.headers.get("x-goog-api-key") or (ctx.query.get("key") or [None])[0]
        if key:
            return "key", key
        if ctx.headers.get("Authorization"):
            return "malformed", None  # Bearer on the native API -> 401 UNAUTHENTICATED
        return "missing", None

    def check_key(self, ctx):
        if ctx.rec.state in ("disabled_api", "restricted"):
            return self.error(ctx, ctx.rec.state)
        return super().check_key(ctx)

    def model_card(self, model_id):
        name, version, in_lim, out_lim, methods, thinking = GEMINI_MODELS[model_id]
        card = {"name": f"models/{model_id}", "version": version, "displayName": name, "description": name,
                "inputTokenLimit": in_lim, "outputTokenLimit": out_lim, "supportedGenerationMethods": methods,
                "temperature": 1, "topP": 0.95, "topK": 64, "maxTemperature": 2}
        if thinking:
            card["thinking"] = True
        return card

    def ep_list(self, ctx):
        return Reply(200, {"models": [self.model_card(m) for m in GEMINI_MODELS]})

    def ep_get(self, ctx):
        if ctx.model not in GEMINI_MODELS:
            return self.error(ctx, "unknown_model", action="getModel")
        return Reply(200, self.model_card(ctx.model))

    def resolve(self, ctx, model):
        info = GEMINI_MODELS.get(model)
        action = ctx.params["action"]
        wanted = "generateContent" if action == "streamGenerateContent" else action
        return model if info and wanted in info[4] else None

    def check_credit(self, ctx, model):
        # AI Studio has no "credit"; a no_credit key behaves like a tier with no quota for every model.
        return self.error(ctx, "deny_limit0") if ctx.rec.state == "no_credit" else None

    def ep_action(self, ctx):
        if ctx.params["action"] != "countTokens":
            return self.complete(ctx, self.generate_success)
        # countTokens is free: no tier denial, quota or rate checks.
        if self.resolve(ctx, ctx.model) is None:
            return self.error(ctx, "unknown_model")
        return self.count_success(ctx, ctx.model)

    def count_success(self, ctx, model):
        return Reply(200, {"totalTokens": 1, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 1}]})

    def generate_success(self, ctx, model):
        config = ctx.json_field("generationConfig") or {}
        max_out = config.get("maxOutputTokens") if isinstance(config, dict) else None
        thinking = GEMINI_MODELS[model][5]
        content = {"role": "model"} if thinking and max_out is not None and max_out < 64 \
            else {"parts": [{"text": "ok"}], "role": "model"}
        body = {"candidates": [{"content": content, "finishReason": "MAX_TOKENS" if max_out else "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1 if "parts" in content else 0,
                                  "totalTokenCount": 2},
                "modelVersion": model, "responseId": rand_id(22)}
        return Reply(200, body)

    def wants_stream(self, ctx):
        return ctx.params.get("action") == "streamGenerateContent"

    def stream_of(self, ctx, body, settings):
        alt_sse = (ctx.query.get("alt") or [""])[0] == "sse"
        config = ctx.json_field("generationConfig")
        limit = config.get("maxOutputTokens") if isinstance(config, dict) else None
        head, tail = streaming.gemini_events(body, settings["chunks"], limit, alt_sse)
        return streaming.Stream(head, tail, "text/event-stream" if alt_sse else "application/json; charset=UTF-8",
                                settings)

    def finish(self, ctx, reply):
        if isinstance(reply.body, (dict, list)) and reply.stream is None:
            reply.headers.setdefault("Content-Type", "application/json; charset=UTF-8")
        return reply
