"""One policy per resource — runs, datasets, evaluations, imports, exports, studies — asked by every entry
point alike: the API's permission classes and views, the pages, and the Django admin (ModelAdmin
has_*_permission and the custom admin views). Each policy answers yes/no questions (`can_*`); `require`
turns a "no" into the studio's one refusal (kind "forbidden").

Who is a studio admin is defined once, in `studio.services.access.is_admin`: a superuser, or a member of the
"Studio admins" group. `is_staff` alone is NOT an admin: it only lets a user into Django's admin site, where
these same policies decide what they may see."""
from .adjudications import AdjudicationPolicy
from .resources import (
    DatasetPolicy,
    EvaluationPolicy,
    ExportPolicy,
    ImportPolicy,
    Policy,
    RunPolicy,
    StudyPolicy,
    require,
)

datasets = DatasetPolicy()
runs = RunPolicy()
evaluations = EvaluationPolicy()
imports = ImportPolicy()
exports = ExportPolicy()
studies = StudyPolicy()  # read: the dataset's reviewers; write and start steps: admins
adjudications = AdjudicationPolicy()  # read: the dataset's reviewers; open: admins
administration = Policy()  # what belongs to no one resource (API tokens of any user): studio admins

POLICIES = {p.name: p for p in (datasets, runs, evaluations, imports, exports, studies, adjudications)}

__all__ = ["Policy", "POLICIES", "datasets", "runs", "evaluations", "imports", "exports", "studies",
           "adjudications", "administration", "require"]
