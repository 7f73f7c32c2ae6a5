"""demo-data writes attachment blobs to the configured store, not to the process's default."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from service import demo
from service.models.attachments import AiAttachment


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_demo_blobs_land_in_the_settings_attachment_store(engine, settings, session_factory, now):
    demo.load_demo_data(engine, settings, tenants=2, rows=50, now=now)
    with session_factory() as s:
        keys = s.scalars(select(AiAttachment.storage_key)).all()
    assert keys, "the dsar-purge demo hook adds attachments"
    root = Path(settings.attachment_storage_url)
    present = [k for k in keys if (root / k).is_file()]
    assert present, f"no demo blob under {root}"
