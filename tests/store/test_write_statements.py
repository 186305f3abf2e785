"""A commit's projection writes as few statements as their order allows: table by table (no
foreign keys: tables commute), each table's writes in order, a run of one kind as one
executemany. On PostgreSQL every statement is a round trip: 100 opens wrote 200 statements
(order, fill, order, fill, ...) and a commit took 30 ms; now two."""

from __future__ import annotations

from tests.store.test_store_v2 import T0, opened, placed
from velox.engine.events import OrderModified
from velox.money import Money, Price
from velox.projection import project
from velox.store.base import Store
from velox.store.records import JournalRecord
from velox.store.rows import TABLE_OF, WRITES, write_statements


def test_a_hundred_opens_are_two_statements() -> None:
    writes = project([opened(str(i), T0, f"f{i}") for i in range(1, 101)])
    assert [w.kind for w in writes[:4]] == ["order_status", "fill", "order_status", "fill"]
    statements = write_statements(writes)
    assert [(sql.split()[2], len(rows)) for sql, rows in statements] == [
        ("orders", 100), ("fills", 100)
    ]  # fmt: skip
    assert [row[0] for row in statements[0][1]] == [str(i) for i in range(1, 101)]  # in order
    assert [row[0] for row in statements[1][1]] == [f"f{i}" for i in range(1, 101)]


def test_a_tables_writes_keep_their_order_across_other_tables() -> None:
    writes = project([placed("7", T0), opened("8", T0, "f8"), opened("7", T0 + 1, "f7")])
    kinds = [(w.kind, w.record.order_id) for w in writes]  # type: ignore[union-attr]
    assert kinds == [("order", "7"), ("order_status", "8"), ("fill", "8"),
                     ("order_status", "7"), ("fill", "7")]  # fmt: skip
    statements = write_statements(writes)
    assert [(sql.split()[2], [row[0] for row in rows]) for sql, rows in statements] == [
        ("orders", ["7"]),  # the insert of 7 first ...
        ("orders", ["8", "7"]),  # ... then the status runs (8, then 7 filled)
        ("fills", ["f8", "f7"]),
    ]


def test_every_write_kind_names_its_table() -> None:
    assert set(TABLE_OF) == set(WRITES)
    for kind, (sql, _) in WRITES.items():
        assert f" {TABLE_OF[kind]} " in sql, (kind, sql)


async def test_one_commit_leaves_the_rows_that_one_commit_per_event_leaves(
    store: Store, tmp_path: object
) -> None:
    from velox.store.factory import open_store_for

    events = [
        placed("7", T0), opened("8", T0, "f8"), opened("7", T0 + 1, "f7"), placed("9", T0 + 2),
        OrderModified("9", "1", "u1", Price(91_000 * 10**8), None, None, None, None,
                      Money(100 * 10**8), T0 + 3),
        opened("10", T0 + 4, "f10"),
    ]  # fmt: skip
    records = [JournalRecord(1 + i, T0, "X", b"") for i in range(len(events))]
    await store.append_batch(records, [], project(events))  # type: ignore[arg-type]
    one_by_one = open_store_for(f"sqlite:///{tmp_path}/one-by-one.db")
    await one_by_one.open()
    try:
        for record, event in zip(records, events, strict=True):
            await one_by_one.append_batch([record], [], project([event]))  # type: ignore[list-item]
        for read in ("all_orders", "all_fills"):
            together = [row async for row in getattr(store, read)()]
            apart = [row async for row in getattr(one_by_one, read)()]
            assert together == apart and together, read
    finally:
        await one_by_one.close()
