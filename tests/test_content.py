"""The menu and texts in prompts/: loaded once, checked as a whole, every problem named."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ivr.content import DEFAULT_PROMPTS_DIR, load, spoken_numbers, web_addresses
from ivr.errors import ContentError

from .conftest import CONTENT, LANGUAGES

BROCHURE = Path(__file__).parent / "data" / "brochure-nb.txt"
# The Penal Code sections (§§ 257 og 258) are numbers in the brochure but not phone numbers.
NOT_PHONE_NUMBERS = {"257", "258"}


def brochure_phone_numbers() -> set[str]:
    """Every phone number the brochure prints, read from its text (web addresses aside)."""
    body = re.sub(r"\S+\.(?:no|com|org|int)\S*", " ", BROCHURE.read_text(encoding="utf-8"))
    found = {n.replace(" ", "") for n in re.findall(r"\d+(?: \d+)*", body)}
    return {n for n in found if len(n) >= 3} - NOT_PHONE_NUMBERS


SEED_NUMBERS = brochure_phone_numbers()


def test_the_brochure_has_the_numbers_we_expect() -> None:
    # If the brochure changes, this names what changed before the line can drift from it.
    assert {"112", "113", "116117", "02800", "22331160", "116111", "116006"} == SEED_NUMBERS


def test_the_real_content_loads_with_the_source_and_english() -> None:
    # (That every language has every prompt is load()'s own check: see test_every_text_problem_is_named_at_once.)
    assert {"nb", "en"} <= set(CONTENT.languages)
    assert CONTENT.greeting == ("nb", "en")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_carries_every_seed_number(lang: str) -> None:
    heard = {n for t in CONTENT.languages[lang].prompts.values() for n in spoken_numbers(t)}
    assert heard >= SEED_NUMBERS


def test_rosa_number_is_the_brochures() -> None:
    assert CONTENT.menu.services["rosa"].number == "+4722331160"
    assert "22 33 11 60" in BROCHURE.read_text(encoding="utf-8")


def test_the_shipped_menu_is_shallow_and_short() -> None:
    # Depth and reachability are load()'s rules (ivr.content.rules.depths); these are the shipped shape.
    from ivr.content.rules import depths

    assert max(depths(CONTENT.menu).values()) <= 2
    assert len(CONTENT.menu.nodes[CONTENT.menu.root].options) <= 7


def test_number_and_address_reading() -> None:
    assert spoken_numbers("ring 1 1 2. Jeg gjentar: 22 33 11 60, pluss 47") == ["112", "22331160", "47"]
    assert spoken_numbers("se udi.no/retur og 116111.no") == []
    assert web_addresses("请看udi.no/retur。 og www.rosa-help.no.") == ["udi.no/retur", "www.rosa-help.no"]


# Broken content: the line refuses to start, naming every problem -------------------------


def copy_prompts(tmp_path: Path) -> Path:
    folder = tmp_path / "prompts"
    folder.mkdir()
    for name in ("menu.toml", "call.toml", "nb.toml", "en.toml"):
        shutil.copy(DEFAULT_PROMPTS_DIR / name, folder / name)
    (folder / "languages.toml").write_text('greeting = ["nb", "en"]\norder = ["nb", "en"]\n', encoding="utf-8")
    return folder


def edit(path: Path, old: str, new: str) -> None:
    body = path.read_text(encoding="utf-8")
    assert old in body, f"{old!r} not in {path.name}"
    path.write_text(body.replace(old, new, 1), encoding="utf-8")


def problems_of(folder: Path) -> tuple[str, ...]:
    with pytest.raises(ContentError) as caught:
        load(folder)
    return caught.value.problems


def test_a_copy_of_the_real_prompts_loads(tmp_path: Path) -> None:
    assert load(copy_prompts(tmp_path)).order == ("nb", "en")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('to = "danger" }', 'to = "nowhere" }', "leads to unknown node 'nowhere'"),
        ('{ key = "2", prompt = "opt_rosa", to = "rosa" },', "", "node rosa: unreachable"),
        ('{ key = "2", prompt = "opt_rosa"', '{ key = "1", prompt = "opt_rosa"', "key '1' is used twice"),
        ('{ key = "7", prompt = "opt_more"', '{ key = "0", prompt = "opt_more"', "key '0' is reserved"),
        ('{ key = "7", prompt = "opt_more"', '{ key = "8", prompt = "opt_more"', "without gaps"),
        ('number = "+4722331160"', 'number = "22 33 11 60"', "not an E.164 number"),
        ('number = "+4722331160"', "", "key 0 must reach ROSA"),
        ('[services.legevakt]', '[services.legevakt]\nnumber = "+47113"', "emergency number"),
        ('body = ["msg_danger"]', "body = []", "a message needs a body"),
        ('kind = "transfer"', 'kind = "teleport"', "kind must be one of"),
        ('to = "violence" }', 'to = "help" }', "reached from 2 menus"),
    ],
)
def test_a_broken_menu_is_refused(tmp_path: Path, old: str, new: str, expected: str) -> None:
    folder = copy_prompts(tmp_path)
    edit(folder / "menu.toml", old, new)
    problems = problems_of(folder)
    assert any(expected in p for p in problems), problems


def test_a_menu_too_deep_is_refused(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    edit(folder / "menu.toml", '{ key = "6", prompt = "opt_help_guardian", to = "help_guardian" },',
         '{ key = "6", prompt = "opt_help_guardian", to = "help_guardian" },\n  { key = "7", prompt = "opt_more", to = "more" },')
    edit(folder / "menu.toml", '{ key = "7", prompt = "opt_more", to = "more" },\n]', "]")
    assert any("levels below the root" in p for p in problems_of(folder))


def test_a_menu_without_options_is_a_dead_end(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    body = (folder / "menu.toml").read_text(encoding="utf-8")
    start = body.index("[nodes.more]")
    end = body.index("[nodes.violence]")
    (folder / "menu.toml").write_text(body[:start] + '[nodes.more]\nkind = "menu"\n\n' + body[end:], encoding="utf-8")
    problems = problems_of(folder)
    assert any("node more: a menu without options is a dead end" in p for p in problems)
    assert any("node violence: unreachable" in p for p in problems)


def test_every_text_problem_is_named_at_once(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    en = folder / "en.toml"
    edit(en, 'opt_help = "To hear what help you can get, press 4."', 'opt_help = "To hear what help you can get."')
    edit(en, "ROSA's number is 22 33 11 60. Again", "ROSA's number is 22 33 11 61. Again")
    edit(en, "on udi.no/retur.", "on udi.no.")
    edit(en, 'goodbye = "', 'goodbye_typo = "')
    edit(en, "[prompts]", '[prompts]\nunheard = "x"')
    problems = problems_of(folder)
    joined = "\n".join(problems)
    assert "en.toml: opt_help must name its key 4" in joined
    assert "en.toml: rosa_number has numbers ['22331161', '22331160']" in joined
    assert "en.toml: msg_help_return has web addresses" in joined
    assert "en.toml: missing or empty prompts: goodbye" in joined
    assert "unknown prompt ids: goodbye_typo, unheard" in joined
    assert len(problems) >= 5


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    (folder / "en.toml").write_text("[prompts\n", encoding="utf-8")
    assert any(p.startswith("en.toml: not valid TOML") for p in problems_of(folder))


def test_a_listed_language_without_a_file_is_named(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    edit(folder / "languages.toml", 'order = ["nb", "en"]', 'order = ["nb", "en", "xx"]')
    assert any("'xx' has no file prompts/xx.toml" in p for p in problems_of(folder))


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('espeak = "en"', 'espeak = "en"\noffline_voice_on_calls = true', "offline_voice_on_calls is only for"),
        ('espeak = "en"', 'espeak = "en"\noffline_voice_on_calls = "yes"', "must be true or false"),
    ],
)
def test_the_offline_voice_on_calls_is_only_for_a_language_without_a_say_voice(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    # English has a Twilio voice: its callers must never hear the robotic one instead.
    folder = copy_prompts(tmp_path)
    edit(folder / "en.toml", old, new)
    assert any(p.startswith("en.toml: ") and expected in p for p in problems_of(folder))


ISLAND = """
[nodes.island_a]
kind = "menu"
intro = ["help_intro"]
options = [{ key = "1", prompt = "opt_help_police", to = "island_b" }]

