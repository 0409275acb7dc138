"""Text as an engine should hear it: numbers, times and abbreviations written out in words.

Engines guess at "4-7-8", "10:30" or "Dr." and guess differently; writing them out first makes
every engine say the same, natural thing. Only what is synthesized changes: transcripts keep
the text as the author wrote it. Numbers become words through num2words in the script's
language; the abbreviations and time forms are English.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from num2words import num2words

ABBREVIATIONS: dict[str, str] = {
    "dr.": "doctor", "mr.": "mister", "mrs.": "missus", "ms.": "miz", "prof.": "professor",
    "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "vs.": "versus",
    "approx.": "approximately",
}
"""Written forms (lower case) and what is said; matched case-insensitively on word boundaries."""
MID_SENTENCE = frozenset({"dr.", "mr.", "mrs.", "ms.", "prof.", "e.g.", "i.e.", "vs.", "approx."})
"""Abbreviations that never end a sentence, so the sentence splitter does not cut after them."""

_UNITS = {"sec": "second", "secs": "second", "min": "minute", "mins": "minute", "hr": "hour", "hrs": "hour"}
"""Short units after a number. Single letters are left alone: "the 90s" is not ninety seconds."""
_ELLIPSIS = re.compile(r"\.\.\.+|…")
_ABBREVIATION = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?!\w)",
    re.IGNORECASE)
_TIME = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)(?:\s*([ap])\.?\s?m\b\.?)?", re.IGNORECASE)
_DIGIT_SEQUENCE = re.compile(r"\b\d+(?:-\d+){2,}\b")
_RANGE = re.compile(r"\b(\d+(?:\.\d+)?)\s?[-\u2013]\s?(\d+(?:\.\d+)?)\b")
_PERCENT = re.compile(r"\b(\d+(?:\.\d+)?)\s?%")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_WITH_UNIT = re.compile(
    r"\b(\d+(?:\.\d+)?)\s?(" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w])")


def speakable(text: str, language: str = "en-US") -> str:
    """The text with numbers, times, units and abbreviations in words, ellipses removed."""
    lang = language.replace("-", "_").split("_")[0].lower() or "en"
    words = _number_words(lang)
    text = _ELLIPSIS.sub(" ", text)
    text = text.replace("&", " and ")
    if lang == "en":
        text = _ABBREVIATION.sub(_abbreviation_words, text)
        text = _TIME.sub(lambda m: _time_words(m, words), text)
        text = _DIGIT_SEQUENCE.sub(lambda m: " ".join(words(d) for d in m.group(0).split("-")), text)
        text = _RANGE.sub(lambda m: f"{words(m.group(1))} to {words(m.group(2))}", text)
        text = _PERCENT.sub(lambda m: f"{words(m.group(1))} percent", text)
        text = _ORDINAL.sub(lambda m: _ordinal(m.group(1), lang), text)
        text = _WITH_UNIT.sub(lambda m: _unit_words(m, words), text)
    text = _NUMBER.sub(lambda m: words(m.group(0)), text)
    return " ".join(text.split())


def ends_with_abbreviation(text: str) -> bool:
    """Whether text ends in an abbreviation that does not end a sentence ("Dr.", "e.g.")."""
    last = text.rsplit(None, 1)[-1].lower() if text.strip() else ""
    return last in MID_SENTENCE


def _abbreviation_words(match: re.Match[str]) -> str:
    """'Dr.' to 'doctor'; 'etc.' at the end of a sentence keeps the full stop that ends it."""
    written = match.group(1).lower()
    rest = match.string[match.end():].lstrip()
    ends_sentence = written not in MID_SENTENCE and (not rest or rest[0].isupper())
    return ABBREVIATIONS[written] + ("." if ends_sentence else "")


def _number_words(lang: str) -> Callable[[str], str]:
    """A function from a written number ("1,200", "2.5") to words in `lang` (digits if unknown)."""
    def words(number: str) -> str:
        plain = number.replace(",", "")
        try:  # int() of over 4,300 digits raises ValueError too: such a number stays as written
            value: int | float = float(plain) if "." in plain else int(plain)
            spoken = num2words(value, lang=lang)
        except (NotImplementedError, OverflowError, ValueError):
            return number
        # num2words writes "one thousand, two hundred": a comma would make the engine pause.
        return str(spoken).replace(",", "")
    return words


def _ordinal(number: str, lang: str) -> str:
    """'3rd' to 'third'."""
    try:
        return str(num2words(int(number), lang=lang, to="ordinal")).replace(",", "")
    except (NotImplementedError, OverflowError, ValueError):
        return number


def _time_words(match: re.Match[str], words: Callable[[str], str]) -> str:
    """'10:30' to 'ten thirty', '7:05 pm' to 'seven oh five p m', '3:00' to "three o'clock"."""
    hours, minutes, half = match.group(1), int(match.group(2)), match.group(3)
    spoken = words(str(int(hours)))
    if minutes == 0:
        spoken += "" if half else " o'clock"
    elif minutes < 10:
        spoken += f" oh {words(str(minutes))}"
    else:
        spoken += f" {words(str(minutes))}"
    return f"{spoken} {half.lower()} m" if half else spoken


def _unit_words(match: re.Match[str], words: Callable[[str], str]) -> str:
    """'4s' to 'four seconds', '1 min' to 'one minute'."""
    number, unit = match.group(1), _UNITS[match.group(2).lower()]
    return f"{words(number)} {unit}{'' if number == '1' else 's'}"
