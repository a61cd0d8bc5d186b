"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""
from skotsel.models.api import ApiToken, IdempotencyRecord
from skotsel.models.audit import AuditEvent
from skotsel.models.agreements import AgreedTask, Agreement
from skotsel.models.catalogue import TaskType
from skotsel.models.feeds import FeedEvent, FeedToken
from skotsel.models.review import Inspection, InspectionResult, Settlement
from skotsel.models.security import LoginAttempt, PasswordReset
from skotsel.models.schedule import Completion, Deviation, Notification, Occurrence, Photo
from skotsel.models.organisations import Association, Municipality, Village
from skotsel.models.sites import Site
from skotsel.models.users import Invitation, Membership, User
from skotsel.models.versions import DataVersion

__all__ = [
    "ApiToken",
    "AgreedTask",
    "Agreement",
    "Association",
    "Completion",
    "DataVersion",
    "Deviation",
    "FeedEvent",
    "FeedToken",
    "IdempotencyRecord",
    "AuditEvent",
    "Inspection",
    "InspectionResult",
    "Invitation",
    "LoginAttempt",
    "Membership",
    "Municipality",
    "Notification",
    "Occurrence",
    "PasswordReset",
    "Photo",
    "Settlement",
    "Site",
    "TaskType",
    "User",
    "Village",
]
