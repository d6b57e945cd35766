"""deploy/one-server/jupyterhub_config.py loads with JupyterHub's own config loader, with and
without the admin service token (production runs without it), and defines the services and
roles the hub needs. Fast, no root: nothing is started."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "one-server" / "jupyterhub_config.py"
COURSE = "concurrency-1"


@pytest.fixture
def load_hub_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Load the config into a fresh ``JupyterHub`` application, as ``jupyterhub -f`` does."""
    from jupyterhub.app import JupyterHub

    roster = tmp_path / "roster.json"
    roster.write_text(json.dumps({"instructors": ["instr"], "graders": ["ta"], "students": ["s1", "s2"]}))
    monkeypatch.setattr(sys, "path", list(sys.path))  # the config puts deploy/one-server first
    for name in ("CLASS_HUB_ADMIN_TOKEN", "CLASS_HUB_SPAWNER", "CLASS_HUB_REQUIRE_CGROUPS", "CLASS_HUB_LIMITS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLASS_ROSTER", str(roster))
    monkeypatch.setenv("CLASS_HUB_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("CLASS_HUB_SPAWNER", "course")

    def load(**env: str) -> JupyterHub:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        JupyterHub.clear_instance()
        app = JupyterHub()
        app.load_config_file(str(CONFIG))
        return app

    yield load
    JupyterHub.clear_instance()


def roles_by_name(app) -> dict[str, dict]:
    return {role["name"]: role for role in app.load_roles}


def test_production_config_loads_without_the_admin_token(load_hub_config) -> None:
    app = load_hub_config()
    assert isinstance(app.services, list)
    assert [s["name"] for s in app.services] == ["idle-culler"]
    culler = app.services[0]
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"] and "--timeout=3600" in culler["command"]
    roles = roles_by_name(app)
    assert "course-admin" not in roles
    assert roles["idle-culler"]["services"] == ["idle-culler"]
    # TAs (the formgrade group) open the instructor's server, where the Formgrader runs
    assert roles[f"formgrade-{COURSE}"]["groups"] == [f"formgrade-{COURSE}"]
    assert roles[f"formgrade-{COURSE}"]["scopes"] == ["access:servers!user=instr"]
    assert app.load_groups[f"formgrade-{COURSE}"]["users"] == ["instr", "ta"]


def test_config_with_the_admin_token_adds_the_admin_service(load_hub_config) -> None:
    token = "a" * 64
    app = load_hub_config(CLASS_HUB_ADMIN_TOKEN=token)
    assert [s["name"] for s in app.services] == ["course-admin", "idle-culler"]
    assert app.services[0]["api_token"] == token
    roles = roles_by_name(app)
    assert roles["course-admin"]["services"] == ["course-admin"]
    assert "admin:servers" in roles["course-admin"]["scopes"]
    assert "idle-culler" in roles


def test_cgroup_limits_are_required_unless_rlimits_only_is_chosen(load_hub_config) -> None:
    assert load_hub_config().config.CourseSpawner.rlimits_only is False
    assert load_hub_config(CLASS_HUB_LIMITS="rlimits-only").config.CourseSpawner.rlimits_only is True
    with pytest.raises(ValueError, match="CLASS_HUB_LIMITS"):
        load_hub_config(CLASS_HUB_LIMITS="off")
