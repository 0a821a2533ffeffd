#!/usr/bin/env python3
"""Fake LLM provider for keywarden tests (Python 3 standard library only).

One process serves every provider under a path prefix that stands for the
real host:

    /openrouter/api/v1   OpenRouter          (https://openrouter.ai/api/v1)
    /mistral/v1          Mistral general     (https://api.mistral.ai/v1)
    /codestral/v1        Mistral Codestral   (https://codestral.mistral.ai/v1)
    /gemini/v1beta       Gemini (also /gemini/v1)
    /openai/v1           OpenAI
    /anthropic/v1        Anthropic
    /deepseek            DeepSeek (also /deepseek/v1)
    /compat/v1           generic OpenAI-compatible endpoint (behaves like OpenAI)

Error bodies and status codes follow /work/shared/reference/providers.md
(sections 1-6 and 10).  Keys come from a scenario file (--scenario) or from
POST /__admin/keys; everything the fake saw is in GET /__admin/log.  See
README.md next to this file for the scenario format and admin endpoints.

Start:  python3 fake_provider.py --port 0 --port-file PATH [--scenario FILE]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import secrets
import signal
import socket
import string
import struct
import sys
import threading
import time
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# ---------------------------------------------------------------------------
# Model catalogues (real ids from providers.md)
# ---------------------------------------------------------------------------

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
COMPAT_MODELS = dict(OPENAI_MODELS, **{
    "llama-3.3-70b-instruct": (1733443200, None),
    "qwen2.5-coder-32b-instruct": (1731456000, None),
})
REASONING_MODEL = re.compile(r"^(o1|o3|o4|gpt-5)")

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

DEEPSEEK_MODELS = ["deepseek-chat", "deepseek-reasoner"]

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

VAR = re.compile(r"\{(\w+)\}")
ALNUM = string.ascii_letters + string.digits


def render(obj, env):
    """Fill {name} placeholders in every string of a JSON-like template."""
    if isinstance(obj, str):
        return VAR.sub(lambda m: str(env[m.group(1)]) if m.group(1) in env else m.group(0), obj)
    if isinstance(obj, dict):
        return {k: render(v, env) for k, v in obj.items()}
    if isinstance(obj, list):
        return [render(v, env) for v in obj]
    return obj


def rand_id(n, alphabet=ALNUM):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def reason(status):
    if status == 529:
        return "Overloaded"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def openai_duration(seconds):
    """OpenAI's x-ratelimit-reset-* format: '12ms', '1.5s', '6m0s'."""
    if seconds < 1:
        return f"{max(1, int(seconds * 1000))}ms"
    if seconds < 60:
        return f"{seconds:.3g}s"
    return f"{int(seconds // 60)}m{int(seconds % 60)}s"


def iso_utc(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cloudflare_html(status):
    title = f"{status} {reason(status)}"
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
            f"<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n")


# Characters that mean a key was damaged in transit (header hygiene).
BAD_KEY_CHARS = re.compile(r"[\s'\"`\x00-\x1f\x7f-\U0010ffff]")


def damaged(token):
    return bool(BAD_KEY_CHARS.search(token)) or token.lower().startswith("bearer")


class Reply:
    """One HTTP answer. body: dict/list (JSON), str (text/html), bytes or None."""

    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.delay_s = 0.0
        self.action = None  # "reset": drop the connection without answering


# ---------------------------------------------------------------------------
# Key registry, log and counters
# ---------------------------------------------------------------------------

PROVIDER_NAMES = ("openrouter", "mistral", "gemini", "openai", "anthropic", "deepseek", "compat")
COMMON_STATES = {"valid", "revoked", "expired", "no_credit"}
EXTRA_STATES = {
    "openrouter": {"key_limit"},
    "gemini": {"disabled_api", "restricted"},
    "openai": {"restricted"},
    "compat": {"restricted"},
    "anthropic": {"disabled_api"},
}
DENIAL_KIND = {"401_no_auth": "deny_401", "404": "deny_404", "400": "deny_400",
               "403": "deny_403", "429_limit0": "deny_limit0"}
