"""The helpline's number at Twilio: how it must be configured, what is wrong with it, and the change.

`wanted()` is the whole configuration the line needs (twilio-facts.md §5–6): the Voice URL and
Fallback URL by POST, no status callback (the line uses none), no caller-name lookup, no SMS URL,
and no application or SIP trunk (either makes Twilio ignore the Voice URL).

Its URLs must be https://, except in a rehearsal: a PUBLIC_BASE_URL of http:// on this machine's
loopback (127.0.0.0/8, localhost, [::1]) while TWILIO_API_BASE_URL is a fake Twilio on this
machine too, so that the deployment checklist can be followed end to end locally. Never with the
real Twilio: a real number pointed at a loopback address would leave every caller in silence.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from ..errors import IvrError
from .client import failure, refusal


class NumberError(IvrError):
    """The number cannot be read or changed; the message names why."""


@dataclass(frozen=True)
class Setting:
    """One field of an IncomingPhoneNumber the line manages."""

    attr: str  # the SDK's attribute and update() keyword
    label: str  # as the Twilio console names it


SETTINGS = (
    Setting("voice_url", "Voice URL"),
    Setting("voice_method", "Voice method"),
    Setting("voice_fallback_url", "Fallback URL"),
    Setting("voice_fallback_method", "Fallback method"),
    Setting("status_callback", "Status callback URL"),
    Setting("voice_caller_id_lookup", "Caller name lookup"),
    Setting("sms_url", "SMS URL"),
    Setting("voice_application_sid", "Voice application"),
    Setting("trunk_sid", "SIP trunk"),
)
LABELS = {s.attr: s.label for s in SETTINGS}
REHEARSAL = "http on a loopback address: a rehearsal, not reachable by Twilio"


def loopback(url: str | None) -> bool:
    """Whether `url`'s host is this machine's loopback: 127.0.0.0/8, localhost or [::1]."""
    host = (urlsplit(url or "").hostname or "").lower()  # hostname drops the brackets of [::1] and any user@
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # "" or a name: 127.0.0.1.example.org resolves anywhere


def loopback_http(url: str) -> bool:
    return urlsplit(url).scheme.lower() == "http" and loopback(url)


def rehearsal(public_base_url: str, twilio_api_base_url: str | None) -> bool:
    """A local rehearsal: the line on http:// on the loopback, configured at a fake Twilio on it too."""
    return loopback_http(public_base_url) and loopback(twilio_api_base_url)


def secure_enough(url: str, rehearsing: bool) -> bool:
    """https://, or in a rehearsal http:// on the loopback."""
    return url.startswith("https://") or (rehearsing and loopback_http(url))


@dataclass(frozen=True)
class Change:
    """One field that differs from what the line needs."""

    attr: str
    before: str | bool
    after: str | bool

    @property
    def label(self) -> str:
        return LABELS[self.attr]


def wanted(public_base_url: str, fallback_url: str | None = None) -> dict[str, str | bool]:
    """The number's configuration for this deployment."""
    base = public_base_url.rstrip("/")
    return {
        "voice_url": f"{base}/voice",
        "voice_method": "POST",
        "voice_fallback_url": fallback_url or f"{base}/voice/fallback",
        "voice_fallback_method": "POST",
        "status_callback": "",  # the line uses no status callback: nothing should receive call details
        "voice_caller_id_lookup": False,
        "sms_url": "",
        "voice_application_sid": "",  # "" unbinds: the Voice URL is ignored while one is set
        "trunk_sid": "",
    }


def find(client: Client, phone_number: str) -> Any:
    """The account's IncomingPhoneNumber for `phone_number`, exactly (Twilio's filter matches parts)."""
    try:
        found = [n for n in client.incoming_phone_numbers.list(phone_number=phone_number, limit=20)
                 if n.phone_number == phone_number]
    except (TwilioException, OSError) as e:
        raise refused("read the account's numbers", e) from None
    if not found:
        raise NumberError(
            "the account has no such number: check --number (or IVR_CALLER_ID) and TWILIO_ACCOUNT_SID"
        )
    return found[0]


