# SPDX-License-Identifier: Apache-2.0
"""Helpers of the decorators: enums that print as their member name, and
parsing user-given values into them."""

from __future__ import annotations  # annotations stay text: no typing import

import enum


class StringifyEnum(enum.Enum):
    """An enum whose str() is its member name, as in the real package."""

    def __str__(self):
        return str(self.name)


def to_enum(value: str | enum.Enum, enum_cls: type[enum.Enum]) -> enum.Enum:
    # Strings are member names, case-insensitively (the values of AuthLevel
    # and HttpMethod are their names in another case, so both work).
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls[str(value).upper()]
    except KeyError:
        raise KeyError(f"Can not parse '{value}' to {enum_cls.__name__}. Allowed values "
                       f"are {[m.name for m in enum_cls]}") from None
