"""Jupyter server settings of every user's server on the course hub.

Students get nbgrader's Assignments tab (fetch, submit, fetch feedback) and Validate; graders
(``CLASS_ROLE=grader``, set by jupyterhub_config.py) also the Formgrader and Create Assignment.
"""
import os

c = get_config()  # noqa: F821 - provided by traitlets

grader = os.environ.get("CLASS_ROLE") == "grader"
c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.assignment_list": True,
    "nbgrader.server_extensions.validate_assignment": True,
    "nbgrader.server_extensions.course_list": grader,
    "nbgrader.server_extensions.formgrader": grader,
}
# Kernels nobody uses are stopped after an hour (the hub's idle culler stops whole servers).
c.MappingKernelManager.cull_idle_timeout = 3600
c.MappingKernelManager.cull_interval = 300
c.TerminalManager.cull_inactive_timeout = 3600
# Terminals keep the server's PATH (the course environment first): a login shell would reset it.
c.ServerApp.terminado_settings = {"shell_command": ["/bin/bash"]}
