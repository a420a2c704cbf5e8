"""Bech32 (BIP 173) as age uses it for keys: no length limit, no mixed case.

age encodes recipients as lowercase `age1…` and identities as uppercase
`AGE-SECRET-KEY-1…`. Decoding returns the human-readable part in the case it was written,
so callers can insist on the exact form age itself accepts.
"""

from __future__ import annotations

from .errors import AgeError

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_CHECKSUM_LENGTH = 6


class Bech32Error(AgeError, ValueError):
    """A Bech32 string is not well formed."""

    code = "age_bech32"


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ value
        for i, generator in enumerate(_GENERATOR):
            if (top >> i) & 1:
                chk ^= generator
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    lowered = [ord(c) for c in hrp.lower()]
    return [c >> 5 for c in lowered] + [0] + [c & 31 for c in lowered]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    max_value = (1 << to_bits) - 1
    for value in data:
        if value >> from_bits:
            raise Bech32Error("invalid data value")
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & max_value)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & max_value)
    elif bits >= from_bits:
        raise Bech32Error("illegal zero padding")
    elif (acc << (to_bits - bits)) & max_value:
        raise Bech32Error("non-zero padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode `data` under `hrp`; the result is uppercase when `hrp` is."""
    if not hrp or any(not 33 <= ord(c) <= 126 for c in hrp):
        raise Bech32Error("invalid human-readable part")
    if hrp not in (hrp.lower(), hrp.upper()):
        raise Bech32Error("mixed-case human-readable part")
    values = _convert_bits(data, 8, 5, pad=True)
    lower_hrp = hrp.lower()
    mod = _polymod([*_hrp_expand(lower_hrp), *values, 0, 0, 0, 0, 0, 0]) ^ 1
    checksum = [(mod >> (5 * (5 - i))) & 31 for i in range(_CHECKSUM_LENGTH)]
    text = lower_hrp + "1" + "".join(CHARSET[v] for v in values + checksum)
    return text if hrp == lower_hrp else text.upper()


def decode(text: str) -> tuple[str, bytes]:
    """Return (human-readable part as written, data); raise `Bech32Error` if malformed."""
    if text not in (text.lower(), text.upper()):
        raise Bech32Error("mixed case")
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise Bech32Error("separator '1' at an invalid position")
    hrp = text[:pos]
    if any(not 33 <= ord(c) <= 126 for c in hrp):
        raise Bech32Error("invalid character in the human-readable part")
    values = []
    for c in text[pos + 1 :].lower():
        index = CHARSET.find(c)
        if index < 0:
            raise Bech32Error("invalid character in the data part")
        values.append(index)
    if _polymod([*_hrp_expand(hrp), *values]) != 1:
        raise Bech32Error("invalid checksum")
    data = _convert_bits(values[:-_CHECKSUM_LENGTH], 5, 8, pad=False)
    return hrp, bytes(data)
