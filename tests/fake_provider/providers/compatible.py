"""A generic OpenAI-compatible endpoint: behaves like OpenAI, with a few
open models more."""

from __future__ import annotations

from .openai import OPENAI_MODELS, OpenAI

COMPAT_MODELS = dict(OPENAI_MODELS, **{
    "llama-3.3-70b-instruct": (1733443200, None),
    "qwen2.5-coder-32b-instruct": (1731456000, None),
})


class Compat(OpenAI):
    name = "compat"
    hosts = ("compat",)
    models = COMPAT_MODELS
