"""One account per email whatever its case: existing emails are lower-cased, then a unique index
on lower(email) is added. Runs in the public schema and in every practice schema.

Two accounts whose emails differ only in case are not merged (each may hold its own clinical
record, sessions and audit trail): the migration stops and names the schema and the account ids,
so that an operator decides which address to change, then runs it again."""

from django.db import migrations, models
import django.db.models.functions.text


def lower_case_emails(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lower(email), array_agg(id ORDER BY id) FROM accounts_user "
            "GROUP BY lower(email) HAVING count(*) > 1 ORDER BY min(id)"
        )
        clashes = cursor.fetchall()
        if clashes:
            accounts = "; ".join(", ".join(str(pk) for pk in ids) for _email, ids in clashes)
            raise RuntimeError(
                f"Schema {getattr(connection, 'schema_name', '?')}: {len(clashes)} email "
                f"address(es) belong to more than one account, differing only in upper/lower "
                f"case (account ids, one group per address: {accounts}). Emails are now "
                "case-insensitive. Change the email of all but one account in each group, then "
                "migrate again. Nothing was changed."
            )
        cursor.execute("UPDATE accounts_user SET email = lower(email) WHERE email <> lower(email)")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(lower_case_emails, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name='user',
            name='email',
            field=models.EmailField(error_messages={'unique': 'Someone with this email already has an account here.'}, max_length=254, unique=True),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.UniqueConstraint(django.db.models.functions.text.Lower('email'), name='accounts_user_email_ci_unique', violation_error_message='Someone with this email already has an account here.'),
        ),
    ]
