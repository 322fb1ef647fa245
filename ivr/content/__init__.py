"""The line's content: the topic tree, the call's rules and every language, loaded once.

Everything is checked as a whole when loaded, and every problem is named at once, so a
broken file stops the line before a caller can reach a dead end.
"""

from ..phone import E164, EMERGENCY_NUMBERS, is_emergency, spoken_numbers, web_addresses
from .loader import load
from .model import (
    DEFAULT_PROMPTS_DIR,
    KEYPAD,
    KINDS,
    OPTION_KEYS,
    SCRIPTS,
    SOURCE_LANGUAGE,
    STATUSES,
    CallRules,
    Content,
    DialOffer,
    Keys,
    Language,
    Menu,
    Node,
    NodeKind,
    Option,
    SayVoice,
    Service,
    text_hash,
)
from .problems import Problem
from .rules import check, check_menu, check_texts

__all__ = [
    "DEFAULT_PROMPTS_DIR", "E164", "EMERGENCY_NUMBERS", "KEYPAD", "KINDS", "OPTION_KEYS", "SCRIPTS",
    "SOURCE_LANGUAGE", "STATUSES", "CallRules", "Content", "DialOffer", "Keys", "Language", "Menu", "Node",
    "NodeKind", "Option", "Problem", "SayVoice", "Service", "check", "check_menu", "check_texts",
    "is_emergency", "load", "spoken_numbers", "text_hash", "web_addresses",
]
