"""`manage.py check --deploy` is clean for the CMS host and a search node with deploy/env.example's environment."""

import subprocess
import sys

import pytest

from .conftest import ENV_EXAMPLE, REPO_ROOT, read_env_file


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("settings_module", ["cms.settings.production", "cms.settings.search"])
def test_check_deploy_finds_nothing(production_env, tmp_path, settings_module):
    result = manage(production_env(tmp_path, DJANGO_SETTINGS_MODULE=settings_module), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_example_file_is_production_and_its_placeholder_key_is_refused(production_env, tmp_path):
    example = read_env_file(ENV_EXAMPLE)
    assert example["DJANGO_SETTINGS_MODULE"] == "cms.settings.production"
    result = manage(production_env(tmp_path, DJANGO_SECRET_KEY=example["DJANGO_SECRET_KEY"]), "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is still deploy/env.example's placeholder" in result.stderr


def test_switching_off_https_for_a_loopback_test_is_what_check_deploy_reports(production_env, tmp_path):
    """The test can fail: the same check does see a weakened setting."""
    env = production_env(tmp_path, DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_SECURE_COOKIES="0")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout and "security.W012" in result.stderr + result.stdout
