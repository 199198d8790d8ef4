from studio.services import access


def navigation(request):
    user = getattr(request, "user", None)
    return {
        "nav_is_admin": access.is_admin(user),
        "nav_can_review": bool(user and user.is_authenticated and access.reviewable_datasets(user).exists()),
        "nav_can_annotate": bool(user and user.is_authenticated and access.annotatable_datasets(user).exists()),
        "nav_can_adjudicate": bool(user and user.is_authenticated
                                   and access.datasets_with_role(user, "adjudicator").exists()),
    }
