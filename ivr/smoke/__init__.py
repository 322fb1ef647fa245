"""`ivr smoke URL`: walk a deployed line over HTTP(S) as Twilio would, and name every problem.

The walker is an external client. It knows only the number's Voice URL and the auth token,
and follows only URLs the TwiML hands it (<Gather action>, <Redirect>, <Dial action>,
<Number url>): it presses every key at every menu, lets every menu go silent, and ends every
transfer answered and unanswered. It never dials anyone: it only POSTs to the line's own
webhooks, signed as Twilio signs them, and GETs the audio they play, within a budget of
requests and time. A visited set on each request (URL and parameters) makes it terminate.
"""

from __future__ import annotations

from .checks import E164
from .cli import command
from .http import SMOKE_HEADER, TWILIO_TIMEOUT
from .report import Answer, Params, Problems, Report, Step, summary
from .walker import FAKE_CALLER, FAKE_HELPLINE, Walker, voice_url

__all__ = [
    "E164", "FAKE_CALLER", "FAKE_HELPLINE", "SMOKE_HEADER", "TWILIO_TIMEOUT",
    "Answer", "Params", "Problems", "Report", "Step", "Walker", "command", "summary", "voice_url",
]  # fmt: skip
