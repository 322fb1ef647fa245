"""The call's rules, on the pure step: one row per rule in every place it applies, without Flask.

Each row is (where the caller is, what happens, what must follow). The graph is the shipped
content with no built audio; `Call(caller_id=...)` stands for the helpline number Twilio sends.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.call.graph import CallGraph
from ivr.call.position import Call, DialEnded, Enter, Event, Key, Position, Silence
from ivr.call.scenes import Ask, Goodbye, Scene, Transfer, Whisper
from ivr.call.step import key_event, step
from ivr.call.urls import decode, encode
from ivr.call.validate import walk
from ivr.config import Settings
from ivr.runtime import build

from .conftest import CONTENT, SHIPPED_AUDIO

HELPLINE = "+4721000000"
CALL = Call(caller_id=HELPLINE)
RULES = CONTENT.call
MENU = CONTENT.menu
ROOT = MENU.root
REPEATS = RULES.silence_repeats
HELP_AFTER = RULES.help_after


def graph_for(tmp: Path, **env: str) -> CallGraph:
    return build(Settings.from_env({"IVR_AUDIO_DIR": str(tmp / "none"), **env})).graph


@pytest.fixture(scope="module")
def graph() -> CallGraph:
    """The line as shipped (its committed audio makes 18 languages: three pages of the language menu)."""
    return build(Settings.from_env({"IVR_AUDIO_DIR": str(SHIPPED_AUDIO)})).graph


def handoff(lang: str | None) -> list[str]:
    """What is said before a transfer to ROSA in `lang`."""
    if lang is None or lang in CONTENT.rosa_speaks:
        return [RULES.handoff]
    return [RULES.handoff, RULES.interpreter]


def prompts(scene: Scene, lang: str | None = None) -> list[str]:
    """The prompt ids of a scene, in the order heard (one language's, or the first greeting language's)."""
    first = lang or scene.parts[0].lang
    return [p.prompt for p in scene.parts if p.lang == first]


def run(graph: CallGraph, at: Position, *events: Event, call: Call = CALL) -> Scene:
    """Step through events, each at the position the previous scene listens at."""
    scene = step(graph, at, events[0], call)
    for event in events[1:]:
        match scene:
            case Ask():
                scene = step(graph, scene.here, event, call)
            case Transfer():
                scene = step(graph, scene.after, event, call)
            case _:
                raise AssertionError(f"the call ended before {event}")
    return scene


LANGUAGES = Position("languages")
MAIN = Position("node", "en", ROOT)
HELP = Position("node", "en", "help")
MESSAGE = Position("node", "en", "help_permit")  # a message under the help menu
RETRY = Position("retry", "en")
RETRY_NO_LANG = Position("retry", None)
# Every place that listens for keys, with where its own wrong key leaves the caller.
LISTENING = [LANGUAGES, MAIN, HELP, MESSAGE, RETRY, RETRY_NO_LANG]


# The language menu ----------------------------------------------------------------------------


def test_the_first_answer_greets_in_the_greeting_languages_and_counts_a_call(graph: CallGraph) -> None:
    scene = step(graph, Position("start"), Enter(), CALL)
    assert isinstance(scene, Ask) and scene.here == LANGUAGES
    assert scene.parts[: len(CONTENT.greeting)] == tuple((g, RULES.greeting) for g in CONTENT.greeting)
    assert ("call", "started") in scene.tallies
    options = [p for p in scene.parts if p.prompt.startswith(RULES.option_prefix)]
    assert [p.lang for p in options] == list(graph.pages()[0])
    assert [p.prompt for p in options] == [RULES.option(i) for i in range(1, len(options) + 1)]
    assert prompts(scene)[-1] == RULES.more  # no hint line: no_choice says # after a silence


def test_only_the_first_page_opens_with_the_greeting(graph: CallGraph) -> None:
    assert len(graph.pages()) >= 2, "the shipped languages fill more than one page"
    second = step(graph, Position("languages", page=2), Enter(), CALL)
    assert RULES.greeting not in prompts(second)


@pytest.mark.parametrize(
    ("page", "digits", "to_page"),
    [
        (1, "9", 2),  # more languages
        (2, "9", 3),
        (3, "9", 1),  # the last page turns back to the first
        (1, "*", 1),  # back on the first page repeats it
        (2, "*", 1),  # back on a later page goes to the page before (M3)
        (3, "*", 2),
        (1, "#", 1),
        (2, "#", 2),
    ],
)
def test_keys_that_turn_the_language_pages(graph: CallGraph, page: int, digits: str, to_page: int) -> None:
    assert len(graph.pages()) == 3
    scene = step(graph, Position("languages", page=page, errors=2), Key(digits), CALL)
    assert isinstance(scene, Ask)
    assert scene.here == Position("languages", page=to_page)  # a right key counts wrong keys from zero
    assert (RULES.greeting in prompts(scene)) == (to_page == 1)


@pytest.mark.parametrize("page", [1, 2, 3])
def test_each_key_on_a_page_chooses_its_language_and_opens_the_main_menu_with_the_welcome(
    graph: CallGraph, page: int
) -> None:
    codes = graph.pages()[page - 1]
    for key, code in enumerate(codes, 1):
        scene = step(graph, Position("languages", page=page), Key(str(key)), CALL)
        assert isinstance(scene, Ask) and scene.here == Position("node", code, ROOT)
        root = MENU.nodes[ROOT]
        assert prompts(scene, code) == [*root.intro, *root.welcome, *(o.prompt for o in root.options), RULES.keys]
        assert ("language", code) in scene.tallies
    if len(codes) < RULES.per_page:
        wrong = step(graph, Position("languages", page=page), Key(str(len(codes) + 1)), CALL)
        assert isinstance(wrong, Ask) and prompts(wrong)[0] == RULES.invalid


@pytest.mark.parametrize("page", [1, 2, 3])
def test_silence_in_the_language_menu_reminds_once_then_puts_the_caller_through(graph: CallGraph, page: int) -> None:
    scene = step(graph, Position("languages", page=page), Enter(), CALL)
    for heard in range(1, REPEATS + 1):
        scene = step(graph, scene.here, Silence(), CALL)
        assert isinstance(scene, Ask)
        assert scene.here == Position("languages", page=page, silence=heard)  # 9 turns the page, not silence
        assert scene.parts == tuple((g, RULES.no_choice) for g in CONTENT.greeting)
        assert isinstance(step(graph, scene.here, Key("9"), CALL), Ask)  # every key still works
    scene = step(graph, scene.here, Silence(), CALL)
    assert isinstance(scene, Transfer) and scene.service == "rosa" and scene.lang is None
    assert prompts(scene) == [*RULES.silence_give_up, RULES.handoff]
    assert ("silent", "languages") in scene.tallies


# Menus and messages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "event"),
    [
        (MAIN, Enter()),  # a link or redirect to the main menu
        (MAIN, Key("#")),  # repeat
        (Position("node", "en", "help"), Key("*")),  # back from a topic menu
        (Position("node", "en", "danger"), Key("*")),  # back from a message
        (Position("node", "en", ROOT, silence=1), Enter()),  # silence
    ],
)
def test_the_welcome_is_said_only_on_arrival_from_the_language_menu(
    graph: CallGraph, at: Position, event: Event
) -> None:
    scene = step(graph, at, event, CALL)
    assert isinstance(scene, Ask) and scene.here.node == ROOT
    assert not set(MENU.nodes[ROOT].welcome) & set(prompts(scene))  # M7


def test_every_option_leads_to_its_node_and_counts_the_topic(graph: CallGraph) -> None:
    for node in MENU.nodes.values():
        for option in node.options:
            scene = step(graph, Position("node", "en", node.id), Key(option.key), CALL)
            target = MENU.nodes[option.to]
            assert ("topic", option.to) in scene.tallies
            if target.kind == "transfer":
                assert isinstance(scene, Transfer) and scene.service == target.service == "rosa"
                assert prompts(scene) == [*target.body, *handoff("en")]
            else:
                assert isinstance(scene, Ask) and scene.here == Position("node", "en", option.to)
                assert prompts(scene)[0] == (target.intro or target.body)[0]


@pytest.mark.parametrize("at", [MAIN, HELP, MESSAGE, Position("node", "en", "danger")])
def test_the_common_keys_at_every_kind_of_node(graph: CallGraph, at: Position) -> None:
    node = MENU.nodes[at.node or ROOT]
    talk = step(graph, at, Key(MENU.keys.talk), CALL)
    assert isinstance(talk, Transfer) and talk.service == "rosa" and talk.number == "+4722331160"
    assert prompts(talk) == handoff("en")
    back = step(graph, at, Key(MENU.keys.back), CALL)
    assert isinstance(back, Ask)
    assert back.here == (Position("node", "en", node.parent) if node.parent else LANGUAGES)
    again = step(graph, at.moved(errors=2), Key(MENU.keys.repeat), CALL)
    assert isinstance(again, Ask) and again.here == at.moved(errors=0)


@pytest.mark.parametrize("at", LISTENING, ids=lambda p: p.name)
def test_wrong_keys_are_named_and_from_the_third_in_a_row_0_is_offered(graph: CallGraph, at: Position) -> None:
    scene = step(graph, at, Enter(), CALL)
    for count in range(1, HELP_AFTER + 2):
        scene = step(graph, scene.here, Key("?"), CALL)
        assert isinstance(scene, Ask) and scene.here.errors == count
        expected = [RULES.invalid, RULES.invalid_help] if count >= HELP_AFTER else [RULES.invalid]
        assert prompts(scene)[: len(expected)] == expected  # M1 (languages), M2 (retry)
        assert RULES.invalid_help not in prompts(scene)[len(expected) :]
        assert (scene.here.place, scene.here.node, scene.here.page) == (at.place, at.node, at.page)


@pytest.mark.parametrize("at", [MAIN, HELP])
def test_silence_in_a_menu_repeats_it_then_says_rosas_number_and_transfers(graph: CallGraph, at: Position) -> None:
    scene = step(graph, at, Enter(), CALL)
    for heard in range(1, REPEATS + 1):
        scene = step(graph, scene.here, Silence(), CALL)
        assert isinstance(scene, Ask) and scene.here == at.moved(silence=heard)  # M5
        assert prompts(scene) == [RULES.no_choice]  # a short reminder, not the whole menu
    scene = step(graph, scene.here, Silence(), CALL)
    assert isinstance(scene, Transfer) and scene.service == "rosa"
    assert prompts(scene) == [*RULES.silence_give_up, RULES.handoff]
    assert ("silent", at.node) in scene.tallies


def test_silence_after_a_message_returns_to_its_menu_counting(graph: CallGraph) -> None:
    scene = step(graph, MESSAGE, Silence(), CALL)
    assert isinstance(scene, Ask) and scene.here == HELP.moved(silence=1)
    assert isinstance(step(graph, MESSAGE.moved(silence=1), Silence(), CALL), Transfer)
    top = step(graph, Position("node", "en", "danger"), Silence(), CALL)
    assert isinstance(top, Ask) and top.here == MAIN.moved(silence=1)


def test_a_service_is_offered_and_dialled_only_when_it_has_a_number(graph: CallGraph, tmp_path: Path) -> None:
    children = Position("node", "en", "children")
    offer = MENU.nodes["children"].dial
    assert offer is not None
    plain = step(graph, children, Enter(), CALL)
    assert offer.prompt not in prompts(plain)
    assert prompts(step(graph, children, Key(offer.key), CALL))[0] == RULES.invalid
    dialable = graph_for(tmp_path, IVR_DIAL_ALARMTELEFONEN="+47116111")
    assert offer.prompt in prompts(step(dialable, children, Enter(), CALL))
    scene = step(dialable, children, Key(offer.key), CALL)
    assert isinstance(scene, Transfer) and (scene.service, scene.number) == ("alarmtelefonen", "+47116111")
    assert scene.after == Position("dialled", "en", "children", service="alarmtelefonen")


# Transfers and what follows them ------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["completed", "answered"])
@pytest.mark.parametrize("service", ["rosa", "alarmtelefonen"])
def test_an_answered_transfer_ends_with_rosas_number_and_the_goodbye(graph: CallGraph, service: str, outcome: str) -> None:
    # The service may hang up first; after another service the caller may never have heard ROSA's number.
    scene = step(graph, Position("dialled", "en", "children", service=service), DialEnded(outcome), CALL)
    assert isinstance(scene, Goodbye) and prompts(scene) == ["rosa_number", RULES.goodbye]  # M4
    assert (("transfer_end", f"{service}:answered")) in scene.tallies


@pytest.mark.parametrize("outcome", ["busy", "no-answer", "failed", "canceled", "", "garbage"])
def test_when_rosa_does_not_answer_the_retry_menu_says_the_number(graph: CallGraph, outcome: str) -> None:
    for lang in ("en", None):
        scene = step(graph, Position("dialled", lang, service="rosa"), DialEnded(outcome), CALL)
        assert isinstance(scene, Ask) and scene.here == Position("retry", lang)
        assert prompts(scene) == [*RULES.retry_prompts, RULES.retry_offer, RULES.keys]
        assert {p.lang for p in scene.parts} == ({lang} if lang else set(CONTENT.greeting))


@pytest.mark.parametrize("outcome", ["busy", "no-answer", "failed", "canceled"])
def test_another_service_unanswered_says_so_and_plays_its_message_again(graph: CallGraph, outcome: str) -> None:
    scene = step(graph, Position("dialled", "en", "children", service="alarmtelefonen"), DialEnded(outcome), CALL)
    assert isinstance(scene, Ask) and scene.here == Position("node", "en", "children")
    assert prompts(scene)[0] == RULES.service_unanswered


@pytest.mark.parametrize("at", [RETRY, RETRY_NO_LANG], ids=lambda p: p.name)
def test_the_keys_of_the_retry_menu(graph: CallGraph, at: Position) -> None:
    for digits in (RULES.retry_key, MENU.keys.talk):
        scene = step(graph, at, Key(digits), CALL)
        assert isinstance(scene, Transfer) and scene.service == "rosa"
    back = step(graph, at, Key(MENU.keys.back), CALL)
    assert isinstance(back, Ask) and back.here == (MAIN if at.lang else LANGUAGES)
    again = step(graph, at.moved(errors=2), Key(MENU.keys.repeat), CALL)
    assert isinstance(again, Ask) and again.here == at


@pytest.mark.parametrize("at", [RETRY, RETRY_NO_LANG], ids=lambda p: p.name)
def test_silence_after_rosa_did_not_answer_ends_politely_with_the_number(graph: CallGraph, at: Position) -> None:
    scene = step(graph, at, Enter(), CALL)
    for heard in range(1, REPEATS + 1):
        scene = step(graph, scene.here, Silence(), CALL)
        assert isinstance(scene, Ask) and scene.here == at.moved(silence=heard)  # M6
        assert prompts(scene)[0] == RULES.retry_prompts[0]
    scene = step(graph, scene.here, Silence(), CALL)
    assert isinstance(scene, Goodbye)
    assert prompts(scene) == [*RULES.retry_give_up, RULES.goodbye]
    assert ("silent", "retry") in scene.tallies


def test_without_a_helpline_number_to_show_the_line_reads_rosas_number_and_never_dials(graph: CallGraph) -> None:
    for at, event in [(MAIN, Key("0")), (LANGUAGES, Key("0")), (Position("fallback"), Enter())]:
        scene = step(graph, at, event, Call(caller_id=None))
        assert isinstance(scene, Goodbye)
        assert prompts(scene)[-len(RULES.no_caller_id) :] == list(RULES.no_caller_id)
        assert ("ended", "no_caller_id") in scene.tallies


def test_the_configured_caller_id_is_shown_whatever_the_request_says(tmp_path: Path) -> None:
    graph = graph_for(tmp_path, IVR_CALLER_ID="+4721999999")
    scene = step(graph, MAIN, Key("0"), Call(caller_id=None))
    assert isinstance(scene, Transfer) and scene.caller_id == "+4721999999"
    assert graph.shown("+4721000000") == "+4721999999"
    assert graph_for(tmp_path).shown("client:anonymous") is None


def test_the_fallback_says_the_error_in_the_greeting_languages_and_transfers(graph: CallGraph) -> None:
    scene = step(graph, Position("fallback"), Enter(), CALL)
    assert isinstance(scene, Transfer) and scene.service == "rosa"
    assert [tuple(p) for p in scene.parts] == [(g, p) for p in (RULES.error, RULES.handoff) for g in CONTENT.greeting]


# What a request can carry ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "event"),
    [
        ("", Silence()), (None, Silence()), (" ", Silence()), ("5", Key("5")), (" 5\n", Key("5")),
        ("#", Key("#")), ("*", Key("*")), ("12", Key("?")), ("²", Key("?")), ("٣", Key("?")), ("a", Key("?")),
    ],
)
def test_only_one_ascii_key_is_a_key(digits: str | None, event: Event) -> None:
    assert key_event(digits) == event


@pytest.mark.parametrize(
    ("query", "silence"),
    [({"s": "2"}, 2), ({"s": "²"}, 0), ({"s": "-1"}, 0), ({"s": "99999999999999999999"}, 9), ({"s": "x"}, 0), ({}, 0)],
)
def test_counters_are_ascii_digits_capped_at_nine(query: dict[str, str], silence: int) -> None:
    assert decode("/voice/en/main", query).position.silence == silence


def test_a_counter_beyond_every_limit_goes_straight_to_rosa(graph: CallGraph) -> None:
    at = decode("/voice/en/main", {"s": "99999999999999999999"}).position
    assert isinstance(step(graph, at, Enter(), CALL), Transfer)


@pytest.mark.parametrize(
    ("path", "place"),
    [("/voice", "start"), ("/voice/", "start"), ("/voice//x", "languages"), ("/voice/../etc", "languages"),
     ("/voice/en/main/key/more", "languages"), ("/voice/EN/main", "languages"), ("/voice/fallback", "fallback")],
)
def test_every_path_decodes_to_somewhere(path: str, place: str) -> None:
    assert decode(path, {}).position.place == place


@pytest.mark.parametrize(
    ("at", "event"),
    [(Position("node", "xx", ROOT), Key("1")), (Position("node", "en", "nowhere"), Key("1")),
     (Position("node", "en", "nowhere"), Enter())],
)
def test_an_unknown_language_or_node_goes_back_to_a_menu_and_ignores_the_key(
    graph: CallGraph, at: Position, event: Event
) -> None:
    scene = step(graph, at, event, CALL)
    assert isinstance(scene, Ask) and scene.here in (LANGUAGES, MAIN) and not scene.tallies


def test_every_position_of_the_walk_survives_its_url(graph: CallGraph) -> None:
    problems, reached = walk(graph)
    assert not problems and reached == set(MENU.nodes)
    scene = step(graph, Position("start"), Enter(), CALL)
    seen = [scene.here, scene.on_silence]
    for key in "1234567890*#":
        after = step(graph, MAIN, Key(key), CALL)
        seen += [after.here, after.on_silence] if isinstance(after, Ask) else [after.after] if isinstance(after, Transfer) else []
    seen += [HELP.moved(silence=2, errors=3), Position("languages", page=3, errors=1), RETRY.moved(errors=2)]
    for at in seen:
        kind = "dial" if at.place == "dialled" else "key"
        path, _, query = encode(at, kind).partition("?")
        args = dict(pair.split("=") for pair in query.split("&")) if query else {}
        assert decode(path, args) == (at, kind)
        if kind == "key":
            path, _, query = encode(at).partition("?")
            args = dict(pair.split("=") for pair in query.split("&")) if query else {}
            assert decode(path, args).position == at.moved(errors=0)


# Issue 10: the handoff, the whisper ------------------------------------------------------------


@pytest.mark.parametrize("lang", ["nb", "en", "ro", "uk", None])
def test_every_way_to_rosa_says_the_handoff_and_whispers(graph: CallGraph, lang: str | None) -> None:
    at = Position("node", lang, ROOT) if lang else LANGUAGES
    ways = [step(graph, at, Key(MENU.keys.talk), CALL), step(graph, at.moved(silence=REPEATS + 1), Enter(), CALL),
            step(graph, Position("retry", lang), Key(RULES.retry_key), CALL), step(graph, Position("fallback"), Enter(), CALL)]
    if lang:
        ways.append(step(graph, at, Key(next(o.key for o in MENU.nodes[ROOT].options if o.to == "rosa")), CALL))
    for scene in ways:
        assert isinstance(scene, Transfer) and scene.service == "rosa"
        spoken = prompts(scene, scene.lang)
        expected = handoff(scene.lang)
        assert spoken[-len(expected) :] == expected and RULES.connecting not in spoken
        assert scene.whisper == Position("whisper", scene.lang)


def test_a_transfer_to_another_service_says_connecting_and_has_no_whisper(tmp_path: Path) -> None:
    graph = graph_for(tmp_path, IVR_DIAL_ALARMTELEFONEN="+47116111")
    scene = step(graph, Position("node", "ro", "children"), Key("1"), CALL)
    assert isinstance(scene, Transfer) and scene.service == "alarmtelefonen"
    assert prompts(scene) == [RULES.connecting] and scene.whisper is None


@pytest.mark.parametrize(("lang", "name"), [("ro", "rumensk"), ("nb", "norsk"), ("uk", "ukrainsk")])
def test_the_whisper_names_the_callers_language_in_norwegian_and_nothing_else(
    graph: CallGraph, lang: str, name: str
) -> None:
    scene = step(graph, Position("whisper", lang), Enter(), CALL)
    assert isinstance(scene, Whisper) and scene.lang == "nb" and scene.accept is None and not scene.hang_up
    assert scene.texts == (CONTENT.languages["nb"].text(RULES.whisper).replace("{language}", name),)
    assert ("whisper", lang) in scene.tallies
    assert step(graph, Position("whisper", None), Enter(), CALL).texts == (  # type: ignore[union-attr]
        CONTENT.languages["nb"].text(RULES.whisper_no_language),
    )


def test_in_accept_mode_only_the_accept_key_connects(tmp_path: Path) -> None:
    graph = graph_for(tmp_path, IVR_WHISPER_ACCEPT="1")
    at = Position("whisper", "en")
    asked = step(graph, at, Enter(), CALL)
    assert isinstance(asked, Whisper) and asked.accept == at and len(asked.texts) == 2
    connect = step(graph, at, Key(RULES.whisper_accept_key), CALL)
    assert isinstance(connect, Whisper) and not connect.texts and not connect.hang_up
    for event in (Key("5"), Key("0"), Silence()):
        refused = step(graph, at, event, CALL)
        assert isinstance(refused, Whisper) and refused.hang_up


def test_answered_at_rosa_but_never_bridged_is_the_unanswered_path(graph: CallGraph) -> None:
    scene = step(graph, Position("dialled", "en", service="rosa"), DialEnded("completed", bridged=False), CALL)
    assert isinstance(scene, Ask) and scene.here == RETRY
    assert ("transfer_end", "rosa:no-answer") in scene.tallies


def test_the_walk_refuses_a_goodbye_that_does_not_say_rosas_number(graph: CallGraph) -> None:
    import dataclasses

    content = dataclasses.replace(graph.content, call=dataclasses.replace(RULES, retry_give_up=()))
    problems, _ = walk(dataclasses.replace(graph, content=content))
    found = {(p.where, p.message) for p in problems}
    assert ("the dialled place", "ends the call without saying ROSA's number (rosa_number) (after a transfer ended completed)") in found
    assert any(where == "the retry place" and "ROSA's number" in message for where, message in found)
