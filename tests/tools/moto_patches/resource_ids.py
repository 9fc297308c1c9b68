"""Unique `DbiResourceId` per DB instance.

moto 5.2.5 gives every instance the same `DbiResourceId`. On AWS it is unique and never
changes, even when the instance is renamed: the product tells old blue from production by
it after a switchover, so the tests need real ones.
"""

import random
import string

from moto.rds.models import DBInstance

_original_init = DBInstance.__init__


def _new_dbi_resource_id() -> str:
    return "db-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=26))


def _init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    _original_init(self, *args, **kwargs)
    self.dbi_resource_id = _new_dbi_resource_id()


def apply() -> None:
    if DBInstance.__init__ is not _init:
        DBInstance.__init__ = _init
