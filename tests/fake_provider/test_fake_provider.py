#!/usr/bin/env python3
"""Self-test for fake_provider.py (stdlib unittest + urllib only).

Starts the fake as a subprocess and checks a handful of behaviours per
provider.  Run: python3 tests/fake_provider/test_fake_provider.py
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_provider.py")
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never go through a proxy

OR_KEY = "sk-or-v1-" + "0123456789abcdef" * 4
MISTRAL_GENERAL = "GeneralGeneralGeneralGeneral0001"
MISTRAL_CODESTRAL = "CodestralCodestralCodestral00002"
GEMINI_KEY = "AIzaSyFAKE0000000000000000000000000001"
OPENAI_KEY = "sk-proj-" + "A" * 40 + "T3BlbkFJ" + "B" * 36 + "9f3c"
ANTHROPIC_KEY = "sk-ant-api03-" + "x" * 93 + "AA"
DEEPSEEK_KEY = "sk-" + "d" * 28 + "d569"


def start_fake(*args):
    tmp = tempfile.mkdtemp(prefix="fake_provider_test.")
    port_file = os.path.join(tmp, "port")
    proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", port_file, *args])
    deadline = time.time() + 10
    while not os.path.exists(port_file):
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("fake provider did not start")
        time.sleep(0.02)
    with open(port_file) as f:
        port = int(f.read().strip())
    return proc, f"http://127.0.0.1:{port}", tmp


def call(base, method, path, headers=None, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with OPENER.open(req, timeout=timeout) as r:
            status, hdrs, payload = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, payload = e.code, e.headers, e.read()
    try:
        parsed = json.loads(payload) if payload else None
    except ValueError:
        parsed = payload.decode()
    return status, hdrs, parsed


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def open_stream(base, path, headers, body, timeout=10):
    """POSTs and returns the open http.client response (read it line by line)."""
    conn = http.client.HTTPConnection(base.split("//")[1], timeout=timeout)
    conn.request("POST", path, json.dumps(body), dict(headers, **{"Content-Type": "application/json"}))
    return conn, conn.getresponse()


def sse_events(text):
    """[(event name or None, data)] of an SSE body; comments as ("comment", text)."""
    out = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event, data = None, []
        for line in block.split("\n"):
            if line.startswith(":"):
                out.append(("comment", line[1:].strip()))
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        if data:
            payload = "\n".join(data)
            out.append((event, payload if payload == "[DONE]" else json.loads(payload)))
    return out


def read_stream(base, path, headers, body):
    conn, resp = open_stream(base, path, headers, body)
    try:
        return resp.status, resp.headers, resp.read().decode()
    finally:
        conn.close()


class FakeProviderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, cls.base, _ = start_fake()

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        cls.proc.wait(timeout=5)

    def setUp(self):
        self.assertEqual(self.call("POST", "/__admin/reset")[0], 200)

    def call(self, method, path, headers=None, body=None, **kw):
        return call(self.base, method, path, headers, body, **kw)

    def add_keys(self, *keys):
        status, _, out = self.call("POST", "/__admin/keys", body={"keys": list(keys)})
        self.assertEqual(status, 200, out)

    # --- OpenRouter ---------------------------------------------------------
    def test_openrouter_auth_forms(self):
        self.add_keys({"key": OR_KEY, "provider": "openrouter"})
        status, _, out = self.call("GET", "/openrouter/api/v1/key", bearer(OR_KEY))
        self.assertEqual(status, 200)
        self.assertEqual(out["data"]["label"], "sk-or-v1-012...def")
        no_auth = {"error": {"message": "No auth credentials found", "code": 401}}
        self.assertEqual(self.call("GET", "/openrouter/api/v1/key")[::2], (401, no_auth))
        self.assertEqual(self.call("GET", "/openrouter/api/v1/key", {"Authorization": OR_KEY})[::2], (401, no_auth))
        self.assertEqual(self.call("GET", "/openrouter/api/v1/key", bearer("sk-or-v1-nope"))[::2],
                         (401, {"error": {"message": "User not found.", "code": 401}}))
        status, _, out = self.call("GET", "/openrouter/api/v1/models")  # no auth needed
        self.assertEqual(status, 200)
        self.assertIn("google/gemini-2.5-pro-preview", [m["id"] for m in out["data"]])
        self.assertEqual(self.call("GET", "/openrouter/api/v1/nope", bearer(OR_KEY))[2]["error"]["message"],
                         "No cookie auth credentials found")

    def test_openrouter_roo_story_per_model_401(self):
        self.add_keys({"key": OR_KEY, "provider": "openrouter", "allowed_models": ["deepseek/deepseek-chat"],
                       "denial": "401_no_auth"})
        probe = lambda m: self.call("POST", "/openrouter/api/v1/chat/completions", bearer(OR_KEY),
                                    {"model": m, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1})
        self.assertEqual(probe("deepseek/deepseek-chat")[0], 200)
        self.assertEqual(probe("google/gemini-2.5-pro-preview")[::2],
                         (401, {"error": {"message": "No auth credentials found", "code": 401}}))
        self.assertEqual(self.call("GET", "/openrouter/api/v1/key", bearer(OR_KEY))[0], 200)
        status, _, out = probe("claude-sonnet-4-6")
        self.assertEqual(status, 400)
        self.assertEqual(out["error"]["message"], "claude-sonnet-4-6 is not a valid model ID")
        self.assertTrue(out["user_id"].startswith("user_"))

    def test_openrouter_credits(self):
        self.add_keys({"key": OR_KEY, "provider": "openrouter", "balance": 0.30104},
                      {"key": OR_KEY + "x", "provider": "openrouter", "limit": 5, "limit_remaining": 0})
        body = {"model": "google/gemini-2.5-pro-preview", "messages": [{"role": "user", "content": "ping"}]}
        status, _, out = self.call("POST", "/openrouter/api/v1/chat/completions", bearer(OR_KEY), body)
        self.assertEqual(status, 402)
        self.assertIn("You requested up to 65536 tokens, but can only afford 30104.", out["error"]["message"])
        status, _, _ = self.call("POST", "/openrouter/api/v1/chat/completions", bearer(OR_KEY), dict(body, max_tokens=1))
        self.assertEqual(status, 200)
        status, _, out = self.call("POST", "/openrouter/api/v1/chat/completions", bearer(OR_KEY + "x"),
                                   dict(body, max_tokens=1))
        self.assertEqual(status, 403)
        self.assertTrue(out["error"]["message"].startswith("Key limit exceeded (total limit)"))

    # --- Mistral ------------------------------------------------------------
    def test_mistral_models_and_aliases(self):
        self.add_keys({"key": MISTRAL_GENERAL, "provider": "mistral"})
        status, _, out = self.call("GET", "/mistral/v1/models", bearer(MISTRAL_GENERAL))
        self.assertEqual(status, 200)
        cards = {c["id"]: c for c in out["data"]}
        self.assertIn("codestral-latest", cards["codestral-2508"]["aliases"])
        self.assertIn("codestral-2508", cards["codestral-latest"]["aliases"])
        self.assertEqual(cards["codestral-2501"]["aliases"], [])
        status, _, out = self.call("GET", "/mistral/v1/models/mistral-small-latest", bearer(MISTRAL_GENERAL))
        self.assertEqual((status, out["name"]), (200, "mistral-small-2506"))

    def test_mistral_host_split(self):
        self.add_keys({"key": MISTRAL_GENERAL, "provider": "mistral"},
                      {"key": MISTRAL_CODESTRAL, "provider": "mistral", "mistral_kind": "codestral"})
        fim = {"model": "codestral-latest", "prompt": "def f():", "max_tokens": 1}
        self.assertEqual(self.call("GET", "/mistral/v1/models", bearer(MISTRAL_CODESTRAL))[::2],
                         (401, {"detail": "Unauthorized"}))
        self.assertEqual(self.call("POST", "/codestral/v1/fim/completions", bearer(MISTRAL_GENERAL), fim)[0], 401)
        self.assertEqual(self.call("POST", "/codestral/v1/fim/completions", bearer(MISTRAL_CODESTRAL), fim)[0], 200)
        self.assertEqual(self.call("POST", "/mistral/v1/fim/completions", bearer(MISTRAL_GENERAL), fim)[0], 200)
        self.assertEqual(self.call("GET", "/__admin/count?host=codestral&path_contains=/fim/")[2], {"count": 2})

    def test_mistral_rejects_extra_fields_and_unknown_models(self):
        self.add_keys({"key": MISTRAL_GENERAL, "provider": "mistral"})
        msg = [{"role": "user", "content": "ping"}]
        status, _, out = self.call("POST", "/mistral/v1/chat/completions", bearer(MISTRAL_GENERAL),
                                   {"model": "mistral-small-latest", "messages": msg, "max_completion_tokens": 1,
                                    "store": False})
        self.assertEqual(status, 422)
        self.assertEqual({tuple(d["loc"]) for d in out["detail"] if d["type"] == "extra_forbidden"},
                         {("body", "max_completion_tokens"), ("body", "store")})
        status, _, out = self.call("POST", "/mistral/v1/chat/completions", bearer(MISTRAL_GENERAL),
                                   {"model": "mistral-medium-3.5", "messages": msg, "max_tokens": 1})
        self.assertEqual((status, out["type"], out["code"]), (400, "invalid_model", "1500"))
        self.assertEqual(out["message"], "Invalid model: mistral-medium-3.5")

    def test_activation_delay(self):
        self.add_keys({"key": MISTRAL_CODESTRAL, "provider": "mistral", "mistral_kind": "codestral",
                       "activates_after_s": 0.5})
        fim = {"model": "codestral-2501", "prompt": "x", "max_tokens": 1}
        self.assertEqual(self.call("POST", "/codestral/v1/fim/completions", bearer(MISTRAL_CODESTRAL), fim)[0], 401)
        time.sleep(0.6)
        self.assertEqual(self.call("POST", "/codestral/v1/fim/completions", bearer(MISTRAL_CODESTRAL), fim)[0], 200)

    # --- Gemini -------------------------------------------------------------
    def test_gemini_auth_forms(self):
        self.add_keys({"key": GEMINI_KEY, "provider": "gemini"})
        self.assertEqual(self.call("GET", "/gemini/v1beta/models", {"x-goog-api-key": GEMINI_KEY})[0], 200)
        self.assertEqual(self.call("GET", f"/gemini/v1beta/models?key={GEMINI_KEY}")[0], 200)
        status, _, out = self.call("GET", "/gemini/v1beta/models", bearer(GEMINI_KEY))
        self.assertEqual((status, out["error"]["status"]), (401, "UNAUTHENTICATED"))
        status, _, out = self.call("GET", "/gemini/v1beta/models")
        self.assertEqual((status, out["error"]["status"]), (403, "PERMISSION_DENIED"))
        self.assertIn("unregistered callers", out["error"]["message"])
        status, _, out = self.call("GET", "/gemini/v1beta/models", {"x-goog-api-key": "AIzaSyWRONG"})
        self.assertEqual((status, out["error"]["details"][0]["reason"]), (400, "API_KEY_INVALID"))
        log = self.call("GET", "/__admin/log?host=gemini")[2]["requests"]
        self.assertEqual([e["auth"] for e in log], ["key:0001", "key:0001", "malformed", "missing", "key:RONG"])
        self.assertNotIn("key=", json.dumps(log))  # the query-string key is never logged

    def test_gemini_tier_denial_only_on_generate(self):
        self.add_keys({"key": GEMINI_KEY, "provider": "gemini", "denied_models": ["gemini-2.5-pro"]})
        h = {"x-goog-api-key": GEMINI_KEY}
        gen = {"contents": [{"role": "user", "parts": [{"text": "ping"}]}], "generationConfig": {"maxOutputTokens": 1}}
        self.assertEqual(self.call("GET", "/gemini/v1beta/models/gemini-2.5-pro", h)[0], 200)
        self.assertEqual(self.call("POST", "/gemini/v1beta/models/gemini-2.5-pro:countTokens", h, gen)[0], 200)
        status, hdrs, out = self.call("POST", "/gemini/v1beta/models/gemini-2.5-pro:generateContent", h, gen)
        self.assertEqual((status, out["error"]["status"]), (429, "RESOURCE_EXHAUSTED"))
        self.assertIn("limit: 0, model: gemini-2.5-pro", out["error"]["message"])
        self.assertIsNone(hdrs.get("Retry-After"))
        self.assertEqual(self.call("POST", "/gemini/v1beta/models/gemini-2.5-flash:generateContent", h, gen)[0], 200)
        status, _, out = self.call("POST", "/gemini/v1beta/models/gemini-pro:generateContent", h, gen)
        self.assertEqual((status, out["error"]["status"]), (404, "NOT_FOUND"))

    def test_gemini_rate_limit_uses_retry_info(self):
        self.add_keys({"key": GEMINI_KEY, "provider": "gemini", "rate_limit": {"requests": 1, "window_s": 30}})
        h = {"x-goog-api-key": GEMINI_KEY}
        gen = {"contents": [{"role": "user", "parts": [{"text": "ping"}]}]}
        self.assertEqual(self.call("POST", "/gemini/v1beta/models/gemini-2.5-flash:generateContent", h, gen)[0], 200)
        status, hdrs, out = self.call("POST", "/gemini/v1beta/models/gemini-2.5-flash:generateContent", h, gen)
        self.assertEqual(status, 429)
        self.assertIsNone(hdrs.get("Retry-After"))
        details = {d["@type"].rsplit(".", 1)[1]: d for d in out["error"]["details"]}
        self.assertRegex(details["RetryInfo"]["retryDelay"], r"^\d+(\.\d)?s$")
        self.assertIn("PerMinute", details["QuotaFailure"]["violations"][0]["quotaId"])

    # --- OpenAI -------------------------------------------------------------
    def test_openai_reasoning_models_need_max_completion_tokens(self):
        self.add_keys({"key": OPENAI_KEY, "provider": "openai"})
        msg = [{"role": "user", "content": "ping"}]
        status, _, out = self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY),
                                   {"model": "o3-mini", "messages": msg, "max_tokens": 1})
        self.assertEqual((status, out["error"]["code"], out["error"]["param"]), (400, "unsupported_parameter", "max_tokens"))
        self.assertEqual(self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY),
                                   {"model": "o3-mini", "messages": msg, "max_completion_tokens": 1})[0], 200)
        status, _, out = self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY),
                                   {"model": "gpt-4o", "messages": msg, "max_tokens": 1})
        self.assertEqual((status, out["model"]), (200, "gpt-4o-2024-08-06"))

    def test_openai_key_states(self):
        self.add_keys({"key": OPENAI_KEY, "provider": "openai", "state": "restricted"},
                      {"key": OPENAI_KEY + "Q", "provider": "openai", "state": "no_credit"})
        chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "ping"}], "max_completion_tokens": 1}
        self.assertEqual(self.call("GET", "/openai/v1/models", bearer(OPENAI_KEY))[0], 200)
        status, _, out = self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY), chat)
        self.assertEqual(status, 401)
        self.assertIn("Missing scopes: model.request", out["error"]["message"])
        status, _, out = self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY + "Q"), chat)
        self.assertEqual((status, out["error"]["code"]), (429, "insufficient_quota"))
        status, _, out = self.call("GET", "/openai/v1/models", bearer("sk-proj-unknownkey0000E873"))
        self.assertEqual((status, out["error"]["code"]), (401, "invalid_api_key"))
        self.assertIn("provided: sk-proj-" + "*" * 14 + "E873.", out["error"]["message"])
        status, _, out = self.call("GET", "/openai/v1/models")
        self.assertTrue(out["error"]["message"].startswith("You didn't provide an API key."))
        self.add_keys({"key": OPENAI_KEY, "provider": "openai"})
        status, _, out = self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY), dict(chat, model="gpt-9"))
        self.assertEqual((status, out["error"]["code"]), (404, "model_not_found"))

    def test_openai_rate_limit_headers(self):
        self.add_keys({"key": OPENAI_KEY, "provider": "openai", "rate_limit": {"requests": 1, "window_s": 20}})
        chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "ping"}], "max_completion_tokens": 1}
        self.assertEqual(self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY), chat)[0], 200)
        status, hdrs, out = self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY), chat)
        self.assertEqual((status, out["error"]["code"]), (429, "rate_limit_exceeded"))
        self.assertEqual(hdrs["x-ratelimit-remaining-requests"], "0")
        self.assertTrue(1 <= int(hdrs["retry-after"]) <= 20)

    def test_compat_behaves_like_openai(self):
        self.add_keys({"key": "compat-key-0001", "provider": "compat"})
        chat = {"model": "llama-3.3-70b-instruct", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1}
        self.assertEqual(self.call("POST", "/compat/v1/chat/completions", bearer("compat-key-0001"), chat)[0], 200)
        status, _, out = self.call("GET", "/openai/v1/models", bearer("compat-key-0001"))
        self.assertEqual((status, out["error"]["code"]), (401, "invalid_api_key"))

    # --- Anthropic ----------------------------------------------------------
    def test_anthropic_auth_and_headers(self):
        self.add_keys({"key": ANTHROPIC_KEY, "provider": "anthropic"})
        status, hdrs, out = self.call("GET", "/anthropic/v1/models", {"x-api-key": "sk-ant-api03-bad"})
        self.assertEqual((status, out["error"]["type"], out["error"]["message"]),
                         (401, "authentication_error", "invalid x-api-key"))
        self.assertEqual(hdrs["request-id"], out["request_id"])
        self.assertEqual(self.call("GET", "/anthropic/v1/models", {"anthropic-version": "2023-06-01"})[2]["error"]
                         ["message"], "x-api-key header is required")
        status, _, out = self.call("GET", "/anthropic/v1/models", {"x-api-key": ANTHROPIC_KEY})
        self.assertEqual((status, out["error"]["type"]), (400, "invalid_request_error"))
        h = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
        status, hdrs, out = self.call("GET", "/anthropic/v1/models?limit=2", h)
        self.assertEqual((status, len(out["data"]), out["has_more"]), (200, 2, True))
        self.assertTrue(hdrs["request-id"].startswith("req_"))

    def test_anthropic_aliases_and_models(self):
        self.add_keys({"key": ANTHROPIC_KEY, "provider": "anthropic"})
        h = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
        self.assertEqual(self.call("GET", "/anthropic/v1/models/claude-sonnet-4-0", h)[2]["id"], "claude-sonnet-4-20250514")
        msg = {"model": "claude-3-5-haiku-latest", "max_tokens": 1, "messages": [{"role": "user", "content": "ping"}]}
        status, _, out = self.call("POST", "/anthropic/v1/messages", h, msg)
        self.assertEqual((status, out["model"]), (200, "claude-3-5-haiku-20241022"))
        status, _, out = self.call("POST", "/anthropic/v1/messages", h, dict(msg, model="sonnet4"))
        self.assertEqual((status, out["error"]["type"], out["error"]["message"]), (404, "not_found_error", "model: sonnet4"))

    def test_anthropic_credit_and_scripted_faults(self):
        self.add_keys({"key": ANTHROPIC_KEY, "provider": "anthropic", "state": "no_credit"},
                      {"key": ANTHROPIC_KEY + "2", "provider": "anthropic",
                       "script": [529, {"status": 429, "headers": {"retry-after": "2"}}]})
        msg = {"model": "claude-sonnet-4-0", "max_tokens": 1, "messages": [{"role": "user", "content": "ping"}]}
        h = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
        for path in ("/anthropic/v1/messages", "/anthropic/v1/messages/count_tokens"):
            status, _, out = self.call("POST", path, h, msg)
            self.assertEqual(status, 400)
            self.assertIn("credit balance is too low", out["error"]["message"])
        self.assertEqual(self.call("GET", "/anthropic/v1/models", h)[0], 200)
        h["x-api-key"] = ANTHROPIC_KEY + "2"
        status, _, out = self.call("POST", "/anthropic/v1/messages", h, msg)
        self.assertEqual((status, out["error"]["type"]), (529, "overloaded_error"))
        status, hdrs, out = self.call("POST", "/anthropic/v1/messages", h, msg)
        self.assertEqual((status, out["error"]["type"], hdrs["retry-after"]), (429, "rate_limit_error", "2"))
        self.assertEqual(self.call("POST", "/anthropic/v1/messages", h, msg)[0], 200)

    # --- DeepSeek -----------------------------------------------------------
    def test_deepseek(self):
        self.add_keys({"key": DEEPSEEK_KEY, "provider": "deepseek"},
                      {"key": DEEPSEEK_KEY + "0", "provider": "deepseek", "state": "no_credit"})
        status, _, out = self.call("GET", "/deepseek/user/balance", bearer(DEEPSEEK_KEY))
        self.assertEqual((status, out["is_available"]), (200, True))
        self.assertEqual(self.call("GET", "/deepseek/v1/models", bearer(DEEPSEEK_KEY))[0], 200)
        status, _, out = self.call("GET", "/deepseek/user/balance", bearer("sk-0000000000000000000000000000beef"))
        self.assertEqual((status, out["error"]["message"]), (401, "Authentication Fails, Your api key: ****beef is invalid"))
        self.assertIn("auth header format", self.call("GET", "/deepseek/models")[2]["error"]["message"])
        chat = {"model": "deepseek-chat", "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
        status, _, out = self.call("POST", "/deepseek/chat/completions", bearer(DEEPSEEK_KEY + "0"), chat)
        self.assertEqual((status, out["error"]["message"]), (402, "Insufficient Balance"))
        self.assertFalse(self.call("GET", "/deepseek/user/balance", bearer(DEEPSEEK_KEY + "0"))[2]["is_available"])

    def test_deepseek_lockout(self):
        self.add_keys({"key": DEEPSEEK_KEY, "provider": "deepseek"})
        self.call("POST", "/__admin/settings", body={"deepseek_lockout_after": 2, "deepseek_lockout_s": 30})
        for _ in range(2):
            self.assertEqual(self.call("GET", "/deepseek/user/balance", bearer("sk-bad"))[0], 401)
        status, _, out = self.call("GET", "/deepseek/user/balance", bearer(DEEPSEEK_KEY))
        self.assertEqual(status, 429)
        self.assertIn("Multiple 401 errors detected", out["error"]["message"])

    # --- cross-cutting ------------------------------------------------------
    def test_header_hygiene(self):
        self.add_keys({"key": OR_KEY, "provider": "openrouter"})
        not_found = {"error": {"message": "User not found.", "code": 401}}
        for value in (f"Bearer {OR_KEY} ", f"Bearer  {OR_KEY}", f'Bearer "{OR_KEY}"', f"Bearer Bearer {OR_KEY}",
                      f"Bearer {OR_KEY}\u200b".encode(), f"Bearer \ufeff{OR_KEY}".encode()):
            self.assertEqual(self.call("GET", "/openrouter/api/v1/key", {"Authorization": value})[::2],
                             (401, not_found), value)
        self.assertEqual(self.call("GET", "/openrouter/api/v1/key", {"Authorization": f"bearer {OR_KEY}"})[2]
                         ["error"]["message"], "No auth credentials found")
        self.assertEqual(self.call("GET", "/openrouter/api/v1/key", bearer(OR_KEY))[0], 200)

    def test_script_reset_and_delay(self):
        self.add_keys({"key": OPENAI_KEY, "provider": "openai",
                       "script": [503, {"action": "reset"}, {"status": 200, "delay_ms": 300},
                                  {"status": 401, "headers": {"x-should-retry": "true"}}]})
        self.assertEqual(self.call("GET", "/openai/v1/models", bearer(OPENAI_KEY))[0], 503)
        with self.assertRaises((urllib.error.URLError, ConnectionError, OSError)):
            self.call("GET", "/openai/v1/models", bearer(OPENAI_KEY))
        started = time.time()
        self.assertEqual(self.call("GET", "/openai/v1/models", bearer(OPENAI_KEY))[0], 200)
        self.assertGreaterEqual(time.time() - started, 0.3)
        status, hdrs, out = self.call("GET", "/openai/v1/models", bearer(OPENAI_KEY))
        self.assertEqual((status, out["error"]["code"], hdrs["x-should-retry"]), (401, "invalid_api_key", "true"))
        self.assertEqual(self.call("GET", "/openai/v1/models", bearer(OPENAI_KEY))[0], 200)

    def test_latency_requests_overlap(self):
        self.add_keys({"key": DEEPSEEK_KEY, "provider": "deepseek"})
        self.call("POST", "/__admin/settings", body={"latency_ms": 400})
        results = []
        threads = [threading.Thread(target=lambda: results.append(
            self.call("GET", "/deepseek/user/balance", bearer(DEEPSEEK_KEY))[0])) for _ in range(6)]
        started = time.time()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - started
        self.assertEqual(results, [200] * 6)
        self.assertTrue(0.4 <= elapsed < 1.2, elapsed)

    def test_admin_log_count_and_reset(self):
        self.add_keys({"key": OR_KEY, "provider": "openrouter"})
        self.call("POST", "/openrouter/api/v1/chat/completions", bearer(OR_KEY),
                  {"model": "deepseek/deepseek-chat", "messages": [], "max_tokens": 1})
        entry = self.call("GET", "/__admin/log")[2]["requests"][-1]
        self.assertEqual({k: entry[k] for k in ("method", "host", "path", "auth", "model", "status")},
                         {"method": "POST", "host": "openrouter", "path": "/api/v1/chat/completions",
                          "auth": "key:cdef", "model": "deepseek/deepseek-chat", "status": 200})
        self.assertEqual(entry["body"]["max_tokens"], 1)
        self.assertIsInstance(entry["t"], float)
        self.assertEqual(self.call("GET", "/__admin/count?host=openrouter&path_contains=chat")[2], {"count": 1})
        self.assertEqual(self.call("POST", "/__admin/keys", body={"key": "x", "provider": "nope"})[0], 400)
        self.call("POST", "/__admin/reset")
        self.assertEqual(self.call("GET", "/__admin/count")[2], {"count": 0})
        self.assertEqual(self.call("GET", "/openrouter/api/v1/key", bearer(OR_KEY))[0], 401)

    # --- streaming ----------------------------------------------------------
    def chat(self, model, **extra):
        return dict({"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 5}, **extra)

    def test_stream_openai_style_chunks_end_with_done(self):
        self.add_keys({"key": OR_KEY, "provider": "openrouter"}, {"key": OPENAI_KEY, "provider": "openai"},
                      {"key": DEEPSEEK_KEY, "provider": "deepseek"},
                      {"key": MISTRAL_CODESTRAL, "provider": "mistral", "mistral_kind": "codestral"})
        cases = [("/openrouter/api/v1/chat/completions", OR_KEY, self.chat("deepseek/deepseek-chat", stream=True)),
                 ("/openai/v1/chat/completions", OPENAI_KEY, self.chat("gpt-4o-mini", stream=True)),
                 ("/deepseek/chat/completions", DEEPSEEK_KEY, self.chat("deepseek-chat", stream=True)),
                 ("/codestral/v1/fim/completions", MISTRAL_CODESTRAL,
                  {"model": "codestral-latest", "prompt": "def f(", "max_tokens": 5, "stream": True})]
        for path, key, body in cases:
            status, hdrs, text = read_stream(self.base, path, bearer(key), body)
            self.assertEqual((status, hdrs["Content-Type"], hdrs["Transfer-Encoding"]),
                             (200, "text/event-stream", "chunked"), path)
            events = sse_events(text)
            comments = [e for e in events if e[0] == "comment"]
            self.assertEqual(bool(comments), path.startswith("/openrouter"), path)
            self.assertEqual(comments[:1] and comments[0][1], "OPENROUTER PROCESSING" if comments else [])
            data = [d for name, d in events if name != "comment"]
            self.assertEqual(data[-1], "[DONE]", path)
            chunks = data[:-1]
            self.assertTrue(all(c["object"] == "chat.completion.chunk" for c in chunks), path)
            self.assertEqual(chunks[0]["choices"][0]["delta"]["role"], "assistant")
            self.assertEqual("".join(c["choices"][0]["delta"].get("content", "") for c in chunks), "ok ok ok")
            self.assertEqual(chunks[-1]["choices"][0]["finish_reason"], "stop", path)  # 3 tokens of 5
            self.assertEqual(chunks[-1]["usage"]["completion_tokens"], 3)  # usage on the last choice chunk
            self.assertTrue(all(c["choices"] for c in chunks))                # never "choices": []
            self.assertTrue(all("usage" not in c for c in chunks[:-1]))
        # without "stream": true, the same request is one JSON body
        status, hdrs, out = self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY), self.chat("gpt-4o-mini"))
        self.assertEqual((status, out["object"]), (200, "chat.completion"))
        log = self.call("GET", "/__admin/log")[2]["requests"]
        self.assertEqual([e["streamed"] for e in log], [True, True, True, True, False])
        self.assertEqual(self.call("GET", "/__admin/count?streamed=true")[2], {"count": 4})

    def test_stream_anthropic_event_sequence(self):
        self.add_keys({"key": ANTHROPIC_KEY, "provider": "anthropic"})
        h = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
        body = {"model": "claude-sonnet-4-5", "max_tokens": 5, "stream": True,
                "messages": [{"role": "user", "content": "ping"}]}
        status, hdrs, text = read_stream(self.base, "/anthropic/v1/messages", h, body)
        self.assertEqual(status, 200)
        self.assertTrue(hdrs["Content-Type"].startswith("text/event-stream"))
        self.assertTrue(hdrs["request-id"].startswith("req_"))
        events = sse_events(text)
        self.assertEqual([e for e, _ in events],
                         ["message_start", "content_block_start", "ping"] + ["content_block_delta"] * 3 +
                         ["content_block_stop", "message_delta", "message_stop"])
        self.assertTrue(all(name == d["type"] for name, d in events))
        self.assertEqual(events[0][1]["message"]["model"], "claude-sonnet-4-5-20250929")
        self.assertEqual("".join(d["delta"]["text"] for n, d in events if n == "content_block_delta"), "ok ok ok")
        self.assertEqual(events[-2][1]["usage"]["output_tokens"], 3)
        self.assertEqual(events[-2][1]["delta"]["stop_reason"], "end_turn")  # 3 tokens of 5 allowed
        status, _, text = read_stream(self.base, "/anthropic/v1/messages", h, dict(body, max_tokens=2))
        self.assertEqual(sse_events(text)[-2][1]["delta"]["stop_reason"], "max_tokens")
        # an error before the stream is a plain JSON error
        status, _, out = self.call("POST", "/anthropic/v1/messages", h, dict(body, model="sonnet4"))
        self.assertEqual((status, out["error"]["type"]), (404, "not_found_error"))

    def test_stream_gemini_sse_and_json_array(self):
        self.add_keys({"key": GEMINI_KEY, "provider": "gemini"})
        h = {"x-goog-api-key": GEMINI_KEY}
        gen = {"contents": [{"role": "user", "parts": [{"text": "ping"}]}]}
        path = "/gemini/v1beta/models/gemini-2.5-flash:streamGenerateContent"
        status, hdrs, text = read_stream(self.base, path + "?alt=sse", h, gen)
        self.assertEqual((status, hdrs["Content-Type"]), (200, "text/event-stream"))
        self.assertIn("\r\n\r\n", text)
        objs = [d for _, d in sse_events(text)]
        self.assertEqual(len(objs), 3)
        self.assertEqual("".join(o["candidates"][0]["content"]["parts"][0]["text"] for o in objs), "ok ok ok")
        self.assertEqual([o["candidates"][0].get("finishReason") for o in objs], [None, None, "STOP"])
        status, hdrs, text = read_stream(self.base, path, h, gen)
        self.assertEqual((status, hdrs["Transfer-Encoding"]), (200, "chunked"))
        arr = json.loads(text)
        self.assertEqual((len(arr), arr[-1]["candidates"][0]["finishReason"]), (3, "STOP"))

    def test_stream_chunks_delay_and_hold_per_key(self):
        self.add_keys({"key": OPENAI_KEY, "provider": "openai", "stream": {"chunks": 5, "hold": True}})
        conn, resp = open_stream(self.base, "/openai/v1/chat/completions", bearer(OPENAI_KEY),
                                 self.chat("gpt-4o-mini", stream=True))
        try:
            seen = []
            while len([x for x in seen if '"content": " ok"' in x or '"content":" ok"' in x]) < 4:
                seen.append(resp.readline().decode())
            # every content delta has arrived; the fake now waits before the finish chunk
            deadline = time.time() + 5
            while self.call("GET", "/__admin/held")[2]["held"] != 1 and time.time() < deadline:
                time.sleep(0.01)
            self.assertEqual(self.call("GET", "/__admin/held")[2], {"held": 1})
            self.assertNotIn("[DONE]", "".join(seen))
            self.assertEqual(self.call("POST", "/__admin/release")[2], {"released": 1})
            rest = resp.read().decode()
        finally:
            conn.close()
        events = [d for _, d in sse_events("".join(seen) + rest)]
        self.assertEqual(events[-1], "[DONE]")
        self.assertEqual(events[-2]["choices"][0]["finish_reason"], "length")  # 5 tokens of max_tokens 5
        self.assertEqual(sum(1 for e in events[:-1] if e["choices"][0]["delta"].get("content")), 5)
        # a release only frees streams that started before it: a later stream waits for the next one
        self.call("POST", "/__admin/settings", body={"stream_delay_ms": 100})
        self.add_keys({"key": DEEPSEEK_KEY, "provider": "deepseek", "stream": {"chunks": 2, "hold_timeout_s": 0.2}})
        started = time.time()
        status, _, text = read_stream(self.base, "/deepseek/chat/completions", bearer(DEEPSEEK_KEY),
                                      self.chat("deepseek-chat", stream=True))
        self.assertEqual(status, 200)
        self.assertGreaterEqual(time.time() - started, 0.4)  # 4 gaps of 100 ms between 5 events
        self.assertEqual(len(sse_events(text)), 5)
        self.call("POST", "/__admin/settings", body={"stream_delay_ms": 0, "stream_hold": True})
        started = time.time()
        status, _, text = read_stream(self.base, "/deepseek/chat/completions", bearer(DEEPSEEK_KEY),
                                      self.chat("deepseek-chat", stream=True))
        self.assertGreaterEqual(time.time() - started, 0.2)  # held until the key's timeout (no release)
        self.assertEqual(sse_events(text)[-1][1], "[DONE]")

    def test_200_concurrent_streams(self):
        self.add_keys({"key": DEEPSEEK_KEY, "provider": "deepseek", "stream": {"hold": True, "chunks": 1}})
        n, results, lock = 200, [], threading.Lock()
        first_seen = threading.Barrier(n + 1, timeout=30)

        def one():
            conn, resp = open_stream(self.base, "/deepseek/chat/completions", bearer(DEEPSEEK_KEY),
                                     self.chat("deepseek-chat", stream=True), timeout=30)
            try:
                while b'"content":"ok"' not in resp.readline():
                    pass
                first_seen.wait()
                text = resp.read().decode()
                with lock:
                    results.append(text.rstrip().endswith("data: [DONE]"))
            finally:
                conn.close()

        threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
        for t in threads:
            t.start()
        first_seen.wait()  # all 200 have their first chunk while none has its last
        deadline = time.time() + 10
        while self.call("GET", "/__admin/held")[2]["held"] < n and time.time() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.call("POST", "/__admin/release")[2], {"released": n})
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(results, [True] * n)

    # --- injected failures ----------------------------------------------------
    def test_fail_injection_per_key(self):
        self.add_keys({"key": OR_KEY, "provider": "openrouter", "label": "or-a"},
                      {"key": OR_KEY + "b", "provider": "openrouter", "label": "or-b"},
                      {"key": OPENAI_KEY, "provider": "openai"})
        chat = self.chat("deepseek/deepseek-chat")
        post = lambda key, body=chat: self.call("POST", "/openrouter/api/v1/chat/completions", bearer(key), body)
        fail = lambda key, item: self.call("POST", "/__admin/fail", body={"key": key, "fail": item})
        # 429 for the next 2 requests, with a Retry-After header (OpenRouter sends none by default)
        self.assertEqual(fail(OR_KEY, {"status": 429, "count": 2, "retry_after_s": 7, "retry_after_header": True})[0],
                         200)
        status, hdrs, out = post(OR_KEY)
        self.assertEqual((status, out["error"]["message"], hdrs["Retry-After"]), (429, "Rate limit exceeded", "7"))
        self.assertIn("X-RateLimit-Reset", hdrs)
        self.assertEqual(post(OR_KEY + "b")[0], 200)  # another key is not touched
        self.assertEqual(post(OR_KEY, dict(chat, stream=True))[0], 429)  # a streamed request fails before streaming
        self.assertEqual(post(OR_KEY)[0], 200)
        # 401 until cleared, on every endpoint
        fail(OR_KEY, 401)
        for _ in range(3):
            self.assertEqual(post(OR_KEY)[::2], (401, {"error": {"message": "User not found.", "code": 401}}))
        self.assertEqual(self.call("GET", "/openrouter/api/v1/key", bearer(OR_KEY))[0], 401)
        self.assertEqual(fail(OR_KEY, None)[0], 200)
        self.assertEqual(post(OR_KEY)[0], 200)
        # 402, 403 and 5xx in the provider's shape; a path filter spares the key check
        fail(OR_KEY, {"status": 402, "count": 1})
        status, _, out = post(OR_KEY)
        self.assertEqual((status, out["error"]["code"]), (402, 402))
        fail(OR_KEY, {"status": 403, "path_contains": "/chat/completions"})
        self.assertEqual(self.call("GET", "/openrouter/api/v1/key", bearer(OR_KEY))[0], 200)
        self.assertEqual(post(OR_KEY)[0], 403)
        fail(OR_KEY, {"status": 503})
        self.assertEqual(post(OR_KEY)[2]["error"]["message"], "No allowed providers are available for the selected model.")
        fail(OR_KEY, None)
        # OpenAI's 429 carries retry-after by default; retry_after_header false removes it
        fail(OPENAI_KEY, {"status": 429, "count": 2, "retry_after_s": 3})
        body = self.chat("gpt-4o-mini")
        status, hdrs, out = self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY), body)
        self.assertEqual((status, out["error"]["code"], hdrs["retry-after"]), (429, "rate_limit_exceeded", "3"))
        fail(OPENAI_KEY, {"status": 429, "count": 1, "retry_after_header": False})
        status, hdrs, _ = self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY), body)
        self.assertEqual((status, hdrs.get("retry-after")), (429, None))
        self.assertEqual(self.call("POST", "/openai/v1/chat/completions", bearer(OPENAI_KEY), body)[0], 200)
        # the log tells which key reached the fake and which answers were injected
        log = self.call("GET", "/__admin/log?host=openrouter")[2]["requests"]
        self.assertEqual([(e["key_id"], e["status"], e["injected"]) for e in log[:4]],
                         [("or-a", 429, "fail"), ("or-b", 200, None), ("or-a", 429, "fail"), ("or-a", 200, None)])
        self.assertEqual(log[2]["streamed"], False)
        keys = {k["key_id"]: k for k in self.call("GET", "/__admin/keys")[2]["keys"]}
        self.assertEqual(keys["or-a"]["fail"], None)
        self.assertEqual(len(keys[next(k for k in keys if k not in ("or-a", "or-b"))]["key_id"]), 12)  # a hash
        self.assertEqual(self.call("GET", "/__admin/count?key_id=or-b")[2], {"count": 1})
        # errors: unknown key, bad item
        self.assertEqual(fail("nope", 401)[0], 404)
        self.assertEqual(fail(OR_KEY, {"status": 429, "count": 0})[0], 400)
        self.assertEqual(fail(OR_KEY, {"status": 429, "colour": "red"})[0], 400)

    def test_fail_in_key_object_and_reset_action(self):
        self.add_keys({"key": DEEPSEEK_KEY, "provider": "deepseek", "fail": {"status": 500, "model": "deepseek-chat"}})
        self.assertEqual(self.call("POST", "/deepseek/chat/completions", bearer(DEEPSEEK_KEY),
                                   self.chat("deepseek-chat"))[2]["error"]["message"], "Server Error")
        self.assertEqual(self.call("POST", "/deepseek/chat/completions", bearer(DEEPSEEK_KEY),
                                   self.chat("deepseek-reasoner"))[0], 200)
        self.call("POST", "/__admin/fail", body={"key": DEEPSEEK_KEY, "fail": {"action": "reset", "count": 1}})
        with self.assertRaises((urllib.error.URLError, ConnectionError, OSError)):
            self.call("GET", "/deepseek/user/balance", bearer(DEEPSEEK_KEY))
        self.assertEqual(self.call("GET", "/deepseek/user/balance", bearer(DEEPSEEK_KEY))[0], 200)


class StartupTest(unittest.TestCase):
    def test_scenario_port_file_and_sigterm(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"keys": [{"key": GEMINI_KEY, "provider": "gemini"}]}, f)
        try:
            proc, base, tmp = start_fake("--scenario", f.name)
            try:
                self.assertEqual(os.listdir(tmp), ["port"])  # no temp file left behind
                self.assertEqual(call(base, "GET", "/gemini/v1beta/models", {"x-goog-api-key": GEMINI_KEY})[0], 200)
            finally:
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=5), 0)
        finally:
            os.unlink(f.name)

    def test_bad_scenario_exits_nonzero(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"keys": [{"key": "k", "provider": "openai", "state": "disabled_api"}]}, f)
        try:
            r = subprocess.run([sys.executable, FAKE, "--port", "0", "--scenario", f.name],
                               capture_output=True, text=True, timeout=10)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("disabled_api", r.stderr)
        finally:
            os.unlink(f.name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
