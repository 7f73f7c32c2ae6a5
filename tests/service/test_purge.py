"""service.purge.delete_in_batches on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from service.models.decisioning import Suppression
from service.purge import delete_in_batches


def _seed(session, now, n=23):
    session.add_all(
        Suppression(
            tenant_id="t" if i % 2 else "u", customer_id=str(i), expires_at=now - timedelta(minutes=i)
        )
        for i in range(n)
    )
    session.commit()


def _left(session, *where):
    return session.scalar(select(func.count()).select_from(Suppression).where(*where))


def test_batches_commit_one_by_one_until_done(session, session_factory, now):
    _seed(session, now)
    sizes: list[int] = []
    deleted = delete_in_batches(
        session_factory, Suppression, [Suppression.tenant_id == "t"], 5, on_batch=sizes.append
    )
    assert deleted == 11 and sizes == [5, 5, 1]
    assert _left(session, Suppression.tenant_id == "t") == 0 and _left(session) == 12
    # with a session: same semantics; nothing left matches -> one empty batch
    assert (
        delete_in_batches(session, Suppression, Suppression.tenant_id == "t", 5, on_batch=sizes.append) == 0
    )
    assert sizes[-1] == 0


def test_max_batches_bounds_a_call_and_order_by_picks_oldest_first(session, now):
    _seed(session, now)
    deleted = delete_in_batches(
        session,
        Suppression,
        [Suppression.tenant_id == "u"],
        4,
        max_batches=1,
        order_by=[Suppression.expires_at],
    )
    assert deleted == 4
    remaining = sorted(
        session.scalars(select(Suppression.customer_id).where(Suppression.tenant_id == "u")), key=int
    )
    assert remaining == [str(i) for i in range(0, 16, 2)]  # the 4 oldest (largest i) went first


def test_refuses_an_empty_predicate_and_bad_batch_size(session):
    with pytest.raises(ValueError, match="at least one WHERE clause"):
        delete_in_batches(session, Suppression, [], 10)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        delete_in_batches(session, Suppression, [Suppression.tenant_id == "t"], 0)
