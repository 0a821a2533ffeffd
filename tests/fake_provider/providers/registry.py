"""The keys the fake knows, its settings, request log and counters: one
State per process, in STATE (set by server.main)."""

from __future__ import annotations

import threading
import time

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
