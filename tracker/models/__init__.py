"""The data model, one module per aggregate.  Importing this package registers every table."""

from tracker.models.adjustments import Adjustment
from tracker.models.audit import AuditEntry
from tracker.models.evaluation import Evaluation, EvaluationIndicator
from tracker.models.ledger import (
    LedgerBatch,
    LedgerRow,
    LedgerText,
    MappingProfile,
    MatchRule,
    ProjectMonthSpending,
)
from tracker.models.monitoring import (
    Alert,
    AlertDelivery,
    AlertRead,
    AlertSubscription,
    DeviationExplanation,
    IndicatorForecast,
    MonitoringRound,
    ProgressReport,
    Snapshot,
)
from tracker.models.department import DepartmentCorrection, DepartmentIndicator, DepartmentProgress
from tracker.models.department_evaluation import DepartmentEvaluation, DepartmentEvaluationIndicator
from tracker.models.projects import DepartmentYear, Indicator, PlanPoint, Project
from tracker.models.settings import Setting
from tracker.models.target_imports import ProjectFinding, TargetImport
from tracker.models.units import Unit
from tracker.models.users import LoginFailure, Role, User, user_units

__all__ = [
    "Adjustment",
    "Alert",
    "AlertDelivery",
    "AlertRead",
    "AlertSubscription",
    "AuditEntry",
    "DepartmentCorrection",
    "DepartmentEvaluation",
    "DepartmentEvaluationIndicator",
    "DepartmentIndicator",
    "DepartmentProgress",
    "DepartmentYear",
    "DeviationExplanation",
    "Evaluation",
    "EvaluationIndicator",
    "Indicator",
    "IndicatorForecast",
    "LedgerBatch",
    "LedgerRow",
    "LedgerText",
    "LoginFailure",
    "MappingProfile",
    "MatchRule",
    "MonitoringRound",
    "PlanPoint",
    "ProgressReport",
    "Project",
    "ProjectFinding",
    "ProjectMonthSpending",
    "Role",
    "Setting",
    "Snapshot",
    "TargetImport",
    "Unit",
    "User",
    "user_units",
]
