-- Issue 8 benchmark (bench/workspace_bench.py): open SLA clocks for every working lead of a generated dataset,
-- so the queues' SLA column and SLA-state filter have work to do (the generator makes only ~200 clocks).
-- Run on a PRIVATE copy only:  psql -h 127.0.0.1 -U postgres leadops_bench_<you> -f bench/workspace_seed_clocks.sql
-- Due between 30 h ago and 70 h ahead by lead id: ~31 % breached (running past due), ~6 % at risk.
insert into sla_slaclock (kind, policy_version, cycle, started_at, due_at, warn_at, status, breached_at, accountable,
                          cause, stop_reason, high_intent, warn_notified, breach_notified, explanation, created_at,
                          updated_at, accountable_user_id, lead_id, team_id, policy_id)
select k.kind, 1, l.recycle_count, d.due - interval '24 hours', d.due, d.due - interval '6 hours', 'running', null,
       k.acc, '', '', l.high_intent, false, false,
       jsonb_build_object('text', 'Due ' || to_char(d.due, 'Dy YYYY-MM-DD HH24:MI') || ' UTC: 24 h (bench seed).'),
       now(), now(), l.owner_id, l.id, l.team_id, p.id
from lifecycle_lead l
cross join lateral (select case when l.stage = 'mql' then 'sal_review' when l.stage = 'sal' then 'first_contact'
                                else 'touch_cadence' end as kind,
                           case when l.stage = 'mql' then 'manager' else 'rep' end as acc) k
join sla_slapolicy p on p.kind = k.kind and p.version = 1
cross join lateral (select now() + ((l.id % 100) - 30) * interval '1 hour' as due) d
where l.stage in ('mql', 'sal', 'sql', 'opportunity')
on conflict do nothing;
vacuum (analyze) lifecycle_lead;
vacuum (analyze) lifecycle_marketingevent;
vacuum (analyze) sla_slaclock;
