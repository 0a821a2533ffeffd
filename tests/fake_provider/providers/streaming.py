"""Streamed answers: the event sequences of the real APIs, built from the
normal (non-streamed) success body, and how they are paced.

A stream is a head (the opening events and every content delta) and a tail
(the events that close it: the finish chunk, [DONE], message_stop, ...).
With `hold`, the server sends the head, then waits for POST /__admin/release
(or the hold timeout) before the tail, so a test can see the first chunk
arrive while the fake has not sent the last one."""

from __future__ import annotations

import copy
import json

from . import registry


class Stream:
    """How one streamed answer goes out (server.Handler.send_stream)."""

    def __init__(self, head, tail, content_type, settings):
        self.head, self.tail = head, tail
        self.content_type = content_type
        self.delay_s = float(settings["delay_ms"]) / 1000.0
        self.hold = bool(settings["hold"])
        self.hold_timeout_s = float(settings["hold_timeout_s"])
        self.generation = registry.STATE.release_generation()  # a release after this point frees it


def settings_for(rec):
    """Global stream settings, overridden field by field by the key's `stream`."""
    with registry.STATE.lock:
        s = {"chunks": registry.STATE.settings["stream_chunks"],
             "delay_ms": registry.STATE.settings["stream_delay_ms"],
             "hold": registry.STATE.settings["stream_hold"],
             "hold_timeout_s": registry.STATE.settings["stream_hold_timeout_s"]}
    if rec is not None and rec.stream:
        s.update(rec.stream)
    s["chunks"] = max(1, int(s["chunks"]))
    return s


def stops_at_limit(limit, n):
    """Whether n output tokens reach the request's token limit (None: no limit)."""
    return isinstance(limit, int) and not isinstance(limit, bool) and limit <= n


def pieces(n):
    """The content deltas: "ok", " ok", ... (n of them)."""
    return ["ok"] + [" ok"] * (n - 1)


def sse(obj, event=None, sep="\n\n"):
    text = (f"event: {event}\n" if event else "") + "data: " + json.dumps(obj, separators=(",", ":")) + sep
    return text.encode()


def openai_events(body, n, limit, comments=()):
    """OpenAI-style chat.completion.chunk events from a chat.completion body:
    a role chunk, n content chunks, then (tail) the finish chunk carrying
    `usage` and `data: [DONE]`. Usage rides on the last choice chunk, never on
    a chunk with "choices": [] (Cline's Mistral client crashed on one)."""
    base = {k: v for k, v in body.items() if k not in ("choices", "usage")}
    base["object"] = "chat.completion.chunk"
    choice = body["choices"][0]

    def chunk(delta, finish=None, usage=None):
        c = copy.deepcopy(base)
        ch = {"index": 0, "delta": delta}
        if "logprobs" in choice:
            ch["logprobs"] = None
        ch["finish_reason"] = finish
        if "native_finish_reason" in choice:
            ch["native_finish_reason"] = finish
        c["choices"] = [ch]
        if usage is not None:
            c["usage"] = usage
        return sse(c)

    head = [(": " + line + "\n\n").encode() for line in comments]
    head.append(chunk({"role": "assistant", "content": ""}))
    head += [chunk({"content": p}) for p in pieces(n)]
    usage = dict(body.get("usage") or {}, completion_tokens=n)
    usage["total_tokens"] = usage.get("prompt_tokens", 0) + n
    finish = "length" if stops_at_limit(limit, n) else "stop"
    tail = [chunk({}, finish, usage), b"data: [DONE]\n\n"]
    return head, tail


def anthropic_events(body, n, limit):
    """message_start, content_block_start, ping, n content_block_delta; tail:
    content_block_stop, message_delta (stop_reason, usage), message_stop."""
    message = dict(body, content=[], stop_reason=None, stop_sequence=None)
    message["usage"] = dict(body.get("usage") or {}, output_tokens=1)
    head = [sse({"type": "message_start", "message": message}, "message_start"),
            sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
                "content_block_start"),
            sse({"type": "ping"}, "ping")]
    head += [sse({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}},
                 "content_block_delta") for p in pieces(n)]
    tail = [sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            sse({"type": "message_delta", "delta": {"stop_reason": "max_tokens" if stops_at_limit(limit, n)
                                                    else "end_turn",
                                                    "stop_sequence": None},
                 "usage": {"output_tokens": n}}, "message_delta"),
            sse({"type": "message_stop"}, "message_stop")]
    return head, tail


def gemini_events(body, n, limit, alt_sse):
    """n GenerateContentResponse objects, the last one with finishReason and
    the final usage. alt=sse: `data: {...}` events (CRLF-separated, as
    Google's servers send them); otherwise one JSON array sent piece by piece."""
    cand = body["candidates"][0]
    objs = []
    for i, p in enumerate(pieces(n)):
        o = copy.deepcopy(body)
        c = o["candidates"][0]
        if "parts" in cand["content"]:
            c["content"] = {"parts": [{"text": p}], "role": "model"}
        if i < n - 1:
            c.pop("finishReason", None)
        else:
            c["finishReason"] = "MAX_TOKENS" if stops_at_limit(limit, n) else "STOP"
        objs.append(o)
    if alt_sse:
        events = [sse(o, sep="\r\n\r\n") for o in objs]
    else:
        events = [(("[" if i == 0 else ",\r\n") + json.dumps(o)).encode() for i, o in enumerate(objs)]
        events[-1] += b"]"
    return events[:-1], events[-1:]
