"""Accounts and roles in the admin: how people and permissions are named, and what
the permission and role pickers offer.

Django stores a permission's name in English when ``migrate`` creates it ("Can
change story"), and its picker shows it under the app's and model's translated
names ("Rédaction | article | Can change story"), for every installed model,
taggit's unused tags and Django's sessions included. The pickers here offer only the
models the newsroom's roles are made of (``articles.workflow.roles``), and only what
the person filling in the form may give (``workflow.grantable_permissions``), each
permission named in the admin's language when the page is shown.
"""

from django import forms
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from articles import workflow

# Django's default permissions, from the model's translated plural: plurals need no
# article that agrees with the noun ("des articles", "les étiquettes").
DEFAULT_PERMISSIONS = {
    "add": _("Can add %(models)s"),
    "change": _("Can change %(models)s"),
    "delete": _("Can delete %(models)s"),
    "view": _("Can view %(models)s"),
}
# Article.Meta.permissions names these with the language code only ("into “en”").
TRANSLATE_PERMISSIONS = {
    workflow.translate_permission("fr"): _("Can translate stories into French"),
    workflow.translate_permission("en"): _("Can translate stories into English"),
}


def person_label(user):
    """ "Claire Morel (editor)": an account as the admin's pickers show it.

    An account without a name is shown by its username alone.
    """
    full_name = user.get_full_name()
    username = user.get_username()
    return f"{full_name} ({username})" if full_name else username


def permission_label(permission):
    """ "Peut modifier les articles" / "Can change stories": in the active language."""
    model = permission.content_type.model_class()
    if model is None:  # a model that no longer exists
        return permission.name
    opts = model._meta
    action, _sep, model_name = permission.codename.partition("_")
    if model_name == opts.model_name and action in DEFAULT_PERMISSIONS:
        return DEFAULT_PERMISSIONS[action] % {"models": opts.verbose_name_plural}
    if permission.codename in TRANSLATE_PERMISSIONS:
        return TRANSLATE_PERMISSIONS[permission.codename]
    # The model's own permissions (Meta.permissions), whose names are translatable.
    return str(dict(opts.permissions).get(permission.codename, permission.name))


def named(names):
    """The permissions called ``names`` ("app_label.codename")."""
    match = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        match |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(match)


def role_permissions():
    """Every permission of the models that the newsroom's roles are made of."""
    names = {
        f"{app_label}.{codename}"
        for _role, permissions in workflow.roles()
        for app_label, codename in permissions
    }
    return Permission.objects.filter(content_type__in=named(names).values("content_type"))


def offered_permissions(user):
    """What the permission pickers offer ``user``: role permissions they may give."""
    offered = role_permissions()
    if not workflow.is_superuser(user):
        offered = offered.filter(pk__in=named(workflow.grantable_permissions(user)))
    return offered.select_related("content_type")


def offered_roles(user):
    """The roles (groups) ``user`` may make someone a member of: made of what they may give."""
    if workflow.is_superuser(user):
        return Group.objects.all()
    withheld = Permission.objects.exclude(pk__in=named(workflow.grantable_permissions(user)))
    return Group.objects.exclude(permissions__in=withheld)


class PermissionsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, permission):
        return permission_label(permission)


class PickersForm(forms.ModelForm):
    """A user's or a role's form whose pickers offer what ``granting_user`` may give.

    A permission or role the form would not offer but the account or role already has
    stays listed, so that saving keeps it. Someone who could not give it does not get
    this form: they see the account or role read-only (see the admin).
    """

    granting_user = None  # who fills in the form; set by the admin's get_form()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("permissions", "user_permissions", "groups"):
            if name not in self.fields:
                continue
            user = self.granting_user
            offered = offered_roles(user) if name == "groups" else offered_permissions(user)
            if self.instance.pk:
                held = getattr(self.instance, name).all()
                offered = offered.model.objects.filter(Q(pk__in=offered) | Q(pk__in=held))
            if name == "groups":
                offered = offered.order_by("name")
            else:
                offered = offered.select_related("content_type")
            self.fields[name].queryset = offered
