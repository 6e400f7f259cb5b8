import html
import json
import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation

from articles import workflow
from articles.demo import (
    DEMO_EDITOR_PASSWORD,
    DEMO_EDITOR_USERNAME,
    DEMO_ROLE_ACCOUNTS,
    DemoDataError,
    load_demo_newsroom,
    read_demo_data,
)
from articles.models import Article, LanguageState, Tag, TaggedArticle
from tests.factories import ArticleFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def demo(db):
    return load_demo_newsroom()


@pytest.fixture
def editor(demo):
    return User.objects.get(username=DEMO_EDITOR_USERNAME)


@pytest.fixture
def editor_client(client, editor):
    # django-axes checks every sign-in against its request (tests/test_login_throttling.py).
    assert client.login(request=HttpRequest(), username="editor", password="newsroom-demo")
    return client


def run_load_demo(*args):
    out = StringIO()
    with translation.override("en"):
        call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def database_counts():
    return {
        "stories": Article.objects.count(),
        "tags": Tag.objects.count(),
        "story tags": TaggedArticle.objects.count(),
        "bylines": Article.authors.through.objects.count(),
        "users": User.objects.count(),
        "groups": Group.objects.count(),
        "group permissions": Group.permissions.through.objects.count(),
        "user groups": User.groups.through.objects.count(),
    }


def test_demo_loads_a_dozen_stories_or_more(demo):
    assert demo.stories >= 12
    assert Article.objects.count() == demo.stories


def test_demo_has_stories_readable_in_english(demo):
    assert Article.objects.readable("en").count() >= 7


def test_demo_has_a_published_story_whose_english_is_still_being_written(demo):
    story = Article.objects.readable("fr").get(state_en=LanguageState.IN_PROGRESS)
    assert story.has_language("en")
    assert not Article.objects.readable("en").filter(pk=story.pk).exists()


def test_demo_has_published_stories_in_french_only(demo):
    french_only = Article.objects.readable("fr").exclude(
        pk__in=Article.objects.in_language("en").values("pk")
    )
    assert french_only.count() >= 3


def test_demo_tags_are_shared_by_several_stories(demo):
    shared = Tag.objects.annotate(stories=Count("tagged_articles")).filter(stories__gte=2)
    assert shared.count() >= 5


def test_demo_tag_without_english_name_shows_its_french_name_in_english(demo):
    tag = Tag.objects.get(name_en__isnull=True)
    with translation.override("en"):
        assert str(tag) == tag.name_fr
        assert tag.slug == tag.slug_fr


def test_demo_draft_is_not_published(demo):
    drafts = Article.objects.filter(status=Article.Status.DRAFT)
    assert drafts.exists()
    assert not Article.objects.published().filter(pk__in=drafts).exists()


def test_demo_scheduled_story_is_not_published_before_its_time(demo):
    scheduled = Article.objects.filter(
        status=Article.Status.PUBLISHED, published_at__gt=timezone.now()
    )
    assert scheduled.exists()
    assert not Article.objects.published().filter(pk__in=scheduled).exists()


def test_every_demo_story_has_authors_and_tags(demo):
    assert not Article.objects.filter(authors=None).exists()
    assert not Article.objects.filter(tagged_items=None).exists()


def test_demo_bodies_are_unchanged_by_sanitising(demo):
    # The sanitiser writes a no-break space as &nbsp;, so compare the text that entities stand for.
    changed = []
    for story in read_demo_data()["stories"]:
        article = Article.objects.get(title_fr=story["title"]["fr"])
        for language, blocks in story["body"].items():
            # Pictures of the library are rewritten from it (tests/test_images.py): the text only.
            saved = re.sub(r"<figure>.*?</figure>", "", getattr(article, f"body_{language}"))
            blocks = [block for block in blocks if isinstance(block, str)]
            if html.unescape(saved) != html.unescape("".join(blocks)):
                changed.append((language, story["title"]["fr"]))
    assert changed == []


def test_loading_the_demo_twice_changes_nothing(demo):
    before = database_counts()
    again = load_demo_newsroom()
    assert again.already_loaded
    assert (again.stories, again.tags, again.journalists) == (0, 0, 0)
    assert database_counts() == before


def test_demo_is_not_loaded_into_a_newsroom_that_has_stories(db):
    ArticleFactory()
    demo = load_demo_newsroom()
    assert demo.already_loaded
    assert Article.objects.count() == 1


def test_demo_reuses_a_tag_created_before_loading(db):
    Tag.objects.create(name_fr="russie", name_en="Russia")
    load_demo_newsroom()
    assert Tag.objects.filter(name_fr__iexact="russie").count() == 1


def test_dry_run_saves_nothing(db):
    demo = load_demo_newsroom(dry_run=True)
    assert demo.stories >= 12
    assert database_counts()["stories"] == 0
    assert not User.objects.exists()


def test_demo_file_naming_an_unknown_tag_is_refused_without_saving_anything(db, tmp_path):
    data = read_demo_data()
    data["stories"][-1]["tags"].append("Atlantide")
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(DemoDataError, match="Atlantide"):
        load_demo_newsroom(path)
    assert not Article.objects.exists()


