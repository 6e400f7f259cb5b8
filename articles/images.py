"""The photo library: images reused across stories, their renditions, the body's figures.

An ``Image`` is uploaded once (checked: a real JPEG, PNG or WebP picture, within the
size and pixel limits, against decompression bombs) and is then chosen as the lead image
of any number of stories, or put inside a story's body. Its alt text and caption exist
per language (articles/translation.py); its credit and licence once.

Renditions are resized copies at ``RENDITION_WIDTHS`` (never wider than the original),
made with Pillow when the image is saved, never while a reader's page is served. Their
names, sizes in pixels and bytes are kept in the image's row, so that a card prints its
``srcset``, ``width`` and ``height`` from the row already read with the story: no file is
opened and no other table is read while a page is made. Files go through Django's
storage API (the ``default`` storage: MEDIA_ROOT, or an S3-compatible bucket).

In a story's body an image is a ``<figure>`` whose ``<img>`` points at one of our
renditions. The body's sanitiser keeps such images only, rewritten from the library
(src, srcset, sizes, width, height, lazy loading), and drops every other ``<img>``:
no address outside the library, no attribute the allow-list does not name.
"""

import functools
import html
import io
import re
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.signals import setting_changed
from django.db import models, transaction
from django.dispatch import receiver
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from PIL import Image as PILImage
from PIL import ImageCms, ImageOps, UnidentifiedImageError

# The widths of the renditions, in pixels; an original narrower than one of them gives a
# rendition of its own width instead, never an enlarged one.
RENDITION_WIDTHS = (480, 800, 1200, 1600)
# What a story card shows (a thumbnail), a story page (the whole column) and social
# networks (Open Graph, JSON-LD: 1200 pixels wide is what Facebook and Google ask for).
CARD_WIDTH = 480
PAGE_WIDTH = 1200
SOCIAL_WIDTH = 1200
# The ``sizes`` attribute for each use, from static/css/site.css: the column is 46rem wide,
# a card's thumbnail 9rem.
SIZES = {
    "card": "9rem",
    "page": "(min-width: 48rem) 46rem, 100vw",
}
# Pillow's format name -> the type a browser and a feed reader are told.
ALLOWED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
# A stored file's extension says its format, whatever the uploaded file's name said: the
# storage (MEDIA_ROOT, a bucket) and the web server type it by that name.
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
JPEG_QUALITY = 82
# The kept original is re-encoded once, to drop its metadata: barely a loss at this quality.
ORIGINAL_QUALITY = 95

RENDITIONS_FOLDER = "images/renditions"
# A rendition's name: images/renditions/<image id>/<token>-<width>.<extension>
_RENDITION_PATH = re.compile(
    r"(?:^|/)(images/renditions/(?P<pk>[0-9]+)/[0-9a-f]+-[0-9]+\.(?:jpg|png|webp))$"
)


def max_upload_bytes():
    return settings.IMAGES_MAX_UPLOAD_BYTES


def max_pixels():
    return settings.IMAGES_MAX_PIXELS


def _megabytes(size):
    return f"{size / 1_000_000:.1f}"


