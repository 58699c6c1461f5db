"""The Python half of .ci/k8s-check (which runs it with PyYAML on its path).

  python3 .ci/k8s-check.py schemas SRC DST VERSION...
      Copies kubernetes-validate's strict schemas for each Kubernetes VERSION from SRC to DST so
      that kubeconform can read them offline: each file names itself https://kubernetes.io/api/...
      ($id) and refers to /api/_definitions.json, which a validator would resolve to the web.
      Without $id, and with the reference made relative, it resolves to the _definitions.json beside it.
  python3 .ci/k8s-check.py invariants DIR
      What the schemas cannot see, checked on every overlay's `kustomize build` output
      (DIR/<algorithm>.yaml). Prints one line per overlay, and each broken rule as
      "FAIL k8s/overlays/<algorithm>: <kind> <name>: <what>"; exits 1 when any rule is broken.
"""
import json
import pathlib
import re
import sys

import yaml

NAMESPACE = "hits-lb"
SERVICE_IMAGE = "hits-lb/hits-service:local"


def compose_images():
    """Image per compose.yaml service: k8s/ pins the same nginx, PostgreSQL and Redis."""
    services = yaml.safe_load(pathlib.Path("compose.yaml").read_text())["services"]
    return {name: s["image"] for name, s in services.items() if "image" in s}


