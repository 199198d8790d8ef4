"""The Django admin asks the studio's resource policies (studio.services.policies), not Django's model
permissions: a staff user who is not a studio admin sees nothing here, a studio admin manages it all."""
from django.contrib import admin

from studio.services import policies


class PolicyAdmin(admin.ModelAdmin):
    policy: policies.Policy = policies.datasets  # each subclass names its resource's policy

    def has_module_permission(self, request):
        return self.policy.can_administer(request.user)

    def has_view_permission(self, request, obj=None):
        return self.policy.can_administer(request.user)

    def has_add_permission(self, request):
        return self.policy.can_write(request.user)

    def has_change_permission(self, request, obj=None):
        return self.policy.can_write(request.user)

    def has_delete_permission(self, request, obj=None):
        return self.policy.can_write(request.user)