def validate_upload(file):
    """A picture we take: JPEG, PNG or WebP, within the size and pixel limits.

    Read from the file's header, before any decoding: a small file that would decode
    into billions of pixels (a decompression bomb) is refused for its pixel count.
    """
    if getattr(file, "_committed", False):
        return  # checked when it was uploaded; the picture itself has not changed
    if file.size > max_upload_bytes():
        raise ValidationError(
            _("This file is %(size)s MB; the largest upload is %(limit)s MB."),
            code="file_too_big",
            params={"size": _megabytes(file.size), "limit": _megabytes(max_upload_bytes())},
        )
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        with PILImage.open(file) as picture:
            image_format, (width, height) = picture.format, picture.size
            if image_format in ALLOWED_FORMATS and width * height <= max_pixels():
                picture.verify()
    except PILImage.DecompressionBombError:
        # Pillow's own guard, far above ours: it refuses to say more than that.
        raise ValidationError(
            _(
                "This picture has far more than %(limit)s million pixels. Make it smaller "
                "before uploading it."
            ),
            code="too_many_pixels",
            params={"limit": max_pixels() // 1_000_000},
        ) from None
    except UnidentifiedImageError:
        raise ValidationError(
            _("This file is not a picture, or it is damaged: upload a JPEG, PNG or WebP."),
            code="not_an_image",
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            _("This picture is damaged and cannot be read: upload it again or export it anew."),
            code="damaged_image",
        ) from None
    finally:
        file.seek(position)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            _("This picture is in the %(format)s format; upload a JPEG, PNG or WebP."),
            code="bad_format",
            params={"format": image_format},
        )
    if width * height > max_pixels():
        raise ValidationError(
            _(
                "This picture is %(width)s × %(height)s pixels; the largest is "
                "%(limit)s million pixels. Make it smaller before uploading it."
            ),
            code="too_many_pixels",
            params={"width": width, "height": height, "limit": max_pixels() // 1_000_000},
        )


def _in_srgb(picture, profile):
    """``picture`` turned from its embedded colour profile into sRGB, which browsers assume
    once the profile is gone; as it is when the profile cannot be read."""
    mode = "RGBA" if "A" in picture.getbands() else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        if picture.mode not in ("RGB", "RGBA", "CMYK"):
            picture = picture.convert(mode)
        return ImageCms.profileToProfile(
            picture, source, ImageCms.createProfile("sRGB"), outputMode=mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return picture


def without_metadata(file):
    """(bytes, format): the picture in ``file`` re-encoded in its own format with no metadata.

    Turned upright from its EXIF orientation and into sRGB from its colour profile first;
    then EXIF (camera, GPS position, dates), XMP, IPTC, comments, text chunks and the
    profile are all left out: only the pixels (and a palette's transparency) are written.
    """
    file.seek(0)
    with PILImage.open(file) as picture:
        image_format = picture.format
        upright = ImageOps.exif_transpose(picture)
        if profile := upright.info.get("icc_profile"):
            upright = _in_srgb(upright, profile)
        options = {}
        if image_format == "PNG" and "transparency" in upright.info:
            options["transparency"] = upright.info["transparency"]
        elif image_format in ("JPEG", "WEBP"):
            options["quality"] = ORIGINAL_QUALITY
        if image_format == "JPEG" and upright.mode not in ("L", "RGB", "CMYK"):
            upright = upright.convert("RGB")
        upright.info = {}
        buffer = io.BytesIO()
        upright.save(buffer, image_format, **options)
    file.seek(0)
    return buffer.getvalue(), image_format


class PictureField(forms.ImageField):
    """The upload field of the library's form: our checks, with their messages, come first.

    Django's own check opens the file with Pillow and says only "not a valid image",
    also for a picture that is too big or has too many pixels.
    """

    def to_python(self, data):
        if data not in self.empty_values:
            validate_upload(data)
        return super().to_python(data)


def original_name(instance, filename):
    """images/originals/2026/12/<slug of the file's name>.<extension>"""
    from django.utils import timezone

    path = PurePosixPath(filename)
    stem = slugify(path.stem)[:60] or "image"
    suffix = path.suffix.lower()[:6]
    return f"images/originals/{timezone.now():%Y/%m}/{stem}{suffix}"


@dataclass(frozen=True)
class Rendition:
    """One resized copy of an image, as its row keeps it."""

    name: str
    width: int
    height: int
    size: int  # bytes
    mime_type: str

    @property
    def url(self):
        return media_url(self.name)


@functools.lru_cache(maxsize=20_000)
def media_url(name):
    """The storage's address of ``name``, made once per process.

    A page prints four of them per picture, and the storage builds each with urljoin (a
    few microseconds, but a page of cards adds up). A rendition's name never changes its
    file, and its address depends on settings only: unsigned addresses, as the README
    asks of a bucket.
    """
    from django.core.files.storage import default_storage

    return default_storage.url(name)


@receiver(setting_changed)
def _forget_media_urls(setting, **kwargs):
    if setting in ("STORAGES", "MEDIA_URL"):
        media_url.cache_clear()


class Image(models.Model):
    """A photograph of the library, used as a story's lead image or inside its body."""

    file = models.ImageField(
        _("file"),
        upload_to=original_name,
        width_field="width",
        height_field="height",
        max_length=255,
        validators=[validate_upload],
        help_text=_(
            "A JPEG, PNG or WebP picture, at least 1,200 pixels wide if you have it: "
            "smaller copies for the site are made from it."
        ),
    )
    width = models.PositiveIntegerField(_("width"), null=True, editable=False)
    height = models.PositiveIntegerField(_("height"), null=True, editable=False)
    title = models.CharField(
        _("title"),
        max_length=200,
        help_text=_(
            "What the picture shows, for finding it in the library. Readers do not see it."
        ),
    )
    alt_text = models.CharField(
        _("alt text"),
        max_length=300,
        blank=True,
        help_text=_(
            "What the picture shows, for readers who cannot see it (screen readers, "
            "slow connections). Say what matters in one sentence; do not start with "
            "“Photo of”. Needed in each language of the stories that use the picture."
        ),
    )
    caption = models.TextField(
        _("caption"),
        blank=True,
        help_text=_("The line under the picture: who, what, where, when."),
    )
    credit = models.CharField(
        _("credit"),
        max_length=200,
        help_text=_("Who took the picture, and for whom: “Léa Dubois / The Newsroom”."),
    )
    licence = models.CharField(
        _("licence"),
        max_length=200,
        blank=True,
        help_text=_(
            "Under what terms we may publish it: “CC BY 4.0”, “public domain”, "
            "“agency photo, news use only”."
        ),
    )
    source_url = models.URLField(
        _("source"),
        blank=True,
        help_text=_("Where the picture was found, for pictures not taken by the newsroom."),
    )
    renditions = models.JSONField(
        _("renditions"),
        default=list,
        editable=False,
        help_text=_("The resized copies made from the file."),
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        new_file = bool(self.file) and not self.file._committed
        if new_file:
            # Also when the admin's form was not the way in (imports, the demo).
            validate_upload(self.file)
            content, image_format = without_metadata(self.file)
            stem = PurePosixPath(self.file.name).stem
            self.file = ContentFile(content, name=f"{stem}.{EXTENSIONS[image_format]}")
        with transaction.atomic():
            super().save(*args, **kwargs)
            if new_file or (self.file and not self.renditions):
                # A new picture gets new names (no cache anywhere keeps the old one under
                # them); the old copies stay, for the story bodies that name them.
                self.renditions = make_renditions(self.file, self.pk)
                super().save(update_fields=["renditions"])

    def rendition_list(self):
        """The renditions, narrowest first."""
        return [Rendition(**rendition) for rendition in self.renditions]

    def rendition(self, width):
        """The narrowest rendition at least ``width`` wide, or the widest there is."""
        renditions = self.rendition_list()
        if not renditions:
            return None
        return next((r for r in renditions if r.width >= width), renditions[-1])

    def srcset(self):
        return ", ".join(f"{r.url} {r.width}w" for r in self.rendition_list())

    def img_tag(self, use, *, alt=None, lazy=True):
        """The <img> for ``use`` ("card" or "page"): every rendition in srcset, the
        smallest fitting one as src, its width and height (no layout shift)."""
        rendition = self.rendition(CARD_WIDTH if use == "card" else PAGE_WIDTH)
        if rendition is None:
            return ""
        return format_html(
            '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}"'
            ' loading="{}" decoding="async">',
            rendition.url,
            self.srcset(),
            SIZES[use],
            rendition.width,
            rendition.height,
            self.alt_text if alt is None else alt,
            "lazy" if lazy else "eager",
        )

    def social_image(self, request=None):
        """The social-size rendition (Open Graph, JSON-LD, feeds): absolute URL, size."""
        rendition = self.rendition(SOCIAL_WIDTH)
        if rendition is None:
            return None
        return SocialImage(
            url=absolute_media_url(rendition.url, request),
            width=rendition.width,
            height=rendition.height,
            size=rendition.size,
            mime_type=rendition.mime_type,
            alt=self.alt_text,
        )


@dataclass(frozen=True)
class SocialImage:
    url: str
    width: int
    height: int
    size: int
    mime_type: str
    alt: str


def absolute_media_url(url, request=None):
    """A media URL with a scheme and host: as the storage gives it (S3), else on the site."""
    if "://" in url:
        return url
    if settings.SITE_URL:
        return settings.SITE_URL + url
    if request is not None:
        return request.build_absolute_uri(url)
    return url


def make_renditions(file, pk):
    """Resize ``file`` to RENDITION_WIDTHS and store the copies; what the row keeps of them.

    Turned upright from its EXIF orientation and into sRGB first; no metadata (EXIF, GPS
    position, XMP, comments, colour profile) is copied. Pictures with transparency stay
    PNG or WebP; others become JPEG, WebP stays WebP.
    """
    storage = file.storage
    token = secrets.token_hex(4)
    file.open("rb")
    try:
        file.seek(0)
        with PILImage.open(file) as picture:
            source_format = picture.format
            picture = ImageOps.exif_transpose(picture)
            if profile := picture.info.get("icc_profile"):
                # An original kept before its metadata was stripped on upload.
                picture = _in_srgb(picture, profile)
            has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
                picture.mode == "P" and "transparency" in picture.info
            )
            if source_format == "WEBP":
                out_format = "WEBP"
            elif has_alpha:
                out_format = "PNG"
            else:
                out_format = "JPEG"
            picture = picture.convert("RGBA" if has_alpha else "RGB")
            # Nothing of the original's metadata (comments, profile) goes into a copy.
            picture.info = {}
            widths = sorted({min(width, picture.width) for width in RENDITION_WIDTHS})
            renditions = []
            for width in widths:
                height = max(1, round(picture.height * width / picture.width))
                copy = (
                    picture
                    if width == picture.width
                    else picture.resize((width, height), PILImage.Resampling.LANCZOS)
                )
                buffer = io.BytesIO()
                options = {"optimize": True}
                if out_format in ("JPEG", "WEBP"):
                    options.update(quality=JPEG_QUALITY)
                if out_format == "JPEG":
                    options.update(progressive=True)
                copy.save(buffer, out_format, **options)
                extension = EXTENSIONS[out_format]
                name = storage.save(
                    f"{RENDITIONS_FOLDER}/{pk}/{token}-{width}.{extension}",
                    ContentFile(buffer.getvalue()),
                )
                renditions.append(
                    {
                        "name": name,
                        "width": width,
                        "height": height,
                        "size": buffer.tell(),
                        "mime_type": ALLOWED_FORMATS[out_format],
                    }
                )
    finally:
        file.close()
    return renditions


# The body: figures of the library only.


class _TagAttributes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attributes = {}

    def handle_starttag(self, tag, attrs):
        self.attributes = {name: value or "" for name, value in attrs}

    handle_startendtag = handle_starttag


def _attributes(tag_html):
    parser = _TagAttributes()
    parser.feed(tag_html)
    parser.close()
    return parser.attributes


# After nh3 (html5ever's serialiser) every tag is spelled one way: "<img" and its
# attributes in double quotes, "&quot;" inside them, so a tag is found by a regex.
_IMG = re.compile(r"<img\b[^>]*>")
_EMPTY_FIGURE = re.compile(r"<figure\b[^>]*>(?:(?!<img\b).)*?</figure>", re.DOTALL)


def rendition_name(src):
    """The storage name of the rendition ``src`` points at, and its image's id; or None."""
    from urllib.parse import unquote, urlsplit

    match = _RENDITION_PATH.search(unquote(urlsplit(src).path))
    if match is None:
        return None
    return match.group(1), int(match.group("pk"))


def keep_library_images(body):
    """The body's images that are of the library, rewritten from it; the others dropped.

    Runs after the allow-list sanitiser, on its output. An <img> whose address is not one
    of our renditions is removed, with a figure left without a picture.
    """
    if "<img" not in body:
        return body
    found = {}
    for tag in _IMG.findall(body):
        named = rendition_name(_attributes(tag).get("src", ""))
        if named is not None:
            found[tag] = named
    images = Image.objects.in_bulk({pk for _name, pk in found.values()})

    def rewrite(match):
        tag = match.group(0)
        named = found.get(tag)
        image = images.get(named[1]) if named else None
        if image is None or not image.renditions:
            return ""
        return str(image.img_tag("page", alt=_attributes(tag).get("alt", "")))

    body = _IMG.sub(rewrite, body)
    return _EMPTY_FIGURE.sub("", body)


def body_images(body):
    """The library images in a (sanitised) body: [(image id, alt text)]."""
    images = []
    for tag in _IMG.findall(body or ""):
        attributes = _attributes(tag)
        named = rendition_name(attributes.get("src", ""))
        if named is not None:
            images.append((named[1], html.unescape(attributes.get("alt", "")).strip()))
    return images
