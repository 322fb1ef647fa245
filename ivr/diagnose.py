"""`ivr check` as data: the problems that fail the check and the notes it prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from .runtime import Runtime


@dataclass
class Diagnosis:
    """What `ivr check` found: problems fail it, notes inform."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def diagnose(loaded: Runtime, identify: bool = True) -> Diagnosis:
    """Every problem and note about a loaded deployment (scripts and, with `identify`, lingua)."""
    found = Diagnosis()
    content, playback, settings = loaded.content, loaded.playback, loaded.settings
    found.problems += [
        f"{code}: asked for in IVR_LANGUAGES but cannot be heard: {why}"
        for code, why in playback.unavailable.items()
        if settings.languages and code in settings.languages
    ]
    found.problems += [f"audio: {code}: {why}" for code, why in playback.degraded.items()]
    if identify:
        from .linguistics import check_identity, check_scripts

        found.problems += check_scripts(content) + check_identity(content)
    from .studio.takes import lines_for_check, progress

    for code, why in playback.unavailable.items():
        lang = content.languages[code]
        found.notes.append(f"off: {code} ({lang.english_name}): {why}")
        if lang.recorded_only:  # missing, stale, rejected, waiting for review (ivr.studio.takes)
            found.notes += lines_for_check(progress(content, settings.audio_dir, code))
    for code in loaded.offered:
        waiting = progress(content, settings.audio_dir, code).prompts("recorded", "stale", "rejected")
        if waiting:
            found.notes.append(
                f"recordings of {code} not heard on calls (unapproved, stale or rejected): {', '.join(waiting)}"
            )
    robotic = [c for c in loaded.offered if playback.plays_offline_voice(c)]
    if robotic:
        found.notes.append(
            f"offline voice (eSpeak NG) on calls, no Twilio voice: {', '.join(robotic)}; build gTTS audio online "
            f"to replace it: ivr audio build {' '.join('--lang ' + c for c in robotic)} --engine recorded --engine gtts"
        )
    drafts = [c for c in loaded.offered if content.languages[c].status == "machine-draft"]
    if drafts:
        found.notes.append(f"machine drafts, to be reviewed by a native speaker: {', '.join(drafts)}")
    found.notes.append(f"offered: {', '.join(loaded.offered)}")
    found.notes.append(f"nodes: {len(content.menu.nodes)}, prompts per language: {len(content.required_prompts())}")
    return found
