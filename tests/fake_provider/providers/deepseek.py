"""DeepSeek."""

from __future__ import annotations

import time

from . import registry
from .base import Provider, openai_style_completion
from .common import Reply

DEEPSEEK_MODELS = ["deepseek-chat", "deepseek-reasoner"]


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
        with registry.STATE.lock:
            locked = now < registry.STATE.ds_locked_until
        if locked:
            return self.error(ctx, "lockout")
        reply = super().handle(ctx)
        if reply.status == 401:
            self.note_401(now)
        return reply

    @staticmethod
    def note_401(now):
        with registry.STATE.lock:
            after, window = int(registry.STATE.settings["deepseek_lockout_after"]), float(registry.STATE.settings["deepseek_lockout_s"])
            if after <= 0:
                return
            registry.STATE.ds_401_times = [t for t in registry.STATE.ds_401_times if t > now - window] + [now]
            if len(registry.STATE.ds_401_times) >= after:
                registry.STATE.ds_locked_until = now + window
                registry.STATE.ds_401_times = []

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
