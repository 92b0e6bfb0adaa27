"""Claims: which object or collection, relative to its container, an item owns."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Claim", "ClaimTarget", "CollectionClaim", "ObjectClaim"]

ClaimTarget = Literal["object", "collection"]


class ObjectClaim(BaseModel):
    """The item owns the object (file) at ``path``."""

    model_config = ConfigDict(frozen=True)
    target: Literal["object"] = "object"
    path: Path


class CollectionClaim(BaseModel):
    """The item owns the collection (directory) at ``path``."""

    model_config = ConfigDict(frozen=True)
    target: Literal["collection"] = "collection"
    path: Path


Claim = ObjectClaim | CollectionClaim
