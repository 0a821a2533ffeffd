"""The keys the fake knows, its settings, request log and counters: one
State per process, in STATE (set by server.main)."""

from __future__ import annotations

import hashlib
import json
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
              "limit", "limit_remaining", "label", "comment", "stream", "fail"}
FAIL_FIELDS = {"status", "kind", "headers", "delay_ms", "retry_after_s", "retry_after_header", "body", "action",
               "count", "path_contains", "model"}
STREAM_FIELDS = {"chunks", "delay_ms", "hold", "hold_timeout_s"}


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
        self.label = obj.get("label")
        if self.label is not None and not isinstance(self.label, str):
            raise ValueError("'label' must be a string")
        # What the request log shows for this key: its label, else a short hash.
        self.key_id = self.label or hashlib.sha256(self.key.encode()).hexdigest()[:12]
        self.stream = obj.get("stream")
        if self.stream is not None and (not isinstance(self.stream, dict) or set(self.stream) - STREAM_FIELDS):
            raise ValueError(f"'stream' must be an object with fields from {sorted(STREAM_FIELDS)}")
        self.fail = self.fail_item(obj.get("fail"))
        self.registered_at = time.time()
        self.requests = 0

    @staticmethod
    def fail_item(item):
        """A sticky failure: {"status": 429, "count": N (absent = until cleared), ...}; None clears it."""
        if item is None:
            return None
        if isinstance(item, int):
            item = {"status": item}
        if not isinstance(item, dict) or set(item) - FAIL_FIELDS:
            raise ValueError(f"'fail' must be a status code or an object with fields from {sorted(FAIL_FIELDS)}")
        if "status" not in item and item.get("action") != "reset":
            raise ValueError("'fail' needs a 'status' (or \"action\": \"reset\")")
        count = item.get("count")
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ValueError("'fail.count' must be a positive integer (absent: until cleared)")
        return dict(item)

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
                "script_remaining": len(self.script), "requests": self.requests, "key_id": self.key_id,
                "fail": self.fail}


DEFAULT_SETTINGS = {
    "latency_ms": 0,                  # added to every API request
    "mistral_401": "detail",          # detail | message | empty
    "accept_lowercase_bearer": False,
    "deepseek_lockout_after": 0,      # 0 = off; N 401s within the window -> 429 lockout
    "deepseek_lockout_s": 60.0,
    "codestral_models": "404",        # GET /models on the codestral host: 404 (after auth) | serve
    "stream_chunks": 3,               # content deltas in a streamed answer
    "stream_delay_ms": 0,             # pause before each streamed event after the first
    "stream_hold": False,             # wait for POST /__admin/release before a stream's closing events
    "stream_hold_timeout_s": 10.0,    # ... or this long
}


class State:
    def __init__(self, settings):
        self.lock = threading.Lock()
        self.released = threading.Condition(self.lock)
        self.release_gen = 0
        self.held = 0
        self.base_settings = dict(settings)
        self.reset()

    def reset(self):
        self.release()  # no stream stays held across a reset
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

    def release_generation(self):
        with self.lock:
            return self.release_gen

    def hold(self, generation, timeout_s):
        """Waits until a release later than `generation`; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self.released:
            self.held += 1
            try:
                while self.release_gen <= generation:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self.released.wait(left)
                return True
            finally:
                self.held -= 1

    def release(self):
        """Frees every stream that started before now. Returns how many were waiting."""
        with self.released:
            self.release_gen += 1
            self.released.notify_all()
            return self.held

    def held_count(self):
        with self.lock:
            return self.held

    def set_fail(self, provider, key, item):
        """Sets (or, with None, clears) a key's sticky failure. False if no such key."""
        item = KeyRecord.fail_item(item)
        with self.lock:
            recs = [r for (p, k), r in self.keys.items() if k == key and (provider is None or p == provider)]
            for r in recs:
                r.fail = item
            return bool(recs)

    def take_fail(self, rec, path, model):
        """The key's failure if it applies to this request (and uses one of its count)."""
        with self.lock:
            item = rec.fail
            if item is None:
                return None
            if item.get("path_contains") and item["path_contains"] not in path:
                return None
            if item.get("model") and item["model"] != model:
                return None
            rec.requests += 1
            if item.get("count") is not None:
                item["count"] -= 1
                if item["count"] <= 0:
                    rec.fail = None
            return item

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
                if all(as_text(e.get(k)) == v for k, v in filters.items()):
                    out.append(e)
            return out


def as_text(value):
    """A log field as a query filter spells it: true/false/null for JSON literals."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return str(value)


STATE: State = None  # set in main()
