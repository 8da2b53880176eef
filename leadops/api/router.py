"""The /api/v1/ router: every resource of api.md is registered here, in one list."""

from rest_framework.routers import DefaultRouter

from leadops.api.org import RepViewSet, TeamViewSet, UserViewSet


class Router(DefaultRouter):
    include_root_view = True


router = Router()
router.register("users", UserViewSet, basename="user")
router.register("teams", TeamViewSet, basename="team")
router.register("reps", RepViewSet, basename="rep")