ROLE_USERNAMES = [DEMO_EDITOR_USERNAME, *[account[0] for account in DEMO_ROLE_ACCOUNTS]]


def test_demo_bylines_only_journalists_cannot_log_in(demo):
    journalists = User.objects.exclude(username__in=ROLE_USERNAMES)
    assert journalists.count() == 3
    assert not any(user.has_usable_password() or user.is_staff for user in journalists)


def test_demo_editor_is_staff_but_not_superuser(editor):
    assert editor.is_staff
    assert not editor.is_superuser
    assert list(editor.groups.values_list("name", flat=True)) == [workflow.EDITORS]


@pytest.mark.parametrize(("username", "role"), [(a[0], a[3]) for a in DEMO_ROLE_ACCOUNTS])
def test_demo_has_an_account_for_each_role(client, demo, username, role):
    assert client.login(request=HttpRequest(), username=username, password=DEMO_EDITOR_PASSWORD)
    user = User.objects.get(username=username)
    assert list(user.groups.values_list("name", flat=True)) == [role]
    assert client.get(reverse("admin:articles_article_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["article", "tag", "taggedarticle"])
@pytest.mark.parametrize("action", ["add", "change", "delete", "view"])
def test_demo_editor_may_edit_stories_and_tags(editor, action, model):
    assert editor.has_perm(f"articles.{action}_{model}")


def test_demo_editor_may_not_manage_users(editor):
    assert not editor.has_perm("auth.change_user")
    assert not editor.has_perm("auth.add_user")


def test_demo_editor_can_search_authors_for_the_byline(editor, client):
    client.force_login(editor)
    response = client.get(
        "/fr/admin/autocomplete/",
        {"app_label": "articles", "model_name": "article", "field_name": "authors", "term": "Mor"},
    )
    assert response.status_code == 200
    assert "Morel" in response.content.decode() or "editor" in response.content.decode()


def test_demo_editor_signs_some_stories(editor):
    assert editor.articles.count() >= 2


def test_demo_editor_can_open_the_story_list_in_the_admin(editor_client):
    response = editor_client.get(reverse("admin:articles_article_changelist"))
    assert response.status_code == 200
    assert response.request["PATH_INFO"] == "/fr/admin/articles/article/"


def test_demo_editor_can_open_a_demo_story_in_the_admin(editor_client):
    article = Article.objects.published().in_language("en").first()
    response = editor_client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert response.status_code == 200


def test_existing_editor_keeps_its_password(db):
    UserFactory(username=DEMO_EDITOR_USERNAME, password="a password of its own")
    demo = load_demo_newsroom()
    editor = User.objects.get(username=DEMO_EDITOR_USERNAME)
    assert editor.check_password("a password of its own")
    assert editor.is_staff
    assert not demo.editor_password_is_demo


def test_existing_superuser_named_editor_becomes_a_plain_editor(db):
    UserFactory(username=DEMO_EDITOR_USERNAME, is_superuser=True)
    load_demo_newsroom()
    editor = User.objects.get(username=DEMO_EDITOR_USERNAME)
    assert not editor.is_superuser
    assert editor.has_perm("articles.change_article")


def test_command_prints_the_editor_login(db):
    output = run_load_demo()
    assert "http://127.0.0.1:8000/fr/admin/" in output
    assert "username: editor" in output
    assert f"password: {DEMO_EDITOR_PASSWORD}" in output


def test_command_prints_the_login_when_the_newsroom_already_has_stories(demo):
    output = run_load_demo()
    assert "already has stories; the demo was not loaded" in output
    assert "username: editor" in output
    assert "password: newsroom-demo" in output


def test_command_says_how_much_it_loaded(db):
    output = run_load_demo()
    stories = Article.objects.count()
    assert f"Loaded {stories} stories and {Tag.objects.count()} tags." in output


def test_quiet_command_prints_only_the_login(db):
    output = run_load_demo("--verbosity", "0")
    assert "Loaded" not in output
    assert "password: newsroom-demo" in output


def test_command_uses_host_and_port_from_the_environment(db, monkeypatch):
    monkeypatch.setenv("HOST", "localhost")
    monkeypatch.setenv("PORT", "8080")
    assert "http://localhost:8080/fr/admin/" in run_load_demo()


def test_command_warns_when_the_editor_has_another_password(db):
    UserFactory(username=DEMO_EDITOR_USERNAME, password="a password of its own")
    assert "left unchanged" in run_load_demo()


def test_command_dry_run_saves_nothing(db):
    output = run_load_demo("--dry-run")
    assert "would be loaded" in output
    assert not Article.objects.exists()


def test_command_reports_a_broken_demo_file_in_one_line(db, monkeypatch, tmp_path):
    path = tmp_path / "demo.json"
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setattr("articles.demo.DEMO_FILE", path)
    with pytest.raises(CommandError, match="demo.json"):
        run_load_demo()


def test_load_demo_prints_the_account_of_each_role(db):
    output = run_load_demo()
    for username, _first, _last, role in DEMO_ROLE_ACCOUNTS:
        assert f"{username} ({role})" in output
