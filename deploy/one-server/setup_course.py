#!/usr/bin/env python3
"""Prepare one server for the course (run as root, once; safe to run again after roster changes).

    sudo .venv/bin/python deploy/one-server/setup_course.py --roster /srv/jupyterhub/roster.json \
        [--exchange /srv/nbgrader/exchange] [--create-users]

* ``--create-users``: a Unix account (``useradd -m``, home 0700) for each roster name that has none
  (they log in to JupyterHub with PAM: set passwords, or use another authenticator);
* the Unix group ``<course>-graders`` with every instructor and grader in it;
* the exchange (see ``course_exchange.py`` for the layout and why): ``<exchange>`` 1777,
  ``<exchange>/<course>/`` owned by the first instructor and the graders group,
  ``outbound`` 2755, ``inbound`` and ``feedback`` 3773;
* each instructor's course folder ``~/<course>/`` (``--course-dir-name``): nbgrader_config.py,
  source/ and release/ copied from this clone, owned by the instructor (an existing folder
  is left alone). Grading there: ``deploy/one-server/course_grade.py chNN``.
"""
from __future__ import annotations

import argparse
import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

CLASS_COURSE_ROOT = Path(__file__).resolve().parents[2]


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)


def ensure_user(name: str) -> None:
    try:
        pwd.getpwnam(name)
    except KeyError:
        run(["useradd", "--create-home", "--shell", "/bin/bash", name])
    home = Path(pwd.getpwnam(name).pw_dir)
    if home.is_dir():
        os.chmod(home, 0o700)  # students cannot read each other's work


def ensure_group(name: str, members: list[str]) -> int:
    try:
        grp.getgrnam(name)
    except KeyError:
        run(["groupadd", name])
    for member in members:
        if member not in grp.getgrnam(name).gr_mem:
            run(["gpasswd", "--add", member, name])
    return grp.getgrnam(name).gr_gid


def make_dir(path: Path, mode: int, uid: int = 0, gid: int = 0) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, uid, gid)
    os.chmod(path, mode)  # after chown, which clears the setgid bit


def setup_exchange(exchange: Path, course_id: str, owner: str, gid: int) -> Path:
    make_dir(exchange, 0o1777)
    uid = pwd.getpwnam(owner).pw_uid
    course = exchange / course_id
    make_dir(course, 0o755, uid, gid)
    make_dir(course / "outbound", 0o2755, uid, gid)
    make_dir(course / "inbound", 0o3773, uid, gid)
    make_dir(course / "feedback", 0o3773, uid, gid)
    return course


def setup_course_folder(instructor: str, name: str, gid: int) -> Path:
    user = pwd.getpwnam(instructor)
    folder = Path(user.pw_dir) / name
    if folder.exists():
        return folder
    folder.mkdir()
    shutil.copy2(CLASS_COURSE_ROOT / "nbgrader_config.py", folder / "nbgrader_config.py")
    ignore = shutil.ignore_patterns(".programs", "__pycache__", ".ipynb_checkpoints")
    for part in ("source", "release"):
        shutil.copytree(CLASS_COURSE_ROOT / part, folder / part, ignore=ignore)
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, user.pw_uid, gid, follow_symlinks=False)
    os.chmod(folder, 0o750)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--roster", required=True,
                        help='JSON {"instructors": [...], "graders": [...], "students": [...]}')
    parser.add_argument("--exchange", default=os.environ.get("CLASS_EXCHANGE_ROOT", "/srv/nbgrader/exchange"))
    parser.add_argument("--course-id", default=os.environ.get("CLASS_COURSE_ID", "concurrency-1"))
    parser.add_argument("--course-dir-name", default=None, help="instructors' course folder (default: the course id)")
    parser.add_argument("--graders-group", default=None, help="Unix group of graders (default: <course>-graders)")
    parser.add_argument("--create-users", action="store_true")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("setup_course.py must run as root", file=sys.stderr)
        return 1
    roster = json.loads(Path(args.roster).read_text(encoding="utf-8"))
    instructors = list(roster.get("instructors", []))
    if not instructors:
        print("the roster names no instructor", file=sys.stderr)
        return 1
    graders = sorted(set(instructors) | set(roster.get("graders", [])))
    everyone = graders + sorted(set(roster.get("students", [])) - set(graders))
    if args.create_users:
        for name in everyone:
            ensure_user(name)
    missing = [n for n in everyone if not _has_account(n)]
    if missing:
        print(f"no Unix account for: {', '.join(missing)} (use --create-users)", file=sys.stderr)
        return 1
    gid = ensure_group(args.graders_group or f"{args.course_id}-graders", graders)
    course = setup_exchange(Path(args.exchange), args.course_id, instructors[0], gid)
    print(f"exchange: {course}")
    for instructor in instructors:
        print(f"course folder: {setup_course_folder(instructor, args.course_dir_name or args.course_id, gid)}")
    return 0


def _has_account(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


if __name__ == "__main__":
    sys.exit(main())
