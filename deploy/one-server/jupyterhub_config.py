"""JupyterHub for the course on one server (up to about 100 students). See docs/hosting.md.

Run as root from the course clone (its ``.venv`` made by ``python3 course.py test --co -q``)::

    sudo .venv/bin/python deploy/one-server/setup_course.py --roster /srv/jupyterhub/roster.json
    sudo .venv/bin/jupyterhub -f deploy/one-server/jupyterhub_config.py

* users log in with their Unix account (PAM); each user's server runs as that account, so
  students cannot read each other's files (homes are 0700);
* the roster (``CLASS_ROSTER``, JSON ``{"instructors": [...], "graders": [...], "students": [...]}``)
  says who may log in and fills the JupyterHub groups ``formgrade-<course>`` (instructors and
  graders: nbgrader's Formgrader) and ``nbgrader-<course>`` (students);
* every server runs ``jupyterhub-singleuser`` from the course environment (its kernel loads
  ``helpers``; nbgrader's extensions are on, Formgrader only for graders), with the exchange
  in ``CLASS_EXCHANGE_ROOT`` (private submissions and feedback: ``course_exchange.py``);
* per-user limits: ``CourseSpawner`` (cgroup v2 or v1 + rlimits, no systemd needed; a server
  without memory/pids cgroups is refused unless ``CLASS_HUB_LIMITS=rlimits-only``) or
  ``SystemdSpawner`` on a systemd host;
* an idle culler stops servers idle for an hour (``jupyterhub-idle-culler``).

Every setting that a test or another host needs to change is read from an environment
variable below (``CLASS_HUB_*``); the defaults are the production values.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

HERE = Path(__file__).resolve().parent
CLASS_COURSE_ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


CLASS_COURSE_ID = env("CLASS_COURSE_ID", "concurrency-1")
VENV = Path(env("CLASS_HUB_VENV", str(CLASS_COURSE_ROOT / ".venv")))
STATE = Path(env("CLASS_HUB_STATE_DIR", "/srv/jupyterhub"))
EXCHANGE = env("CLASS_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
ROSTER = Path(env("CLASS_ROSTER", str(STATE / "roster.json")))

# ---------------------------------------------------------------------------- network and state
c.JupyterHub.bind_url = env("CLASS_HUB_URL", "http://:8000")
c.JupyterHub.hub_bind_url = env("CLASS_HUB_INTERNAL_URL", "http://127.0.0.1:8081")
c.ConfigurableHTTPProxy.api_url = env("CLASS_HUB_PROXY_API_URL", "http://127.0.0.1:8001")
c.ConfigurableHTTPProxy.command = [env("CLASS_HUB_PROXY", "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = "sqlite:///" + str(STATE / "jupyterhub.sqlite")
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
# Put TLS in front (a reverse proxy, or c.JupyterHub.ssl_cert / ssl_key) for a real class.

# ---------------------------------------------------------------------------- who
roster = json.loads(ROSTER.read_text(encoding="utf-8")) if ROSTER.is_file() else {}
instructors = sorted(roster.get("instructors", []))
graders = sorted(set(instructors) | set(roster.get("graders", [])))
students = sorted(roster.get("students", []))
c.Authenticator.allowed_users = set(graders) | set(students)
c.Authenticator.admin_users = set(instructors)
c.JupyterHub.load_groups = {
    f"formgrade-{CLASS_COURSE_ID}": {"users": graders},
    f"nbgrader-{CLASS_COURSE_ID}": {"users": students},
}
# Graders reach the Formgrader of the course's instructor server (nbgrader's JupyterHub guide).
c.JupyterHub.load_roles = [
    {"name": f"formgrade-{CLASS_COURSE_ID}", "groups": [f"formgrade-{CLASS_COURSE_ID}"],
     "scopes": [f"access:servers!user={name}" for name in instructors] or ["self"]},
]
# Services are collected in one list and assigned once (below): reading c.JupyterHub.services
# before it is set gives traitlets' LazyConfigValue, not a list.
services: list[dict] = []
admin_token = os.environ.get("CLASS_HUB_ADMIN_TOKEN")
if admin_token:  # a service with the admin role: scripts and the end-to-end test use its token
    services.append({"name": "course-admin", "api_token": admin_token})
    c.JupyterHub.load_roles.append({"name": "course-admin", "services": ["course-admin"],
                                    "scopes": ["admin:users", "admin:servers", "tokens", "admin:groups",
                                               "access:servers", "list:users", "read:users", "list:services",
                                               "read:services"]})

# ---------------------------------------------------------------------------- idle culler
IDLE_TIMEOUT = int(env("CLASS_HUB_IDLE_TIMEOUT", "3600"))
services.append({
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={IDLE_TIMEOUT}",
                "--cull-every=300" if IDLE_TIMEOUT >= 600 else "--cull-every=30"],
})
c.JupyterHub.services = services
c.JupyterHub.load_roles.append({"name": "idle-culler", "services": ["idle-culler"],
                                "scopes": ["list:users", "read:users:activity", "read:servers",
                                           "delete:servers"]})

# ---------------------------------------------------------------------------- each user's server
SPAWNER = env("CLASS_HUB_SPAWNER", "auto")
if SPAWNER == "auto":
    try:
        import systemdspawner  # noqa: F401
        SPAWNER = "systemd" if os.path.isdir("/run/systemd/system") else "course"
    except ImportError:
        SPAWNER = "course"

c.Spawner.cmd = [str(VENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.http_timeout = 60
c.Spawner.start_timeout = 120
c.Spawner.environment = {
    "PATH": f"{VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "VIRTUAL_ENV": str(VENV),
    "JUPYTER_CONFIG_PATH": str(HERE / "jupyter"),
    "CLASS_COURSE_ID": CLASS_COURSE_ID,
    "CLASS_EXCHANGE_ROOT": EXCHANGE,
    "CLASS_COURSE_ROOT": str(CLASS_COURSE_ROOT),
    "CLASS_PYTHON": str(VENV / "bin" / "python"),
    # Formgrader and the Create Assignment panel only for graders (jupyter/jupyter_server_config.py)
    "CLASS_ROLE": lambda spawner: "grader" if spawner.user.name in graders else "student",
}

STUDENT_LIMITS = {"mem": env("CLASS_STUDENT_MEM", "2G"), "cpu": float(env("CLASS_STUDENT_CPU", "1.0")),
                  "tasks": int(env("CLASS_STUDENT_TASKS", "256"))}
GRADER_LIMITS = {"mem": env("CLASS_GRADER_MEM", "6G"), "cpu": float(env("CLASS_GRADER_CPU", "2.0")),
                 "tasks": int(env("CLASS_GRADER_TASKS", "2048"))}


def apply_limits(spawner) -> None:
    """Graders grade whole classes in their server: they get more than students."""
    limits = GRADER_LIMITS if spawner.user.name in graders else STUDENT_LIMITS
    spawner.mem_limit = limits["mem"]
    spawner.cpu_limit = limits["cpu"]
    if SPAWNER == "systemd":
        spawner.unit_extra_properties = {"TasksMax": str(limits["tasks"])}
    else:
        spawner.tasks_limit = limits["tasks"]


c.Spawner.pre_spawn_hook = apply_limits

if SPAWNER == "systemd":
    c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"
    c.SystemdSpawner.isolate_tmp = True
    c.SystemdSpawner.isolate_devices = True
    c.SystemdSpawner.disable_user_sudo = True
    c.SystemdSpawner.unit_name_template = "jupyter-{USERNAME}-singleuser"
else:
    from course_spawner import CourseSpawner

    c.JupyterHub.spawner_class = CourseSpawner
    # Without a memory and a pids cgroup (v2 or v1) a server is refused, unless the instructor
    # chooses rlimits only (no per-user memory limit): CLASS_HUB_LIMITS=rlimits-only.
    LIMITS = env("CLASS_HUB_LIMITS", "cgroups")
    if LIMITS not in ("cgroups", "rlimits-only"):
        raise ValueError(f"CLASS_HUB_LIMITS={LIMITS!r}: use cgroups (the default) or rlimits-only")
    c.CourseSpawner.rlimits_only = LIMITS == "rlimits-only"
    c.CourseSpawner.cgroup_root = env("CLASS_HUB_CGROUP_ROOT", "/sys/fs/cgroup")
    c.CourseSpawner.cgroup_parent = env("CLASS_HUB_CGROUP_PARENT", "jupyterhub-course")