def env(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def check_overlay(algorithm, docs, images):
    problems = []

    def fail(obj, what):
        problems.append(f"FAIL k8s/overlays/{algorithm}: {obj['kind']} {obj['metadata']['name']}: {what}")

    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
        if d["kind"] != "Namespace" and d["metadata"].get("namespace") != NAMESPACE:
            fail(d, f"not in namespace {NAMESPACE}")

    all_configmaps = by_kind.get("ConfigMap", [])
    # The nginx config, and the /live page nginx serves; each name carries its content hash, so a change rolls nginx.
    configmaps = [c for c in all_configmaps if re.fullmatch(r"hits-nginx-[a-z0-9]{10}", c["metadata"]["name"])]
    live = [c for c in all_configmaps if re.fullmatch(r"hits-live-[a-z0-9]{10}", c["metadata"]["name"])]
    if len(configmaps) != 1 or len(live) != 1 or len(all_configmaps) != 2:
        return problems + [f"FAIL k8s/overlays/{algorithm}: expected the ConfigMaps hits-nginx-<content hash> and"
                           f" hits-live-<content hash>, got {[c['metadata']['name'] for c in all_configmaps]}"]
    if "index.html" not in live[0]["data"]:
        fail(live[0], "hits-live holds no index.html (the /live page)")
    config = configmaps[0]
    nginx_conf, upstream = config["data"].get("nginx.conf", ""), config["data"].get("upstream.conf", "")
    if "upstream hits {" not in upstream or "for the kubernetes target" not in upstream:
        fail(config, "upstream.conf is not the kubernetes target's upstream block")
    if f"# {algorithm}:" not in upstream.splitlines()[0]:
        fail(config, f"upstream.conf is not {algorithm}'s (first line: {upstream.splitlines()[0]!r})")
    # nginx.conf includes files by a path relative to itself: each must be in the same ConfigMap.
    for included in sorted(set(re.findall(r"^\s*include ([^/;\s]+);", nginx_conf, re.M))):
        if included not in config["data"]:
            fail(config, f"nginx.conf includes {included}, which hits-nginx does not hold")
    valid = re.search(r"^\s*resolver \S+ valid=(\d+)s", nginx_conf, re.M)
    if not valid:
        fail(config, "nginx.conf has no `resolver ... valid=Ns`")
        return problems
    reresolve = int(valid.group(1)) + 1  # nginx asks again at valid + 1 s

    # Every server line names a headless Service of this build, on a port it serves.
    headless = {s["metadata"]["name"]: s for s in by_kind.get("Service", []) if s["spec"].get("clusterIP") == "None"}
    named = set()
    for host, port in re.findall(r"^\s*server ([a-z0-9-]+)\.hits-lb\.svc\.cluster\.local:(\d+) resolve", upstream, re.M):
        named.add(host)
        service = headless.get(host)
        if service is None:
            fail(config, f"upstream.conf names {host}, which is no headless Service of this overlay")
        elif int(port) not in [p["port"] for p in service["spec"]["ports"]]:
            fail(service, f"does not serve port {port}, which upstream.conf uses")
    if len(re.findall(r"^\s*server ", upstream, re.M)) != len(named) or not named:
        fail(config, "every server line must be `server <service>.hits-lb.svc.cluster.local:<port> resolve ...`")

    workloads = by_kind.get("Deployment", []) + by_kind.get("StatefulSet", [])
    hits_groups = [w for w in workloads
                   if w["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/name") == "hits-service"]
    if {w["metadata"]["name"] for w in hits_groups} != named:
        problems.append(f"FAIL k8s/overlays/{algorithm}: hits-service Deployments {sorted(w['metadata']['name'] for w in hits_groups)}"
                        f" differ from the Services upstream.conf names {sorted(named)}")
    if ("backup;" in upstream) != ("hits-backup" in named):
        fail(config, "a backup server line must name hits-backup, and hits-backup only as backup")

    # NetworkPolicy: ingress denied by default; nginx open to all; each other tier only from the one before it.
    policies = by_kind.get("NetworkPolicy", [])
    if not any(p["spec"].get("podSelector") == {} and "Ingress" in p["spec"].get("policyTypes", [])
               and not p["spec"].get("ingress") for p in policies):
        fail({"kind": "NetworkPolicy", "metadata": {"name": "(none)"}}, "no default-deny ingress policy (podSelector {})")
    allowed_sources = {"hits-service": {"nginx"}, "postgres": {"hits-service"}, "redis": {"hits-service"}}

    pdb_selectors = [p["spec"]["selector"]["matchLabels"] for p in by_kind.get("PodDisruptionBudget", [])]
    for w in workloads:
        spec = w["spec"]["template"]["spec"]
        labels = w["spec"]["template"]["metadata"]["labels"]
        pod_sc = spec.get("securityContext", {})
        if pod_sc.get("runAsNonRoot") is not True or not pod_sc.get("runAsUser"):
            fail(w, "pods must set runAsNonRoot: true and a non-zero numeric runAsUser")
        if pod_sc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            fail(w, "pods must use the RuntimeDefault seccomp profile")
        if spec.get("automountServiceAccountToken") is not False:
            fail(w, "pods must not mount a service account token: none of them talks to the API")
        for c in spec["containers"]:
            sc = c.get("securityContext", {})
            if sc.get("readOnlyRootFilesystem") is not True or sc.get("allowPrivilegeEscalation") is not False \
                    or sc.get("capabilities", {}).get("drop") != ["ALL"]:
                fail(w, f"container {c['name']}: readOnlyRootFilesystem true, allowPrivilegeEscalation false, drop ALL")
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in c:
                    fail(w, f"container {c['name']} has no {probe}")
            resources = c.get("resources", {})
            if not {"cpu", "memory"} <= set(resources.get("requests", {})) or "memory" not in resources.get("limits", {}):
                fail(w, f"container {c['name']}: requests for cpu and memory, and a memory limit")
            if ":" not in c["image"] or c["image"].endswith(":latest"):
                fail(w, f"container {c['name']}: image {c['image']} is not pinned to a tag")
        component = labels.get("app.kubernetes.io/name")
        selecting = [p for p in policies if p["spec"].get("podSelector", {}).get("matchLabels")
                     and all(labels.get(k) == v for k, v in p["spec"]["podSelector"]["matchLabels"].items())]
        rules = [r for p in selecting for r in p["spec"].get("ingress", [])]
        if not selecting:
            fail(w, "no NetworkPolicy selects its pods")
        elif component in allowed_sources:
            sources = {peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name")
                       for r in rules for peer in r.get("from", [{}])}
            if sources != allowed_sources[component]:
                fail(w, f"NetworkPolicy lets in {sorted(map(str, sources))}; only {sorted(allowed_sources[component])} may reach it")
        expected_image = {"nginx": images.get("nginx"), "postgres": images.get("postgres"),
                          "redis": images.get("redis"), "hits-service": SERVICE_IMAGE}.get(component)
        if expected_image and spec["containers"][0]["image"] != expected_image:
            fail(w, f"image {spec['containers'][0]['image']}, but compose.yaml runs {expected_image}")
        if component == "nginx":
            c = spec["containers"][0]
            if c["readinessProbe"].get("httpGet", {}).get("path") != "/nginx-health":
                fail(w, "readiness must be /nginx-health")
            if config["metadata"]["name"] not in [v.get("configMap", {}).get("name") for v in spec.get("volumes", [])]:
                fail(w, f"does not mount the ConfigMap {config['metadata']['name']}")
        if any("secret" in v for v in spec.get("volumes", [])) and not pod_sc.get("fsGroup"):
            fail(w, "pods that mount a Secret must set fsGroup: the kubelet gives its files to root and that group")
        if component == "redis":
            c = spec["containers"][0]
            if not re.search(r"^\s*requirepass \S", "\n".join(c.get("command", []) + c.get("args", [])), re.M):
                fail(w, "Redis must require a password (requirepass): any pod the policies let in could use it")
            for probe in ("readinessProbe", "livenessProbe"):
                if "REDISCLI_AUTH" not in " ".join(c.get(probe, {}).get("exec", {}).get("command", [])):
                    fail(w, f"{probe} must log in (REDISCLI_AUTH): Redis requires a password")
        if component != "hits-service":
            continue
        c = spec["containers"][0]
        e = env(c)
        if e.get("BIND_ADDRESS") != "0.0.0.0":
            fail(w, "BIND_ADDRESS must be 0.0.0.0: nginx reaches the pod at its own address")
        for probe, path in (("startupProbe", "/health/live"), ("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live")):
            if c.get(probe, {}).get("httpGet", {}).get("path") != path:
                fail(w, f"{probe} must be GET {path}")
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        if "emptyDir" not in volumes.get(mounts.get("/tmp"), {}):
            fail(w, "the JVM needs a writable /tmp (an emptyDir) on a read-only root filesystem")
        for variable in ("DB_PASSWORD_FILE", "REDIS_PASSWORD_FILE"):
            if "secret" not in volumes.get(mounts.get(e.get(variable)), {}):
                fail(w, f"{variable} must name a file mounted from a Secret")
        pre_stop = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        if pre_stop <= reresolve:
            fail(w, f"preStop sleeps {pre_stop} s: it must outlast nginx's re-resolve interval ({reresolve} s,"
                    " resolver valid + 1 s), or nginx keeps sending to a stopping pod")
        shutdown = int(e.get("SHUTDOWN_TIMEOUT_MS") or 10000) / 1000
        grace = spec.get("terminationGracePeriodSeconds", 30)
        if grace <= pre_stop + shutdown:
            fail(w, f"terminationGracePeriodSeconds {grace} must exceed preStop {pre_stop} s + SHUTDOWN_TIMEOUT_MS"
                    f" {shutdown:g} s, or the kubelet kills in-flight requests")
        if not any(all(labels.get(k) == v for k, v in sel.items()) for sel in pdb_selectors):
            fail(w, "no PodDisruptionBudget selects its pods")
        if not any(t.get("topologyKey") == "kubernetes.io/hostname" for t in spec.get("topologySpreadConstraints", [])):
            fail(w, "no topology spread across nodes (kubernetes.io/hostname)")
    return problems


def local_refs(node):
    if isinstance(node, dict):
        return {k: (v.replace("/api/_definitions.json#", "_definitions.json#", 1)
                    if k == "$ref" and isinstance(v, str) else local_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [local_refs(v) for v in node]
    return node


def schemas(src, dst, versions):
    for version in versions:
        folder = f"v{version}-local-strict"
        if not (src / folder).is_dir():
            sys.exit(f"k8s-check: kubernetes-validate has no schemas for Kubernetes {version} (no {src / folder})")
        (dst / folder).mkdir(parents=True)
        for f in (src / folder).glob("*.json"):
            schema = json.loads(f.read_text())
            schema.pop("$id", None)
            (dst / folder / f.name).write_text(json.dumps(local_refs(schema)))


def invariants(out):
    images = compose_images()
    problems = []
    for built in sorted(out.glob("*.yaml")):
        docs = [d for d in yaml.safe_load_all(built.read_text()) if d]
        found = check_overlay(built.stem, docs, images)
        problems += found
        kinds = sorted({d["kind"] for d in docs})
        print(f"k8s/overlays/{built.stem}: {len(docs)} objects ({', '.join(kinds)}): "
              + ("invariants kept" if not found else f"{len(found)} broken"))
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    if sys.argv[1:2] == ["schemas"] and len(sys.argv) > 4:
        schemas(pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]), sys.argv[4:])
    elif sys.argv[1:2] == ["invariants"] and len(sys.argv) == 3:
        invariants(pathlib.Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
