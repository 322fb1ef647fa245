"""The call map: one language's whole call as a tree, with its audio and the time to help.

Built from the call's own scenes (`ivr.call.step`), so the prompts stand in the order a caller
hears them, and timed by `ivr.timing` through `ivr.playback`.
"""

from .mapper import ENGINE_NAMES, around, build
from .model import Audio, CallMap, Flag, Milestone, Row, Said, Section

__all__ = ["ENGINE_NAMES", "Audio", "CallMap", "Flag", "Milestone", "Row", "Said", "Section", "around", "build"]