def current(number: Any) -> dict[str, str | bool]:
    """The managed fields as they are, None and "" alike, methods upper-case."""
    values: dict[str, str | bool] = {}
    for s in SETTINGS:
        value = getattr(number, s.attr, None)
        if s.attr == "voice_caller_id_lookup":
            values[s.attr] = bool(value)
        elif s.attr.endswith("_method"):
            values[s.attr] = str(value or "POST").upper()  # Twilio's default method is POST
        else:
            values[s.attr] = str(value or "")
    return values


def changes(now: Mapping[str, str | bool], target: Mapping[str, str | bool]) -> list[Change]:
    """What must change, in the console's order."""
    return [Change(s.attr, now[s.attr], target[s.attr]) for s in SETTINGS if now[s.attr] != target[s.attr]]


def apply(number: Any, todo: list[Change]) -> dict[str, str | bool]:
    """Send exactly the changed fields in one update; the configuration as Twilio then has it."""
    try:
        updated = number.update(**{c.attr: c.after for c in todo})
    except (TwilioException, OSError) as e:
        raise refused("update the number", e) from None
    return current(updated)


def problems(
    now: Mapping[str, str | bool], public_base_url: str, fallback_url: str | None = None, rehearsing: bool = False
) -> list[str]:
    """Everything wrong with the number's configuration for this deployment, each named."""
    target = wanted(public_base_url, fallback_url)
    found: list[str] = []
    if now["voice_application_sid"]:
        found.append(
            f"the number is bound to the application {now['voice_application_sid']}, so Twilio ignores its "
            "Voice URL: unbind it (ivr twilio setup does)"
        )
    if now["trunk_sid"]:
        found.append(
            f"the number is bound to the SIP trunk {now['trunk_sid']}, so Twilio ignores its Voice URL: unbind it"
        )
    voice = str(now["voice_url"])
    if not voice:
        found.append(f"Voice URL is missing: it must be {target['voice_url']}")
    elif voice != target["voice_url"]:
        found.append(f"Voice URL is {voice}: it must be {target['voice_url']}")
    if voice and not secure_enough(voice, rehearsing):
        found.append(f"Voice URL {voice} is not https://")
    if now["voice_method"] != "POST":
        found.append(f"Voice method is {now['voice_method']}: it must be POST")
    fallback = str(now["voice_fallback_url"])
    if not fallback:
        found.append(
            f"Fallback URL is missing: set {target['voice_fallback_url']} or a TwiML Bin from "
            "`ivr fallback-twiml`, so a caller still reaches ROSA when the app fails"
        )
    else:
        if not secure_enough(fallback, rehearsing):
            found.append(f"Fallback URL {fallback} is not https://")
        if fallback_url and fallback != fallback_url:
            found.append(f"Fallback URL is {fallback}: it must be {fallback_url}")
        elif _same_place(fallback, voice):
            found.append("Fallback URL is the Voice URL: when that fails, the fallback fails with it")
    if now["voice_caller_id_lookup"]:
        found.append(
            "caller name lookup is on: Twilio looks up every caller's name and sends it with the call; turn it off"
        )
    if now["status_callback"]:
        found.append(
            f"status callback points to {now['status_callback']}: every call's details, with the caller's number, "
            "are sent there; the line uses none, so clear it"
        )
    if now["sms_url"]:
        found.append(
            f"SMS URL points to {now['sms_url']}: texts to the line's number go there; the line answers none, so clear it"
        )
    return found


def refused(doing: str, error: Exception) -> NumberError:
    """A Twilio failure as a NumberError naming its status and code only."""
    return NumberError(refusal(doing, *failure(error)))


def _same_place(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return bool(b) and (pa.netloc, pa.path.rstrip("/")) == (pb.netloc, pb.path.rstrip("/"))
