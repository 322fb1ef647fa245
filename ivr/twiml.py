"""Scenes to TwiML, built only with twilio's VoiceResponse, in this one place."""

from __future__ import annotations

import re

from twilio.twiml.voice_response import Gather, VoiceResponse

from .catalog import Catalog, playable_engines
from .config import Settings
from .content import E164, Content
from .flow import Ask, Goodbye, Part, Scene, Transfer

GATHER_TIMEOUT = 8  # seconds to answer; Twilio's default 5 is too short for a frightened caller
DIAL_TIMEOUT = 30  # seconds of ringing before the caller hears ROSA's number instead


class Renderer:
    """Turns scenes into TwiML: each prompt played from its audio file or spoken with <Say>."""

    def __init__(self, content: Content, settings: Settings, catalog: Catalog) -> None:
        self.content = content
        self.settings = settings
        self.catalog = catalog

    def render(self, scene: Scene, base_url: str, caller_id: str | None) -> str:
        """TwiML for a scene; URLs are made absolute against `base_url`."""
        response = VoiceResponse()
        match scene:
            case Ask():
                gather = response.gather(
                    input="dtmf",  # keys only: the caller's voice is never captured
                    action=base_url + scene.action,
                    method="POST",
                    timeout=GATHER_TIMEOUT,
                    num_digits=1,
                    finish_on_key="",  # so '#' arrives as a key (repeat)
                    action_on_empty_result=False,
                )
                self._speak_all(gather, scene.parts, base_url)
                response.redirect(base_url + scene.on_silence, method="POST")
            case Transfer():
                self._speak_all(response, scene.parts, base_url)
                self._dial(response, scene, base_url, caller_id)
            case Goodbye():
                self._speak_all(response, scene.parts, base_url)
                response.hangup()
        return str(response)

    def standalone_fallback(self, caller_id: str) -> str:
        """TwiML for a Twilio TwiML Bin, to answer even when this app is down: only <Say>,
        no URLs back here. `caller_id` may be Twilio's template "{{To}}"."""
        greeting = self.content.greeting
        response = VoiceResponse()
        for code in greeting:
            self._say(response, code, "error")
        response.dial(caller_id=caller_id, timeout=DIAL_TIMEOUT).number(self.settings.dial_number(self.content, "rosa"))
        for prompt in ("rosa_number", "goodbye"):
            for code in greeting:
                self._say(response, code, prompt)
        response.hangup()
        return str(response)

    def _dial(self, response: VoiceResponse, scene: Transfer, base_url: str, caller_id: str | None) -> None:
        """Dial showing the helpline's number; never dial without one (it would show the caller's)."""
        shown = self.settings.caller_id or (caller_id if caller_id and E164.match(caller_id) else None)
        if not shown or not E164.match(scene.number):
            langs = (scene.lang,) if scene.lang else self.content.greeting
            self._speak_all(response, tuple((c, p) for p in ("rosa_number", "goodbye") for c in langs), base_url)
            response.hangup()
            return
        dial = response.dial(
            caller_id=shown,
            action=base_url + scene.action,
            method="POST",
            timeout=DIAL_TIMEOUT,
        )
        dial.number(scene.number)

    def _speak_all(self, verb: VoiceResponse | Gather, parts: tuple[Part, ...], base_url: str) -> None:
        for lang, prompt in parts:
            self.speak(verb, lang, prompt, base_url)

    def speak(self, verb: VoiceResponse | Gather, lang: str, prompt: str, base_url: str) -> None:
        """Add one prompt: <Play> its audio when built from the current text, else <Say>."""
        language = self.content.languages[lang]
        text = language.text(prompt)
        if self.settings.audio_mode == "auto":
            found = self.catalog.find(lang, prompt, text, playable_engines(language, self.settings.play_engines))
            if found:
                verb.play(f"{self.settings.audio_base_url or base_url + '/audio'}/{found.file}")
                return
        self._say(verb, lang, prompt)

    def _say(self, verb: VoiceResponse | Gather, lang: str, prompt: str) -> None:
        language = self.content.languages[lang]
        voice = language.say or self.content.languages[self.content.greeting[-1]].say
        verb.say(
            _for_voice(language.text(prompt)),
            voice=voice.voice if voice else None,
            language=voice.language if voice else None,
        )


def _for_voice(text: str) -> str:
    """Collapse whitespace; texts are stored for people, the voice needs one line."""
    return re.sub(r"\s+", " ", text).strip()
