import io
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image as PILImage

from articles.models import Article, Image, LanguageState, Tag


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"journaliste{n}")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class TagFactory(DjangoModelFactory):
    class Meta:
        model = Tag

    name_fr = factory.Sequence(lambda n: f"Étiquette {n}")
    name_en = factory.Sequence(lambda n: f"Tag {n}")


class ArticleFactory(DjangoModelFactory):
    """A published French story; ``english=True`` adds its English translation."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    class Params:
        english = factory.Trait(
            title_en=factory.Sequence(lambda n: f"Story number {n}"),
            body_en="<p>The English text of the story.</p>",
            standfirst_en="What the story is about.",
            # Marked ready by a translator: readers see it.
            state_en=LanguageState.READY,
        )
        draft = factory.Trait(status=Article.Status.DRAFT, published_at=None)

    title_fr = factory.Sequence(lambda n: f"Article numéro {n}")
    standfirst_fr = "De quoi parle l’article."
    body_fr = "<p>Le texte de l’article, « en français ».</p>"
    status = Article.Status.PUBLISHED
    # A second apart, so that even after thousands of stories they are all of the last day.
    published_at = factory.Sequence(lambda n: timezone.now() - timedelta(hours=1, seconds=n))

    @factory.post_generation
    def tags(self, create, extracted, **kwargs):
        if create and extracted:
            self.tags.add(*extracted)

    @factory.post_generation
    def authors(self, create, extracted, **kwargs):
        if create and extracted:
            self.authors.add(*extracted)


def picture_bytes(width=2000, height=1000, image_format="JPEG", colour=(30, 90, 160)):
    """The bytes of a plain picture of that size and format."""
    buffer = io.BytesIO()
    mode = "RGBA" if image_format == "PNG" else "RGB"
    PILImage.new(mode, (width, height), colour).save(buffer, image_format)
    return buffer.getvalue()


class ImageFactory(DjangoModelFactory):
    """A picture of the library, described in both languages, its renditions made."""

    class Meta:
        model = Image

    class Params:
        dimensions = (2000, 1000)

    file = factory.LazyAttribute(
        lambda image: ContentFile(picture_bytes(*image.dimensions), name="photo.jpg")
    )
    title = factory.Sequence(lambda n: f"Photo {n}")
    alt_text_fr = factory.Sequence(lambda n: f"Description de la photo {n}")
    alt_text_en = factory.Sequence(lambda n: f"Description of photo {n}")
    caption_fr = "Légende."
    caption_en = "Caption."
    credit = "Léa Dubois / La Rédaction"
    licence = "CC BY 4.0"
