"""The MQL decision by score: which stages a score (or a high-intent event) moves to MQL."""

from __future__ import annotations

# --- the MQL decision --------------------------------------------------------------------------------------

SCORE_PROMOTES_FROM = frozenset({"subscriber", "lead"})
SCORE_PROMOTES_ON_CROSSING = frozenset({"nurture"})
HIGH_INTENT_PROMOTES_FROM = frozenset({"subscriber", "lead", "nurture", "disqualified"})


def promotes_by_score(stage: str, old_total: int, new_total: int, threshold: int) -> bool:
    """Does a rescore from ``old_total`` to ``new_total`` make a lead in ``stage`` an MQL?

    A subscriber or lead at or above the threshold is an MQL. A nurture lead (returned by sales) needs to
    *cross* it (from below to at-or-above), so a lead sales sent back does not bounce straight back on
    its next email open. Disqualified leads return only on a high-intent event; later stages never move.
    """
    if new_total < threshold:
        return False
    if stage in SCORE_PROMOTES_FROM:
        return True
    if stage in SCORE_PROMOTES_ON_CROSSING:
        return old_total < threshold
    return False
