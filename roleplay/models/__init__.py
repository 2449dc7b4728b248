from .cohorts import Cohort, CohortMembership, Invitation, Role

__all__ = ["Cohort", "CohortMembership", "Invitation", "Role"]
