"""The photo library (articles/images.py): uploads, renditions, pages, the body, feeds."""

import io
import json
from pathlib import Path

import feedparser
import lxml.html
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image as PILImage
from PIL import ImageCms, PngImagePlugin

from articles import demo
from articles.images import RENDITION_WIDTHS, SOCIAL_WIDTH
from articles.models import Article, Image
from tests.factories import ArticleFactory, ImageFactory, TagFactory, picture_bytes
from tests.test_views import url_in

pytestmark = pytest.mark.django_db


def upload(content, name="photo.jpg"):
    image = Image(title="Une photo", credit="Léa Dubois", alt_text_fr="Une photo.")
    image.file = SimpleUploadedFile(name, content)
    return image


def upload_errors(content, name="photo.jpg"):
    with pytest.raises(ValidationError) as raised:
        upload(content, name).full_clean()
    return raised.value.error_dict["file"][0]


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.content)


def srcset(img):
    """{width: url} of an <img>'s srcset."""
    entries = [entry.split() for entry in img.get("srcset").split(",")]
    return {int(width.removesuffix("w")): url for url, width in entries}


def stored_picture(url):
    """The rendition file behind a media URL, opened with Pillow."""
    name = url.removeprefix(default_storage.url(""))
    return PILImage.open(default_storage.open(name))


# Uploads


def test_a_real_picture_is_accepted():
    upload(picture_bytes(1200, 800)).full_clean()


def test_a_file_that_is_not_a_picture_is_refused():
    error = upload_errors(b"%PDF-1.4 not a picture at all", name="photo.jpg")
    assert error.code in ("invalid_image", "not_an_image")


def test_a_picture_in_another_format_is_refused_naming_it():
    error = upload_errors(picture_bytes(300, 200, "GIF"), name="photo.gif")
    assert error.code == "bad_format"
    assert "GIF" in error.message % error.params


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.IMAGES_MAX_UPLOAD_BYTES = 1000
    error = upload_errors(picture_bytes(800, 600))
    assert error.code == "file_too_big"


def test_a_picture_with_too_many_pixels_is_refused_before_decoding(settings):
    # A decompression bomb: a small file that decodes into a huge picture.
    settings.IMAGES_MAX_PIXELS = 1_000_000
    content = picture_bytes(2000, 1000, "PNG")
    assert len(content) < 100_000
    error = upload_errors(content, name="bomb.png")
    assert error.code == "too_many_pixels"
    assert "2000 × 1000" in error.message % error.params


