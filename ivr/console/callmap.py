"""The call map: one language's whole call as a tree, with its audio and the time to help.

Built from the call flow's own scenes (`Line.language_menu`, `Line.node`, `Line.unanswered`...),
so the prompts stand in the order a caller hears them, and timed by `ivr.timing`: a prompt's
built audio when callers would hear it, else an estimate from its text, marked as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..app import Ivr
from ..catalog import AudioFile, playable_engines
from ..config import DIAL_PREFIX, ENGINES
from ..content import FLOW_KEY_PROMPTS, SOURCE_LANGUAGE, Language, Node, spoken_numbers, text_hash
from ..flow import Ask, Part, Scene, Transfer
from ..simulator import describe_number
from ..timing import PAUSE, ZERO, Seconds, prompt_seconds, spoken_seconds, time_to_rosa_option
from ..twiml import GATHER_TIMEOUT

ENGINE_NAMES = {"recorded": "recorded (a person)", "gtts": "gTTS", "espeak": "offline (eSpeak NG)"}
# Said around every menu rather than at one place in the tree: when each is heard.
AROUND = (
    ("keys", "at the end of every menu and message"),
    ("invalid", "after a key that is not in the menu; then the menu again"),
    ("invalid_help", "after the third wrong key in a row"),
    ("no_input", f"after {GATHER_TIMEOUT} s without a key; after the third time, ROSA's number and a transfer"),
    ("connecting", "before every transfer"),
    ("service_unanswered", "when a service other than ROSA does not answer; then the message again"),
)


@dataclass(frozen=True)
class Audio:
    """A built file for a prompt's current words."""

    url: str
    engine: str
    duration: float
    played: bool  # whether callers hear it, or it is only a preview (its engine may not play on calls)

    @property
    def engine_name(self) -> str:
        return ENGINE_NAMES.get(self.engine, self.engine)


@dataclass(frozen=True)
class Flag:
    """Something a reviewer should look at."""

    kind: str  # missing-audio, stale-audio, untranslated, machine-draft, preview-only
    text: str


@dataclass(frozen=True)
class Row:
    """One prompt at one point of the call."""

    lang: Language
    prompt: str
    text: str
    seconds: Seconds
    starts_at: Seconds | None  # audio heard before it, from the start of the call
    audio: Audio | None
    flags: tuple[Flag, ...]
    key: str | None = None  # the key this prompt offers
    leads_to: str | None = None  # the section the key leads to
    note: str = ""

    @property
    def numbers(self) -> list[str]:
        """The numbers it says, as people write them (112, 116 117, 22 33 11 60); keys aside."""
        return [shown_number(n) for n in spoken_numbers(self.text) if len(n) > 1]


@dataclass(frozen=True)
class Section:
    """A place in the call: a page of the language menu, a menu, a message, a transfer."""

    id: str
    title: str
    kind: str
    rows: tuple[Row, ...]
    depth: int = 0
    keys: tuple[str, ...] = ()  # pressed from the main menu to get here
    reached_at: Seconds | None = None
    transfer: str | None = None  # "→ ROSA +47 22 33 11 60"
    transfer_at: Seconds | None = None
    note: str = ""


@dataclass(frozen=True)
class Milestone:
    """How long a caller listens before a way to help."""

    label: str
    keys: str
    at: Seconds | None


@dataclass(frozen=True)
class Said:
    """A number said on the call, and the first time a caller can hear it."""

    number: str
    at: Seconds | None  # when the prompt saying it starts
    prompt: str  # lang/prompt id


@dataclass(frozen=True)
class CallMap:
    """Everything the map page shows for one language."""

    lang: Language
    country: str | None
    offered: bool
    why_not: str | None
    sections: tuple[Section, ...]
    milestones: tuple[Milestone, ...]
    numbers: tuple[Said, ...]
    flags: dict[str, int] = field(default_factory=dict)  # kind -> prompts of this language flagged
    rate: str = ""


