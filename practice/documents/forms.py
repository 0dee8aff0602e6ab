"""Forms of the documents pages. They parse; the checks of the file itself (size, type by
content, name) are the practice's upload policy, applied by the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from practice.documents.models import DocumentSettings
from practice.documents.policies import ACCEPT_ATTRIBUTE


class _FileField(forms.FileField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=_("File"),
            # The policy enforces the name's length; the browser's name is not refused here.
            max_length=None, allow_empty_file=True,
            error_messages={"required": _("Choose a file to upload."),
                            "invalid": _("The file could not be read. Please try again."),
                            "missing": _("Choose a file to upload.")},
            widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
            **kwargs,
        )


class ShareForm(forms.Form):
    file = _FileField(help_text="A PDF or an image (PNG, JPEG, HEIC or WebP).")
    note = forms.CharField(label="Note for the client (optional)", max_length=300,
                           required=False,
                           help_text="What the file is, e.g. “Worksheet for next week”.")


class UploadForm(forms.Form):
    file = _FileField()


class DocumentSettingsForm(forms.ModelForm):
    class Meta:
        model = DocumentSettings
        fields = ["client_uploads_enabled", "max_upload_mb"]
        labels = {"client_uploads_enabled": "Clients can upload files",
                  "max_upload_mb": "Largest file (MB)"}
