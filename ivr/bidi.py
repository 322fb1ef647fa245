"""Numbers and web addresses kept left to right inside right-to-left text, for people who read aloud.

In an Arabic-script line a run such as "22 33 11 60" is laid out by the Unicode bidirectional
algorithm as separate numbers in right-to-left order, so a recorder reading the sheet may say
"60 11 33 22". Wrapping each run in a left-to-right isolate (U+2066 … U+2069) keeps it as written.
"""

from __future__ import annotations

import re

LRI = "\u2066"  # LEFT-TO-RIGHT ISOLATE
PDI = "\u2069"  # POP DIRECTIONAL ISOLATE
RTL_SCRIPTS = frozenset({"Arabic"})

# A web address, or digits with the single spaces between their groups ("22 33 11 60", "1 1 2").
_LTR_RUN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:no|com|org|int)(?:/[A-Za-z0-9_/-]*[A-Za-z0-9_-])?|\d+(?: \d+)*")


def isolate_ltr(text: str) -> str:
    """`text` with every number and web address in a left-to-right isolate."""
    return _LTR_RUN.sub(lambda m: f"{LRI}{m.group(0)}{PDI}", text)


def for_reading(text: str, script: str) -> str:
    """The text as a person should see it to read it aloud in this script."""
    return isolate_ltr(text) if script in RTL_SCRIPTS else text
