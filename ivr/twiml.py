"""Scenes to TwiML, built only with twilio's VoiceResponse, in this one place."""

from __future__ import annotations

from twilio.twiml.voice_response import Gather, VoiceResponse

from .call.scenes import DIAL_TIMEOUT, GATHER_TIMEOUT, Ask, Goodbye, Scene, Transfer, Utterance, Whisper
from .call.urls import encode
from .catalog import AudioFile
from .config import Settings
from .content import Content
from .playback import Playback, Say, for_voice

__all__ = ["DIAL_TIMEOUT", "GATHER_TIMEOUT", "Renderer"]


class Renderer:
    """Turns scenes into TwiML: each prompt played from its audio file or spoken with <Say>."""

    def __init__(self, content: Content, settings: Settings, playback: Playback) -> None:
        self.content = content
        self.settings = settings
        self.playback = playback

    def render(self, scene: Scene, base_url: str) -> str:
        """TwiML for a scene; URLs are made absolute against `base_url`."""
        response = VoiceResponse()
        match scene:
            case Ask():
                gather = response.gather(
                    input="dtmf",  # keys only: the caller's voice is never captured
                    action=base_url + encode(scene.here, "key"),
                    method="POST",
                    timeout=GATHER_TIMEOUT,
                    num_digits=1,
                    finish_on_key="",  # so '#' arrives as a key (repeat)
                    action_on_empty_result=False,
                )
                self._speak_all(gather, scene.parts, base_url)
                response.redirect(base_url + encode(scene.on_silence), method="POST")
            case Transfer():
                self._speak_all(response, scene.parts, base_url)
                dial = response.dial(
                    caller_id=scene.caller_id,  # the helpline's number, never the caller's
                    action=base_url + encode(scene.after),
                    method="POST",
                    timeout=DIAL_TIMEOUT,
                    answer_on_bridge=True,  # the caller hears ringing until they are put through
                )
                if scene.whisper is not None:
                    dial.number(scene.number, url=base_url + encode(scene.whisper), method="POST")
                else:
                    dial.number(scene.number)
            case Goodbye():
                self._speak_all(response, scene.parts, base_url)
                response.hangup()
            case Whisper():
                self._whisper(response, scene, base_url)
        return str(response)

    def _whisper(self, response: VoiceResponse, scene: Whisper, base_url: str) -> None:
        """To whoever answered: <Say> only (the words name the caller's language, so no file has them)."""
        if scene.hang_up:
            response.hangup()
            return
        voice = self.content.languages[scene.lang].say
        verb: VoiceResponse | Gather = response
        if scene.accept is not None:
            verb = response.gather(
                input="dtmf", action=base_url + encode(scene.accept, "key"), method="POST",
                timeout=GATHER_TIMEOUT, num_digits=1, finish_on_key="", action_on_empty_result=False,
            )
        for text in scene.texts:
            verb.say(for_voice(text), voice=voice.voice if voice else None, language=voice.language if voice else None)
        if scene.accept is not None:
            response.hangup()  # nobody pressed the key: that leg ends; the caller hears the unanswered path

    def standalone_fallback(self, caller_id: str) -> str:
        """TwiML for a Twilio TwiML Bin, to answer even when this app is down: only <Say>,
        no URLs back here. `caller_id` may be Twilio's template "{{To}}"."""
        greeting = self.content.greeting
        rules = self.content.call
        response = VoiceResponse()
        # Like every transfer to ROSA: what went wrong and ROSA's number, then whom the caller is
        # put through to (no whisper: that would need this app), with ringing while ROSA is reached.
        for prompt in (rules.error, rules.handoff):
            for code in greeting:
                self._say(response, code, prompt)
        dial = response.dial(caller_id=caller_id, timeout=DIAL_TIMEOUT, answer_on_bridge=True)
        dial.number(self.settings.dial_number(self.content, "rosa"))
        for prompt in rules.no_caller_id:
            for code in greeting:
                self._say(response, code, prompt)
        response.hangup()
        return str(response)

    def _speak_all(self, verb: VoiceResponse | Gather, parts: tuple[Utterance, ...], base_url: str) -> None:
        for lang, prompt in parts:
            self.speak(verb, lang, prompt, base_url)

    def speak(self, verb: VoiceResponse | Gather, lang: str, prompt: str, base_url: str) -> None:
        """Add one prompt: <Play> its audio when built from the current text, else <Say>."""
        found = self.playback.source(lang, prompt)
        if isinstance(found, AudioFile):
            verb.play(f"{self.settings.audio_base_url or base_url + '/audio'}/{found.file}")
        else:
            verb.say(found.text, voice=found.voice, language=found.language)

    def _say(self, verb: VoiceResponse | Gather, lang: str, prompt: str) -> None:
        found = self.playback.source(lang, prompt)
        if isinstance(found, AudioFile):
            found = self.playback.say(self.content.languages[lang], prompt)
        assert isinstance(found, Say)
        verb.say(found.text, voice=found.voice, language=found.language)
