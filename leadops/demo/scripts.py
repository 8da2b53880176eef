"""The scripted stories: each guarantees something a visitor must find in the demo (every reason, deal stage,
cycle and queue is on show)."""

from __future__ import annotations

from typing import Any


# A cycle's keys (all optional; what is missing is decided at random): mql score|high_intent|promote; route queue;
# rep <username>; review accept|pending|("reject", code); reassign True; sal qualify|open|("disqualify", code)|
# ("override", code)|("recycle", code); sql convert|open|(...); deal ("won",)|("lost", code)|("open", deal stage);
# hold True.
# "open" stories end ``ago`` hours before today; the others are over well before.
def scripts() -> list[dict[str, Any]]:
    rej = [("ic", "paid_social", "score", "wrong_title"), ("tiny", "content", "score", "wrong_company_size"),
           ("unserved", "paid_search", "score", "wrong_geography"), ("smb", "paid_social", "score",
           "insufficient_budget"), ("subscriber", "organic_search", "high_intent", "missing_data"),
           ("midmarket", "event", "score", "duplicate"), ("student", "content", "high_intent", "not_a_prospect")]
    s: list[dict[str, Any]] = [
        {"label": f"rejected: {code}", "seg": seg, "channel": ch, "cycles": [{"mql": via, "review": ("reject", code)}]}
        for seg, ch, via, code in rej
    ]
    for seg, ch, code in [("midmarket", "webinar", "not_interested"), ("smb", "paid_search", "no_budget"),
                          ("enterprise", "content", "no_authority"), ("midmarket", "organic_search", "no_need"),
                          ("smb", "paid_social", "unresponsive")]:
        s.append({"label": f"disqualified: {code}", "seg": seg, "channel": ch,
                  "cycles": [{"review": "accept", "sal": ("disqualify", code)}]})
    s += [
        {"label": "disqualified by a manager override of the touch cadence", "seg": "midmarket", "channel": "content",
         "cycles": [{"review": "accept", "sal": ("override", "unresponsive")}]},
        {"label": "disqualified from SQL: lost_to_competitor", "seg": "enterprise", "channel": "paid_search",
         "cycles": [{"review": "accept", "sal": "qualify", "sql": ("disqualify", "lost_to_competitor")}]},
        {"label": "recycled: bad_timing", "seg": "enterprise", "channel": "webinar",
         "cycles": [{"review": "accept", "sal": ("recycle", "bad_timing")}]},
        {"label": "recycled from SQL: no_budget", "seg": "midmarket", "channel": "event",
         "cycles": [{"review": "accept", "sal": "qualify", "sql": ("recycle", "no_budget")}]},
        {"label": "recycled: not_interested", "seg": "smb", "channel": "email",
         "cycles": [{"review": "accept", "sal": ("recycle", "not_interested")}]},
        {"label": "recycled: unresponsive (cadence met)", "seg": "smb", "channel": "paid_search",
         "cycles": [{"review": "accept", "sal": ("recycle", "unresponsive")}]},
    ]
    for seg, ch, code in [("midmarket", "paid_search", "price"), ("enterprise", "event", "lost_to_competitor"),
                          ("enterprise", "webinar", "no_decision"), ("midmarket", "organic_search", "timing"),
                          ("smb", "content", "product_fit")]:
        s.append({"label": f"deal lost: {code}", "seg": seg, "channel": ch,
                  "cycles": [{"review": "accept", "sal": "qualify", "sql": "convert", "deal": ("lost", code)}]})
    for seg, ch, hold in [("enterprise", "referral", False), ("midmarket", "webinar", False),
                          ("smb", "organic_search", False), ("midmarket", "partner", True)]:
        s.append({"label": "deal won", "seg": seg, "channel": ch,
                  "cycles": [{"review": "accept", "sal": "qualify", "sql": "convert", "deal": ("won",), "hold": hold}]})
    for seg, stage, ago in [("enterprise", "discovery", 70), ("midmarket", "proposal_development", 120),
                            ("enterprise", "proposal_presented", 50), ("midmarket", "on_hold", 150)]:
        s.append({"label": f"open deal: {stage}", "seg": seg, "channel": "referral", "open": ago,
                  "cycles": [{"review": "accept", "sal": "qualify", "sql": "convert", "deal": ("open", stage)}]})
    win = {"review": "accept", "sal": "qualify", "sql": "convert", "deal": ("won",)}
    s += [
        {"label": "two cycles: rejected wrong_title, back via score, won", "seg": "midmarket", "channel": "webinar",
         "cycles": [{"mql": "score", "review": ("reject", "wrong_title")}, {"mql": "score", **win}]},
        {"label": "two cycles: recycled bad_timing, back on a demo request, in SAL", "seg": "enterprise",
         "channel": "paid_search", "open": 50,
         "cycles": [{"review": "accept", "sal": ("recycle", "bad_timing")},
                    {"mql": "high_intent", "review": "accept", "sal": "open"}]},
        {"label": "two cycles: deal lost on timing, back, now SQL", "seg": "midmarket", "channel": "organic_search",
         "open": 96, "cycles": [{"review": "accept", "sal": "qualify", "sql": "convert", "deal": ("lost", "timing")},
                                {"mql": "score", "review": "accept", "sal": "qualify", "sql": "open"}]},
        {"label": "two cycles: disqualified no_need, back from disqualified on a demo request, open deal",
         "seg": "smb", "channel": "organic_search", "open": 80,
         "cycles": [{"review": "accept", "sal": ("disqualify", "no_need")},
                    {"mql": "high_intent", "review": "accept", "sal": "qualify", "sql": "convert",
                     "deal": ("open", "proposal_development")}]},
        {"label": "three cycles: rejected, recycled, won", "seg": "midmarket", "channel": "webinar",
         "cycles": [{"mql": "score", "review": ("reject", "insufficient_budget")},
                    {"mql": "score", "review": "accept", "sal": ("recycle", "no_budget")},
                    {"mql": "high_intent", **win}]},
        {"label": "three cycles: recycled, deal lost, back as an MQL awaiting review", "seg": "enterprise",
         "channel": "referral", "open": 10,
         "cycles": [{"review": "accept", "sal": ("recycle", "bad_timing")},
                    {"mql": "score", "review": "accept", "sal": "qualify", "sql": "convert",
                     "deal": ("lost", "no_decision")},
                    {"mql": "score", "review": "pending"}]},
        {"label": "three cycles: rejected missing_data, disqualified, won", "seg": "smb", "channel": "organic_search",
         "cycles": [{"mql": "high_intent", "review": ("reject", "missing_data")},
                    {"mql": "high_intent", "review": "accept", "sal": ("disqualify", "not_interested")},
                    {"mql": "high_intent", **win}]},
        {"label": "two cycles: recycled, promoted by marketing ops, won", "seg": "enterprise", "channel": "event",
         "cycles": [{"review": "accept", "sal": ("recycle", "not_interested")}, {"mql": "promote", **win}]},
        {"label": "promoted to MQL by marketing ops after an event, deal lost on price", "seg": "midmarket",
         "channel": "event", "cycles": [{"mql": "promote", "review": "accept", "sal": "qualify", "sql": "convert",
                                          "deal": ("lost", "price")}]},
        {"label": "reassigned by the manager, won", "seg": "midmarket", "channel": "paid_search",
         "cycles": [{"reassign": True, **win}]},
        {"label": "reassigned by the manager, in SAL", "seg": "enterprise", "channel": "organic_search", "open": 70,
         "cycles": [{"review": "accept", "reassign": True, "sal": "open"}]},
    ]
    for seg, via, ago in [("enterprise", "high_intent", 3), ("midmarket", "high_intent", 20), ("smb", "score", 26),
                          ("smb", "high_intent", 6), ("enterprise", "score", 46)]:
        s.append({"label": "MQL waiting in the team queue", "seg": seg, "channel": "organic_search", "open": ago,
                  "cycles": [{"mql": via, "route": "queue", "review": "pending"}]})
    for seg, via, ago in [("enterprise", "high_intent", 5), ("smb", "high_intent", 1), ("midmarket", "score", 9)]:
        s.append({"label": "routed MQL awaiting review", "seg": seg, "channel": "paid_search", "open": ago,
                  "cycles": [{"mql": via, "review": "pending"}]})
    r: dict[str, Any] = {"rep": "riley"}
    s += [
        {"label": "riley: high-intent MQL", "seg": "riley", "channel": "paid_search", "open": 2,
         "cycles": [{**r, "mql": "high_intent", "review": "pending"}]},
        {"label": "riley: MQL, first call made", "seg": "riley", "channel": "webinar", "open": 18,
         "cycles": [{**r, "mql": "score", "touch": True, "review": "pending"}]},
        *[{"label": "riley: SAL", "seg": "riley", "channel": ch, "open": ago,
           "cycles": [{**r, "review": "accept", "sal": "open"}]}
          for ch, ago in [("organic_search", 26), ("webinar", 70), ("referral", 140), ("paid_search", 215)]],
        *[{"label": "riley: SQL", "seg": "riley", "channel": ch, "open": ago,
           "cycles": [{**r, "review": "accept", "sal": "qualify", "sql": "open"}]}
          for ch, ago in [("partner", 40), ("organic_search", 120), ("event", 290)]],
        {"label": "riley: open deal", "seg": "riley", "channel": "referral", "open": 96,
         "cycles": [{**r, "review": "accept", "sal": "qualify", "sql": "convert", "deal": ("open", "discovery")}]},
        {"label": "riley: open deal", "seg": "riley", "channel": "webinar", "open": 190,
         "cycles": [{**r, "review": "accept", "sal": "qualify", "sql": "convert",
                     "deal": ("open", "proposal_presented")}]},
        {"label": "riley: won", "seg": "riley", "channel": "partner", "cycles": [{**r, **win}]},
        {"label": "riley: recycled", "seg": "riley", "channel": "paid_social",
         "cycles": [{**r, "review": "accept", "sal": ("recycle", "bad_timing")}]},
    ]
    return s