[nodes.island_b]
kind = "menu"
intro = ["more_intro"]
options = [{ key = "1", prompt = "opt_more_violence", to = "island_a" }]
"""


def test_two_menus_that_only_point_at_each_other_are_unreachable(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    (folder / "menu.toml").write_text((folder / "menu.toml").read_text(encoding="utf-8") + ISLAND, encoding="utf-8")
    problems = problems_of(folder)
    assert "node island_a: unreachable from 'main'" in problems
    assert "node island_b: unreachable from 'main'" in problems


def test_a_transfer_to_a_service_without_a_number_is_a_load_error(tmp_path: Path) -> None:
    folder = copy_prompts(tmp_path)
    edit(folder / "menu.toml", 'service = "rosa"\nbody = ["msg_rosa"]', 'service = "legevakt"\nbody = ["msg_rosa"]')
    assert "node rosa: transfer to legevakt, which has no number to dial" in problems_of(folder)


def test_the_whole_call_walk_names_every_unreachable_node_and_every_undialable_transfer(tmp_path: Path) -> None:
    """The walk at start-up (ivr.call.validate) finds what the static rules would, from the call itself."""
    from dataclasses import replace
    from types import MappingProxyType

    from ivr.call import validate
    from ivr.config import Settings
    from ivr.content import Node, Option
    from ivr.runtime import build

    graph = build(Settings.from_env({"IVR_AUDIO_DIR": str(tmp_path)})).graph
    nodes = dict(CONTENT.menu.nodes)
    nodes["island_a"] = Node("island_a", "menu", options=(Option("1", "opt_help_police", "island_b"),))
    nodes["island_b"] = Node("island_b", "menu", options=(Option("1", "opt_help_police", "island_a"),), parent="island_a")
    nodes["rosa"] = replace(nodes["rosa"], service="legevakt")
    menu = replace(CONTENT.menu, nodes=MappingProxyType(nodes))
    broken = replace(graph, content=replace(CONTENT, menu=menu))
    found = [str(p) for p in validate.check(broken)]
    assert any(p.startswith("node island_a: unreachable") for p in found)
    assert any(p.startswith("node island_b: unreachable") for p in found)
    assert "node main: transfer to legevakt, which has no number to dial (key 2)" in found
    assert any(p.startswith("node rosa: unreachable") for p in found)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('name = "English"\n', "", "[language] needs name"),
        ('status = "reviewed"', 'status = "final"', "status must be one of"),
        ('script = "Latin"', 'script = "Klingon"', "script must be one of"),
        ('say = { language = "en-GB", voice = "Polly.Amy-Neural" }', 'say = { language = "en-GB" }', "say needs language and voice"),
        ('espeak = "en"', 'espeak = "en"\nespeak_rate = 999', "espeak_rate must be words a minute"),
        ('espeak = "en"', 'espeak = "en"\nrecorded_only = true', "a recorded-only language has no <Say> voice"),
        ('goodbye = "', 'goodbye = 1\ngoodbye_text = "', "every prompt must be a string"),
    ],
)
def test_every_header_rule_of_a_language_file(tmp_path: Path, old: str, new: str, expected: str) -> None:
    folder = copy_prompts(tmp_path)
    edit(folder / "en.toml", old, new)
    assert any(p.startswith("en.toml: ") and expected in p for p in problems_of(folder)), problems_of(folder)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("repeats = 1", 'repeats = "two"', "[silence] repeats must be a int"),
        ('more_key = "9"', 'more_key = "5"', "more_key '5' must be a free key"),
        ('key = "1"                    # 1 tries', 'key = "*"                    # 1 tries', "[retry] key '*' must be a key 1-9"),
        ('offer = "opt_retry"', 'offer = "opt_retry_typo"', "missing or empty prompts: opt_retry_typo"),
    ],
)
def test_the_call_rules_are_checked_too(tmp_path: Path, old: str, new: str, expected: str) -> None:
    folder = copy_prompts(tmp_path)
    edit(folder / "call.toml", old, new)
    assert any(expected in p for p in problems_of(folder)), problems_of(folder)
