"""Checks of deploy/ that need no linter from outside: every file parses, the Kubernetes manifests
have what the operations rely on, the Dockerfile follows the rules a linter would check, and
the documented configuration matches the server's own `cocreate serve --help`.

    python3 deploy/lint/check.py HELP_FILE     (HELP_FILE: the output of `cocreate serve --help`)

Prints one line per check; exits 1 with every failure listed.
"""
import json
import re
import sys
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent.parent
K8S = DEPLOY / "kubernetes"
# Variables the deploy scripts read that are not server settings.
SCRIPT_VARIABLES = {"COCREATE_BIN"}
# The server's shutdown grace (server/src/lib.rs SHUTDOWN_GRACE): pods must get longer.
SHUTDOWN_GRACE_S = 20

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)
    return ok


def load_yaml(path):
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as e:
        check(False, f"{path.relative_to(DEPLOY)} parses as YAML: {e}")
        return []


def server_settings(help_text):
    """(flag, env or None, default or None) for every option of `cocreate serve --help`."""
    settings = []
    for block in re.split(r"\n(?=\s+(?:-\w, )?--)", help_text):
        m = re.match(r"\s+(?:-\w, )?--([a-z0-9-]+)", block)
        if not m or m.group(1) in ("help", "version"):
            continue
        env = re.search(r"\[env: ([A-Z0-9_]+)", block)
        default = re.search(r"\[default: ([^\]]+)\]", block)
        settings.append((f"--{m.group(1)}", env and env.group(1), default and default.group(1)))
    return settings


def configuration_is_documented(settings, readme):
    rows = [line for line in readme.splitlines() if line.startswith("|")]
    for flag, env, default in settings:
        row = next((r for r in rows if f"`{flag}`" in r), None)
        if not check(row is not None, f"deploy/README.md documents {flag} in a table row"):
            continue
        if env:
            check(f"`{env}`" in row, f"deploy/README.md: the row of {flag} names {env}")
        if default:
            check(f"`{default}`" in row, f"deploy/README.md: the row of {flag} gives its default `{default}`")
    known = {env for _, env, _ in settings if env} | SCRIPT_VARIABLES
    for name in sorted(set(re.findall(r"\bCOCREATE_[A-Z0-9_]+", readme)) - known):
        check(False, f"deploy/README.md names {name}, which `cocreate serve --help` does not know")


