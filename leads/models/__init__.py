from leads.lifecycle import (
    OPEN_STATUSES,
    STAY_FIELDS,
    TRANSITIONS,
    ClosedReason,
    FollowUpOutcome,
    FollowUpStatus,
    IVOutcome,
    LeadSource,
    LeadStatus,
    LifecycleError,
    Move,
    ParentExpectation,
)
from leads.models.assignment import AssignmentCursor, AssignmentRoute
from leads.models.consent import Consent, ConsentMethod, PrivacyNotice, Purpose
from leads.models.enrollment import Batch, Enrollment, Program, Weekday
from leads.models.expectation import ExpectationChoice
from leads.models.family import Child, FamilyLink, Gender, Parent
from leads.models.follow_up import FollowUp
from leads.models.history import DetailChange, LeadStatusChange
from leads.models.intake import IntakeItem, IntakeKind, IntakeSource, IntakeStatus
from leads.models.intro_visit import IntroVisit
from leads.models.lead import EnquiryCounter, Lead, LeadNote

__all__ = [
    "OPEN_STATUSES",
    "STAY_FIELDS",
    "TRANSITIONS",
    "AssignmentCursor",
    "AssignmentRoute",
    "Batch",
    "Child",
    "Consent",
    "ConsentMethod",
    "DetailChange",
    "ClosedReason",
    "EnquiryCounter",
    "Enrollment",
    "ExpectationChoice",
    "FamilyLink",
    "FollowUp",
    "FollowUpOutcome",
    "FollowUpStatus",
    "Gender",
    "IVOutcome",
    "IntakeItem",
    "IntakeKind",
    "IntakeSource",
    "IntakeStatus",
    "IntroVisit",
    "Lead",
    "LeadNote",
    "LeadSource",
    "LeadStatus",
    "LeadStatusChange",
    "LifecycleError",
    "Move",
    "Parent",
    "PrivacyNotice",
    "Purpose",
    "ParentExpectation",
    "Program",
    "Weekday",
]
