"""The newsroom's roles as groups (see articles/workflow.py); editors-in-chief assign them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

def create_roles(apps, schema_editor):
    from articles.workflow import EDITORS, ensure_roles

    # Permissions are made after migrations; these groups need them now.
    for app in ("auth", "articles"):
        app_config = apps.get_app_config(app)
        app_config.models_module = True  # what create_permissions looks for
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    # The demo's former single "Editors" group becomes the editors' role.
    if not Group.objects.filter(name=EDITORS).exists():
        Group.objects.filter(name="Editors").update(name=EDITORS)
    ensure_roles(Group, apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_story_workflow"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