def shown_number(digits: str) -> str:
    """Digits as written in Norway: 22 33 11 60, 116 117, 02800, 112."""
    if len(digits) == 8:
        return " ".join(digits[i : i + 2] for i in range(0, 8, 2))
    if len(digits) == 6:
        return f"{digits[:3]} {digits[3:]}"
    return digits


def build(ivr: Ivr, code: str, country: str | None = None) -> CallMap:
    """The map of language `code`, as a caller from `country` (default: its first country) hears it."""
    return _Mapper(ivr, code, country).build()


class _Mapper:
    def __init__(self, ivr: Ivr, code: str, country: str | None) -> None:
        self.ivr = ivr
        self.line = ivr.line
        self.content = ivr.content
        self.lang = ivr.content.languages[code]
        self.country = country or (self.lang.countries[0] if self.lang.countries else None)
        self.files: dict[tuple[str, str], list[AudioFile]] = {}
        for f in ivr.catalog.files():
            self.files.setdefault((f.lang, f.prompt), []).append(f)
        self.shown: set[str] = set()  # prompts of this language already on the map

    def build(self) -> CallMap:
        offered = self.line.is_language(self.lang.code)
        start, chosen_at = self._language_menu()
        tree, milestones = self._tree(chosen_at)
        if chosen_at is not None:
            chosen = Milestone(f"{self.lang.name} chosen in the language menu", start[-1].keys[0], chosen_at)
            milestones.insert(0, chosen)
        greeting = self.content.languages[self.content.greeting[0]].name
        milestones.insert(
            0,
            Milestone(
                f"“Press 0” to talk to ROSA, said by the greeting ({greeting})", "0", time_to_rosa_option(self.line)
            ),
        )
        sections = [*start, *tree, *self._around(), *self._rest()]
        return CallMap(
            lang=self.lang,
            country=self.country,
            offered=offered,
            why_not=self.line.unavailable.get(self.lang.code)
            or (None if offered else "not in IVR_LANGUAGES for this deployment"),
            sections=tuple(sections),
            milestones=tuple(milestones),
            numbers=_first_said(sections),
            flags=self._count(sections),
            rate=f"{1 / spoken_seconds('x', self.lang.script):g} characters a second ({self.lang.script} script) "
            f"plus {PAUSE:g} s between prompts",
        )

    # Rows ---------------------------------------------------------------------------------

    def row(
        self, part: Part, starts_at: Seconds | None, key: str | None = None, leads_to: str | None = None, note: str = ""
    ) -> Row:
        """One prompt, with its audio, its flags and how long it plays."""
        code, prompt = part
        lang = self.content.languages[code]
        text = lang.text(prompt)
        if code == self.lang.code:
            self.shown.add(prompt)
        audio, flags = self._audio(lang, prompt, text)
        flags += self._translation(lang, prompt, text)
        seconds = prompt_seconds(self.line, part)
        key = key or FLOW_KEY_PROMPTS.get(prompt)  # the language menu's options, "more languages", "try again"
        return Row(lang, prompt, text, seconds, starts_at, audio, tuple(flags), key, leads_to, note)

    def _end(self, parts: Iterable[Part], at: Seconds | None) -> Seconds | None:
        """When prompts played one after another from `at` end."""
        for part in parts:
            at = at + prompt_seconds(self.line, part) if at is not None else None
        return at

    def _audio(self, lang: Language, prompt: str, text: str) -> tuple[Audio | None, list[Flag]]:
        settings = self.ivr.settings
        played = () if settings.audio_mode == "say" else playable_engines(lang, settings.play_engines)
        catalog = self.ivr.catalog
        playable = catalog.find(lang.code, prompt, text, played)
        found = playable or catalog.find(lang.code, prompt, text, ENGINES)
        audio = None
        if found:
            base = settings.audio_base_url or "/audio"
            audio = Audio(f"{base}/{found.file}", found.engine, found.duration, played=playable is not None)
        flags = []
        if found is None:
            older = [f for f in self.files.get((lang.code, prompt), ()) if f.text_hash != text_hash(text)]
            if older:
                flags.append(Flag("stale-audio", "stale audio: made from older words; rebuild or record again"))
            elif lang.recorded_only:
                flags.append(Flag("missing-audio", "no recording: this language needs every prompt recorded"))
            else:
                flags.append(Flag("missing-audio", "no audio built: callers hear the <Say> voice"))
        elif not playable:
            engine = ENGINE_NAMES.get(found.engine, found.engine)
            flags.append(Flag("preview-only", f"{engine} only: callers do not hear it"))
        return audio, flags

    def _translation(self, lang: Language, prompt: str, text: str) -> list[Flag]:
        flags = []
        source = self.content.languages[SOURCE_LANGUAGE]
        if lang.code != SOURCE_LANGUAGE and text.strip() == source.prompts.get(prompt, "").strip():
            flags.append(Flag("untranslated", "untranslated: the same words as the Norwegian source"))
        if lang.status == "machine-draft":
            flags.append(Flag("machine-draft", "machine draft: to be reviewed by a native speaker"))
        return flags

    # Sections -----------------------------------------------------------------------------

    def _language_menu(self) -> tuple[list[Section], Seconds | None]:
        """The pages of the language menu up to the one offering this language, from 0 s."""
        sections: list[Section] = []
        at = ZERO
        chosen_at = None
        page_list = self.line.language_pages(self.country)
        for page in range(1, len(page_list) + 1):
            scene = self.line.language_menu(self.country, page=page)
            page_starts = at
            found: list[Row] = []
            key = None
            for part in scene.parts:
                code, prompt = part
                mine = code == self.lang.code and prompt.startswith("language_option_")
                found.append(self.row(part, at, leads_to="node-" + self.content.menu.root if mine else None))
                at = at + found[-1].seconds
                if mine:
                    chosen_at, key = at, found[-1].key
            wait = f"; after {GATHER_TIMEOUT} s of silence the next page follows" if len(page_list) > 1 else ""
            sections.append(
                Section(
                    id=f"languages-{page}",
                    title=f"Language menu, page {page}" if len(page_list) > 1 else "Greeting and language menu",
                    kind="languages",
                    rows=tuple(found),
                    keys=(key,) if key else (),
                    reached_at=page_starts,
                    note=f"as a caller from {self.country or 'an unknown country'} hears it{wait}",
                )
            )
            if chosen_at is not None:
                break
            at = at + Seconds(float(GATHER_TIMEOUT), False)  # silence turns the page
        return sections, chosen_at

    def _tree(self, chosen_at: Seconds | None) -> tuple[list[Section], list[Milestone]]:
        """Every menu, message and transfer, depth first, as the caller reaches them."""
        menu = self.content.menu
        code = self.lang.code
        reached: dict[str, Seconds | None] = {menu.root: chosen_at}
        keys: dict[str, tuple[str, ...]] = {menu.root: ()}
        sections: list[Section] = []
        milestones: list[Milestone] = []
        for node, depth in menu.walk():
            at = reached[node.id]
            scene = self.line.node(code, node.id, welcome=node.id == menu.root)
            found: list[Row] = []
            for part in scene.parts:
                option = next((o for o in node.options if o.prompt == part[1]), None)
                dial_key = node.dial.key if node.dial and node.dial.prompt == part[1] else None
                found.append(
                    self.row(
                        part,
                        at,
                        key=option.key if option else dial_key,
                        leads_to=f"node-{option.to}" if option else None,
                    )
                )
                at = at + found[-1].seconds if at is not None else None
                if option:
                    reached[option.to], keys[option.to] = at, (*keys[node.id], option.key)
            transfer = transfer_at = None
            if isinstance(scene, Transfer):
                transfer, transfer_at = self._transfer_label(scene), at
                milestones.append(Milestone(f"{transfer} ({node.id})", " ".join(keys[node.id]), at))
            note = ""
            offer = next((r for r in found if node.dial and r.prompt == node.dial.prompt), None)
            if node.dial and offer is not None:
                # The flow offers the service (it has a number): 1 after the offer puts the caller through.
                scene = self.line.node_key(code, node.id, 0, node.dial.key)
                start = offer.starts_at + offer.seconds if offer.starts_at is not None else None
                transfer, transfer_at = self._transfer_label(scene), self._end(scene.parts, start)
                path = " ".join((*keys[node.id], node.dial.key))
                milestones.append(Milestone(f"{transfer} ({node.id})", path, transfer_at))
            elif node.dial:
                service = menu.services[node.dial.service]
                found.append(self.row((code, node.dial.prompt), None, key=node.dial.key))
                note = (
                    f"the offer to connect to {service.name} is said only when the deployment sets "
                    f"{DIAL_PREFIX}{service.id.upper()}; until then the number is only read out"
                )
            sections.append(
                Section(
                    id=f"node-{node.id}",
                    title=_title(node, menu.root),
                    kind=node.kind,
                    rows=tuple(found),
                    depth=depth,
                    keys=keys[node.id],
                    reached_at=reached[node.id],
                    transfer=transfer,
                    transfer_at=transfer_at,
                    note=note,
                )
            )
        return sections, milestones

    def _transfer_label(self, scene: Scene) -> str:
        assert isinstance(scene, Transfer)
        service = self.content.menu.services[scene.service]
        return f"→ {service.name} {describe_number(scene.number)}"

    def _around(self) -> list[Section]:
        """What is said around the menus: wrong keys, silence, no answer, goodbye, failure."""
        code = self.lang.code
        around = [self.row((code, prompt), None, note=when) for prompt, when in AROUND]
        scenes: Sequence[tuple[str, str, Scene]] = (
            ("rosa-unanswered", "When ROSA does not answer", self.line.transfer_done(code, "rosa", "no-answer", None)),
            ("no-input", "After silence three times", self.line.talk(code, ("no_input",))),
            ("goodbye", "After a conversation with ROSA", self.line.goodbye(code)),
            ("error", "If the line fails", self.line.error(code)),
        )
        sections = [Section("around", "Said around every menu", "flow", tuple(around))]
        for anchor, title, scene in scenes:
            transfer = self._transfer_label(scene) if isinstance(scene, Transfer) else None
            note = "then 1 tries again and * goes back" if isinstance(scene, Ask) else ""
            rows = tuple(self.row(part, None) for part in scene.parts)
            sections.append(Section(anchor, title, "flow", rows, transfer=transfer, note=note))
        return sections

    def _rest(self) -> list[Section]:
        """Prompts of this language not heard on the paths above, so every prompt is on the map."""
        rest = [p for p in self.content.caller_prompts(self.lang.code) if p not in self.shown]
        if not rest:
            return []
        rows = [self.row((self.lang.code, p), None) for p in rest]
        return [
            Section(
                "other",
                f"Other prompts in prompts/{self.lang.code}.toml",
                "flow",
                tuple(rows),
                note="heard by other callers: at another place in the language menu, or in the greeting "
                "when this is one of the greeting languages",
            )
        ]

    def _count(self, sections: Sequence[Section]) -> dict[str, int]:
        """How many prompts of this language carry each kind of flag."""
        seen: dict[str, set[str]] = {}
        for section in sections:
            for row in section.rows:
                if row.lang.code == self.lang.code:
                    for flag in row.flags:
                        seen.setdefault(flag.kind, set()).add(row.prompt)
        return {kind: len(prompts) for kind, prompts in seen.items()}


def _title(node: Node, root: str) -> str:
    if node.id == root:
        return "Main menu"
    return f"{node.id.replace('_', ' ').capitalize()} ({node.kind})"


def _first_said(sections: Sequence[Section]) -> tuple[Said, ...]:
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
