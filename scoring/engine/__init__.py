"""The pure scoring function: lead facts + events + model + now -> fit, behaviour, total, explanation.

Nothing here touches the ORM, the clock or settings: callers read the lead, its events and the
model, pass ``now`` in, and get a ``ScoreResult`` back. That is what makes scores reproducible
(the same facts always give the same score), cheap (well under 2 ms for 200 events, see
``bench/scoring_bench.py``) and testable with hypothesis.

The arithmetic, in one place (docs/scoring.md repeats it):

- fit = the sum of the points of every fit rule whose condition holds on the lead's facts;
- each event of a type with a behaviour rule weighs ``2 ** (-age_days / half_life_days)``
  (1 without decay, and 1 for an event stamped in the future); a rule's contribution is
  ``points * sum(weights)``, capped at ``cap`` in magnitude, rounded half up to an integer;
- behaviour = the sum of the behaviour contributions; total = fit + behaviour.

Every rounded contribution is listed in the explanation, so the total is exactly their sum.

The package, by concept: ``definitions`` (facts, operators, rule and model definitions, limits),
``validation`` (``validate_model``), ``compiled`` (``compile_model`` -> ``ModelSpec``), ``arithmetic``
(``score``), ``mql`` (``promotes_by_score``). Import from ``scoring.engine``.
"""

from scoring.engine.arithmetic import Contribution, ScoreResult, round_half_up, score
from scoring.engine.compiled import InvalidModel, ModelSpec, compile_model
from scoring.engine.definitions import (
    BEHAVIOUR_POINTS_LIMIT,
    CAP_MAX,
    EVENT_TYPE_RE,
    FACTS,
    FIT_POINTS_LIMIT,
    HALF_LIFE_MAX_DAYS,
    MAX_HIGH_INTENT_TYPES,
    MAX_LIST_VALUES,
    MAX_RULES,
    OPERATOR_TYPES,
    SECONDS_PER_DAY,
    THRESHOLD_MAX,
    THRESHOLD_MIN,
    BehaviourRuleDef,
    FactType,
    FitRuleDef,
    ModelDef,
    Operator,
    Problem,
)
from scoring.engine.mql import (
    HIGH_INTENT_PROMOTES_FROM,
    SCORE_PROMOTES_FROM,
    SCORE_PROMOTES_ON_CROSSING,
    promotes_by_score,
)
from scoring.engine.validation import validate_model

__all__ = [
    "BEHAVIOUR_POINTS_LIMIT", "CAP_MAX", "EVENT_TYPE_RE", "FACTS", "FIT_POINTS_LIMIT", "HALF_LIFE_MAX_DAYS",
    "HIGH_INTENT_PROMOTES_FROM", "MAX_HIGH_INTENT_TYPES", "MAX_LIST_VALUES", "MAX_RULES", "OPERATOR_TYPES",
    "SCORE_PROMOTES_FROM", "SCORE_PROMOTES_ON_CROSSING", "SECONDS_PER_DAY", "THRESHOLD_MAX", "THRESHOLD_MIN",
    "BehaviourRuleDef", "Contribution", "FactType", "FitRuleDef", "InvalidModel", "ModelDef", "ModelSpec", "Operator",
    "Problem", "ScoreResult", "compile_model", "promotes_by_score", "round_half_up", "score", "validate_model",
]
