"""The bases of the models the jobs answer with: Python names in the code, camelCase keys in JSON.

``ApiModel`` derives every JSON key from the field name (``tenant_id`` -> ``tenantId``); a model
is built by field name or by key. ``JobResult`` is what a job's ``run`` returns: its
``rows_affected`` (rows the run changed) feeds the ``kaireon_cron_rows_affected_total`` metric and
the audit row, so the runner never guesses it from the counts.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    """A model in a job's JSON response (``model_dump(by_alias=True)`` gives the camelCase keys)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class JobResult(ApiModel):
    """A job's response body. A job that changes rows overrides :attr:`rows_affected`."""

    @property
    def rows_affected(self) -> int:
        """Rows the run changed; 0 for a run that changes none (a skip, a read-only job)."""
        return 0
