from django.conf import settings
from modeltranslation.translator import TranslationOptions, register

from articles.models import Article, Image, Tag


@register(Article)
class ArticleTranslationOptions(TranslationOptions):
    fields = ("title", "slug", "standfirst", "body")
    # A story missing in a language is absent there, never shown in the other one.
    fallback_languages = {"default": ()}
    empty_values = {"slug": None}


@register(Tag)
class TagTranslationOptions(TranslationOptions):
    fields = ("name", "slug", "description")
    # A tag not named in a language yet shows its name in another one (the first of
    # LANGUAGES that has one), marked with that language (Tag.name_lang). Its description
    # is read per language (Tag.description_in): none is shown in another language.
    fallback_languages = {"default": tuple(code for code, _name in settings.LANGUAGES)}
    empty_values = {"name": None, "slug": None}
    required_languages = {"fr": ("name",)}


@register(Image)
class ImageTranslationOptions(TranslationOptions):
    fields = ("alt_text", "caption")
    # Never the other language's words on a page: a story needs the alt text of its lead
    # image in each of its languages (Article.clean); a caption may be left out.
    fallback_languages = {"default": ()}