def test_the_admin_says_why_an_upload_is_refused(staff_client):
    response = staff_client.post(
        reverse("admin:articles_image_add"),
        {
            "file": SimpleUploadedFile("photo.gif", picture_bytes(300, 200, "GIF")),
            "title": "Une photo",
            "credit": "Léa Dubois",
            "alt_text_fr": "Une photo.",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["file"]
    assert any("GIF" in error for error in errors)
    assert not Image.objects.exists()


def test_the_admin_uploads_a_picture_and_makes_its_renditions(staff_client):
    response = staff_client.post(
        reverse("admin:articles_image_add"),
        {
            "file": SimpleUploadedFile("Photo Été.JPG", picture_bytes(1300, 650)),
            "title": "Une photo",
            "credit": "Léa Dubois",
            "alt_text_fr": "Une photo.",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    image = Image.objects.get()
    assert [r.width for r in image.rendition_list()] == [480, 800, 1200, 1300]


# Renditions


def test_renditions_are_made_at_each_width_with_the_pictures_proportions():
    image = ImageFactory(dimensions=(2000, 1000))
    assert [r.width for r in image.rendition_list()] == list(RENDITION_WIDTHS)
    for rendition in image.rendition_list():
        with stored_picture(rendition.url) as picture:
            assert picture.size == (rendition.width, rendition.height)
            assert picture.height == rendition.width // 2
            assert picture.format == "JPEG"
        assert default_storage.size(rendition.name) == rendition.size


def test_a_small_picture_is_never_enlarged():
    image = ImageFactory(dimensions=(600, 400))
    assert [(r.width, r.height) for r in image.rendition_list()] == [(480, 320), (600, 400)]


def test_a_transparent_png_keeps_its_transparency():
    image = ImageFactory(file=ContentFile(picture_bytes(900, 600, "PNG"), name="logo.png"))
    rendition = image.rendition_list()[0]
    assert rendition.mime_type == "image/png"
    with stored_picture(rendition.url) as picture:
        assert picture.mode == "RGBA"


def test_a_new_file_gets_new_renditions_and_an_edit_keeps_them():
    image = ImageFactory(dimensions=(1000, 500))
    first = image.renditions
    image.caption_fr = "Nouvelle légende."
    image.save()
    assert image.renditions == first
    image.file = ContentFile(picture_bytes(700, 700), name="other.jpg")
    image.save()
    assert [r.height for r in image.rendition_list()] == [480, 700]
    assert {r["name"] for r in first}.isdisjoint(r.name for r in image.rendition_list())


def test_social_image_is_the_1200_rendition_with_an_absolute_url(settings):
    settings.SITE_URL = "https://news.example.org"
    story = ArticleFactory(lead_image=ImageFactory(dimensions=(3000, 2000)))
    social = story.social_image()
    assert (social.width, social.height) == (SOCIAL_WIDTH, 800)
    assert social.url.startswith("https://news.example.org/")
    assert social.mime_type == "image/jpeg"
    with stored_picture(social.url.removeprefix(settings.SITE_URL)) as picture:
        assert picture.size == (social.width, social.height)


def test_a_story_without_a_lead_image_has_no_social_image():
    assert ArticleFactory().social_image() is None


# Pages


def test_cards_carry_a_small_rendition_with_srcset_width_height_and_alt(client):
    image = ImageFactory(dimensions=(2000, 1000))
    ArticleFactory(english=True, lead_image=image)
    for language in ("fr", "en"):
        img = page(client, url_in(language, "articles:article-list")).cssselect(".story-card img")[
            0
        ]
        assert img.get("alt") == getattr(image, f"alt_text_{language}")
        assert set(srcset(img)) == set(RENDITION_WIDTHS)
        assert img.get("sizes")
        with stored_picture(img.get("src")) as picture:
            assert picture.size == (int(img.get("width")), int(img.get("height")))
            assert picture.width == 480


def test_cards_below_the_first_two_load_lazily(client):
    image = ImageFactory()
    for _ in range(4):
        ArticleFactory(lead_image=image)
    images = page(client, url_in("fr", "articles:article-list")).cssselect(".story-card img")
    assert [img.get("loading") for img in images] == ["eager", "eager", "lazy", "lazy"]


def test_the_story_page_shows_the_large_rendition_with_caption_and_credit(client):
    image = ImageFactory(dimensions=(2000, 1000))
    story = ArticleFactory(english=True, lead_image=image)
    html = page(client, story.url_for("en"))
    figure = html.cssselect("figure.lead-image")[0]
    img = figure.cssselect("img")[0]
    assert (int(img.get("width")), int(img.get("height"))) == (1200, 600)
    assert img.get("loading") == "eager"
    assert img.get("alt") == image.alt_text_en
    caption = figure.cssselect("figcaption")[0].text_content()
    assert "Caption." in caption
    assert image.credit in caption
    with stored_picture(img.get("src")) as picture:
        assert picture.width == 1200


def test_a_story_without_a_lead_image_has_no_figure(client):
    story = ArticleFactory()
    assert not page(client, story.url_for("fr")).cssselect("figure.lead-image")


def test_media_are_served_in_development(client):
    image = ImageFactory(dimensions=(500, 300))
    response = client.get(image.rendition_list()[0].url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"


# Alt text


def test_a_story_needs_the_alt_text_of_its_lead_image_in_each_of_its_languages():
    story = ArticleFactory.build(english=True, lead_image=ImageFactory(alt_text_en=""))
    with pytest.raises(ValidationError) as raised:
        story.full_clean()
    assert "lead_image" in raised.value.error_dict


def test_a_french_story_needs_no_english_alt_text():
    story = ArticleFactory.build(lead_image=ImageFactory(alt_text_en=""))
    story.full_clean()


# The body


def body_figure(image, alt="Une description.", src=None):
    src = src or image.rendition(800).url
    return f'<figure><img src="{src}" alt="{alt}"><figcaption>Légende</figcaption></figure>'


def saved_body(body):
    story = ArticleFactory(body_fr=body)
    story.refresh_from_db()
    return lxml.html.fragment_fromstring(story.body_fr, create_parent="div")


def test_a_library_picture_in_the_body_is_kept_with_its_renditions():
    image = ImageFactory(dimensions=(2000, 1000))
    body = saved_body("<p>Texte.</p>" + body_figure(image, src=image.rendition(480).url))
    img = body.cssselect("figure img")[0]
    assert img.get("alt") == "Une description."
    assert set(srcset(img)) == set(RENDITION_WIDTHS)
    assert (img.get("width"), img.get("height"), img.get("loading")) == ("1200", "600", "lazy")
    assert body.cssselect("figure figcaption")[0].text == "Légende"


def test_a_library_picture_named_by_an_absolute_address_points_at_our_storage():
    image = ImageFactory()
    address = "https://elsewhere.example.org" + image.rendition(800).url
    img = saved_body(body_figure(image, src=address)).cssselect("img")[0]
    assert img.get("src") == image.rendition(1200).url


@pytest.mark.parametrize(
    "src",
    [
        "https://tracker.example.org/pixel.jpg",
        "//tracker.example.org/pixel.jpg",
        "javascript:alert(1)",
        "data:image/png;base64,iVBORw0KGgo=",
        "/media/images/originals/2026/12/photo.jpg",
        "/media/images/renditions/999999/abcdef12-800.jpg",
    ],
)
def test_a_picture_from_outside_the_library_is_dropped_from_the_body(src):
    body = saved_body(f'<p>Texte.</p><figure><img src="{src}" alt="Pixel"></figure>')
    assert not body.cssselect("img")
    assert not body.cssselect("figure")
    assert body.cssselect("p")[0].text == "Texte."


def test_event_attributes_are_dropped_from_a_library_picture():
    image = ImageFactory()
    src = image.rendition(800).url
    body = saved_body(
        f'<p>Texte.</p><figure><img src="{src}" alt="Une description." onerror="alert(1)" '
        f'onload="alert(2)" style="position:fixed" class="x" data-track="1"></figure>'
    )
    img = body.cssselect("img")[0]
    assert not [name for name in img.attrib if name.startswith("on")]
    assert set(img.attrib) == {
        *("src", "srcset", "sizes", "width", "height", "alt", "loading", "decoding")
    }


def test_a_body_picture_without_alt_text_is_refused():
    image = ImageFactory()
    story = ArticleFactory.build(body_fr="<p>Texte.</p>" + body_figure(image, alt=""))
    with pytest.raises(ValidationError) as raised:
        story.full_clean()
    assert "body_fr" in raised.value.error_dict


def test_the_story_page_shows_the_body_picture(client):
    image = ImageFactory()
    story = ArticleFactory(body_fr="<p>Texte.</p>" + body_figure(image))
    img = page(client, story.url_for("fr")).cssselect(".story-body figure img")[0]
    assert srcset(img)
    with stored_picture(img.get("src")) as picture:
        assert picture.size == (int(img.get("width")), int(img.get("height")))


# Feeds


@pytest.mark.parametrize("name", ["articles:feed", "articles:feed-atom"])
def test_feeds_carry_the_lead_image_as_an_enclosure_with_length_and_type(client, name):
    image = ImageFactory(dimensions=(2000, 1000))
    ArticleFactory(english=True, lead_image=image)
    ArticleFactory(english=True)
    response = client.get(url_in("en", name))
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.bozo_exception
    with_image, without = parsed.entries
    (enclosure,) = with_image.enclosures
    social = image.rendition(SOCIAL_WIDTH)
    assert enclosure.href.endswith(social.url)
    assert enclosure.href.startswith("http")
    assert int(enclosure.length) == social.size
    assert enclosure.type == "image/jpeg"
    assert not without.enclosures


# Query counts: cards with pictures read them with the stories.


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_home_page_of_stories_with_pictures_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, language
):
    tags = TagFactory.create_batch(8)
    for _ in range(30):
        ArticleFactory(
            tags=tags, english=True, authors=[], lead_image=ImageFactory(dimensions=(60, 30))
        )
    # As without pictures (tests/test_views.py): they come with their stories.
    with django_assert_max_num_queries(5):
        response = client.get(url_in(language, "articles:article-list"))
    assert len(lxml.html.fromstring(response.content).cssselect(".story-card img")) == 20


@pytest.mark.parametrize("operator", ["+", ","])
def test_a_tag_page_of_stories_with_pictures_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, operator
):
    from articles.models import Tag

    tags = TagFactory.create_batch(3)
    for _ in range(25):
        ArticleFactory(
            tags=tags, english=True, authors=[], lead_image=ImageFactory(dimensions=(60, 30))
        )
    with django_assert_max_num_queries(6):
        response = client.get(Tag.combination_url(tags[:2], operator))
    assert len(lxml.html.fromstring(response.content).cssselect(".story-card img")) == 20


def test_a_story_page_with_a_picture_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    story = ArticleFactory(tags=TagFactory.create_batch(8), english=True, lead_image=ImageFactory())
    # Story, tags, authors, corrections, related stories: the picture comes with the story.
    with django_assert_max_num_queries(5):
        response = client.get(story.url_for("en"))
    assert response.status_code == 200


def test_feeds_of_stories_with_pictures_run_a_fixed_number_of_queries(
    client, django_assert_max_num_queries
):
    for _ in range(30):
        ArticleFactory(english=True, lead_image=ImageFactory(dimensions=(60, 30)))
    with django_assert_max_num_queries(4):
        response = client.get(url_in("en", "articles:feed"))
    assert len(feedparser.parse(response.content).entries) == 30


# The demo newsroom


def demo_pictures():
    return json.loads(demo.DEMO_FILE.read_text(encoding="utf-8"))["images"]


def test_the_demo_photos_are_in_the_repository_small_and_with_their_licences():
    licences = (demo.DEMO_PHOTOS / "LICENSES.md").read_text(encoding="utf-8")
    for picture in demo_pictures():
        path = demo.DEMO_PHOTOS / picture["file"]
        assert path.stat().st_size < 300_000
        with PILImage.open(path) as photo:
            assert photo.format == "JPEG"
            assert max(photo.size) <= 1600
        assert picture["licence"]
        assert picture["credit"]
        assert picture["file"] in licences
        assert picture["credit"] in licences


def test_load_demo_puts_the_photos_in_the_library_with_credit_and_licence():
    demo.load_demo_newsroom()
    pictures = demo_pictures()
    images = {image.title: image for image in Image.objects.all()}
    assert len(images) == len(pictures)
    for picture in pictures:
        image = images[picture["title"]]
        assert (image.credit, image.licence) == (picture["credit"], picture["licence"])
        assert image.alt_text_fr
        assert image.alt_text_en
        assert Path(default_storage.path(image.rendition_list()[0].name)).exists()
    assert Article.objects.exclude(lead_image=None).count() >= 3
    with_figure = Article.objects.get(body_fr__contains="<figure")
    assert with_figure.body_fr.count("srcset=") == 1


def test_loading_the_demo_again_adds_no_pictures():
    demo.load_demo_newsroom()
    count = Image.objects.count()
    Article.objects.all().delete()
    demo.load_demo_newsroom()
    assert Image.objects.count() == count


def test_markup_in_a_body_pictures_alt_text_stays_text():
    image = ImageFactory()
    src = image.rendition(800).url
    body = saved_body(
        f'<p>Texte.</p><figure><img alt="x&quot;&gt;<script>alert(1)</script>" src="{src}">'
        "</figure>"
    )
    assert not body.cssselect("script")
    assert "<script>" in body.cssselect("img")[0].get("alt")


# The story admin


def test_a_journalist_finds_a_picture_for_the_lead_image_by_its_credit(client, journalist):
    wanted = ImageFactory(credit="Karim Benali / La Rédaction", dimensions=(500, 300))
    ImageFactory(credit="Agence", dimensions=(500, 300))
    client.force_login(journalist)
    response = client.get(
        "/fr/admin/autocomplete/",
        {
            "app_label": "articles",
            "model_name": "article",
            "field_name": "lead_image",
            "term": "benali",
        },
    )
    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(wanted.pk)]


def test_the_story_form_offers_the_lead_image_and_saves_it(client, journalist):
    image = ImageFactory(dimensions=(500, 300))
    client.force_login(journalist)
    add = reverse("admin:articles_article_add")
    form = client.get(add).context["adminform"].form
    assert "lead_image" in form.fields
    story = ArticleFactory(draft=True, authors=[journalist])
    page = client.get(reverse("admin:articles_article_change", args=[story.pk]))
    assert page.status_code == 200
    assert "lead_image" in page.context["adminform"].form.fields
    story.lead_image = image
    story.save()
    page = client.get(reverse("admin:articles_article_change", args=[story.pk]))
    html = lxml.html.fromstring(page.content)
    assert html.cssselect(".field-lead_image_preview img")


def test_the_image_page_gives_the_address_for_a_body(staff_client):
    image = ImageFactory(dimensions=(1500, 1000))
    page = staff_client.get(reverse("admin:articles_image_change", args=[image.pk]))
    assert page.status_code == 200
    address = lxml.html.fromstring(page.content).cssselect(".field-body_address code")[0].text
    assert address == image.rendition(1200).url


# Storage settings (read in a fresh process, as tests/test_settings.py does)


def test_pictures_go_to_the_media_folder_by_default():
    from tests.test_settings import DATABASE_URL, setting

    storages = setting("STORAGES", DATABASE_URL=DATABASE_URL)
    assert storages["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert setting("SERVE_MEDIA", DATABASE_URL=DATABASE_URL) is True


def test_an_s3_bucket_is_configured_from_the_environment():
    from tests.test_settings import PRODUCTION, setting

    environment = {
        **PRODUCTION,
        "DJANGO_STORAGE_BACKEND": "s3",
        "AWS_STORAGE_BUCKET_NAME": "newsroom-media",
        "AWS_S3_ENDPOINT_URL": "https://s3.fr-par.scw.cloud",
        "AWS_S3_CUSTOM_DOMAIN": "media.news.example.org",
    }
    default = setting("STORAGES", **environment)["default"]
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"]["bucket_name"] == "newsroom-media"
    assert default["OPTIONS"]["endpoint_url"] == "https://s3.fr-par.scw.cloud"
    assert default["OPTIONS"]["custom_domain"] == "media.news.example.org"
    assert default["OPTIONS"]["querystring_auth"] is False
    assert setting("SERVE_MEDIA", **environment, DJANGO_SERVE_MEDIA="true") is False


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"DJANGO_STORAGE_BACKEND": "s3"}, "AWS_STORAGE_BUCKET_NAME must be set"),
        ({"DJANGO_STORAGE_BACKEND": "ftp"}, "DJANGO_STORAGE_BACKEND must be filesystem or s3"),
    ],
)
def test_a_storage_misconfiguration_stops_the_start(environment, message):
    from tests.test_settings import DATABASE_URL, load_settings

    result = load_settings(DATABASE_URL=DATABASE_URL, **environment)
    assert result.returncode != 0
    assert message in result.stderr


