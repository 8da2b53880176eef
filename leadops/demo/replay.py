"""``Replay``: the stories written in bulk, through an in-memory mirror of the lifecycle services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Model

from leadops.demo.context import Ctx, latency_ms, ledger_candidates, routed
from leadops.demo.records import LeadPlan
from leadops.models import User
from leadops.roles import Role
from lifecycle import services as lc
from lifecycle.models import (
    CLOSED_DEAL_STAGES,
    ActorKind,
    DealStage,
    DispositionReason,
    Lead,
    LeadStatus,
    MarketingEvent,
    Opportunity,
    StageTransition,
    Touch,
)
from lifecycle.services.activity import WORKING_STAGES
from lifecycle.services.assignment import CLOSED_STAGES as NOT_ASSIGNABLE
from lifecycle.services.leads import derive_seniority, email_domain, is_free_mail, normalise_domain, normalise_email
from lifecycle.services.transitions import BANT_FIELDS, REASON_KIND_FOR, _start_cycle
from lifecycle.state_machine import STATUS_ON_ENTRY, By, Requires, Stage, find_move, starts_new_cycle, timestamp_field
from routing.models import Assignment, AssignmentMethod


class ReplayError(Exception):
    """A story the services would refuse (a bug in the plan)."""


class Replay:
    """An in-memory mirror of lifecycle.services for stories written in bulk (see the package docstring).

    Each method mirrors one service: the same fields, the same order of effects, the same checks of the
    transition table (who may move, reasons, cadence, BANT, owner). Rows are kept until ``flush``.
    """

    def __init__(self, ctx: Ctx):
        self.ctx = ctx
        self.leads: list[Lead] = []
        self.rows: dict[type[Model], list[Any]] = {m: [] for m in (StageTransition, MarketingEvent, Touch,
                                                                   Assignment, Opportunity)}

    def flush(self) -> None:
        if not self.leads:
            return
        Lead.objects.bulk_create(self.leads, batch_size=500)
        for model, rows in self.rows.items():
            for row in rows:
                row.lead_id = row.lead.pk
            model._default_manager.bulk_create(rows, batch_size=1000)
        self.leads = []
        self.rows = {m: [] for m in self.rows}

    def play(self, plan: LeadPlan) -> Lead:
        ctx = self.ctx
        lead: Lead | None = None
        self.opportunity: Opportunity | None = None
        for step in plan.steps:
            a = step.args
            now = step.at
            if step.kind == "create":
                lead = self.create(now, a)
                continue
            assert lead is not None
            if step.kind == "event":
                self.event(lead, now, a)
            elif step.kind == "promote":
                self.transition(lead, now, to=a["to"], actor=ctx.actor(step.actor), trigger=a["trigger"] or "promote",
                                note=a.get("note", ""), action="promote")
            elif step.kind == "route":
                self.route(lead, now, a)
            elif step.kind == "assign":
                self.assign(lead, now, rep=ctx.users[a["rep"]], actor=ctx.users[step.actor or ""], note=a["note"])
            elif step.kind == "touch":
                self.touch(lead, now, rep=ctx.users[step.actor or ""], channel=a["channel"], outcome=a["outcome"],
                           note=a["note"])
            elif step.kind == "accept":
                self.transition(lead, now, to=Stage.SAL, actor=ctx.actor(step.actor), owner=ctx.user(a["owner"]),
                                note=a["note"], trigger="accept", action="accept")
            elif step.kind == "reject":
                reason = self.reason("rejection", a["reason"])
                self.transition(lead, now, to=reason.target_stage, actor=ctx.actor(step.actor), reason=reason,
                                note=a["note"], trigger="reject", action="reject")
            elif step.kind == "qualify":
                self.transition(lead, now, to=Stage.SQL, actor=ctx.actor(step.actor), bant=a["bant"], trigger="qualify",
                                action="qualify")
            elif step.kind == "disqualify":
                self.transition(lead, now, to=Stage.DISQUALIFIED, actor=ctx.actor(step.actor),
                                reason=self.reason("disqualification", a["reason"]), note=a["note"],
                                override=a["override"], trigger="disqualify", action="disqualify")
            elif step.kind == "recycle":
                self.transition(lead, now, to=Stage.NURTURE, actor=ctx.actor(step.actor),
                                reason=self.reason("recycle", a["reason"]), note=a["note"], trigger="recycle",
                                action="recycle")
            elif step.kind == "convert":
                deal = {"amount": Decimal(a["amount"]), "close_date": a["close_date"], "currency": "USD",
                        "name": a["name"]}
                self.transition(lead, now, to=Stage.OPPORTUNITY, actor=ctx.actor(step.actor), trigger="convert",
                                action="convert", opportunity=deal)
            elif step.kind == "deal":
                self.deal(lead, now, a)
            else:
                raise ValueError(f"unknown step {step.kind}")
        assert lead is not None
        lead.fit_score, lead.behaviour_score, lead.score = plan.scores
        return lead

    def reason(self, kind: str, code: str) -> DispositionReason:
        reason = self.ctx.reasons.get((kind, code))
        if reason is None:
            raise ReplayError(f"unknown {kind} reason {code!r}")
        return reason

    # lifecycle.services.leads.lead_create
    def create(self, now: dt.datetime, a: dict[str, Any]) -> Lead:
        email = normalise_email(a["email"])
        fields = a["fields"]
        campaign = self.ctx.campaign(a["campaign"])
        lead = Lead(email=email, created_at=now, updated_at=now, first_campaign=campaign, latest_campaign=campaign,
                    **{k: v for k, v in fields.items() if v is not None})
        if fields.get("company_domain"):
            lead.company_domain = normalise_domain(fields["company_domain"])
        lead.seniority = derive_seniority(lead.title)
        if not lead.source and campaign is not None:
            lead.source = campaign.channel
        domain = normalise_domain(lead.company_domain) or email_domain(email)
        if domain and not is_free_mail(domain):
            account = self.ctx.accounts.get(domain)
            if account is None:
                raise ReplayError(f"{email}: no account {domain} (the services would create one)")
            for key in ("industry", "employee_count", "country"):
                if fields.get(key) not in (None, "") and getattr(account, key) != fields[key]:
                    raise ReplayError(f"{email}: {key} differs from the account's (the services would update it)")
            lead.account = account
        self.leads.append(lead)
        if lead.company_name or lead.title or lead.account is not None:
            self.transition(lead, now, to=Stage.LEAD, actor=lc.Actor.system(), trigger="enriched")
        return lead

    # lifecycle.services.activity.event_record (without external ids: the demo sends none)
    def event(self, lead: Lead, now: dt.datetime, a: dict[str, Any]) -> None:
        campaign = self.ctx.campaign(a["campaign"])
        self.rows[MarketingEvent].append(MarketingEvent(
            lead=lead, type=a["type"], occurred_at=now, campaign=campaign, source=a["source"], external_id=None,
            properties=a["properties"] or {}, created_at=now))
        if campaign is not None:
            lead.latest_campaign = campaign
            lead.updated_at = now
            if lead.first_campaign_id is None:
                lead.first_campaign = campaign
            if lead.source == "":
                lead.source = campaign.channel

    # lifecycle.services.activity.touch_log
    def touch(self, lead: Lead, now: dt.datetime, *, rep: User, channel: str, outcome: str, note: str) -> None:
        channel_row, outcome_row = self.ctx.channels[channel], self.ctx.outcomes[outcome]
        counts = channel_row.counts_as_attempt and outcome_row.counts_as_attempt
        self.rows[Touch].append(Touch(lead=lead, rep=rep, channel=channel_row, outcome=outcome_row, occurred_at=now,
                                      note=note, counts_as_attempt=counts, cycle=lead.recycle_count, created_at=now))
        in_cycle = lead.became_mql_at is not None and now >= lead.became_mql_at
        if counts and in_cycle:
            lead.touch_attempts += 1
            if lead.first_attempt_at is None or now < lead.first_attempt_at:
                lead.first_attempt_at = now
        if lead.last_touch_at is None or now > lead.last_touch_at:
            lead.last_touch_at = now
        if lead.stage in WORKING_STAGES:
            if outcome_row.is_connect:
                lead.status = LeadStatus.CONNECTED
            elif counts and lead.status == LeadStatus.NEW:
                lead.status = LeadStatus.ATTEMPTING
        lead.updated_at = now

    # leadops.demo.load.route_write
    def route(self, lead: Lead, now: dt.datetime, a: dict[str, Any]) -> None:
        self.rows[Assignment].append(routed(
            lead, now, rep=self.ctx.user(a["rep"]), team=self.ctx.teams[a["team"]], method=a["method"],
            rule=a["rule"], candidates=ledger_candidates(self.ctx, a["candidates"], now),
            rule_id=self.ctx.rule_id(a["rule"])))

    def _managed(self, user: User) -> set[int]:
        return self.ctx.managed.get(user.pk, set())

    def _manages(self, user: User, lead: Lead) -> bool:
        teams = self._managed(user)
        return user.role == Role.SALES_MANAGER and (
            lead.team_id in teams or (lead.owner is not None and lead.owner.team_id in teams))

    def _may_own(self, rep: User, manager: User) -> bool:
        profile = getattr(rep, "rep_profile", None)
        if rep.role != Role.SALES_REP or not rep.is_active or (profile is not None and not profile.active):
            return False
        return manager.is_superuser or rep.team_id in self._managed(manager)

    # lifecycle.services.assignment.lead_assign
    def assign(self, lead: Lead, now: dt.datetime, *, rep: User, actor: User, note: str) -> None:
        if not (actor.is_superuser or self._manages(actor, lead)) or not self._may_own(rep, actor):
            raise ReplayError(f"{lead.email}: {actor} may not hand the lead to {rep}")
        if lead.stage in NOT_ASSIGNABLE or lead.owner_id == rep.pk:
            raise ReplayError(f"{lead.email}: nothing to reassign in {lead.stage}")
        self._hand_to(lead, now, rep=rep, method=AssignmentMethod.MANUAL, actor=actor, note=note)
        lead.updated_at = now

    def _hand_to(self, lead: Lead, now: dt.datetime, *, rep: User, method: str, actor: User | None,
                 note: str = "") -> None:
        """A person gives the lead an owner (lead_assign, or the owner chosen on accepting): the ledger row, then
        the lead's owner and team."""
        self.rows[Assignment].append(Assignment(
            lead=lead, rep=rep, team_id=rep.team_id, previous_rep_id=lead.owner_id, method=method, actor=actor,
            note=note, cycle=lead.recycle_count, decided_at=now, latency_ms=latency_ms(lead, now)))
        lead.owner = rep
        lead.team_id = rep.team_id
        if lead.assigned_at is None:
            lead.assigned_at = now

    def _acting(self, actor: lc.Actor, lead: Lead) -> set[By]:
        user = actor.user
        if actor.kind == ActorKind.SYSTEM or user is None:
            return {By.SYSTEM}
        role = Role.ADMIN if user.is_superuser else user.role
        acting: set[By] = set()
        if role == Role.MARKETING_OPS:
            acting.add(By.MARKETING_OPS)
        if role == Role.INTEGRATOR:
            acting.add(By.INTEGRATOR)
        if role == Role.SALES_MANAGER and self._manages(user, lead):
            acting.add(By.SALES_MANAGER)
        if role == Role.SALES_REP and lead.owner_id == user.pk:
            acting.add(By.OWNER_REP)
        return acting

    # lifecycle.services.transitions.lead_transition
    def transition(self, lead: Lead, now: dt.datetime, *, to: str, actor: lc.Actor, trigger: str = "",
                   reason: DispositionReason | None = None, note: str = "", override: bool = False,
                   owner: User | None = None, bant: dict[str, str] | None = None,
                   opportunity: dict[str, Any] | None = None, action: str | None = None) -> None:
        if lead.stage == to:  # the service writes nothing (or refuses a different decision): never planned
            raise ReplayError(f"{lead.email}: already in {to}")
        move = find_move(lead.stage, to)
        if move is None or (action is not None and move.action != action):
            raise ReplayError(f"{lead.email}: no move {lead.stage} -> {to} ({action})")
        acting = self._acting(actor, lead)
        if not acting & move.by:
            raise ReplayError(f"{lead.email}: {actor.user} may not move {lead.stage} -> {to}")
        req = move.requires
        if req == Requires.COMPANY_OR_TITLE and not (lead.company_name or lead.account_id or lead.account
                                                     or lead.title):
            raise ReplayError(f"{lead.email}: company or title required")
        if req == Requires.HIGH_INTENT_EVENT and trigger != "high_intent_event":
            raise ReplayError(f"{lead.email}: a disqualified lead re-enters MQL only on a high-intent event")
        if req == Requires.OWNER:
            chosen = owner or lead.owner
            if chosen is None or (actor.user is not None and not self._may_own(chosen, actor.user)):
                raise ReplayError(f"{lead.email}: accepting needs an owner of the manager's teams")
        overridden = False
        if req in REASON_KIND_FOR:
            if reason is None or reason.kind != REASON_KIND_FOR[req]:
                raise ReplayError(f"{lead.email}: a {REASON_KIND_FOR[req]} reason is required")
            if req in (Requires.REJECTION_REASON, Requires.LOST_REASON) and reason.target_stage != move.target:
                raise ReplayError(f"{lead.email}: reason {reason.code} does not send a lead to {to}")
            if reason.requires_cadence and lead.touch_attempts < self.ctx.cadence:
                if not (override and By.SALES_MANAGER in acting):
                    raise ReplayError(f"{lead.email}: touch cadence not met ({lead.touch_attempts})")
                overridden = True  # only an override that let the move through is recorded as one
        if req == Requires.BANT and any(not (bant or {}).get(name, "").strip() for name in BANT_FIELDS):
            raise ReplayError(f"{lead.email}: BANT incomplete")
        if req == Requires.OPPORTUNITY and (opportunity is None or not isinstance(opportunity.get("close_date"),
                                                                                  dt.date)):
            raise ReplayError(f"{lead.email}: converting needs an amount and a close date")
        source = lead.stage
        if starts_new_cycle(source, to):
            _start_cycle(lead)
        lead.stage = to
        lead.status = STATUS_ON_ENTRY[Stage(to)]
        setattr(lead, timestamp_field(to), now)
        if reason is not None:
            lead.disposition = reason
            lead.disposition_note = note
        if req == Requires.OWNER:
            chosen = owner or lead.owner
            if chosen is not None and chosen.pk != lead.owner_id:  # _record_owner_choice
                self._hand_to(lead, now, rep=chosen, method=AssignmentMethod.ACCEPT, actor=actor.user)
        if req == Requires.BANT and bant:
            for name in BANT_FIELDS:
                setattr(lead, name, bant[name].strip())
        if trigger == "high_intent_event":
            lead.high_intent = True
        if req == Requires.OPPORTUNITY and opportunity is not None:
            self.opportunity = Opportunity(
                lead=lead, account=lead.account, owner=lead.owner,
                name=opportunity.get("name") or f"{lead.company_name or lead.email} - new business",
                amount=opportunity["amount"], currency=opportunity.get("currency") or "USD",
                close_date=opportunity["close_date"], cycle=lead.recycle_count, created_at=now)
            self.rows[Opportunity].append(self.opportunity)
        lead.transition_count += 1
        lead.updated_at = now
        self.rows[StageTransition].append(StageTransition(
            lead=lead, seq=lead.transition_count, cycle=lead.recycle_count, from_stage=source, to_stage=to,
            actor_kind=actor.kind, actor=actor.user, reason=reason, trigger=trigger or move.action, note=note,
            override=overridden, occurred_at=now))

    # lifecycle.services.deals.opportunity_update
    def deal(self, lead: Lead, now: dt.datetime, a: dict[str, Any]) -> None:
        opp = self.opportunity
        if opp is None or opp.deal_stage in CLOSED_DEAL_STAGES:
            raise ReplayError(f"{lead.email}: no open opportunity")
        if a["amount"] is not None:
            opp.amount = Decimal(a["amount"])
        if a["close_date"] is not None:
            opp.close_date = a["close_date"]
        reason = None
        if a["deal_stage"] == DealStage.CLOSED_LOST:
            reason = self.reason("closed_lost", a["lost_reason"])
            opp.lost_reason = reason
        if a["deal_stage"] is not None:
            opp.deal_stage = a["deal_stage"]
        if opp.deal_stage in CLOSED_DEAL_STAGES:
            opp.closed_at = now
        if opp.deal_stage == DealStage.CLOSED_WON and lead.stage == Stage.OPPORTUNITY:
            self.transition(lead, now, to=Stage.CUSTOMER, actor=lc.Actor.system(), trigger="closed_won")
        if opp.deal_stage == DealStage.CLOSED_LOST and lead.stage == Stage.OPPORTUNITY and reason is not None:
            self.transition(lead, now, to=reason.target_stage, actor=lc.Actor.system(), reason=reason,
                            trigger="closed_lost")
