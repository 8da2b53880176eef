"""Sales regions as country lists (ISO 3166-1 alpha-2), fixed in code.

A routing rule may name regions instead of (or besides) countries; a lead matches a region when its
country is in the region's list. The lists follow the usual revenue-operations split: NA is the United
States and Canada (with their Atlantic dependencies and US territories in the Caribbean), LATAM is
Mexico, Central and South America and the Caribbean, EMEA is Europe (Russia and Turkey included),
the Middle East, the Caucasus, Central Asia and Africa, APAC is the rest of Asia and the Pacific.
Every assigned country is in exactly one region (``tests/routing/test_rules.py`` checks it);
Antarctica (AQ) is in none.
"""

from __future__ import annotations


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


NA = _codes("US CA PM BM UM PR VI")
LATAM = _codes(
    "MX GT BZ SV HN NI CR PA CU DO HT JM BS BB AG DM GD KN LC VC TT AI AW BL BQ CW GP KY MF MQ MS SX TC VG "
    "CO VE EC PE BO BR PY UY AR CL GY SR GF FK GS"
)
EMEA = _codes(
    # Europe
    "AD AL AT AX BA BE BG BY CH CZ DE DK EE ES FI FR GB GG GI GR HR HU IE IM IT JE LI LT LU LV MC MD ME MK MT "
    "NL NO PL PT RO RS RU SE SI SK SM TR UA VA FO IS SJ GL XK "
    # Middle East, Caucasus, Central Asia
    "AE BH CY IL IQ IR JO KW LB OM PS QA SA SY YE AM AZ GE KZ KG TJ TM UZ "
    # Africa and its islands
    "AO BF BI BJ BW CD CF CG CI CM DJ DZ EG EH ER ET GA GH GM GN GQ GW KE LR LS LY MA ML MR MW MZ NA NE NG "
    "RW SD SL SN SO SS ST SZ TD TG TN TZ UG ZA ZM ZW CV SH KM MG MU RE SC YT TF BV"
)
APAC = _codes(
    "AF PK IN BD BT LK MV NP CN HK MO TW MN JP KP KR BN KH ID LA MM MY PH SG TH TL VN "
    "AU NZ FJ PG SB VU NC PF WF WS TO TV KI NR MH FM PW GU MP AS CK NU TK PN NF CC CX IO HM"
)

REGIONS: dict[str, frozenset[str]] = {"NA": NA, "LATAM": LATAM, "EMEA": EMEA, "APAC": APAC}

# Every code of ISO 3166-1 alpha-2 (and XK, Kosovo, in common use): what a rule's country list may hold.
COUNTRIES: frozenset[str] = NA | LATAM | EMEA | APAC | frozenset({"AQ"})


def region_of(country: str) -> str | None:
    code = (country or "").upper()
    for name, members in REGIONS.items():
        if code in members:
            return name
    return None
