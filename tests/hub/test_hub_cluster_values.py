"""The cluster files in deploy/cluster/ parse, use only known chart keys, and agree with the
one-server setup and the measured sizes in docs/hosting.md.

``helm template`` cannot run here (neither helm nor the charts come from a registry this project
can reach), so the keys are checked against the Zero to JupyterHub 4.x and ngshare 0.6 keys
listed below (from their configuration references); a typo or a key from another chart version
fails. The Python inside the values (hub.extraConfig) is executed with a stand-in config and
spawner.
"""
from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ROOT / "deploy" / "cluster"
ONE_SERVER = ROOT / "deploy" / "one-server" / "jupyterhub_config.py"
HOSTING = ROOT / "docs" / "hosting.md"

# Keys of the Zero to JupyterHub 4.x chart this course sets. A trailing ".*" marks a free-form
# mapping (hub.config is traitlets configuration, extraEnv any variables, ...).
Z2JH_KEYS = {
    "hub.config.*", "hub.services.*", "hub.loadRoles.*", "hub.extraConfig.*",
    "hub.resources.requests.cpu", "hub.resources.requests.memory", "hub.resources.limits.memory",
    "hub.db.type", "hub.db.pvc.storage",
    "proxy.secretToken", "proxy.https.enabled", "proxy.https.hosts", "proxy.https.letsencrypt.contactEmail",
    "singleuser.image.name", "singleuser.image.tag", "singleuser.cmd", "singleuser.defaultUrl",
    "singleuser.memory.guarantee", "singleuser.memory.limit", "singleuser.cpu.guarantee", "singleuser.cpu.limit",
    "singleuser.storage.type", "singleuser.storage.capacity", "singleuser.storage.homeMountPath",
    "singleuser.extraEnv.*", "singleuser.uid", "singleuser.fsGid",
    "singleuser.networkPolicy.enabled", "singleuser.networkPolicy.egressAllowRules.privateIPs",
    "singleuser.networkPolicy.egressAllowRules.nonPrivateIPs",
    "singleuser.networkPolicy.egressAllowRules.dnsPortsPrivateIPs", "singleuser.networkPolicy.egress",
    "hub.networkPolicy.ingress",
    "cull.enabled", "cull.timeout", "cull.every", "cull.users", "cull.removeNamedServers", "cull.maxAge",
    "scheduling.userScheduler.enabled", "scheduling.podPriority.enabled", "scheduling.userPlaceholder.enabled",
    "scheduling.userPlaceholder.replicas", "scheduling.userPods.nodeAffinity.matchNodePurpose",
    "prePuller.hook.enabled", "prePuller.continuous.enabled",
}
NGSHARE_KEYS = {
    "ngshare.hub_api_token", "ngshare.hub_api_url", "ngshare.admins",
    "deployment.resources.requests.cpu", "deployment.resources.requests.memory",
    "deployment.resources.limits.memory", "pvc.storage",
}
# What the ngshare chart (LibreTexts/ngshare helmchart/ngshare, 0.6) makes: a Service named
# after the release (when the release name contains "ngshare"), port deployment.port (8080),
# targetPort 8080, selecting the Deployment's pods by these labels.
NGSHARE_CONTAINER_PORT = 8080
NGSHARE_DEFAULT_SERVICE_PORT = 8080


def ngshare_pod_labels(release: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "ngshare", "app.kubernetes.io/instance": release}


DOCKERFILE_INSTRUCTIONS = {"FROM", "RUN", "COPY", "ADD", "USER", "ENV", "ARG", "WORKDIR", "LABEL", "EXPOSE",
                           "ENTRYPOINT", "CMD", "SHELL", "VOLUME", "HEALTHCHECK", "STOPSIGNAL", "ONBUILD"}


def load(name: str) -> dict:
    return yaml.safe_load((CLUSTER / name).read_text(encoding="utf-8"))


