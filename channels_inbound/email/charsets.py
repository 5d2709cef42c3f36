"""Charset labels as mail writes them, and bytes decoded whatever the label says.

Real mail mislabels its text: "iso-gb2312" and "x-mac-cyrillic" are not names Python knows,
Latin-1 labels carry UTF-8 or windows-1251, "iso-2022-jp" carries Shift_JIS, headers carry raw
8-bit bytes with no label at all. `decode_text` tries the label, then what the rest of the
message suggests (`hints`), then sniffs, and never raises.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from functools import lru_cache

# Labels Python does not know, or knows as a narrower charset than mail means by them.
_ALIASES = {
    "iso-gb2312": "gb18030",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-ukrainian": "mac-cyrillic",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "x-sjis": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "x-euc-jp": "euc_jp",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "iso8859-1": "cp1252",
    "iso-8859-8-i": "iso8859-8",
    "iso-8859-6-i": "iso8859-6",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "x-user-defined": "",
    "unknown-8bit": "",
    "x-unknown": "",
    "unknown": "",
    "default": "",
    "charset": "",
}

# Codecs that are not ASCII-compatible: ASCII-only bytes still need the codec.
_NOT_ASCII_SAFE = ("utf-7", "iso2022", "hz", "utf-16", "utf-32")
_LATIN = frozenset({"cp1252", "iso8859-1", "iso8859-15", "ascii"})
_ANY = frozenset({"utf-8", "iso8859-1"})
_CYRILLIC = frozenset({"cp1251", "koi8-r", "koi8-u", "iso8859-5", "mac-cyrillic", "cp866"})
# Where a declared multibyte charset fails, the charset the sender more likely used.
_FAMILY = {
    "iso2022_jp": ("cp932", "euc_jp"),
    "iso2022_jp_2": ("cp932", "euc_jp"),
    "euc_jp": ("cp932",),
    "cp932": ("euc_jp",),
    "gb18030": ("big5",),
    "big5": ("gb18030",),
    "cp949": ("iso2022_kr",),
    "cp1252": ("iso8859-1",),
}
_HIGH = bytes(range(0x80, 0x100))
_CYRILLIC_RUN = re.compile(rb"[\xc0-\xff]{3,}")
_CYRILLIC_VOWELS = frozenset("аеёиоуыэюяАЕЁИОУЫЭЮЯіїєІЇЄ")


@lru_cache(maxsize=256)
def resolve(label: str | None) -> str | None:
    """The codec for a charset label, or None when the label is missing or unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower().split("*", 1)[0]
    if name.startswith("cp-"):
        name = "cp" + name[3:]
    elif name.startswith("win-"):
        name = "windows-" + name[4:]
    name = _ALIASES.get(name, name)
    if not name or not name.isascii():
        return None
    try:
        codec = codecs.lookup(name).name
        b"".decode(codec)  # "base64", "zlib", "rot13" are codecs, but not charsets
    except (LookupError, ValueError):
        return None
    return _ALIASES.get(codec, codec)


def decode_text(data: bytes, label: str | None = None, hints: Iterable[str | None] = ()) -> str:
    """`data` as text: the labelled charset when it fits, else the likeliest one."""
    if not data:
        return ""
    codec = resolve(label)
    if data.isascii() and (codec is None or not codec.startswith(_NOT_ASCII_SAFE)):
        return data.decode("ascii")
    if codec and codec != "ascii":
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            pass
        else:
            return _second_opinion(data, codec, text)
        if codec == "utf-8":  # a few broken bytes, or single-byte text labelled UTF-8
            return data.decode("utf-8", "replace") if _mostly_utf8(data) else _guess(data, hints)
        for candidate in ("utf-8", *_FAMILY.get(codec, ())):
            text = _strict(data, candidate)
            if text is not None and (candidate in _ANY or _plausible_multibyte(text)):
                return text
        return data.decode(codec, "replace")
    return _guess(data, hints)


def _second_opinion(data: bytes, codec: str, text: str) -> str:
    """A single-byte label decodes anything: check the bytes agree with it."""
    if codec in _LATIN:
        utf8 = _strict(data, "utf-8")
        if utf8 is not None:
            return utf8
        cyrillic = _cyrillic(data)
        return data.decode(cyrillic) if cyrillic else text
    if codec in ("cp1251", "koi8-r") and len(data) - len(data.translate(None, _HIGH)) >= 20:
        cyrillic = _cyrillic(data)
        if cyrillic and cyrillic != codec:
            return data.decode(cyrillic)
    return text


def _guess(data: bytes, hints: Iterable[str | None]) -> str:
    """No usable label: UTF-8, the charsets the message declares elsewhere, then sniffing."""
    text = _strict(data, "utf-8")
    if text is not None:
        return text
    if _mostly_utf8(data):
        return data.decode("utf-8", "replace")
    codecs_ = [codec for codec in dict.fromkeys(map(resolve, hints)) if codec]
    for codec in codecs_:
        if codec in _LATIN or codec == "utf-8":
            continue
        for candidate in (codec, *_FAMILY.get(codec, ())):
            text = _strict(data, candidate)
            if text is not None and _plausible(text):
                return text
    cyrillic = _cyrillic(data)
    if cyrillic:
        return data.decode(cyrillic)
    if any(codec in _LATIN for codec in codecs_):
        return _strict(data, "cp1252") or data.decode("latin-1")
    text = data.decode("cp1252", "replace")
    if all(char.isalpha() for char in text if not char.isascii()):
        return text
    return data.decode("utf-8", "replace")


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _mostly_utf8(data: bytes) -> bool:
    """Valid UTF-8 with a few broken bytes (a name cut in mid-character)."""
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = sum(1 for char in text if not char.isascii()) - bad
    return good > 0 and good >= 2 * bad


def _plausible(text: str) -> bool:
    return "\ufffd" not in text and _plausible_multibyte(text)


def _plausible_multibyte(text: str) -> bool:
    """A lone CJK character among Latin words is a wrong guess; two or more are not."""
    return sum(1 for char in text if not char.isascii()) >= 2


def _cyrillic(data: bytes) -> str | None:
    """The codec ("cp1251" or "koi8-r") when the 8-bit bytes read as Russian words."""
    high = len(data) - len(data.translate(None, _HIGH))
    if high < 3:
        return None
    runs = _CYRILLIC_RUN.findall(data)
    if sum(map(len, runs)) * 2 < high:
        return None
    # Lower case is 0xE0-0xFF in windows-1251 and 0xC0-0xDF in KOI8-R; text is mostly lower.
    sample = b"".join(runs)
    upper_half = len(sample) - len(sample.translate(None, _HIGH[0x60:]))
    likely = ("cp1251", "koi8-r") if upper_half * 2 >= len(sample) else ("koi8-r", "cp1251")
    for codec in likely:
        words = [run.decode(codec, "replace") for run in runs]
        # Words are lower case, upper case or capitalised: "дцьЯ" is German "äöüß" misread.
        cased = sum(1 for w in words if w.islower() or w.isupper() or w[1:].islower())
        letters = "".join(words)
        vowels = sum(1 for char in letters if char in _CYRILLIC_VOWELS)
        if cased * 5 >= len(words) * 4 and 0.25 <= vowels / len(letters) <= 0.7:
            return codec
    return None
