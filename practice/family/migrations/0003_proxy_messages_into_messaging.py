"""The proxy's messages move into secure messaging: each link's thread becomes one
conversation with that proxy link (open, its times kept), each message a message, written from
the portal side when the proxy wrote it. Then the family's own table goes."""

from django.db import migrations


def forwards(apps, schema_editor):
    ProxyMessage = apps.get_model("family", "ProxyMessage")
    Conversation = apps.get_model("messaging", "Conversation")
    Message = apps.get_model("messaging", "Message")
    threads = {}
    for row in ProxyMessage.objects.select_related("link").order_by("link_id", "created_at", "pk"):
        threads.setdefault(row.link_id, []).append(row)
    for rows in threads.values():
        link = rows[0].link
        from_proxy = [row for row in rows if row.author_id == link.proxy_id]
        from_staff = [row for row in rows if row.author_id != link.proxy_id]
        conversation = Conversation.objects.create(
            client_id=link.client_id, proxy_link_id=link.pk, started_by_id=rows[0].author_id,
            created_at=rows[0].created_at, last_message_at=rows[-1].created_at,
            last_client_message_at=from_proxy[-1].created_at if from_proxy else None,
            last_staff_message_at=from_staff[-1].created_at if from_staff else None)
        conversation.participants.add(*{row.author_id for row in from_staff})
        Message.objects.bulk_create([
            Message(conversation=conversation, author_id=row.author_id,
                    from_client=row.author_id == link.proxy_id, body=row.body,
                    created_at=row.created_at) for row in rows])


class Migration(migrations.Migration):

    dependencies = [
        ("family", "0002_default_tiers"),
        ("messaging", "0003_conversation_proxy_link"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.DeleteModel(name="ProxyMessage"),
    ]