def leaf_paths(tree: object, prefix: str = "") -> list[str]:
    if isinstance(tree, dict) and tree:
        return [p for key, value in tree.items() for p in leaf_paths(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def unknown_keys(values: dict, known: set[str]) -> list[str]:
    free_form = [k[:-1] for k in known if k.endswith(".*")]
    return [path for path in leaf_paths(values)
            if path not in known and not any(path.startswith(prefix) for prefix in free_form)]


def bytes_of(spec: str) -> int:
    number, unit = re.fullmatch(r"([\d.]+)\s*([KMGT]i?)?", str(spec)).groups()
    scale = {None: 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
             "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}[unit]
    return int(float(number) * scale)


def strings(tree: object) -> list[str]:
    if isinstance(tree, dict):
        return [s for v in tree.values() for s in strings(v)]
    if isinstance(tree, list):
        return [s for v in tree for s in strings(v)]
    return [tree] if isinstance(tree, str) else []


@pytest.mark.parametrize("name, known", [("z2jh-values.yaml", Z2JH_KEYS), ("ngshare-values.yaml", NGSHARE_KEYS)])
def test_values_parse_and_use_known_keys(name: str, known: set[str]) -> None:
    values = load(name)
    assert isinstance(values, dict) and values
    assert unknown_keys(values, known) == []
    # placeholders are marked one way only, so an instructor finds every one with grep CHANGE-ME
    for text in strings(values):
        assert not re.search(r"\b(TODO|FIXME|XXX|changeme)\b", text), text


def test_unknown_keys_are_found() -> None:
    assert unknown_keys({"singleuser": {"memory": {"limt": "2G"}}}, Z2JH_KEYS) == ["singleuser.memory.limt"]
    assert unknown_keys({"hub": {"config": {"Anything": {"goes": 1}}}}, Z2JH_KEYS) == []


def test_extra_config_gives_graders_larger_pods() -> None:
    config = load("z2jh-values.yaml")["hub"]["extraConfig"]
    c = Config()
    for name in sorted(config):
        exec(compile(config[name], f"hub.extraConfig.{name}", "exec"), {"c": c, "get_config": lambda: c})
    groups = c.JupyterHub.load_groups
    assert set(groups) == {"formgrade-concurrency-1", "nbgrader-concurrency-1"}
    hook = c.KubeSpawner.pre_spawn_hook

    def spawner(*group_names: str) -> SimpleNamespace:
        user = SimpleNamespace(groups=[SimpleNamespace(name=g) for g in group_names])
        return SimpleNamespace(user=user, environment={"CLASS_ROLE": "student"}, mem_limit="2G", cpu_limit=1.0,
                               mem_guarantee="512M", cpu_guarantee=0.1)

    grader, student = spawner("formgrade-concurrency-1"), spawner("nbgrader-concurrency-1")
    hook(grader)
    hook(student)
    assert (grader.mem_limit, grader.cpu_limit, grader.environment["CLASS_ROLE"]) == ("6G", 4.0, "grader")
    assert (student.mem_limit, student.cpu_limit, student.environment["CLASS_ROLE"]) == ("2G", 1.0, "student")


def test_cluster_agrees_with_one_server_and_measurements() -> None:
    hub_values, ngshare_values = load("z2jh-values.yaml"), load("ngshare-values.yaml")
    one_server = ONE_SERVER.read_text(encoding="utf-8")
    # the same student memory limit and idle timeout as on one server
    student_mem = re.search(r'"CLASS_STUDENT_MEM", "(\w+)"', one_server).group(1)
    assert bytes_of(hub_values["singleuser"]["memory"]["limit"]) == bytes_of(student_mem)
    idle = re.search(r'"CLASS_HUB_IDLE_TIMEOUT", "(\d+)"', one_server).group(1)
    assert hub_values["cull"]["timeout"] == int(idle)
    # the guarantee covers the measured peak of a student's server (docs/hosting.md)
    peak_mib = int(re.search(r"measured peak of a student's server: \*\*(\d+) MiB\*\*", HOSTING.read_text()).group(1))
    assert bytes_of(hub_values["singleuser"]["memory"]["guarantee"]) >= peak_mib * 2**20
    # hub and ngshare share one token, and the hub finds the ngshare service
    assert hub_values["hub"]["services"]["ngshare"]["api_token"] == ngshare_values["ngshare"]["hub_api_token"]
    assert hub_values["hub"]["services"]["ngshare"]["url"].startswith("http://ngshare.")
    ngshare_url = hub_values["hub"]["services"]["ngshare"]["url"]
    assert hub_values["singleuser"]["extraEnv"]["NGSHARE_URL"].startswith(ngshare_url)


def test_dockerfile_and_pod_config() -> None:
    lines = (CLUSTER / "Dockerfile").read_text(encoding="utf-8").splitlines()
    continued = False
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not continued:
            assert line.split()[0] in DOCKERFILE_INSTRUCTIONS, line
            if line.split()[0] == "COPY":
                sources = [a for a in line.split()[1:-1] if not a.startswith("--")]
                for source in sources:
                    assert (ROOT / source).exists(), f"COPY source {source} is not in the repository"
        continued = line.rstrip().endswith("\\")
    assert lines[0].startswith("#") and any(line.startswith("FROM ") for line in lines)
    compile((CLUSTER / "nbgrader_config.py").read_text(encoding="utf-8"), "nbgrader_config.py", "exec")


def helm_release(values_file: str, chart: str) -> tuple[str, str]:
    """(release, namespace) of the ``helm upgrade --install`` line for ``chart`` in the header of
    ``values_file`` (the command the instructor copies)."""
    text = (CLUSTER / values_file).read_text(encoding="utf-8")
    match = re.search(rf"helm upgrade --install (\S+) {re.escape(chart)} -n (\S+)", text)
    assert match, f"no helm install line for {chart} in {values_file}"
    return match.group(1), match.group(2)


def selector_matches(selector: dict, labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels / matchExpressions In, Exists) against labels."""
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def rule_allows(rule: dict, policy_namespace: str, pod_namespace: str, pod_labels: dict[str, str],
                port: int, peers_key: str) -> bool:
    """Whether one NetworkPolicy egress (peers_key "to") or ingress ("from") rule admits a TCP
    connection with a pod of ``pod_labels`` in ``pod_namespace`` on ``port``."""
    ports = rule.get("ports")
    if ports and not any(p.get("protocol", "TCP") == "TCP" and
                         (p.get("port") is None or p.get("port") == port or
                          (p.get("endPort") and p["port"] <= port <= p["endPort"])) for p in ports):
        return False
    peers = rule.get(peers_key)
    if not peers:  # no peers: any pod
        return True
    for peer in peers:
        if "ipBlock" in peer:
            continue  # pod IPs are not known here; a pod selector is what the values use
        namespace_ok = (selector_matches(peer["namespaceSelector"], {"kubernetes.io/metadata.name": pod_namespace})
                        if "namespaceSelector" in peer else pod_namespace == policy_namespace)
        pods_ok = selector_matches(peer.get("podSelector", {}), pod_labels)
        if namespace_ok and pods_ok:
            return True
    return False


def test_rule_evaluation() -> None:
    rule = {"to": [{"podSelector": {"matchLabels": {"app": "x"}}}], "ports": [{"protocol": "TCP", "port": 80}]}
    assert rule_allows(rule, "ns", "ns", {"app": "x", "other": "y"}, 80, "to")
    assert not rule_allows(rule, "ns", "ns", {"app": "x"}, 8080, "to")
    assert not rule_allows(rule, "ns", "ns", {"app": "z"}, 80, "to")
    assert not rule_allows(rule, "ns", "elsewhere", {"app": "x"}, 80, "to")


def test_student_pods_may_reach_ngshare() -> None:
    """NGSHARE_URL goes straight to the ngshare service; with the student pods' NetworkPolicy
    (no private or public IPs), an explicit egress rule must admit the ngshare pods behind it."""
    from urllib.parse import urlsplit

    hub_values, ngshare_values = load("z2jh-values.yaml"), load("ngshare-values.yaml")
    _, hub_namespace = helm_release("z2jh-values.yaml", "jupyterhub/jupyterhub")
    ngshare_release, ngshare_namespace = helm_release("ngshare-values.yaml", "ngshare/ngshare")
    policy = hub_values["singleuser"]["networkPolicy"]
    assert policy["enabled"] is True
    assert policy["egressAllowRules"]["privateIPs"] is False  # so the explicit rule is what lets it through

    url = urlsplit(hub_values["singleuser"]["extraEnv"]["NGSHARE_URL"])
    service, namespace = url.hostname.split(".")[:2]
    # the URL names the Service the chart makes, in the namespace it is installed in, on its port
    assert service == (ngshare_release if "ngshare" in ngshare_release else f"{ngshare_release}-ngshare")
    assert namespace == ngshare_namespace
    service_port = ngshare_values.get("deployment", {}).get("port", NGSHARE_DEFAULT_SERVICE_PORT)
    assert (url.port or 80) == service_port
    # a NetworkPolicy sees the connection after the Service: the pod's labels and containerPort
    labels = ngshare_pod_labels(ngshare_release)
    assert any(rule_allows(rule, hub_namespace, ngshare_namespace, labels, NGSHARE_CONTAINER_PORT, "to")
               for rule in policy["egress"]), policy["egress"]
    # ...and nothing else is opened: the rule selects ngshare's pods, not every pod
    assert not any(rule_allows(rule, hub_namespace, hub_namespace, {"component": "singleuser-server"},
                               8888, "to") for rule in policy["egress"])
    # ngshare checks tokens with the hub API: the hub pod's policy admits the ngshare pods
    hub_api = urlsplit(ngshare_values["ngshare"]["hub_api_url"])
    assert hub_api.hostname.split(".")[:2] == ["hub", hub_namespace]  # the chart's Service "hub"
    assert any(rule_allows(rule, hub_namespace, ngshare_namespace, labels, hub_api.port, "from")
               for rule in hub_values["hub"]["networkPolicy"]["ingress"])


def test_tas_open_the_instructors_formgrader() -> None:
    """As on the one server: the formgrade-<course> group has access:servers!user=<instructor>
    for every instructor (nbgrader's JupyterHub guide: TAs use the instructor's Formgrader)."""
    hub_values = load("z2jh-values.yaml")
    c = Config()
    for name in sorted(hub_values["hub"]["extraConfig"]):
        exec(compile(hub_values["hub"]["extraConfig"][name], name, "exec"), {"c": c, "get_config": lambda: c})
    graders_group = next(g for g in c.JupyterHub.load_groups if g.startswith("formgrade-"))
    roles = hub_values["hub"]["loadRoles"]
    role = roles[graders_group]
    assert role["groups"] == [graders_group]
    instructors = hub_values["hub"]["config"]["Authenticator"]["admin_users"]
    assert sorted(role["scopes"]) == sorted(f"access:servers!user={name}" for name in instructors)
    assert not role.get("users") and not role.get("services")
    # the one-server setup gives the same group the same scope
    one_server = ONE_SERVER.read_text(encoding="utf-8")
    assert '"scopes": [f"access:servers!user={name}" for name in instructors]' in one_server
