"""Reads on the replica, writes and staff on the primary (newsroom.db_routers).

The replica alias only exists when DATABASE_REPLICA_URL is set, which the test
settings cannot add at run time: the router and the middleware are exercised
directly here, and the settings that install them in tests/test_settings.py.
"""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpResponse

from articles.models import Article
from newsroom.db_routers import PrimaryPinningMiddleware, PrimaryReplicaRouter, pinned_to_primary

router = PrimaryReplicaRouter()


def test_reads_go_to_the_replica():
    assert router.db_for_read(Article) == "replica"


def test_writes_go_to_the_primary():
    assert router.db_for_write(Article) == "default"


def test_reads_pinned_to_the_primary_go_to_the_primary():
    with pinned_to_primary():
        assert router.db_for_read(Article) == "default"
    assert router.db_for_read(Article) == "replica"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_on_the_primary_see_its_writes():
    with transaction.atomic():
        assert router.db_for_read(Article) == "default"
    assert router.db_for_read(Article) == "replica"


def test_related_objects_of_a_row_from_the_primary_are_read_from_the_primary():
    user = get_user_model()()
    user._state.db = "default"
    assert router.db_for_read(Article, instance=user) == "default"


def test_related_objects_of_a_row_from_the_replica_are_read_from_the_replica():
    user = get_user_model()()
    user._state.db = "replica"
    assert router.db_for_read(Article, instance=user) == "replica"


def test_rows_from_the_primary_and_the_replica_may_be_related():
    story, author = Article(), get_user_model()()
    story._state.db, author._state.db = "replica", "default"
    assert router.allow_relation(story, author) is True


def test_rows_from_another_database_are_left_to_django():
    story, author = Article(), get_user_model()()
    story._state.db, author._state.db = "replica", "archive"
    assert router.allow_relation(story, author) is None


def test_only_the_primary_is_migrated():
    assert router.allow_migrate("default", "articles") is True
    assert router.allow_migrate("replica", "articles") is False


def database_read_by(request):
    """Run the request through the middleware; say where the view's reads went."""
    reads = []

    def view(request):
        reads.append(router.db_for_read(Article))
        return HttpResponse()

    PrimaryPinningMiddleware(view)(request)
    return reads[0]


def test_a_reader_on_a_public_page_reads_the_replica(rf):
    assert database_read_by(rf.get("/fr/etiquettes/russie/")) == "replica"


def test_a_reader_on_an_english_page_reads_the_replica(rf):
    assert database_read_by(rf.get("/en/stories/a-story/")) == "replica"


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_request_that_writes_reads_the_primary(rf, method):
    assert database_read_by(getattr(rf, method)("/fr/")) == "default"


def test_a_signed_in_user_reads_the_primary(rf):
    request = rf.get("/fr/", HTTP_COOKIE=f"{settings.SESSION_COOKIE_NAME}=abc")
    assert database_read_by(request) == "default"


@pytest.mark.parametrize("path", ["/fr/admin/", "/en/admin/login/", "/fr/admin/articles/article/"])
def test_admin_pages_read_the_primary_even_before_signing_in(rf, path):
    assert database_read_by(rf.get(path)) == "default"


def test_a_public_page_whose_path_mentions_admin_reads_the_replica(rf):
    assert database_read_by(rf.get("/fr/etiquettes/admin/")) == "replica"


def test_the_pin_ends_with_the_request_even_when_the_view_fails(rf):
    def failing_view(request):
        raise RuntimeError

    with pytest.raises(RuntimeError):
        PrimaryPinningMiddleware(failing_view)(rf.post("/fr/"))
    assert router.db_for_read(Article) == "replica"
