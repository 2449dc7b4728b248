import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k3y-" + "x7Qp9vL2mZ8rT4wY6uB1nC5dF0gH3jK" * 2,
    "ALLOWED_HOSTS": "dyad.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/dyad",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "SITE_URL": "https://dyad.example.org",
}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "CACHE_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("cache_url", "complaint"),
    [
        (None, "Set the CACHE_URL environment variable"),
        ("locmemcache://", "CACHE_URL must point to Redis"),
    ],
)
def test_production_refuses_to_start_without_a_shared_cache(cache_url, complaint):
    """Rate limits count in the cache: a per-process cache lets each web process count alone."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "CACHE_URL"}
    if cache_url:
        env["CACHE_URL"] = cache_url
    result = manage("check", env=env)
    assert result.returncode != 0
    assert complaint in result.stderr


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.test"])
def test_no_deprecated_allauth_settings_warn(module):
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": module})
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "account." not in result.stdout + result.stderr


def test_naming_an_s3_bucket_puts_recordings_in_the_s3_compatible_store():
    env = {
        **PRODUCTION_ENV,
        "RECORDINGS_S3_BUCKET": "dyad-recordings",
        "RECORDINGS_S3_ENDPOINT_URL": "https://s3.example.org",
        "RECORDINGS_S3_REGION": "eu-west-1",
        "RECORDINGS_S3_ACCESS_KEY_ID": "key-id",
        "RECORDINGS_S3_SECRET_ACCESS_KEY": "secret",
        "RECORDINGS_S3_PREFIX": "dyad",
        "RECORDINGS_S3_ACL": "",
    }
    code = (
        "from django.conf import settings; from django.core.files.storage import storages; "
        "r = settings.STORAGES['recordings']; s = storages['recordings']; "
        "print(r['BACKEND'], sorted(r['OPTIONS'].items()), s.default_acl, s.file_overwrite)"
    )
    result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "roleplay.s3.RecordingsS3Storage [('access_key', 'key-id'), ('bucket_name', "
        "'dyad-recordings'), ('default_acl', None), ('endpoint_url', 'https://s3.example.org'), "
        "('location', 'dyad'), ('region_name', 'eu-west-1'), ('secret_key', 'secret')] None False"
    )


def test_s3_objects_are_private_unless_the_bucket_refuses_acls():
    env = {**PRODUCTION_ENV, "RECORDINGS_S3_BUCKET": "dyad-recordings"}
    code = (
        "from django.core.files.storage import storages; print(storages['recordings'].default_acl)"
    )
    result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.stdout.strip() == "private", result.stderr


def test_without_a_bucket_recordings_stay_on_local_disk():
    code = "from django.conf import settings; print(settings.STORAGES['recordings']['BACKEND'])"
    result = manage("shell", "--no-imports", "-c", code, env=PRODUCTION_ENV)
    assert result.stdout.strip() == "django.core.files.storage.FileSystemStorage", result.stderr