def deploy_files_use_known_variables(settings):
    known = {env for _, env, _ in settings if env}
    files = [DEPLOY / "compose.yaml", DEPLOY / "Dockerfile", *sorted(K8S.glob("*.yaml"))]
    for path in files:
        used = set(re.findall(r"\bCOCREATE_[A-Z0-9_]+", path.read_text()))
        unknown = sorted(used - known)
        check(not unknown, f"{path.relative_to(DEPLOY)}: every COCREATE_* is a server variable"
              + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    script = (DEPLOY / "local-cluster.sh").read_text()
    unknown = sorted(set(re.findall(r"\bCOCREATE_[A-Z0-9_]+", script)) - known - SCRIPT_VARIABLES)
    check(not unknown, "local-cluster.sh: every COCREATE_* is a server variable"
          + (f" (unknown: {', '.join(unknown)})" if unknown else ""))


def kubernetes_manifests():
    docs = {}
    for path in sorted(K8S.glob("*.yaml")):
        for doc in load_yaml(path):
            name = (doc.get("metadata") or {}).get("name")
            check(bool(doc.get("apiVersion") and doc.get("kind") and (name or doc["kind"] == "Kustomization")),
                  f"kubernetes/{path.name}: {doc.get('kind')} has apiVersion, kind and metadata.name")
            docs[doc.get("kind")] = doc
    for kind in ("Deployment", "Service", "Ingress", "PodDisruptionBudget", "HorizontalPodAutoscaler",
                 "ConfigMap", "Secret"):
        check(kind in docs, f"kubernetes/ has a {kind}")
    listed = set(docs.get("Kustomization", {}).get("resources", []))
    for path in sorted(K8S.glob("*.yaml")):
        if path.name not in ("kustomization.yaml", "secret.example.yaml"):
            check(path.name in listed, f"kubernetes/kustomization.yaml lists {path.name}")
    deployment = docs.get("Deployment")
    if not deployment:
        return
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    check(deployment["spec"].get("replicas", 1) >= 2, "Deployment: 2 or more replicas")
    check(container.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", "Deployment: readiness probe on /readyz")
    check(container.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz", "Deployment: liveness probe on /healthz")
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    check(pre_stop > 0, "Deployment: a preStop sleep, so the endpoint is removed before SIGTERM")
    check(pod.get("terminationGracePeriodSeconds", 30) > pre_stop + SHUTDOWN_GRACE_S,
          f"Deployment: terminationGracePeriodSeconds above preStop + the server's {SHUTDOWN_GRACE_S} s shutdown grace")
    check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "Deployment: runAsNonRoot")
    check(container.get("securityContext", {}).get("readOnlyRootFilesystem") is True, "Deployment: read-only root filesystem")
    check("requests" in container.get("resources", {}), "Deployment: resource requests")
    secret_keys = set(docs.get("Secret", {}).get("stringData", {}))
    check({"admin-key", "token-secret", "redis-url"} <= secret_keys,
          "Secret: admin key, token secret and Redis URL")
    env = {e["name"]: e for e in container.get("env", [])}
    mounts = {v["name"]: v["mountPath"] for v in container.get("volumeMounts", [])}
    secret_volumes = [v["name"] for v in pod.get("volumes", []) if "secret" in v]
    secret_dirs = [mounts[name] for name in secret_volumes if name in mounts]
    for variable in ("COCREATE_ADMIN_KEY_FILE", "COCREATE_TOKEN_SECRET_FILE"):
        path = env.get(variable, {}).get("value", "")
        check(any(path.startswith(d + "/") for d in secret_dirs),
              f"Deployment: {variable} names a file of the mounted Secret")
    check(not {"COCREATE_ADMIN_KEY", "COCREATE_TOKEN_SECRET"} & set(env),
          "Deployment: the admin key and token secret are files, not variables")
    config_keys = set(docs.get("ConfigMap", {}).get("data", {}))
    check(not config_keys & {"COCREATE_ADMIN_KEY", "COCREATE_TOKEN_SECRET", "COCREATE_REDIS_URL"},
          "ConfigMap: holds no secret")


def compose_file():
    docs = load_yaml(DEPLOY / "compose.yaml")
    if not check(len(docs) == 1, "compose.yaml parses as one YAML document"):
        return
    services = docs[0].get("services", {})
    redis = " ".join(services.get("redis", {}).get("command", []))
    check("--appendonly yes" in redis and "--appendfsync everysec" in redis, "compose.yaml: Redis with appendonly yes, appendfsync everysec")
    nodes = [s for s in services.values() if "COCREATE_REDIS_URL" in (s.get("environment") or {})]
    check(len(nodes) >= 2, "compose.yaml: two or more cocreate nodes on Redis")
    check(len({n["environment"].get("COCREATE_NODE_ID") for n in nodes}) == len(nodes), "compose.yaml: distinct node ids")
    check("nginx" in services, "compose.yaml: nginx in front")
    secrets = docs[0].get("secrets", {})
    for variable, name in (("COCREATE_ADMIN_KEY_FILE", "admin-key"), ("COCREATE_TOKEN_SECRET_FILE", "token-secret")):
        check(all(n["environment"].get(variable) == f"/run/secrets/{name}" and name in n.get("secrets", [])
                  for n in nodes) and "file" in secrets.get(name, {}),
              f"compose.yaml: every node reads {variable} from the Docker secret {name}")


def dockerfile():
    text = (DEPLOY / "Dockerfile").read_text()
    images = re.findall(r"^FROM\s+(\S+)", text, re.M)
    stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, re.M | re.I))
    external = [i for i in images if i not in stages]
    check(all(":" in i.split("/")[-1] and not i.endswith(":latest") for i in external),
          "Dockerfile: every base image has a tag, and none is latest")
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    check(bool(users) and users[-1].split(":")[0] not in ("root", "0"), "Dockerfile: the final USER is not root")
    check(bool(re.search(r"^HEALTHCHECK\s+.*?/healthz", text, re.M | re.S)), "Dockerfile: a HEALTHCHECK on /healthz")
    check("cargo build --release --locked" in text, "Dockerfile: cargo build --release --locked")
    check(bool(re.search(r"^EXPOSE\s+8080", text, re.M)), "Dockerfile: EXPOSE 8080")


def dashboard(readme):
    try:
        text = json.loads((DEPLOY / "grafana" / "cocreate-dashboard.json").read_text())
    except json.JSONDecodeError as e:
        check(False, f"grafana/cocreate-dashboard.json parses as JSON: {e}")
        return
    exprs = " ".join(t["expr"] for p in text["panels"] for t in p.get("targets", []))
    documented = sorted(set(re.findall(r"`(cocreate_[a-z_]+)", readme)))
    check(bool(documented), "deploy/README.md lists the metrics")
    for metric in documented:
        check(metric in exprs, f"the dashboard shows {metric}")


def main():
    help_text = Path(sys.argv[1]).read_text()
    readme = (DEPLOY / "README.md").read_text()
    settings = server_settings(help_text)
    check(len(settings) > 10, f"`cocreate serve --help` lists the settings ({len(settings)} found)")
    configuration_is_documented(settings, readme)
    deploy_files_use_known_variables(settings)
    kubernetes_manifests()
    compose_file()
    dockerfile()
    dashboard(readme)
    if failures:
        print(f"\n{len(failures)} deploy check(s) failed:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
