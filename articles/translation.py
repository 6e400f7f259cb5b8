from modeltranslation.translator import TranslationOptions, register

from articles.models import Article, Tag


@register(Article)
class ArticleTranslationOptions(TranslationOptions):
    fields = ("title", "slug", "standfirst", "body")
    # A story missing in a language is absent there, never shown in the other one.
    fallback_languages = {"default": ()}
    empty_values = {"slug": None}


@register(Tag)
class TagTranslationOptions(TranslationOptions):
    fields = ("name", "slug")
    # A tag without an English name shows its French one on English pages.
    empty_values = {"name": None, "slug": None}
    required_languages = {"fr": ("name",)}
