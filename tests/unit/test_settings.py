from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings, SettingsError


def test_settings_from_env_reads_procviz_variables() -> None:
    s = Settings.from_env(
        {"PROCVIZ_PORT": "9000", "PROCVIZ_SAMPLE_PERIOD": "0.1", "PROCVIZ_DATA_DIR": "/tmp/x"}
    )
    assert (s.port, s.sample_period, s.data_dir) == (9000, 0.1, Path("/tmp/x"))


@pytest.mark.parametrize(
    ("name", "value"), [("PORT", "eighty"), ("SAMPLE_PERIOD", "0"), ("MAX_RUNS", "1000")]
)
def test_settings_from_env_rejects_bad_values_naming_them(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"PROCVIZ_{name}"):
        Settings.from_env({f"PROCVIZ_{name}": value})


def test_token_required_beyond_loopback_and_generated() -> None:
    assert not Settings(host="127.0.0.1").token_required
    assert not Settings(host="::1").token_required
    wide = Settings(host="0.0.0.0").with_token()
    assert wide.token_required and wide.token and len(wide.token) >= 20
    assert Settings(host="127.0.0.1", token="t").token_required
    # On loopback lessons stay open, but a token exists: programs of one's own need it.
    local = Settings(host="127.0.0.1").with_token()
    assert not local.token_required and local.token and len(local.token) >= 20


def test_startup_lines_print_a_presenter_url_with_the_generated_token() -> None:
    from app.cli import startup_lines

    wide = Settings(host="0.0.0.0", port=8000).with_token()
    lines = startup_lines(wide)
    assert lines[0] == "procviz: dashboard on http://127.0.0.1:8000/"
    assert lines[1].endswith(f"http://127.0.0.1:8000/?token={wide.token}")
    assert startup_lines(Settings(host="127.0.0.1", port=8000)) == [
        "procviz: dashboard on http://127.0.0.1:8000/"
    ]


def test_redis_settings_from_env_and_the_password_never_shown() -> None:
    from app.cli import startup_lines
    from app.settings import shown_url

    s = Settings.from_env(
        {
            "PROCVIZ_REDIS_URL": "redis://:s3cret@redis:6379/0",
            "PROCVIZ_ROLE": "replica",
            "PROCVIZ_REDIS_MAXLEN": "5000",
            "PROCVIZ_REDIS_TTL": "60",
        }
    )
    assert (s.redis_url, s.replica, s.redis_maxlen, s.redis_ttl) == (
        "redis://:s3cret@redis:6379/0",
        True,
        5000,
        60.0,
    )
    assert s.token_required  # nothing is controlled on a replica: its page is a viewer's
    assert shown_url("redis://user:s3cret@redis:6379/0") == "redis://user:***@redis:6379/0"
    assert "s3cret" not in " ".join(startup_lines(s.with_token()))
    plain = Settings.from_env({})
    assert (plain.redis_url, plain.role) == (None, "presenter")
