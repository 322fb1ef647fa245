"""A recorder's sheet keeps numbers left to right, so nobody records 22 33 11 60 backwards."""

from __future__ import annotations

import re
import unicodedata

from click.testing import CliRunner

from ivr.bidi import LRI, PDI, for_reading, isolate_ltr
from ivr.cli import main
from ivr.content import DEFAULT_PROMPTS_DIR

from .conftest import CONTENT


def test_every_number_and_address_is_isolated_as_written() -> None:
    text = "رقم ROSA 22 33 11 60 وعلى rosa-help.no أو 1 1 2"
    assert isolate_ltr(text) == f"رقم ROSA {LRI}22 33 11 60{PDI} وعلى {LRI}rosa-help.no{PDI} أو {LRI}1 1 2{PDI}"


def test_only_right_to_left_scripts_get_isolates() -> None:
    assert for_reading("ring 1 1 2", "Latin") == "ring 1 1 2"
    assert for_reading("ring 1 1 2", "Arabic") == f"ring {LRI}1 1 2{PDI}"


def test_the_isolates_are_the_unicode_left_to_right_isolate_and_its_pop() -> None:
    assert unicodedata.bidirectional(LRI) == "LRI"
    assert unicodedata.bidirectional(PDI) == "PDI"


def test_ivr_i18n_export_sheet_for_dari_isolates_every_number(runner: CliRunner) -> None:
    result = runner.invoke(main, ["i18n", "export", "--lang", "fa", "--format", "sheet"])
    assert result.exit_code == 0, result.output
    fa = CONTENT.languages["fa"]
    assert f"{LRI}22 33 11 60{PDI}" in result.output
    prompts = CONTENT.caller_prompts("fa")
    assert f"Dari (دری, fa), {len(prompts)} prompts" in result.output.splitlines()[0]
    lines = result.output.split("\n")
    headings = [line for line in lines if line.startswith("## ")]
    assert [h.split("`")[1] for h in headings] == [f"{pid}.wav" for pid in prompts]  # every prompt, in order
    for n, pid in enumerate(prompts, 1):
        heading = next(h for h in headings if h.startswith(f"## {n}. `{pid}.wav`"))
        script = lines[lines.index(heading) + 2].removeprefix("> ")
        assert script == for_reading(fa.text(pid), "Arabic")
        outside = re.sub(f"{LRI}[^{PDI}]*{PDI}", "", script)
        assert not re.search(r"\d", outside), (pid, script)  # every digit is inside an isolate


def test_the_i18n_sheet_is_the_studios_script(runner: CliRunner) -> None:
    from ivr.studio.script import sheet

    result = runner.invoke(main, ["i18n", "export", "--lang", "fa", "--format", "sheet"])
    assert result.output == sheet(CONTENT, "fa", DEFAULT_PROMPTS_DIR)


def test_a_latin_sheet_is_the_text_as_written(runner: CliRunner) -> None:
    result = runner.invoke(main, ["i18n", "export", "--lang", "ro", "--format", "sheet"])
    assert result.exit_code == 0, result.output
    assert LRI not in result.output
    assert CONTENT.languages["ro"].text("rosa_number") in result.output
