"""The request context and the Provider base class: routing, auth, scripted
replies and error bodies, shared by every provider module."""

from __future__ import annotations

import hashlib
import math
import re
import time

from . import registry, streaming
from .common import Reply, cloudflare_html, damaged, rand_id, reason, render
from .registry import DENIAL_KIND


class Ctx:
    def __init__(self, host, method, path, query, headers, body, bad_json):
        self.host, self.method, self.path, self.query = host, method, path, query
        self.headers, self.body, self.bad_json = headers, body, bad_json
        self.sub = ""                 # path after the API prefix, e.g. /chat/completions
        self.api_version = ""        # the prefix that matched, e.g. /v1beta
        self.params = {}
        self.model = None
        self.auth = "missing"         # missing | malformed | key
        self.token = None
        self.rec = None
        self.request_id = None
        self.injected = None          # "fail" | "script": the answer came from an injection

    def json_field(self, name, default=None):
        return self.body.get(name, default) if isinstance(self.body, dict) else default

# Kinds that borrow another kind's body when a provider does not define them.
FALLBACK = {
    "malformed_auth": "missing_key", "not_active": "invalid_key", "wrong_host": "invalid_key",
    "revoked": "invalid_key", "expired": "invalid_key", "no_such_user": "invalid_key",
    "deny_401": "invalid_key", "deny_400": "unknown_model", "deny_404": "unknown_model",
    "deny_403": "permission", "deny_limit0": "rate_limited", "rate_limited_day": "rate_limited",
    "no_auth": "missing_key", "overloaded": "unavailable", "lockout": "rate_limited",
}
# Scripted bare status codes -> kind.
STATUS_KIND = {401: "invalid_key", 402: "no_credit", 403: "permission", 404: "unknown_model",
               429: "rate_limited", 500: "server_error", 502: "bad_gateway", 503: "unavailable",
               504: "timeout", 529: "overloaded"}


