"""Secure messaging: conversations between a client and the practice's staff, their messages,
every earlier text of an edited message, and who read what when. Nothing here is ever deleted.

A conversation with a `proxy_link` is a family member's (a proxy's) conversation with the
practice about the client (practice.family): the same inbox, policy, read receipts and notices,
but the client never sees it and the proxy sees only their own. "The client's side" below
means the proxy in such a conversation.

Bodies are plain text: they are stored as written (control characters removed) and escaped
wherever they are shown, so no markup is ever interpreted."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from practice.labels import client_label, is_spanish

MAX_BODY_LENGTH = 5000
MAX_SUBJECT_LENGTH = 150
# A new practice's answer time, translated by the catalogue until the practice words its own.
DEFAULT_RESPONSE_TIME = gettext_noop("within 2 business days")


class Conversation(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class CloseReason(models.TextChoices):
        STAFF = "staff", "Closed by the practice"
        NO_REPLY = "no_reply", "Closed automatically: no reply within 48 hours"

    client = models.ForeignKey("accounts.User", on_delete=models.PROTECT,
                               related_name="conversations")
    # Set: the conversation of this proxy link's family member about `client`, never shown to
    # the client (practice.family.models.ProxyLink).
    proxy_link = models.ForeignKey("family.ProxyLink", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="conversations")
    subject = models.CharField(max_length=MAX_SUBJECT_LENGTH, blank=True)
    # Staff taking part: who started it, who a client wrote to, whoever wrote in it since.
    participants = models.ManyToManyField("accounts.User", related_name="conversations_joined",
                                          blank=True)
    started_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    # Kept with each message, so lists sort and the auto-close rule reads without a join.
    last_message_at = models.DateTimeField(default=timezone.now)
    last_staff_message_at = models.DateTimeField(null=True, blank=True)
    last_client_message_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Null with a reason of no_reply: the practice's own rule closed it.
    closed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                  null=True, blank=True)
    close_reason = models.CharField(max_length=10, choices=CloseReason.choices, blank=True)
    close_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "last_staff_message_at"],
                         name="conversation_autoclose_idx"),
            models.Index(fields=["client", "-last_message_at"], name="conversation_client_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(state="open", closed_at__isnull=True)
                           | models.Q(state="closed", closed_at__isnull=False)),
                name="conversation_closed_has_time"),
        ]

    def __str__(self) -> str:
        return f"Conversation #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    @property
    def is_proxy_thread(self) -> bool:
        return self.proxy_link_id is not None

    @property
    def portal_person_id(self) -> int:
        """Who writes from the portal side: the client, or the proxy of a proxy thread."""
        return self.proxy_link.proxy_id if self.proxy_link is not None else self.client_id


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.PROTECT,
                                     related_name="messages")
    author = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # Whether the author wrote from the portal side: the client, or the proxy in a proxy thread
    # (kept, since a role can change later).
    from_client = models.BooleanField()
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["conversation", "created_at"],
                                name="message_conversation_idx")]

    def __str__(self) -> str:
        return f"Message #{self.pk}"


class MessageRevision(models.Model):
    """The text a message had before one edit."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="revisions")
    body = models.TextField()
    # When that text was written (the message's creation, or the edit before).
    written_at = models.DateTimeField()
    replaced_at = models.DateTimeField(default=timezone.now)
    replaced_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["written_at", "pk"]

    def __str__(self) -> str:
        return f"Revision #{self.pk} of message #{self.message_id}"


class MessageRead(models.Model):
    """A read receipt: `reader` first saw `message` at `read_at`."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="reads")
    reader = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["read_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["message", "reader"],
                                               name="message_read_once")]

    def __str__(self) -> str:
        return f"Read of message #{self.message_id}"


class MessagingSettings(models.Model):
    """The practice's messaging settings (one row; the policy itself is on the practice)."""

    # Shown to clients beside every message form, e.g. "within 2 business days".
    expected_response_time = models.CharField(max_length=120, default=DEFAULT_RESPONSE_TIME)
    # What Spanish-speaking clients read (blank: the English, or the catalogue's Spanish for
    # the default wording).
    expected_response_time_es = models.CharField(max_length=120, blank=True, default="")
    # Clinical messages are not front desk's unless the practice says so.
    front_desk_sees_messages = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True)

    class Meta:
        verbose_name_plural = "messaging settings"
        constraints = [models.CheckConstraint(condition=models.Q(id=1),
                                              name="messaging_settings_one_row")]

    def __str__(self) -> str:
        return "Messaging settings"

    @property
    def client_response_time(self) -> str:
        """How soon the practice answers, in the language of the page being rendered."""
        if (is_spanish() and not self.expected_response_time_es.strip()
                and self.expected_response_time == DEFAULT_RESPONSE_TIME):
            return gettext(DEFAULT_RESPONSE_TIME)
        return client_label(self.expected_response_time, self.expected_response_time_es)
