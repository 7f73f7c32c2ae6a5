"""The base of the models the jobs answer with: Python names in the code, camelCase keys in JSON."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ApiModel(BaseModel):
    """A model in a job's JSON response; built by field name or by alias."""

    model_config = ConfigDict(populate_by_name=True)
