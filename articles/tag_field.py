"""The story form's tag field: existing tags found as one types, new ones typed in.

One select2 box (the copy Django's admin ships) instead of a tabular inline with a
"+" popup. It searches with the tag admin's search (``TagQuerySet.search``) through
the admin's autocomplete; select2's ``tags`` mode takes a name no tag has. The box
posts each tag in the order given (the first is the story's main topic): a chosen
tag as its id, a typed name as ``name:<the name>`` (static/js/tag_field.js), so that
a new tag called "2024" is not taken for the tag whose id is 2024.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from articles.models import Article, Tag

NAME_PREFIX = "name:"
MAX_TAGS = 30
MAX_NAME_LENGTH = Tag._meta.get_field("name").max_length


def tag_id(value):
    """The tag id ``value`` names ("12"), or None."""
    return int(value) if value.isascii() and value.isdecimal() else None


class TagsWidget(AutocompleteSelectMultiple):
    def __init__(self, attrs=None):
        super().__init__(Article._meta.get_field("tags"), admin.site, attrs)

    def build_attrs(self, base_attrs, extra_attrs=None):
        attrs = super().build_attrs(base_attrs, extra_attrs)
        # Started by tag_field.js rather than by Django's autocomplete.js.
        attrs["class"] = attrs["class"].replace("admin-autocomplete", "admin-tags")
        return attrs

    def optgroups(self, name, value, attrs=None):
        """The tags given, in their order: known tags by name, typed names as typed."""
        known = Tag.objects.in_bulk([pk for pk in map(tag_id, value) if pk is not None])
        options = []
        for index, item in enumerate(value):
            if item.startswith(NAME_PREFIX):
                label = item.removeprefix(NAME_PREFIX)
            elif tag_id(item) in known:
                label = str(known[tag_id(item)])
            else:
                continue
            options.append(self.create_option(name, item, label, True, index))
        return [(None, options, 0)]

    @property
    def media(self):
        # One list, so that tag_field.js comes after select2 and jquery.init.js.
        autocomplete = super().media
        return forms.Media(js=[*autocomplete._js, "js/tag_field.js"], css=autocomplete._css)


class TagsField(forms.Field):
    """The story's tags in the order given: ``Tag`` objects, and the names typed anew."""

    widget = TagsWidget
    default_error_messages = {
        "too_many": _("A story has at most %(max)d tags."),
        "unknown": _("A tag you chose no longer exists; choose another one."),
        "empty": _("A tag needs a name."),
        "too_long": _("“%(name)s” is too long: a tag name has at most %(max)d characters."),
        "invalid": _("“%(value)s” is not a tag."),
    }

    def to_python(self, value):
        return list(dict.fromkeys(item.strip() for item in value or [] if item.strip()))

    def clean(self, value):
        values = super().clean(value)
        if len(values) > MAX_TAGS:
            raise ValidationError(self.error_messages["too_many"] % {"max": MAX_TAGS})
        known = Tag.objects.in_bulk([pk for pk in map(tag_id, values) if pk is not None])
        chosen = []
        for item in values:
            if (pk := tag_id(item)) is not None:
                if pk not in known:
                    raise ValidationError(self.error_messages["unknown"])
                chosen.append(known[pk])
            elif item.startswith(NAME_PREFIX):
                chosen.append(self.clean_name(item.removeprefix(NAME_PREFIX).strip()))
            else:
                raise ValidationError(
                    self.error_messages["invalid"] % {"value": Truncator(item).chars(40)}
                )
        return list(dict.fromkeys(chosen))

    def clean_name(self, name):
        if not name:
            raise ValidationError(self.error_messages["empty"])
        if len(name) > MAX_NAME_LENGTH:
            shown = Truncator(name).chars(40)
            raise ValidationError(
                self.error_messages["too_long"] % {"name": shown, "max": MAX_NAME_LENGTH}
            )
        return name

    def has_changed(self, initial, data):
        return [str(item) for item in initial or []] != self.to_python(data)