# Uploads are judged by their content, stripped of metadata, and served only as pictures.

SECRET = b"SecretCam"


def srgb_profile():
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def with_metadata(image_format, size=(900, 600)):
    """A picture carrying a camera's EXIF, a GPS position, XMP, a comment and a profile."""
    mode = "RGBA" if image_format == "PNG" else "RGB"
    picture = PILImage.new(mode, size, (10, 120, 200, 255)[: len(mode)])
    exif = picture.getexif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0132] = "2026:01:01 12:00:00"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 24.0)
    options = {"exif": exif, "icc_profile": srgb_profile()}
    if image_format == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", "SecretCam comment")
        text.add_text("XML:com.adobe.xmp", "<x:xmpmeta>SecretCam</x:xmpmeta>")
        options["pnginfo"] = text
    else:
        options["xmp"] = b"<x:xmpmeta>SecretCam</x:xmpmeta>"
    if image_format == "JPEG":
        options["comment"] = b"SecretCam comment"
    buffer = io.BytesIO()
    picture.save(buffer, image_format, **options)
    content = buffer.getvalue()
    assert SECRET in content
    return content


def stored_files(image):
    """(name, bytes) of the kept original and of every rendition."""
    names = [image.file.name, *(rendition["name"] for rendition in image.renditions)]
    return [(name, default_storage.open(name).read()) for name in names]


