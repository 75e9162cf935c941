"""The apartment import form. It only parses input; the import judges the file."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from households.access import visible_projects
from households.models import Project


class ApartmentImportForm(forms.Form):
    """Offers only the projects `user` may see (households.access), wherever it is built."""

    project = forms.ModelChoiceField(Project.objects.none(), label=_("项目"))
    import_file = forms.FileField(
        label=_("房源文件(.xlsx 或 .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = visible_projects(user)
