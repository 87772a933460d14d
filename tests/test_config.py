"""Options: one place knows them all; precedence, validation, `config init`, the README table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

from gt_mcp_tmux.cli.config_init import commented_config, options_markdown
from gt_mcp_tmux.config import (
    FIELDS,
    ConfigError,
    Settings,
    config_path,
    load_settings,
    read_config_file,
)
from tests.harness import PROJECT, TmuxServer

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")


def write_toml(text: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_precedence_defaults_file_env_tmux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGENT_MAIL_URL")
    assert load_settings()[0] == Settings()
    write_toml('status_interval = 40\nicon_mail = "M"\nstale_after = 50\n')
    monkeypatch.setenv("GT_MCP_STATUS_INTERVAL", "45")
    monkeypatch.setenv("GT_MCP_ICON_MAIL", "E")
    settings = load_settings(tmux_values={"icon_mail": "T"})[0]
    assert (settings.status_interval, settings.icon_mail, settings.stale_after) == (45, "T", 50)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("status_interval = 5", "status_interval: expected 10 to 3600, got 5"),
        ('status_interval = "soon"', "status_interval: expected a whole number, got 'soon'"),
        ('jump_mode = "tab"', "jump_mode: expected one of popup, window, got 'tab'"),
        ("agent_mail = 3", "agent_mail: expected on/off"),
        ("colour_ok = 'red'", "unknown option 'colour_ok'"),
        ("status_interval = ", "config.toml"),
        ("mail_interval = nan", "mail_interval: expected a number, got nan"),
        ("mail_interval = inf", "mail_interval: expected a number, got inf"),
        ("stale_after = 1e999", "stale_after: expected a whole number, got inf"),
        ("stale_after = 30.5", "stale_after: expected a whole number, got 30.5"),
        ("stale_after = true", "stale_after: expected a whole number, got True"),
        ('color_ok = "#[fg=red]"', "color_ok: expected a tmux colour"),
        ('popup_size = "500%"', "popup_size: expected a size from 20% to 100%"),
        ("town_root = 5", "town_root: expected text, got 5"),
    ],
)
def test_bad_values_are_one_line_naming_the_option(toml: str, message: str) -> None:
    write_toml(toml + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value) and "\n" not in str(caught.value)
    done = subprocess.run([GT_MCP, "alerts"], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("gt-mcp: ") and done.stderr.count("\n") == 1
    # the diagnostic still runs, and names the problem
    found = subprocess.run([GT_MCP, "detect"], capture_output=True, text=True, check=False)
    assert found.returncode == 0 and "fix your config" in found.stdout


def test_nan_from_the_environment_or_tmux_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GT_MCP_MAIL_INTERVAL", "nan")
    settings, errors = load_settings(tmux_values={"files_interval": "inf"}, strict=False)
    assert (settings.mail_interval, settings.files_interval) == (5.0, 1.0)
    assert len(errors) == 2


def test_non_strict_loading_keeps_defaults_and_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GT_MCP_FILES_INTERVAL", "0")
    settings, errors = load_settings(strict=False)
    assert settings.files_interval == Settings().files_interval
    assert errors == ["GT_MCP_FILES_INTERVAL: files_interval: expected 0.5 to 10, got '0'"]


def test_tmux_options_are_read_in_one_call(
    tmux: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gt_mcp_tmux.config import read_tmux_options

    tmux.run("set", "-g", "@gtmcp-stale-after", "90")
    tmux.run("set", "-g", "@gtmcp-icon-gastown", "GT #(x); $HOME")
    values = read_tmux_options(["-L", tmux.socket])
    assert values == {"stale_after": "90", "icon_gastown": "GT #(x); $HOME"}


def test_config_init_writes_every_option_commented(tmp_path: Path) -> None:
    done = subprocess.run([GT_MCP, "config", "init"], capture_output=True, text=True, check=True)
    path = config_path()
    assert str(path) in done.stdout
    text = path.read_text()
    assert all(f"# {name} = " in text for name in FIELDS)
    settings_lines = [line[2:] for line in text.splitlines() if line.split(" = ")[0][2:] in FIELDS]
    # uncommented, the file sets every option to its default
    assert Settings(**tomllib.loads("\n".join(settings_lines))) == Settings()
    again = subprocess.run([GT_MCP, "config", "init"], capture_output=True, text=True, check=False)
    assert again.returncode == 2 and "--force" in again.stderr
    subprocess.run([GT_MCP, "config", "init", "--force"], capture_output=True, check=True)
    assert path.with_suffix(".toml.bak").read_text() == text
    assert commented_config() == path.read_text()


def test_readme_options_table_is_in_step() -> None:
    readme = (PROJECT / "README.md").read_text()
    table = (
        readme.split("<!-- options:start", 1)[1].split("-->", 1)[1].split("<!-- options:end -->")[0]
    )
    assert table.strip() == options_markdown().strip()


def test_a_fifo_in_place_of_the_config_file_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    os.mkfifo(path)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_config_file(path)


def test_a_file_with_a_syntax_error_keeps_the_last_good_values_and_names_the_line(
    tmp_path: Path,
) -> None:
    """The collector re-reads the file while the user edits it: a half-typed line costs nothing."""
    conf = tmp_path / "gt-mcp" / "config.toml"
    conf.parent.mkdir()
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    conf.write_text('status_interval = 45\nicon_gastown = "GT"\n')
    settings, errors = load_settings(environ=env, strict=False)
    assert (settings.status_interval, settings.icon_gastown, errors) == (45, "GT", [])
    conf.write_text('status_interval = 45\nicon_gastown = "GT\nmail_interval = 9\n')
    settings, errors = load_settings(environ=env, strict=False)
    assert (settings.status_interval, settings.icon_gastown) == (45, "GT")  # kept
    (error,) = errors
    assert "line 2" in error and "the values it last gave are kept" in error


def test_one_bad_option_leaves_the_others_in_force(tmp_path: Path) -> None:
    conf = tmp_path / "gt-mcp" / "config.toml"
    conf.parent.mkdir()
    conf.write_text('status_interval = "soon"\nicon_gastown = "GT"\nno_such = 1\n')
    settings, errors = load_settings(environ={"XDG_CONFIG_HOME": str(tmp_path)}, strict=False)
    assert settings.icon_gastown == "GT" and settings.status_interval == 30
    assert len(errors) == 2 and any("status_interval" in e for e in errors)
    assert any("unknown option 'no_such'" in e for e in errors)


def test_a_bad_value_keeps_the_one_in_force_not_the_default() -> None:
    """The collector re-reads its options every 10 s: a typo in one keeps its value in force."""
    from gt_mcp_tmux.collector.loop import keep_good_values

    good, errors = load_settings(tmux_values={"collector_cpu": "0"}, strict=False)
    assert good.collector_cpu == 0 and not errors
    typo = {"collector_cpu": "lots", "full_status_interval": "x", "status_interval": "45"}
    bad, errors = load_settings(tmux_values=typo, strict=False)
    assert len(errors) == 2 and bad.collector_cpu == 1.0  # the layer below: the default
    kept = keep_good_values(bad, good, errors)
    assert kept.collector_cpu == 0  # the last good value
    assert kept.full_status_interval == good.full_status_interval
    assert kept.status_interval == 45  # a good value next to them is taken