METADATA_KEYS = {"exif", "xmp", "XML:com.adobe.xmp", "comment", "Comment", "icc_profile"}


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_metadata_is_stripped_from_the_original_and_every_rendition(image_format):
    image = upload(with_metadata(image_format), name="photo.jpg")
    image.full_clean()
    image.save()
    files = stored_files(image)
    assert len(files) == 1 + len(image.renditions) >= 3
    for name, content in files:
        assert SECRET not in content, name
        with PILImage.open(io.BytesIO(content)) as picture:
            assert dict(picture.getexif()) == {}, name
            assert not METADATA_KEYS & set(picture.info), (name, set(picture.info))


def test_the_original_is_turned_upright_before_its_exif_goes():
    picture = PILImage.new("RGB", (600, 400), (200, 30, 30))
    exif = picture.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    image = upload(buffer.getvalue())
    image.save()
    assert (image.width, image.height) == (400, 600)
    with PILImage.open(default_storage.open(image.file.name)) as stored:
        assert stored.size == (400, 600)
        assert dict(stored.getexif()) == {}


def test_a_pictures_colour_profile_is_applied_then_left_out():
    picture = PILImage.new("RGB", (500, 300), (10, 120, 200))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", icc_profile=srgb_profile())
    image = upload(buffer.getvalue(), name="photo.png")
    image.save()
    with PILImage.open(default_storage.open(image.file.name)) as stored:
        assert "icc_profile" not in stored.info
        red, green, blue = stored.convert("RGB").getpixel((10, 10))
        assert abs(red - 10) + abs(green - 120) + abs(blue - 200) <= 6