KEY_FIELDS = {"key", "provider", "mistral_kind", "state", "activates_after_s", "allowed_models",
              "denied_models", "denial", "script", "rate_limit", "latency_ms", "balance",
              "limit", "limit_remaining", "label", "comment"}


class KeyRecord:
    def __init__(self, obj):
        if not isinstance(obj, dict):
            raise ValueError("a key must be a JSON object")
        unknown = set(obj) - KEY_FIELDS
        if unknown:
            raise ValueError(f"unknown key field(s): {sorted(unknown)}")
        self.key = obj.get("key")
        self.provider = obj.get("provider")
        if not isinstance(self.key, str) or not self.key:
            raise ValueError("'key' must be a non-empty string")
        if self.provider not in PROVIDER_NAMES:
            raise ValueError(f"'provider' must be one of {PROVIDER_NAMES}")
        self.mistral_kind = obj.get("mistral_kind", "general")
        if self.mistral_kind not in ("general", "codestral"):
            raise ValueError("'mistral_kind' must be general or codestral")
        self.state = obj.get("state", "valid")
        allowed_states = COMMON_STATES | EXTRA_STATES.get(self.provider, set())
        if self.state not in allowed_states:
            raise ValueError(f"state {self.state!r} not supported for {self.provider}; use one of {sorted(allowed_states)}")
        self.denial = obj.get("denial")
        if self.denial is not None and self.denial not in DENIAL_KIND:
            raise ValueError(f"'denial' must be one of {sorted(DENIAL_KIND)}")
        self.activates_after_s = float(obj.get("activates_after_s", 0))
        self.allowed_models = obj.get("allowed_models")
        self.denied_models = obj.get("denied_models") or []
        self.script = [self._script_item(i) for i in obj.get("script") or []]
        self.rate_limit = obj.get("rate_limit")
        if self.rate_limit is not None:
            if not isinstance(self.rate_limit, dict) or int(self.rate_limit.get("requests", 0)) < 0:
                raise ValueError("'rate_limit' must be {\"requests\": N, \"window_s\": S, ...}")
        self.latency_ms = float(obj.get("latency_ms", 0))
        self.balance = obj.get("balance")
        self.limit = obj.get("limit")
        self.limit_remaining = obj.get("limit_remaining")
        self.registered_at = time.time()
        self.requests = 0

    @staticmethod
    def _script_item(item):
        if isinstance(item, int):
            return {"status": item}
        if not isinstance(item, dict):
            raise ValueError("script items are status codes or objects")
        return item

    def active(self, now):
        return now >= self.registered_at + self.activates_after_s

    def allows(self, model):
        if self.allowed_models is not None and model not in self.allowed_models:
            return False
        return model not in self.denied_models

    def summary(self):
        return {"key": self.key, "provider": self.provider, "mistral_kind": self.mistral_kind,
                "state": self.state, "registered_at": self.registered_at,
                "activates_at": self.registered_at + self.activates_after_s,
                "script_remaining": len(self.script), "requests": self.requests}


DEFAULT_SETTINGS = {
    "latency_ms": 0,                  # added to every API request
    "mistral_401": "detail",          # detail | message | empty
    "accept_lowercase_bearer": False,
    "deepseek_lockout_after": 0,      # 0 = off; N 401s within the window -> 429 lockout
    "deepseek_lockout_s": 60.0,
    "codestral_models": "404",        # GET /models on the codestral host: 404 (after auth) | serve
}


