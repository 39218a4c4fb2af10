"""deploy/procviz.yaml: valid for a pinned Kubernetes version, and it runs the image as built.

The schemas come with kubernetes-validate (the dev extra), so this needs no network.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_validate import utils as kv

from tests.test_dockerfile import env as dockerfile_env
from tests.test_dockerfile import exposed_ports, final_stage

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "deploy" / "procviz.yaml"
# The Kubernetes version the manifest is validated against; kubernetes-validate carries the
# schemas of several (kv.all_versions()).
KUBERNETES_VERSION = "1.32"
APP_UID = 10001


@cache
def resources() -> list[dict[str, Any]]:
    return [r for r in yaml.safe_load_all(MANIFEST.read_text()) if r]


def one(kind: str, name: str = "procviz") -> dict[str, Any]:
    (found,) = [r for r in resources() if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


def pod(name: str = "procviz") -> dict[str, Any]:
    return dict(one("Deployment", name)["spec"]["template"]["spec"])


def container(name: str = "procviz") -> dict[str, Any]:
    (c,) = pod(name)["containers"]
    return dict(c)


def env_of(name: str) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container(name)["env"]}


def test_kubernetes_validate_carries_the_pinned_schemas() -> None:
    # Offline: the schemas are files inside the package, not fetched.
    assert KUBERNETES_VERSION in {kv.major_minor(v) for v in kv.all_versions()}, kv.all_versions()


@pytest.mark.parametrize("index", range(7))
def test_manifest_validates_strictly_against_the_pinned_kubernetes(index: int) -> None:
    assert len(resources()) == 7, [r["kind"] for r in resources()]
    resource = resources()[index]
    # strict: an unknown or misspelt field fails too. A kind without a schema raises here
    # (the kubernetes-validate command would only warn).
    try:
        validated = kv.validate(resource, KUBERNETES_VERSION, strict=True)
    except kv.ValidationError as error:
        path = ".".join(str(p) for p in error.path)
        pytest.fail(f"{kv.kn(resource)}: {path}: {error.message}")
    assert validated == KUBERNETES_VERSION


def test_manifest_has_the_presenter_the_viewers_redis_and_the_data_claim() -> None:
    assert sorted((r["kind"], r["metadata"]["name"]) for r in resources()) == [
        ("Deployment", "procviz"),
        ("Deployment", "procviz-redis"),
        ("Deployment", "procviz-viewers"),
        ("PersistentVolumeClaim", "procviz-data"),
        ("Service", "procviz"),
        ("Service", "procviz-redis"),
        ("Service", "procviz-viewers"),
    ]


def test_pod_runs_as_the_images_non_root_user() -> None:
    security = pod()["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == APP_UID
    assert final_stage().args("USER")[-1] == f"{APP_UID}:{APP_UID}"
    assert container()["securityContext"]["allowPrivilegeEscalation"] is False
    assert container()["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_root_filesystem_is_read_only_with_data_and_tmp_writable() -> None:
    assert container()["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in container()["volumeMounts"]}
    assert set(mounts) == {"/data", "/tmp"}, mounts
    assert not any(m.get("readOnly") for m in container()["volumeMounts"])
    volumes = {v["name"]: v for v in pod()["volumes"]}
    assert (
        "persistentVolumeClaim" in volumes[mounts["/data"]]
        or "emptyDir" in volumes[mounts["/data"]]
    )
    assert "emptyDir" in volumes[mounts["/tmp"]]
    claim = volumes[mounts["/data"]].get("persistentVolumeClaim")
    if claim:
        assert (
            claim["claimName"] == one("PersistentVolumeClaim", "procviz-data")["metadata"]["name"]
        )
    # The image keeps its recordings where the volume is mounted.
    assert dockerfile_env(final_stage())["PROCVIZ_DATA_DIR"] == "/data"


def test_probes_ask_healthz_on_the_images_port() -> None:
    (port,) = container()["ports"]
    assert [port["containerPort"]] == exposed_ports(final_stage())
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        get = container()[probe]["httpGet"]
        assert get["path"] == "/healthz", probe
        assert get["port"] in (port["name"], port["containerPort"]), probe


def test_resources_are_limited() -> None:
    resources_ = container()["resources"]
    assert {"cpu", "memory"} <= set(resources_["limits"]), resources_
    assert {"cpu", "memory"} <= set(resources_["requests"]), resources_


def test_no_service_links_that_would_overwrite_procviz_port() -> None:
    # A Service named procviz would otherwise inject PROCVIZ_PORT=tcp://..., which the server
    # rejects at start (not a number).
    assert one("Service")["metadata"]["name"] == "procviz"
    assert pod()["enableServiceLinks"] is False


@pytest.mark.parametrize("name", ["procviz", "procviz-viewers", "procviz-redis"])
def test_each_service_selects_its_own_pods_only_and_targets_their_port(name: str) -> None:
    service = one("Service", name)["spec"]
    labels = one("Deployment", name)["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= labels.items()
    assert one("Deployment", name)["spec"]["selector"]["matchLabels"].items() <= labels.items()
    others = [r for r in resources() if r["kind"] == "Deployment" and r["metadata"]["name"] != name]
    for other in others:  # the presenter's Service never sends a viewer to a replica
        assert (
            not service["selector"].items()
            <= other["spec"]["template"]["metadata"]["labels"].items()
        )
    (port,) = service["ports"]
    assert port["targetPort"] in (
        container(name)["ports"][0]["name"],
        container(name)["ports"][0]["containerPort"],
    )


def test_one_presenter_publishes_and_the_viewer_replicas_read_the_same_redis() -> None:
    presenter, viewers = env_of("procviz"), env_of("procviz-viewers")
    assert one("Deployment")["spec"]["replicas"] == 1
    assert one("Deployment", "procviz-viewers")["spec"]["replicas"] >= 2
    assert "PROCVIZ_ROLE" not in presenter and viewers["PROCVIZ_ROLE"] == "replica"
    assert presenter["PROCVIZ_REDIS_URL"] == viewers["PROCVIZ_REDIS_URL"]
    url = presenter["PROCVIZ_REDIS_URL"]
    (port,) = one("Service", "procviz-redis")["spec"]["ports"]
    assert url == f"redis://procviz-redis:{port['port']}/0"
    # The audience's address is the replicas' balancer; the presenter's stays internal.
    assert one("Service", "procviz-viewers")["spec"]["type"] == "LoadBalancer"
    assert one("Service")["spec"]["type"] == "ClusterIP"


def test_viewer_replicas_are_ready_by_healthz_and_alive_without_redis() -> None:
    viewer = container("procviz-viewers")
    assert viewer["image"] == container()["image"]
    assert viewer["readinessProbe"]["httpGet"]["path"] == "/healthz"  # 503 without Redis
    assert "tcpSocket" in viewer["livenessProbe"]  # Redis away is no reason to restart
    assert pod("procviz-viewers")["securityContext"]["runAsNonRoot"] is True
    assert viewer["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod("procviz-viewers")["enableServiceLinks"] is False


def test_token_comes_from_an_optional_secret() -> None:
    env = {e["name"]: e for e in container()["env"]}
    ref = env["PROCVIZ_TOKEN"]["valueFrom"]["secretKeyRef"]
    # Optional: without the Secret the pod still starts and the server logs a generated token.
    assert ref["optional"] is True
