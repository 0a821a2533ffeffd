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

Error bodies and status codes follow the real providers' (README.md next to
this file says where a choice was inferred).  Keys come from a scenario file
(--scenario) or from POST /__admin/keys; everything the fake saw is in
GET /__admin/log.  See README.md for the scenario format and admin endpoints.

The code is the package providers/ next to this file: one module per
provider, base.py (the request context and the Provider base class),
registry.py (keys, settings, log), common.py (small helpers) and server.py
(HTTP plumbing, the admin API and the command line).

Start:  python3 fake_provider.py --port 0 --port-file PATH [--scenario FILE]
"""

import os
import sys

# python3 -I (isolated mode) leaves the script's directory off the path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Tests run it from the source tree: leave no __pycache__ there.
sys.dont_write_bytecode = True

from providers.server import main  # noqa: E402  (needs the path above)

if __name__ == "__main__":
    sys.exit(main())