class State:
    def __init__(self, settings):
        self.lock = threading.Lock()
        self.base_settings = dict(settings)
        self.reset()

    def reset(self):
        with self.lock:
            self.settings = dict(self.base_settings)
            self.keys = {}
            self.log = []
            self.windows = {}
            self.ds_401_times = []
            self.ds_locked_until = 0.0

    def add_keys(self, objs):
        records = [KeyRecord(o) for o in objs]  # validate everything first
        with self.lock:
            for r in records:
                self.keys[(r.provider, r.key)] = r
        return records

    def lookup(self, provider, token):
        with self.lock:
            return self.keys.get((provider, token))

    def next_script_item(self, rec):
        with self.lock:
            rec.requests += 1
            return rec.script.pop(0) if rec.script else None

    def take_rate_slot(self, rec, model, now):
        """Fixed window per key (or per key+model). Returns None or (retry_s, limit)."""
        rl = rec.rate_limit
        limit, window = int(rl.get("requests", 1)), float(rl.get("window_s", 60))
        bucket = (rec.provider, rec.key, model if rl.get("per_model") else None)
        with self.lock:
            start, count = self.windows.get(bucket, (now, 0))
            if now >= start + window:
                start, count = now, 0
            if count >= limit:
                return start + window - now, limit
            self.windows[bucket] = (start, count + 1)
        return None

    def setting(self, name):
        with self.lock:
            return self.settings[name]

    def append_log(self, entry):
        with self.lock:
            self.log.append(entry)

    def query_log(self, filters):
        path_part = filters.pop("path_contains", None)
        with self.lock:
            out = []
            for e in self.log:
                if path_part is not None and path_part not in e["path"]:
                    continue
                if all(str(e.get(k)) == v for k, v in filters.items()):
                    out.append(e)
            return out


STATE: State = None  # set in main()

# ---------------------------------------------------------------------------
# Request context and the provider base class
# ---------------------------------------------------------------------------


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
            ctx.rec = STATE.lookup(self.name, ctx.token)
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
        scripted = self.scripted(ctx)
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
        ok_scheme = scheme == "Bearer" or (scheme.lower() == "bearer" and STATE.setting("accept_lowercase_bearer"))
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
    def scripted(self, ctx):
        item = STATE.next_script_item(ctx.rec)
        if item is None:
            return None
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
            hit = STATE.take_rate_slot(ctx.rec, ctx.model, time.time())
            if hit is not None:
                retry_s, limit = hit
                day = float(ctx.rec.rate_limit.get("window_s", 60)) >= 3600
                return self.error(ctx, "rate_limited_day" if day else "rate_limited", retry_s=retry_s, limit=limit)
        return success(ctx, canonical)

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


# ---------------------------------------------------------------------------
# OpenRouter
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Mistral (api.mistral.ai and codestral.mistral.ai)
# ---------------------------------------------------------------------------

MISTRAL_CHAT_FIELDS = {"model", "messages", "temperature", "top_p", "max_tokens", "stream", "stop", "random_seed",
                       "response_format", "tools", "tool_choice", "presence_penalty", "frequency_penalty", "n",
                       "prediction", "parallel_tool_calls", "safe_prompt", "prompt_mode"}
MISTRAL_FIM_FIELDS = {"model", "prompt", "suffix", "temperature", "top_p", "max_tokens", "min_tokens", "stream",
                      "stop", "random_seed"}


def mistral_unauthorized(p, ctx, env):
    style = STATE.setting("mistral_401")
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
        if ctx.host == "codestral" and STATE.setting("codestral_models") != "serve":
            return self.error(ctx, "route_not_found")  # [inf] no source shows /v1/models on codestral
        return Reply(200, {"object": "list", "data": self.cards(ctx)})

    def ep_model(self, ctx):
        if ctx.host == "codestral" and STATE.setting("codestral_models") != "serve":
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