class Provider:
    name = ""
    hosts = ()
    prefixes = ("/v1",)
    routes = ()              # (method, regex on ctx.sub, endpoint method name, needs auth)
    errors = {}              # kind -> (status, body template[, headers]) or callable(self, ctx, env)
    default_denial = "404"

    # --- entry point -------------------------------------------------------
    def handle(self, ctx):
        ctx.auth, ctx.token = self.read_auth(ctx)
        if ctx.token is not None and not damaged(ctx.token):  # header hygiene: damaged = unknown
            ctx.rec = registry.STATE.lookup(self.name, ctx.token)
        endpoint, needs_auth = self.match(ctx)
        ctx.model = self.model_of(ctx)
        if endpoint is None:
            return self.error(ctx, "route_not_found")
        if not needs_auth:
            return getattr(self, endpoint)(ctx)
        failure = self.check_auth(ctx)
        if failure is not None:
            return failure
        if ctx.bad_json and ctx.method == "POST":
            return self.generic(ctx, 400, "Invalid JSON body")
        scripted = self.injected(ctx)
        if scripted is not None and scripted.action != "pass":
            return scripted
        reply = self.check_key(ctx) or getattr(self, endpoint)(ctx)
        if scripted is not None:  # a pass-through entry only adds delay / headers
            reply.delay_s += scripted.delay_s
            reply.headers.update(scripted.headers)
        return reply

    def match(self, ctx):
        for prefix in self.prefixes:
            if ctx.path == prefix or ctx.path.startswith(prefix + "/") or prefix == "":
                sub = ctx.path[len(prefix):] or "/"
                for method, pattern, endpoint, needs_auth in self.routes:
                    m = re.fullmatch(pattern, sub)
                    if m and method == ctx.method:
                        ctx.sub, ctx.api_version, ctx.params = sub, prefix, m.groupdict()
                        return endpoint, needs_auth
        return None, False

    def model_of(self, ctx):
        model = ctx.params.get("model") or ctx.json_field("model")
        return model if isinstance(model, str) else None

    # --- authentication ----------------------------------------------------
    def read_auth(self, ctx):
        """Bearer providers: 'Authorization: Bearer <token>' exactly."""
        value = ctx.headers.get("Authorization")
        if value is None:
            return "missing", None
        scheme, _, token = value.partition(" ")
        ok_scheme = scheme == "Bearer" or (scheme.lower() == "bearer" and registry.STATE.setting("accept_lowercase_bearer"))
        if not ok_scheme or token == "":
            return "malformed", None
        return "key", token

    def check_auth(self, ctx):
        if ctx.auth != "key":
            return self.error(ctx, "missing_key" if ctx.auth == "missing" else "malformed_auth")
        rec = ctx.rec
        if rec is None:
            return self.error(ctx, "invalid_key")
        if not self.key_fits_host(ctx, rec):
            return self.error(ctx, "wrong_host")
        if rec.state in ("revoked", "expired"):
            return self.error(ctx, rec.state)
        return None

    def key_fits_host(self, ctx, rec):
        return True

    def check_key(self, ctx):
        """Per-key checks that apply to every authenticated endpoint."""
        if not ctx.rec.active(time.time()):
            return self.error(ctx, "not_active")
        return None

    # --- scripted behaviour -----------------------------------------------
    def injected(self, ctx):
        """The key's sticky failure if it applies, else its next script item, else None."""
        item = registry.STATE.take_fail(ctx.rec, ctx.path, ctx.model)
        if item is not None:
            ctx.injected = "fail"
            return self.render_item(ctx, item)
        item = registry.STATE.next_script_item(ctx.rec)
        if item is None:
            return None
        ctx.injected = "script"
        return self.render_item(ctx, item)

    def render_item(self, ctx, item):
        """One script or fail item as a reply in this provider's shape."""
        status = int(item.get("status", 200))
        kind = item.get("kind")
        if item.get("action") == "reset":
            reply = Reply(0)
            reply.action = "reset"
        elif "body" in item:
            reply = Reply(status, item["body"])
        elif kind == "html":
            reply = Reply(status, cloudflare_html(status))
        elif kind is None and status == 200:
            reply = Reply(200)
            reply.action = "pass"  # normal behaviour, plus this item's delay and headers
        else:
            retry = float(item.get("retry_after_s", 1.0))
            reply = self.error(ctx, kind or STATUS_KIND.get(status, ""), status=status, retry_s=retry,
                               limit=item.get("limit", 10))
            if "status" in item and reply.status != status:
                reply = self.reply_for_status(ctx, status, retry_s=retry)
        if "retry_after_header" in item and reply.action != "reset":
            for name in [n for n in reply.headers if n.lower() == "retry-after"]:
                del reply.headers[name]
            if item["retry_after_header"]:
                reply.headers["Retry-After"] = str(math.ceil(float(item.get("retry_after_s", 1.0))))
        for name, value in (item.get("headers") or {}).items():
            if value is None:
                reply.headers.pop(name, None)
                reply.headers.pop(name.lower(), None)
            else:
                reply.headers[name] = str(value)
        reply.delay_s = float(item.get("delay_ms", 0)) / 1000.0
        return reply

    # --- the completion pipeline -------------------------------------------
    def complete(self, ctx, success, validate=None, rate_limited=True, denial=True):
        reply = (validate or self.validate)(ctx)
        if reply is not None:
            return reply
        canonical = self.resolve(ctx, ctx.model)
        if canonical is None:
            return self.error(ctx, "unknown_model")
        if denial and not ctx.rec.allows(ctx.model):
            return self.error(ctx, DENIAL_KIND[ctx.rec.denial or self.default_denial])
        for check in (self.check_params, self.check_credit):
            reply = check(ctx, canonical)
            if reply is not None:
                return reply
        if rate_limited and ctx.rec.rate_limit:
            hit = registry.STATE.take_rate_slot(ctx.rec, ctx.model, time.time())
            if hit is not None:
                retry_s, limit = hit
                day = float(ctx.rec.rate_limit.get("window_s", 60)) >= 3600
                return self.error(ctx, "rate_limited_day" if day else "rate_limited", retry_s=retry_s, limit=limit)
        reply = success(ctx, canonical)
        if reply.status == 200 and isinstance(reply.body, dict) and self.wants_stream(ctx):
            reply.stream = self.stream_of(ctx, reply.body, streaming.settings_for(ctx.rec))
            reply.body = None
        return reply

    # --- streaming ------------------------------------------------------------
    def wants_stream(self, ctx):
        return ctx.json_field("stream") is True

    def stream_of(self, ctx, body, settings):
        """OpenAI-style chunks by default; Anthropic and Gemini override."""
        limit = ctx.json_field("max_completion_tokens") or ctx.json_field("max_tokens")
        head, tail = streaming.openai_events(body, settings["chunks"], limit, self.stream_comments)
        return streaming.Stream(head, tail, "text/event-stream", settings)

    stream_comments = ()

    def validate(self, ctx):
        return None

    def resolve(self, ctx, model):
        return None

    def check_params(self, ctx, canonical):
        return None

    def check_credit(self, ctx, canonical):
        return self.error(ctx, "no_credit") if ctx.rec.state == "no_credit" else None

    def retry_after_header(self, ctx, default):
        rl = ctx.rec.rate_limit if ctx.rec else None
        return bool(rl.get("retry_after_header", default)) if rl else default

    # --- error rendering ----------------------------------------------------
    def env(self, ctx, extra):
        """Placeholder values for error templates; `extra` wins."""
        env = self.env_defaults(ctx)
        env.update(extra)
        return env

    def env_defaults(self, ctx):
        token = ctx.token or ""
        return {"model": ctx.model, "last4": token[-4:], "request_id": ctx.request_id,
                "user_id": "user_" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:27],
                "api_version": ctx.api_version.strip("/"), "method": ctx.method, "path": ctx.path}

    def error(self, ctx, kind, status=None, **extra):
        seen = kind
        while kind not in self.errors and kind in FALLBACK:
            kind = FALLBACK[kind]
        entry = self.errors.get(kind)
        if entry is None:
            if status:
                return self.reply_for_status(ctx, status)
            return self.generic(ctx, 500, f"fake_provider: no body for {seen!r}")
        env = self.env(ctx, extra)
        if callable(entry):
            return entry(self, ctx, env)
        code, template, *headers = entry
        return Reply(code, render(template, env), headers[0] if headers else None)

    def reply_for_status(self, ctx, status, **extra):
        """The first body this provider defines for `status`, else its generic envelope."""
        for kind, entry in self.errors.items():
            if not callable(entry) and entry[0] == status:
                return self.error(ctx, kind, **extra)
        return self.generic(ctx, status)

    def generic(self, ctx, status, message=None):
        return Reply(status, self.envelope(ctx, status, message or reason(status)))

    def envelope(self, ctx, status, message):
        return {"error": {"message": message, "code": status}}

    def finish(self, ctx, reply):
        """Headers every answer of this provider carries."""
        return reply


def usage(prompt=5, completion=1):
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def openai_style_completion(ctx, model, id_prefix="chatcmpl-", extra=None):
    max_tokens = ctx.json_field("max_completion_tokens") or ctx.json_field("max_tokens") or 16
    body = {
        "id": id_prefix + rand_id(24), "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                     "logprobs": None, "finish_reason": "length" if max_tokens <= 1 else "stop"}],
        "usage": usage(),
    }
    body.update(extra or {})
    return Reply(200, body)
