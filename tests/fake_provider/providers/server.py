"""The HTTP server: the admin API, dispatch to the provider that owns a path
prefix, and the command line (main)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from . import registry
from .anthropic import Anthropic
from .base import Ctx
from .common import Reply, rand_id
from .compatible import Compat
from .deepseek import DeepSeek
from .gemini import Gemini
from .mistral import Mistral
from .openai import OpenAI
from .openrouter import OpenRouter
from .registry import DEFAULT_SETTINGS, State

PROVIDERS = [OpenRouter(), Mistral(), Gemini(), OpenAI(), Compat(), Anthropic(), DeepSeek()]
PROVIDER_BY_HOST = {h: p for p in PROVIDERS for h in p.hosts}


def admin(method, path, query, body):
    """The /__admin/* control API. Returns (status, JSON body)."""
    filters = {k: v[0] for k, v in query.items()}
    if path == "/__admin/health":
        return 200, {"ok": True}
    if path == "/__admin/log" and method == "GET":
        return 200, {"requests": registry.STATE.query_log(filters)}
    if path == "/__admin/count" and method == "GET":
        return 200, {"count": len(registry.STATE.query_log(filters))}
    if path == "/__admin/reset" and method == "POST":
        registry.STATE.reset()
        return 200, {"ok": True}
    if path == "/__admin/keys" and method == "GET":
        with registry.STATE.lock:
            return 200, {"keys": [r.summary() for r in registry.STATE.keys.values()]}
    if path == "/__admin/keys" and method == "POST":
        objs = body.get("keys") if isinstance(body, dict) and "keys" in body else [body]
        try:
            records = registry.STATE.add_keys(objs if isinstance(objs, list) else [objs])
        except (ValueError, TypeError) as exc:
            return 400, {"error": str(exc)}
        return 200, {"registered": len(records)}
    if path == "/__admin/release" and method == "POST":
        return 200, {"released": registry.STATE.release()}
    if path == "/__admin/held" and method == "GET":
        return 200, {"held": registry.STATE.held_count()}
    if path == "/__admin/fail" and method == "POST":
        if not isinstance(body, dict) or not isinstance(body.get("key"), str):
            return 400, {"error": "expected {\"key\": K, \"fail\": {...} or null}"}
        try:
            found = registry.STATE.set_fail(body.get("provider"), body["key"], body.get("fail"))
        except (ValueError, TypeError) as exc:
            return 400, {"error": str(exc)}
        return (200, {"ok": True}) if found else (404, {"error": "no such key"})
    if path == "/__admin/settings" and method == "GET":
        with registry.STATE.lock:
            return 200, {"settings": dict(registry.STATE.settings)}
    if path == "/__admin/settings" and method == "POST":
        if not isinstance(body, dict) or set(body) - set(DEFAULT_SETTINGS):
            return 400, {"error": f"settings are {sorted(DEFAULT_SETTINGS)}"}
        with registry.STATE.lock:
            registry.STATE.settings.update(body)
            return 200, {"settings": dict(registry.STATE.settings)}
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
        registry.STATE.append_log({
            "t": arrived, "method": self.command, "host": host, "provider": provider.name if provider else None,
            "path": rest, "auth": ctx.auth if ctx.auth != "key" else "key:" + (ctx.token or "")[-4:],
            "model": ctx.model,
            "status": reply.status, "body": body,
            "key_id": ctx.rec.key_id if ctx.rec is not None else None,
            "streamed": reply.stream is not None, "injected": ctx.injected})
        delay = reply.delay_s + registry.STATE.setting("latency_ms") / 1000.0
        if ctx.rec is not None:
            delay += ctx.rec.latency_ms / 1000.0
        if delay > 0:
            time.sleep(delay)
        self.send(reply)

    def send(self, reply):
        if reply.stream is not None:
            return self.send_stream(reply)
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


    def send_stream(self, reply):
        """Chunked transfer encoding, one chunk per event, paced by the stream's
        delay; with hold, the closing events wait for /__admin/release."""
        stream = reply.stream
        headers = {"Content-Type": stream.content_type, "Cache-Control": "no-cache"}
        headers.update(reply.headers)
        try:
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for i, event in enumerate(stream.head + stream.tail):
                if i == len(stream.head) and stream.hold:
                    registry.STATE.hold(stream.generation, stream.hold_timeout_s)
                if i > 0 and stream.delay_s > 0:
                    time.sleep(stream.delay_s)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
            self.wfile.write(b"0\r\n\r\n")
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
    registry.STATE = State(settings)
    try:
        registry.STATE.add_keys(keys)
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