# ---------------------------------------------------------------------------
# Gemini (Generative Language API)
# ---------------------------------------------------------------------------

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
        if ctx.params["action"] == "streamGenerateContent":
            if (ctx.query.get("alt") or [""])[0] == "sse":
                return Reply(200, f"data: {json.dumps(body)}\r\n\r\n", {"Content-Type": "text/event-stream"})
            return Reply(200, [body])
        return Reply(200, body)

    def finish(self, ctx, reply):
        if isinstance(reply.body, (dict, list)):
            reply.headers.setdefault("Content-Type", "application/json; charset=UTF-8")
        return reply


# ---------------------------------------------------------------------------
# OpenAI (and the generic OpenAI-compatible endpoint)
# ---------------------------------------------------------------------------


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


class Compat(OpenAI):
    name = "compat"
    hosts = ("compat",)
    models = COMPAT_MODELS


# ---------------------------------------------------------------------------
# Anthropic
# ---------------------------------------------------------------------------

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

    def finish(self, ctx, reply):
        reply.headers.setdefault("request-id", ctx.request_id)
        return reply


# ---------------------------------------------------------------------------
# DeepSeek
# ---------------------------------------------------------------------------


def deepseek_err(status, message, type_="invalid_request_error", code="invalid_request_error"):
    return (status, {"error": {"message": message, "type": type_, "param": None, "code": code}})


class DeepSeek(Provider):
    name = "deepseek"
    hosts = ("deepseek",)
    prefixes = ("/v1", "")
    routes = (
        ("GET", r"/user/balance", "ep_balance", True),
        ("GET", r"/models", "ep_models", True),
        ("POST", r"/chat/completions", "ep_chat", True),
    )
    default_denial = "400"
    errors = {
        "missing_key": deepseek_err(401, "Authentication Fails (auth header format should be Bearer sk-...)",
                                    "authentication_error"),
        "invalid_key": deepseek_err(401, "Authentication Fails, Your api key: ****{last4} is invalid",
                                    "authentication_error"),
        "no_such_user": deepseek_err(401, "Authentication Fails (no such user)", "authentication_error"),
        "lockout": deepseek_err(429, "Authentication Fails. Multiple 401 errors detected. Please wait for 1 minute "
                                     "before trying again.", "authentication_error"),
        "no_credit": deepseek_err(402, "Insufficient Balance", "unknown_error"),
        "unknown_model": deepseek_err(400, "Model Not Exist"),
        "deny_404": deepseek_err(404, "Model Not Exist"),
        "permission": deepseek_err(403, "Forbidden"),
        "rate_limited": deepseek_err(429, "Rate Limit Reached", "rate_limit_error"),
        "unavailable": deepseek_err(503, "Server Overloaded", "server_error", "server_error"),
        "server_error": deepseek_err(500, "Server Error", "server_error", "server_error"),
        "route_not_found": deepseek_err(404, "Not Found"),
    }

    def envelope(self, ctx, status, message):
        return deepseek_err(status, message)[1]

    def handle(self, ctx):
        now = time.time()
        with STATE.lock:
            locked = now < STATE.ds_locked_until
        if locked:
            return self.error(ctx, "lockout")
        reply = super().handle(ctx)
        if reply.status == 401:
            self.note_401(now)
        return reply

    @staticmethod
    def note_401(now):
        with STATE.lock:
            after, window = int(STATE.settings["deepseek_lockout_after"]), float(STATE.settings["deepseek_lockout_s"])
            if after <= 0:
                return
            STATE.ds_401_times = [t for t in STATE.ds_401_times if t > now - window] + [now]
            if len(STATE.ds_401_times) >= after:
                STATE.ds_locked_until = now + window
                STATE.ds_401_times = []

    def ep_balance(self, ctx):
        rec = ctx.rec
        total = 0.0 if rec.state == "no_credit" else float(rec.balance if rec.balance is not None else 110.0)
        granted = min(10.0, total)
        return Reply(200, {"is_available": rec.state != "no_credit" and total > 0, "balance_infos": [
            {"currency": "CNY", "total_balance": f"{total:.2f}", "granted_balance": f"{granted:.2f}",
             "topped_up_balance": f"{total - granted:.2f}"}]})

    def ep_models(self, ctx):
        return Reply(200, {"object": "list", "data": [{"id": m, "object": "model", "owned_by": "deepseek"}
                                                      for m in DEEPSEEK_MODELS]})

    def resolve(self, ctx, model):
        return model if model in DEEPSEEK_MODELS else None

    def check_credit(self, ctx, model):
        rec = ctx.rec
        if rec.state == "no_credit" or (rec.balance is not None and float(rec.balance) <= 0):
            return self.error(ctx, "no_credit")
        return None

    def ep_chat(self, ctx):
        return self.complete(ctx, lambda c, m: openai_style_completion(c, m, "", {"system_fingerprint": "fp_fake_prod0820"}))


