"""Phone numbers: what may be dialled, and how numbers are read in a prompt and shown to people."""

from __future__ import annotations

import re
from collections.abc import Mapping

# Never put through to these: Twilio cannot reach them in Norway and must not promise to.
EMERGENCY_NUMBERS = ("110", "112", "113")
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# Not \b: in Chinese or Thai the letters before an address are word characters too.
_WEB = re.compile(r"(?<![A-Za-z0-9.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:no|com|org|int)(?:/[A-Za-z0-9_/-]*[A-Za-z0-9_-])?")
_NUMBER = re.compile(r"[0-9]+(?: [0-9]+)*")


def is_e164(number: str | None) -> bool:
    """Whether `number` is a dialable international number like +4722331160."""
    return bool(number) and E164.match(number or "") is not None


# What Twilio sends in From for a withheld number, besides words like "Anonymous": never a real caller.
WITHHELD = ("+266696687", "+7378742833", "+86282452253")


def is_real_caller(number: str | None) -> bool:
    """Whether From is a caller's real E.164 number (not withheld), so FromCountry means something."""
    return is_e164(number) and number not in WITHHELD


def helpline_number(values: Mapping[str, str]) -> str | None:
    """The helpline's own number in a webhook's parameters: To, on a call someone made to the line.

    On a call the line placed itself (`ivr twilio test-call`, Direction outbound-api), To is the
    operator's own phone: never show that to ROSA, so there is no number to show.
    """
    if values.get("Direction", "inbound") != "inbound":
        return None
    return values.get("To")


def is_emergency(number: str) -> bool:
    """Whether a number is one of Norway's emergency numbers, with or without +47."""
    local = number.removeprefix("+47")
    return local in EMERGENCY_NUMBERS or number.lstrip("+") in EMERGENCY_NUMBERS


def web_addresses(text: str) -> list[str]:
    """Web addresses in a prompt, in order."""
    return _WEB.findall(text)


def spoken_numbers(text: str) -> list[str]:
    """Numbers in a prompt as digit strings ("22 33 11 60" -> "22331160"), web addresses aside."""
    return [n.replace(" ", "") for n in _NUMBER.findall(_WEB.sub(" ", text))]


def display(number: str) -> str:
    """A number as people in Norway write it: +47 22 33 11 60, 22 33 11 60, 116 117, 02800, 112."""
    if number.startswith("+47") and len(number) == 11:
        return "+47 " + display(number[3:])
    if len(number) == 8 and number.isdigit():
        return " ".join(number[i : i + 2] for i in range(0, 8, 2))
    if len(number) == 6 and number.isdigit():
        return f"{number[:3]} {number[3:]}"
    return number
