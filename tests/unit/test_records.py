from __future__ import annotations

from dataclasses import asdict, fields

from app.records import ProcessRecord, process_wire


def test_a_process_on_the_wire_has_every_field_in_order_and_is_a_copy() -> None:
    record = ProcessRecord(
        pid=41,
        ppid=40,
        name="python3",
        label="Producer-2",
        status="zombie",
        cpu_percent=12.5,
        rss=4096,
        threads=2,
        create_time=1764000000.25,
        role="child",
        life="exited",
        exitcode=-9,
    )
    wire = process_wire(record)
    assert wire == asdict(record)
    assert list(wire) == [f.name for f in fields(ProcessRecord)]
    wire["status"] = "changed"
    assert record.status == "zombie"  # the record the sampler keeps is not touched