def test_html_hidden_in_a_jpeg_comment_is_not_kept():
    picture = PILImage.new("RGB", (500, 300), (10, 120, 200))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", comment=b"<html><script>alert(1)</script></html>")
    image = upload(buffer.getvalue(), name="polyglot.jpg")
    image.full_clean()
    image.save()
    for name, content in stored_files(image):
        assert b"<script" not in content, name


@pytest.mark.parametrize(
    ("content", "name", "kept_as", "content_type"),
    [
        (picture_bytes(500, 300, "PNG"), "photo.jpg", ".png", "image/png"),
        (picture_bytes(500, 300, "JPEG"), "photo.png", ".jpg", "image/jpeg"),
        (picture_bytes(500, 300, "WEBP"), "photo.html", ".webp", "image/webp"),
        (picture_bytes(500, 300, "PNG"), "photo.svg", ".png", "image/png"),
        (picture_bytes(500, 300, "JPEG"), "photo", ".jpg", "image/jpeg"),
    ],
)
def test_a_picture_is_kept_and_served_under_the_type_of_its_content(
    client, content, name, kept_as, content_type
):
    image = upload(content, name=name)
    image.full_clean()
    image.save()
    assert image.file.name.endswith(kept_as)
    response = client.get(image.file.url)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"


GIF_HTML = picture_bytes(20, 20, "GIF") + b"<html><script>alert(1)</script></html>"
NOT_PICTURES = {
    "html-named-png": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "photo.png"),
    "svg": (
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "photo.svg",
    ),
    "svg-named-jpg": (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10"/>',
        "photo.jpg",
    ),
    "empty": (b"", "photo.jpg"),
}
NOT_A_PICTURE = {
    "en": "This file is not a picture, or it is damaged: upload a JPEG, PNG or WebP.",
    "fr": "Ce fichier n’est pas une image, ou il est abîmé : envoyez un JPEG, un PNG ou un WebP.",
}


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("kind", sorted(NOT_PICTURES))
def test_a_file_that_only_claims_to_be_a_picture_is_refused_saying_so(kind, language):
    content, name = NOT_PICTURES[kind]
    with translation.override(language):
        error = upload_errors(content, name=name)
        assert error.code in ("not_an_image", "invalid_image", "empty")
        if error.code == "not_an_image":
            assert str(error.message) == NOT_A_PICTURE[language]


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This picture is in the GIF format; upload a JPEG, PNG or WebP."),
        ("fr", "Cette image est au format GIF ; envoyez un JPEG, un PNG ou un WebP."),
    ],
)
def test_a_gif_html_polyglot_is_refused_naming_its_format(language, message):
    with translation.override(language):
        error = upload_errors(GIF_HTML, name="photo.png")
        assert error.code == "bad_format"
        assert error.message % error.params == message


