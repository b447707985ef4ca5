"""The four roles (vai trò). Pure, so that the lifecycle table can name them."""

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"  # system operator
    reception = "reception"  # tiếp nhận: reception desk officers (MTTQ, Ban TCD, ward desks)
    handler = "handler"  # giải quyết: officers of the competent agency
    supervisor = "supervisor"  # giám sát: MTTQ, HĐND, Ban Dân vận (read-only + recommendations)
