"""The data model, one module per aggregate.  Importing this package registers every table."""

from tracker.models.audit import AuditEntry
from tracker.models.projects import DepartmentYear, Indicator, PlanPoint, Project
from tracker.models.settings import Setting
from tracker.models.units import Unit
from tracker.models.users import LoginFailure, Role, User, user_units

__all__ = [
    "AuditEntry",
    "DepartmentYear",
    "Indicator",
    "LoginFailure",
    "PlanPoint",
    "Project",
    "Role",
    "Setting",
    "Unit",
    "User",
    "user_units",
]