def test_a_file_that_is_not_a_picture_is_refused_even_without_the_form():
    image = upload(b"<html><script>alert(1)</script></html>", name="photo.png")
    with pytest.raises(ValidationError):
        image.save()
    assert not Image.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This file is 0.0 MB; the largest upload is 0.0 MB."),
        ("fr", "Ce fichier fait 0.0 Mo ; un envoi ne peut dépasser 0.0 Mo."),
    ],
)
def test_the_size_limit_is_said_in_both_languages(settings, language, message):
    settings.IMAGES_MAX_UPLOAD_BYTES = 10
    with translation.override(language):
        error = upload_errors(picture_bytes(20, 20))
        assert error.code == "file_too_big"
        assert error.message % error.params == message


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "This picture has far more than 40 million pixels."),
        ("fr", "Cette image a bien plus de 40 millions de pixels."),
    ],
)
def test_a_decompression_bomb_is_refused_in_the_admin_saying_so(staff_client, language, message):
    # 20,000 × 20,000 pixels of one colour: a few hundred kilobytes of PNG, far past
    # Pillow's own guard, which stops it before our check could read its size.
    content = zlib_png(20_000, 20_000)
    assert len(content) < 2_000_000
    with translation.override(language):
        response = staff_client.post(
            reverse("admin:articles_image_add"),
            {
                "file": SimpleUploadedFile("bomb.png", content),
                "title": "Une bombe",
                "credit": "Inconnu",
                "alt_text_fr": "Rien.",
            },
        )
        assert response.status_code == 200
        errors = [str(error) for error in response.context["adminform"].form.errors["file"]]
    assert any(message in error for error in errors), errors
    assert not Image.objects.exists()