# ---------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------

PROVIDERS = [OpenRouter(), Mistral(), Gemini(), OpenAI(), Compat(), Anthropic(), DeepSeek()]
PROVIDER_BY_HOST = {h: p for p in PROVIDERS for h in p.hosts}


def admin(method, path, query, body):
    """The /__admin/* control API. Returns (status, JSON body)."""
    filters = {k: v[0] for k, v in query.items()}
    if path == "/__admin/health":
        return 200, {"ok": True}
    if path == "/__admin/log" and method == "GET":
        return 200, {"requests": STATE.query_log(filters)}
    if path == "/__admin/count" and method == "GET":
        return 200, {"count": len(STATE.query_log(filters))}
    if path == "/__admin/reset" and method == "POST":
        STATE.reset()
        return 200, {"ok": True}
    if path == "/__admin/keys" and method == "GET":
        with STATE.lock:
            return 200, {"keys": [r.summary() for r in STATE.keys.values()]}
    if path == "/__admin/keys" and method == "POST":
        objs = body.get("keys") if isinstance(body, dict) and "keys" in body else [body]
        try:
            records = STATE.add_keys(objs if isinstance(objs, list) else [objs])
        except (ValueError, TypeError) as exc:
            return 400, {"error": str(exc)}
        return 200, {"registered": len(records)}
    if path == "/__admin/settings" and method == "GET":
        with STATE.lock:
            return 200, {"settings": dict(STATE.settings)}
    if path == "/__admin/settings" and method == "POST":
        if not isinstance(body, dict) or set(body) - set(DEFAULT_SETTINGS):
            return 400, {"error": f"settings are {sorted(DEFAULT_SETTINGS)}"}
        with STATE.lock:
            STATE.settings.update(body)
            return 200, {"settings": dict(STATE.settings)}
    return 404, {"error": f"no admin endpoint {method} {path}"}


