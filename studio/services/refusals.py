"""The one refusal type every service error shares: a message for a person, the field it concerns (or None),
and a kind saying what sort of "no" it is. Services raise it; the entry points (API handler, pages, admin,
management commands) turn the kind into a status, a form error or a CommandError. Services never speak HTTP."""

INVALID = "invalid"          # bad input: fix the value named and try again
FORBIDDEN = "forbidden"      # not allowed for this user (an anonymous user is asked to log in)
NOT_FOUND = "not_found"      # no such object among those the user may see
CONFLICT = "conflict"        # the object's state forbids it now (already labeled, already finished)
UNAVAILABLE = "unavailable"  # a service the request needs (the job broker) is down; try again later

KINDS = (INVALID, FORBIDDEN, NOT_FOUND, CONFLICT, UNAVAILABLE)


class Refusal(Exception):
    """Nothing was done; `message` says why, `field` names the input at fault (or None), `kind` is one of KINDS."""

    def __init__(self, message: str, field: str | None = None, *, kind: str = INVALID):
        if kind not in KINDS:
            raise ValueError(f"refusal kind must be one of {', '.join(KINDS)}; got {kind!r}")
        super().__init__(message)
        self.message = message
        self.field = field
        self.kind = kind

    def __str__(self) -> str:
        return self.message
