"""Countries: ISO 3166-1 alpha-2 codes, and the markets a Partner Center instance sells in."""

from __future__ import annotations

from collections.abc import Iterable

#: Every officially assigned ISO 3166-1 alpha-2 code.
_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO
    FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE
    JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO
    MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW
    PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM
    TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
    """
ISO_3166_ALPHA2 = frozenset(_CODES.split())


def markets_of(*codes: str | Iterable[str] | None) -> frozenset[str]:
    """The upper-cased two-letter markets among `codes` (single codes or lists of them; empties ignored)."""
    found: set[str] = set()
    for code in codes:
        values = [code] if isinstance(code, str) or code is None else list(code)
        found.update(str(v).strip().upper() for v in values if v and str(v).strip())
    return frozenset(found)


def country_problem(country: str, markets: frozenset[str] = frozenset()) -> str:
    """Why `country` cannot be a customer's country here, or "" when it can: an ISO 3166-1 alpha-2 code, and (when
    `markets` is given) one of the markets sold in."""
    code = (country or "").strip().upper()
    if code not in ISO_3166_ALPHA2:
        return f"{country!r} is not a country code; use the two-letter ISO code such as US, GB or DE."
    if markets and code not in markets:
        return (
            f"Customers in {code} cannot be served from this marketplace; it sells in "
            f"{', '.join(sorted(markets))}."
        )
    return ""
