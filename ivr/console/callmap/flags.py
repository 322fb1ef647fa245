"""What the call map says about each prompt besides its words: its audio, its flags, when it is said."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...call.scenes import GATHER_TIMEOUT
from ...catalog import AudioFile
from ...content import SOURCE_LANGUAGE, CallRules, Language, Node, text_hash
from ...engines import ENGINES, LABELS
from ...runtime import Runtime
from .model import Audio, Flag, Said, Section

ORDINAL = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def around(rules: CallRules) -> tuple[tuple[str, str], ...]:
    """What is said around every menu rather than at one place in the tree, and when: from the rules."""
    give_up_after = ORDINAL.get(rules.silence_repeats + 1, f"{rules.silence_repeats + 1}th")
    return (
        (rules.keys, "at the end of every menu and message"),
        (rules.invalid, "after a key that is not in the menu; then the menu again"),
        (rules.invalid_help, f"after the {ORDINAL.get(rules.help_after, str(rules.help_after))} wrong key in a row"),
        (rules.no_choice, f"after {GATHER_TIMEOUT} s without a key, instead of the menu again"),
        (rules.no_input, f"after the {give_up_after} silence in a row: then ROSA's number and a transfer"),
        (rules.handoff, "before every transfer to ROSA: who ROSA is"),
        (rules.connecting, "before a transfer to another service"),
        (rules.service_unanswered, "when a service other than ROSA does not answer; then the message again"),
    )


def audio_flags(ivr: Runtime, files: Mapping[tuple[str, str], list[AudioFile]], lang: Language, prompt: str, text: str) -> tuple[Audio | None, list[Flag]]:
    """The built file a prompt plays (or only previews), and what a reviewer should look at."""
    settings = ivr.settings
    catalog = ivr.catalog
    source = ivr.playback.source(lang.code, prompt)
    playable = source if isinstance(source, AudioFile) else None
    found = playable or catalog.find(lang.code, prompt, text, ENGINES)
    audio = None
    if found:
        base = settings.audio_base_url or "/audio"
        audio = Audio(f"{base}/{found.file}", found.engine, found.duration, played=playable is not None)
    flags = []
    if found is None:
        older = [f for f in files.get((lang.code, prompt), ()) if f.text_hash != text_hash(text)]
        if older:
            flags.append(Flag("stale-audio", "stale audio: made from older words; rebuild or record again"))
        elif lang.recorded_only:
            flags.append(Flag("missing-audio", "no recording: this language needs every prompt recorded"))
        else:
            flags.append(Flag("missing-audio", "no audio built: callers hear the <Say> voice"))
    elif not playable:
        engine = LABELS.get(found.engine, found.engine)
        flags.append(Flag("preview-only", f"{engine} only: callers do not hear it"))
    return audio, flags

def review_flags(
    ivr: Runtime, files: Mapping[tuple[str, str], list[AudioFile]], lang: Language, prompt: str, text: str,
    flags: list[Flag],
) -> tuple[Audio | None, list[Flag]]:
    """A person's recording of these words that nobody has approved yet (played from the console,
    never to callers), and the flags with it: waiting for review, or rejected by a reviewer."""
    words = text_hash(text)
    waiting = [
        f for f in files.get((lang.code, prompt), ()) if f.engine == "recorded" and not f.approved and f.text_hash == words
    ]
    if not waiting:
        return None, flags
    from ...studio.takes import state  # the take's record: rejected, or waiting

    if state(ivr.settings.audio_dir, lang, prompt).status == "rejected":
        return None, [*flags, Flag("rejected", "recording rejected by a reviewer: to be recorded again")]
    kept = [f for f in flags if f.kind != "missing-audio"]  # it is recorded: it waits for review
    kept.append(Flag("unapproved", "recorded, not approved: callers hear it once a second person approves it"))
    url = f"/console/record/take/{lang.code}/{prompt}.wav"
    return Audio(url, "recorded", waiting[0].duration, played=False), kept


def translation_flags(ivr: Runtime, lang: Language, prompt: str, text: str) -> list[Flag]:
    """Untranslated words, machine drafts."""
    flags = []
    source = ivr.content.languages[SOURCE_LANGUAGE]
    if lang.code != SOURCE_LANGUAGE and text.strip() == source.prompts.get(prompt, "").strip():
        flags.append(Flag("untranslated", "untranslated: the same words as the Norwegian source"))
    if lang.status == "machine-draft":
        flags.append(Flag("machine-draft", "machine draft: to be reviewed by a native speaker"))
    return flags


def title(node: Node, root: str) -> str:
    if node.id == root:
        return "Main menu"
    return f"{node.id.replace('_', ' ').capitalize()} ({node.kind})"


def first_said(sections: Sequence[Section]) -> tuple[Said, ...]:
    """Every number said anywhere on the map, with the first time a caller can hear it."""
    first: dict[str, Said] = {}
    for section in sections:
        for row in section.rows:
            for number in row.numbers:
                old = first.get(number)
                at = row.starts_at
                if old is None or (at is not None and (old.at is None or at.value < old.at.value)):
                    first[number] = Said(number, row.starts_at, f"{row.lang.code}/{row.prompt}")
    return tuple(sorted(first.values(), key=lambda said: (said.at is None, said.at.value if said.at else 0.0)))
