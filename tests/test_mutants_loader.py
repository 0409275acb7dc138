"""Values given from outside a script (`--set NAME=VALUE`): each refusal's exact text
(survivors of the run over player/script/loader.py: docs/testing.md).
"""

from __future__ import annotations

import pytest

from player.errors import VariableError
from player.script.loader import parse_set_options


def refusal(pair: str) -> str:
    """What parse_set_options says about one NAME=VALUE."""
    with pytest.raises(VariableError) as error:
        parse_set_options([pair])
    return str(error.value)


def test_each_bad_set_option_is_refused_with_its_reason() -> None:
    assert refusal("name") == "a variable is given as NAME=VALUE, as in name=Sam, not 'name'"
    assert refusal("1x=y") == "a variable is given as NAME=VALUE, as in name=Sam, not '1x=y'"
    assert refusal("name=a\x07b") == ("the value given for name holds U+0007 (a control character) at character 2; "
                                      "scripts hold plain text (a terminal or a player would obey it)")
    assert refusal("support=...") == ("the value given for support: the support line needs words or a number, "
                                      "such as 'Dr. Lee, 5 5 5 0 1 0 0'")
    assert parse_set_options(["name=Sam", "support=Call Ann."]) == {"name": "Sam", "support": "Call Ann."}
