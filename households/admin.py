from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Community, Document, Household, Member, Project, VillagerGroup

admin.site.register(Project, SimpleHistoryAdmin)
admin.site.register(Community, SimpleHistoryAdmin)
admin.site.register(VillagerGroup, SimpleHistoryAdmin)
admin.site.register(Household, SimpleHistoryAdmin)
admin.site.register(Member, SimpleHistoryAdmin)
admin.site.register(Document, SimpleHistoryAdmin)
