# Editors-in-chief see failed sign-ins and unlock accounts (articles/lockouts.py): the
# role is given django-axes' permissions to view and delete access attempts.

from django.contrib.auth.management import create_permissions
from django.db import migrations


def give_chiefs_the_unlock(apps, schema_editor):
    from articles.workflow import ensure_roles

    # Permissions are made after migrations; the role needs axes' ones now.
    app_config = apps.get_app_config("axes")
    app_config.models_module = True  # what create_permissions looks for
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0015_images"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(give_chiefs_the_unlock, migrations.RunPython.noop)]
