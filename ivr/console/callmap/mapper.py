"""The call map: one language's whole call as a tree, with its audio and the time to help.

Built from the call's own scenes (`ivr.call.step`), so the prompts stand in the order a caller
hears them, and timed by `ivr.timing` through `ivr.playback`: a prompt's built audio when
callers would hear it, else an estimate from its text, marked as such.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ...call.position import Call, DialEnded, Enter, Key, Position
from ...call.scenes import Ask, Scene, Transfer, Utterance
from ...call.step import error, give_up, step, whisper
from ...catalog import AudioFile
from ...config import DIAL_PREFIX
from ...content import Node
from ...engines import LABELS
from ...phone import display
from ...runtime import Runtime
from ...timing import PAUSE, ZERO, Seconds, prompt_seconds, spoken_seconds, time_to_rosa_option
from .flags import around, audio_flags, first_said, review_flags, translation_flags
from .flags import title as node_title
from .model import CallMap, Milestone, Row, Section

ENGINE_NAMES = LABELS
__all__ = ["ENGINE_NAMES", "around", "build"]
def build(ivr: Runtime, code: str, country: str | None = None) -> CallMap:
    """The map of language `code`, as a caller from `country` (default: its first country) hears it."""
    return _Mapper(ivr, code, country).build()


class _Mapper:
    def __init__(self, ivr: Runtime, code: str, country: str | None) -> None:
        self.ivr = ivr
        # A language that is off is mapped as if it were offered: what its callers would hear.
        offered = ivr.graph.offered
        self.graph = ivr.graph if code in offered else replace(ivr.graph, offered=(*offered, code))
        self.content = ivr.content
        self.lang = ivr.content.languages[code]
        self.country = country or (self.lang.countries[0] if self.lang.countries else None)
        self.files: dict[tuple[str, str], list[AudioFile]] = {}
        for f in ivr.catalog.files():
            self.files.setdefault((f.lang, f.prompt), []).append(f)
        self.shown: set[str] = set()  # prompts of this language already on the map
        self.order = self.graph.order_for(self.country)
        # A stand-in helpline number, so the map shows transfers even where To would supply it.
        self.call = Call(self.order, ivr.settings.caller_id or "+4700000000")

    def build(self) -> CallMap:
        offered = self.lang.code in self.ivr.graph.offered
        start, chosen_at = self._language_menu()
        tree, milestones = self._tree(chosen_at)
        if chosen_at is not None:
            chosen = Milestone(f"{self.lang.name} chosen in the language menu", start[-1].keys[0], chosen_at)
            milestones.insert(0, chosen)
        greeting = self.content.languages[self.content.greeting[0]].name
        milestones.insert(
            0,
            Milestone(
                f"“Press 0” to talk to ROSA, said by the greeting ({greeting})", "0", time_to_rosa_option(self.graph)
            ),
        )
        sections = [*start, *tree, *self._around(), *self._rest()]
        return CallMap(
            lang=self.lang,
            country=self.country,
            offered=offered,
            why_not=self.ivr.playback.unavailable.get(self.lang.code)
            or (None if offered else "not in IVR_LANGUAGES for this deployment"),
            sections=tuple(sections),
            milestones=tuple(milestones),
            numbers=first_said(sections),
            flags=self._count(sections),
            rate=f"{1 / spoken_seconds('x', self.lang.script):g} characters a second ({self.lang.script} script) "
            f"plus {PAUSE:g} s between prompts",
        )

    # Rows ---------------------------------------------------------------------------------

    def row(
        self, part: Utterance, starts_at: Seconds | None, key: str | None = None, leads_to: str | None = None, note: str = ""
    ) -> Row:
        """One prompt, with its audio, its flags and how long it plays."""
        code, prompt = part
        lang = self.content.languages[code]
        text = lang.text(prompt)
        if code == self.lang.code:
            self.shown.add(prompt)
        audio, flags = audio_flags(self.ivr, self.files, lang, prompt, text)
        review, flags = review_flags(self.ivr, self.files, lang, prompt, text, flags)
        flags += translation_flags(self.ivr, lang, prompt, text)
        seconds = prompt_seconds(self.graph, part)
        key = key or self.content.call.key_prompts().get(prompt)  # the language menu's options, "more languages", "try again"
        return Row(lang, prompt, text, seconds, starts_at, audio, tuple(flags), key, leads_to, note, review)

    def _end(self, parts: Iterable[Utterance], at: Seconds | None) -> Seconds | None:
        """When prompts played one after another from `at` end."""
        for part in parts:
            at = at + prompt_seconds(self.graph, part) if at is not None else None
        return at

    # Sections -----------------------------------------------------------------------------

    def _language_menu(self) -> tuple[list[Section], Seconds | None]:
        """The pages of the language menu up to the one offering this language, from 0 s."""
        sections: list[Section] = []
        at = ZERO
        chosen_at = None
        page_list = self.graph.pages(self.order)
        for page in range(1, len(page_list) + 1):
            scene = step(self.graph, Position("languages", page=page), Enter(), self.call)
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
            wait = f"; {self.content.call.more_key} turns to the next page" if len(page_list) > 1 else ""
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
            # The caller presses the key for more languages when the page has said it.
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
            scene = self._arrive(code, node)
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
                scene = step(self.graph, Position("node", code, node.id), Key(node.dial.key), self.call)
                assert isinstance(scene, Transfer)
                start = offer.starts_at + offer.seconds if offer.starts_at is not None else None
                transfer, transfer_at = self._transfer_label(scene), self._end(scene.parts, start)
                path = " ".join((*keys[node.id], node.dial.key))
                milestones.append(Milestone(f"{transfer} ({node.id})", path, transfer_at))
            elif node.dial:
                service = menu.services[node.dial.service]
                found.append(self.row(Utterance(code, node.dial.prompt), None, key=node.dial.key))
                note = (
                    f"the offer to connect to {service.name} is said only when the deployment sets "
                    f"{DIAL_PREFIX}{service.id.upper()}; until then the number is only read out"
                )
            sections.append(
                Section(
                    id=f"node-{node.id}",
                    title=node_title(node, menu.root),
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

    def _arrive(self, code: str, node: Node) -> Scene:
        """A node's scene as a caller first hears it: the main menu with its welcome, on choosing the language."""
        if node.id == self.content.menu.root:
            for number, page in enumerate(self.graph.pages(self.order), 1):
                if code in page:
                    return step(self.graph, Position("languages", page=number), Key(str(page.index(code) + 1)), self.call)
        return step(self.graph, Position("node", code, node.id), Enter(), self.call)

    def _transfer_label(self, scene: Scene) -> str:
        assert isinstance(scene, Transfer)
        service = self.content.menu.services[scene.service]
        return f"→ {service.name} {display(scene.number)}"

    def _around(self) -> list[Section]:
        """What is said around the menus: wrong keys, silence, no answer, goodbye, failure."""
        code = self.lang.code
        rows = [self.row(Utterance(code, prompt), None, note=when) for prompt, when in around(self.content.call)]
        dialled = Position("dialled", code, service="rosa")
        times = {1: "once", 2: "twice", 3: "three times"}.get(self.content.call.silence_repeats + 1, "many times")
        scenes: Sequence[tuple[str, str, Scene]] = (
            ("rosa-unanswered", "When ROSA does not answer", step(self.graph, dialled, DialEnded("no-answer"), self.call)),
            ("no-input", f"After silence {times} in a row", give_up(self.graph, code, "map", self.call)),
            ("goodbye", "After a conversation with ROSA", step(self.graph, dialled, DialEnded("completed"), self.call)),
            ("error", "If the line fails", error(self.graph, code, self.call)),
        )
        sections = [Section("around", "Said around every menu", "flow", tuple(rows))]
        for anchor, title, scene in scenes:
            transfer = self._transfer_label(scene) if isinstance(scene, Transfer) else None
            note = "then 1 tries again and * goes back" if isinstance(scene, Ask) else ""
            said = tuple(self.row(part, None) for part in scene.parts)
            sections.append(Section(anchor, title, "flow", said, transfer=transfer, note=note))
        sections.append(self._whisper())
        return sections

    def _whisper(self) -> Section:
        """What whoever answers at ROSA hears before this caller is put through: never the caller."""
        said = whisper(self.graph, Position("whisper", self.lang.code), Enter())
        rules = self.content.call
        ids = [rules.whisper, *((rules.whisper_accept,) if said.accept else ())]
        rows = tuple(
            replace(self.row(Utterance(said.lang, prompt), None), text=text) for prompt, text in zip(ids, said.texts, strict=True)
        )
        note = (f"{rules.whisper_accept_key} takes the call; silence or another key ends that leg and the caller "
                "hears that ROSA did not answer" if said.accept else "then the caller is put through")
        return Section("whisper", "Said to whoever answers at ROSA, before the caller is put through", "flow", rows, note=note)

    def _rest(self) -> list[Section]:
        """Prompts of this language not heard on the paths above, so every prompt is on the map."""
        rest = [p for p in self.content.caller_prompts(self.lang.code) if p not in self.shown]
        if not rest:
            return []
        rows = [self.row(Utterance(self.lang.code, p), None) for p in rest]
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