def test_the_admin_names_the_size_limit_not_only_an_invalid_image(staff_client, settings):
    settings.IMAGES_MAX_UPLOAD_BYTES = 1000
    response = staff_client.post(
        reverse("admin:articles_image_add"),
        {
            "file": SimpleUploadedFile("big.jpg", picture_bytes(800, 600)),
            "title": "Une photo",
            "credit": "Léa Dubois",
            "alt_text_fr": "Une photo.",
        },
    )
    errors = response.context["adminform"].form.errors["file"]
    assert any("un envoi ne peut dépasser 0.0 Mo" in error for error in errors), errors
    assert not Image.objects.exists()


def zlib_png(width, height):
    """A grey PNG of ``width`` × ``height`` written by hand, never held in memory whole."""
    import struct
    import zlib

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\0" + b"\x80" * width
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("images/originals/page.html", b"<html><script>alert(1)</script></html>"),
        ("images/originals/drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>'),
        ("images/originals/page.htm", b"<html></html>"),
        ("images/originals/script.js", b"alert(1)"),
        ("images/originals/noextension", b"<html></html>"),
    ],
)
def test_the_media_folder_serves_nothing_but_pictures(client, name, content):
    default_storage.save(name, ContentFile(content))
    response = client.get(default_storage.url(name))
    assert response.status_code == 404
    assert b"alert" not in response.content


def test_a_picture_in_the_media_folder_is_served_as_a_picture_for_get_and_head_only(client):
    image = ImageFactory(dimensions=(500, 300))
    url = image.file.url
    for method in ("get", "head"):
        response = getattr(client, method)(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["X-Content-Type-Options"] == "nosniff"
    assert client.post(url).status_code == 405
