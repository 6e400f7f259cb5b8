from django.contrib import admin

from articles.models import Article, Tag
