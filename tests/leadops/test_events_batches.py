"""leadops.events: batch forms of handlers, publish_many, and a batch handler of several names."""

import datetime as dt

import pytest
from django.db import transaction

from leadops import events

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def registry():
    """Handlers registered for the test only (the apps' own stay as they are)."""
    added: list[tuple[dict, str, object]] = []

    def add(table: dict, name: str, handler: object) -> None:
        table[name].append(handler)
        added.append((table, name, handler))

    yield add
    for table, name, handler in added:
        table[name].remove(handler)


def _events(name: str, n: int) -> list[events.DomainEvent]:
    return [events.DomainEvent(name, AT, lead_id=i) for i in range(n)]


def test_an_in_transaction_handler_with_a_batch_form_runs_once_for_publish_many(registry):
    calls: list[object] = []

    def many(group):
        calls.append(("many", [e.lead_id for e in group]))

    @events.batch_form(many)
    def one(event):
        calls.append(("one", event.lead_id))

    def plain(event):
        calls.append(("plain", event.lead_id))

    registry(events._in_transaction, "test.thing", one)
    registry(events._in_transaction, "test.thing", plain)
    with transaction.atomic():
        events.publish_many(_events("test.thing", 3))
        events.publish(events.DomainEvent("test.thing", AT, lead_id=9))  # one event: the per-event handler
    assert calls == [("many", [0, 1, 2]), ("plain", 0), ("plain", 1), ("plain", 2), ("one", 9), ("plain", 9)]


def test_after_commit_the_batch_form_gets_the_batch_and_other_subscribers_each_event(
        registry, django_capture_on_commit_callbacks):
    calls: list[object] = []

    @events.batch_form(lambda group: calls.append(("many", [e.lead_id for e in group])))
    def one(event):
        calls.append(("one", event.lead_id))

    registry(events._handlers, "test.thing", one)
    registry(events._handlers, "test.thing", lambda event: calls.append(("plain", event.lead_id)))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic(), events.batch():
        events.publish_many(_events("test.thing", 2))
        assert calls == []  # nothing before the commit
    assert calls == [("many", [0, 1]), ("plain", 0), ("plain", 1)]


def test_a_batch_handler_of_several_names_is_called_once_with_all_of_them(registry,
                                                                          django_capture_on_commit_callbacks):
    calls: list[list[tuple[str, int]]] = []

    def handler(group):
        calls.append([(e.name, e.lead_id) for e in group])

    registry(events._batch_handlers, "test.a", handler)
    registry(events._batch_handlers, "test.b", handler)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic(), events.batch():
        events.publish(events.DomainEvent("test.a", AT, lead_id=1))
        events.publish(events.DomainEvent("test.b", AT, lead_id=1))
        events.publish(events.DomainEvent("test.a", AT, lead_id=2))
    assert calls == [[("test.a", 1), ("test.b", 1), ("test.a", 2)]]


def test_events_of_a_rolled_back_savepoint_are_never_dispatched(registry, django_capture_on_commit_callbacks):
    seen: list[int | None] = []
    registry(events._handlers, "test.thing", lambda event: seen.append(event.lead_id))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic(), events.batch():
        events.publish_many(_events("test.thing", 1))
        try:
            with transaction.atomic():
                events.publish_many([events.DomainEvent("test.thing", AT, lead_id=7)])
                raise RuntimeError
        except RuntimeError:
            pass
    assert seen == [0]
