"""Small pieces every provider uses: template rendering, ids, dates, the
reply object."""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime, timezone
from http import HTTPStatus

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
        self.stream = None  # a streaming.Stream: sent chunked instead of body