class Handler(BaseHTTPRequestHandler):
    # Headers and body go out in separate writes; with Nagle on, a delayed
    # ACK adds ~40 ms per reply on a reused connection (bench/ found it).
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server_version = "fake-provider/1.0"
    verbose = False

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("fake_provider: " + (fmt % args) + "\n")

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def dispatch(self):
        arrived = time.time()
        url = urlsplit(self.path)
        raw = self.read_body()
        try:
            body, bad_json = (json.loads(raw), False) if raw else (None, False)
        except ValueError:
            body, bad_json = None, True
        parts = url.path.split("/", 2)
        host = parts[1] if len(parts) > 1 else ""
        rest = "/" + parts[2] if len(parts) > 2 else "/"
        query = parse_qs(url.query, keep_blank_values=True)

        if host == "__admin":
            status, out = admin(self.command, url.path, query, body)
            return self.send(Reply(status, out))

        provider = PROVIDER_BY_HOST.get(host)
        ctx = Ctx(host, self.command, rest, query, self.headers, body, bad_json)
        ctx.request_id = "req_011C" + rand_id(20)
        if provider is None:
            reply = Reply(404, {"error": f"fake_provider: unknown host prefix /{host}; "
                                         f"use one of {sorted(PROVIDER_BY_HOST)}"})
        else:
            reply = provider.finish(ctx, provider.handle(ctx))
        STATE.append_log({
            "t": arrived, "method": self.command, "host": host, "provider": provider.name if provider else None,
            "path": rest, "auth": ctx.auth if ctx.auth != "key" else "key:" + (ctx.token or "")[-4:],
            "model": ctx.model,
            "status": reply.status, "body": body})
        delay = reply.delay_s + STATE.setting("latency_ms") / 1000.0
        if ctx.rec is not None:
            delay += ctx.rec.latency_ms / 1000.0
        if delay > 0:
            time.sleep(delay)
        self.send(reply)

    def send(self, reply):
        if reply.action == "reset":
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            except OSError:
                pass
            return
        body, ctype = reply.body, "application/json"
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
            ctype = "text/html" if body.lstrip().startswith("<") else "text/plain"
        else:
            data = body or b""
        headers = {"Content-Type": ctype}
        headers.update(reply.headers)
        try:
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def write_port_file(path, port):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_scenario(path):
    with open(path) as f:
        scenario = json.load(f)
    if not isinstance(scenario, dict):
        raise ValueError("scenario must be a JSON object")
    unknown = set(scenario) - {"keys", "settings", "comment"}
    if unknown:
        raise ValueError(f"unknown scenario field(s): {sorted(unknown)}")
    settings = scenario.get("settings") or {}
    if set(settings) - set(DEFAULT_SETTINGS):
        raise ValueError(f"settings are {sorted(DEFAULT_SETTINGS)}")
    return scenario.get("keys") or [], settings


def main(argv=None):
    global STATE
    ap = argparse.ArgumentParser(description="Fake LLM provider for keywarden tests.")
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: pick a free one)")
    ap.add_argument("--port-file", help="write the port here (atomically) once listening")
    ap.add_argument("--scenario", help="JSON file: {\"keys\": [...], \"settings\": {...}}")
    ap.add_argument("--latency-ms", type=float, default=0, help="latency added to every API request")
    ap.add_argument("--mistral-401", choices=("detail", "message", "empty"), default="detail",
                    help="which of Mistral's 401 bodies to send")
    ap.add_argument("--accept-lowercase-bearer", action="store_true")
    ap.add_argument("--deepseek-lockout-after", type=int, default=0,
                    help="lock DeepSeek out (429) after N 401s within --deepseek-lockout-s (0: off)")
    ap.add_argument("--deepseek-lockout-s", type=float, default=60.0)
    ap.add_argument("--codestral-models", choices=("404", "serve"), default="404",
                    help="GET /models on the codestral host: 404 after auth (default) or serve the list")
    ap.add_argument("--verbose", action="store_true", help="log each request to stderr")
    args = ap.parse_args(argv)

    settings = dict(DEFAULT_SETTINGS, latency_ms=args.latency_ms, mistral_401=args.mistral_401,
                    accept_lowercase_bearer=args.accept_lowercase_bearer,
                    deepseek_lockout_after=args.deepseek_lockout_after, deepseek_lockout_s=args.deepseek_lockout_s,
                    codestral_models=args.codestral_models)
    keys = []
    if args.scenario:
        try:
            keys, scenario_settings = load_scenario(args.scenario)
            settings.update(scenario_settings)
        except (OSError, ValueError) as exc:
            sys.exit(f"fake_provider: bad scenario {args.scenario}: {exc}")
    STATE = State(settings)
    try:
        STATE.add_keys(keys)
    except (ValueError, TypeError) as exc:
        sys.exit(f"fake_provider: bad key in {args.scenario}: {exc}")

    Handler.verbose = args.verbose
    server = Server(("127.0.0.1", args.port), Handler)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    port = server.server_address[1]
    if args.port_file:
        write_port_file(args.port_file, port)
    if args.verbose:
        sys.stderr.write(f"fake_provider: listening on 127.0.0.1:{port}\n")
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
