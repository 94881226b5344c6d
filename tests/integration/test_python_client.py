"""test_python_client.py - the official Kubernetes Python client (python3-kubernetes) against
`sluice sim`, with the kubeconfig the sim writes (argv[1]).

The client deserializes every answer into typed models and is strict about what it reads
(required fields must not be None, datetimes must parse), so each step below checks both that
the call succeeds and that the objects read back carry what was sent: list nodes, create /
read / patch (strategic and JSON patch) / delete a pod and a ConfigMap, a watch with
timeout_seconds that sees ADDED, MODIFIED and DELETED, a list with a label selector paged
with limit/continue, a CRD and a custom object through CustomObjectsApi, a pod's log, events.
Exits 0 when everything held, 1 with a message naming the step otherwise.
"""
import sys
import time
import traceback

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

NS = "default"
STEP = ["start"]


def step(name):
    STEP[0] = name
    print("--", name, flush=True)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def wait_for(what, fn, timeout=20.0):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


def expect_status(code, fn):
    try:
        fn()
    except ApiException as e:
        check(e.status == code, "HTTP %d, want %d: %s" % (e.status, code, e.body))
        return e
    raise AssertionError("no error, want HTTP %d" % code)


def main(kubeconfig):
    config.load_kube_config(config_file=kubeconfig)
    api = client.ApiClient()
    core = client.CoreV1Api(api)

    step("version and nodes")
    ver = client.VersionApi(api).get_code()
    check(ver.major == "1" and ver.git_version, "version %r" % ver)
    nodes = core.list_node()
    check(len(nodes.items) >= 1, "no nodes")
    for n in nodes.items:
        check(n.status.capacity.get("cpu"), "node %s without cpu capacity" % n.metadata.name)
        ready = [c for c in n.status.conditions if c.type == "Ready"]
        check(ready and ready[0].status == "True", "node %s not Ready" % n.metadata.name)
        check(n.metadata.creation_timestamp is not None, "node without creationTimestamp")
    core.read_node(nodes.items[0].metadata.name)

    step("configmap create/read/patch/replace/delete")
    cm = client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="py-cm", labels={"app": "py"}),
        data={"a": "1"})
    made = core.create_namespaced_config_map(NS, cm)
    check(made.metadata.uid and made.metadata.resource_version, "no uid/rv")
    check(made.metadata.creation_timestamp.tzinfo is not None, "naive creationTimestamp")
    got = core.read_namespaced_config_map("py-cm", NS)
    check(got.data == {"a": "1"}, "data %r" % got.data)
    patched = core.patch_namespaced_config_map("py-cm", NS, {"data": {"b": "2"}})
    check(patched.data == {"a": "1", "b": "2"}, "strategic patch: %r" % patched.data)
    patched = core.patch_namespaced_config_map(
        "py-cm", NS, [{"op": "replace", "path": "/data/a", "value": "10"}])
    check(patched.data["a"] == "10", "json patch: %r" % patched.data)
    patched.data["c"] = "3"
    replaced = core.replace_namespaced_config_map("py-cm", NS, patched)
    check(replaced.data.get("c") == "3", "replace: %r" % replaced.data)
    stale = client.V1ConfigMap(metadata=client.V1ObjectMeta(
        name="py-cm", resource_version=made.metadata.resource_version), data={})
    e = expect_status(409, lambda: core.replace_namespaced_config_map("py-cm", NS, stale))
    check("modified" in e.body, "conflict message: %s" % e.body)
    expect_status(409, lambda: core.create_namespaced_config_map(NS, cm))
    expect_status(422, lambda: core.create_namespaced_config_map(
        NS, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Bad_Name"))))
    st = core.delete_namespaced_config_map("py-cm", NS)
    check(st is not None, "delete answer")
    expect_status(404, lambda: core.read_namespaced_config_map("py-cm", NS))

    step("watch with timeout_seconds")
    rv = core.list_namespaced_config_map(NS).metadata.resource_version
    core.create_namespaced_config_map(NS, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="py-watch", labels={"w": "1"}), data={"x": "1"}))
    core.patch_namespaced_config_map("py-watch", NS, {"data": {"x": "2"}})
    core.delete_namespaced_config_map("py-watch", NS)
    seen = []
    w = watch.Watch()
    t0 = time.monotonic()
    for ev in w.stream(core.list_namespaced_config_map, NS, resource_version=rv,
                       label_selector="w=1", timeout_seconds=2):
        check(isinstance(ev["object"], client.V1ConfigMap), "event object %r" % ev["object"])
        seen.append((ev["type"], ev["object"].metadata.name, (ev["object"].data or {}).get("x")))
    check(time.monotonic() - t0 < 15, "the watch did not end at timeout_seconds")
    check([s[0] for s in seen] == ["ADDED", "MODIFIED", "DELETED"], "events %r" % seen)
    check(seen[1][2] == "2", "MODIFIED carries the new data: %r" % seen)

    step("list with label selector, limit and continue")
    for i in range(5):
        core.create_namespaced_config_map(NS, client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="py-page-%d" % i, labels={"page": "yes"})))
    core.create_namespaced_config_map(NS, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="py-page-other", labels={"page": "no"})))
    names, token, pages = [], None, 0
    while True:
        kw = {"label_selector": "page=yes", "limit": 2}
        if token:
            kw["_continue"] = token
        page = core.list_namespaced_config_map(NS, **kw)
        pages += 1
        check(len(page.items) <= 2, "page of %d" % len(page.items))
        names += [x.metadata.name for x in page.items]
        token = page.metadata._continue
        if not token:
            break
        check(pages < 10, "paging does not end")
    check(sorted(names) == ["py-page-%d" % i for i in range(5)], "paged names %r" % names)
    check(pages == 3, "%d pages" % pages)
    sel = core.list_namespaced_config_map(NS, label_selector="page in (yes,no),page!=yes")
    check([x.metadata.name for x in sel.items] == ["py-page-other"], "set selector")
    expect_status(400, lambda: core.list_namespaced_config_map(NS, label_selector="a in (b"))
    core.delete_collection_namespaced_config_map(NS, label_selector="page")
    check(not core.list_namespaced_config_map(NS, label_selector="page").items, "deletecollection")

    step("pod create/read/patch, log, delete")
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name="py-pod", labels={"app": "py"},
                                     annotations={"sim.sluice.dev/run-seconds": "3600"}),
        spec=client.V1PodSpec(containers=[client.V1Container(
            name="main", image="busybox:1.36", command=["sleep", "3600"],
            env=[client.V1EnvVar(name="A", value="1")],
            resources=client.V1ResourceRequirements(requests={"cpu": "100m",
                                                              "memory": "64Mi"}))]))
    made = core.create_namespaced_pod(NS, pod)
    check(made.status.phase == "Pending", "phase %s" % made.status.phase)
    check(made.spec.restart_policy == "Always", "defaults")
    running = wait_for("the pod to run", lambda: (
        lambda p: p if p.status.phase == "Running" else None)(core.read_namespaced_pod("py-pod", NS)))
    check(running.spec.node_name, "not bound")
    check(running.status.pod_ip and running.status.start_time is not None, "no podIP/startTime")
    cs = running.status.container_statuses[0]
    check(cs.name == "main" and cs.state.running is not None, "container status %r" % cs)
    patched = core.patch_namespaced_pod("py-pod", NS, {"metadata": {"labels": {"extra": "1"}}})
    check(patched.metadata.labels == {"app": "py", "extra": "1"}, "labels %r" %
          patched.metadata.labels)
    patched = core.patch_namespaced_pod("py-pod", NS, {"spec": {"containers": [
        {"name": "main", "image": "busybox:1.37"}]}})
    check(patched.spec.containers[0].image == "busybox:1.37", "image patch")
    check(patched.spec.containers[0].env[0].name == "A", "strategic merge kept env")
    e = expect_status(422, lambda: core.patch_namespaced_pod(
        "py-pod", NS, {"spec": {"restartPolicy": "Never"}}))
    check("Forbidden" in e.body, "pod spec immutability: %s" % e.body)
    log = wait_for("a log line", lambda: core.read_namespaced_pod_log("py-pod", NS))
    check(isinstance(log, str) and log.strip(), "log %r" % log)
    tail = core.read_namespaced_pod_log("py-pod", NS, container="main", tail_lines=1)
    check(len(tail.strip().splitlines()) == 1, "tail_lines=1 gave %r" % tail)
    expect_status(400, lambda: core.read_namespaced_pod_log("py-pod", NS, container="nope"))
    pods = core.list_namespaced_pod(NS, field_selector="status.phase=Running",
                                    label_selector="app=py")
    check([p.metadata.name for p in pods.items] == ["py-pod"], "selected pods")
    # the cluster model writes no Events: write one as a controller would, read it back typed
    core.create_namespaced_event(NS, client.CoreV1Event(
        metadata=client.V1ObjectMeta(generate_name="py-pod."),
        involved_object=client.V1ObjectReference(kind="Pod", name="py-pod", namespace=NS,
                                                 uid=running.metadata.uid),
        reason="Tested", message="by the python client", type="Normal", count=1,
        first_timestamp=running.status.start_time, last_timestamp=running.status.start_time))
    events = core.list_namespaced_event(NS, field_selector="involvedObject.name=py-pod")
    check([ev.reason for ev in events.items] == ["Tested"], "events %r" % events.items)
    core.delete_namespaced_pod("py-pod", NS, grace_period_seconds=0)
    wait_for("the pod to go", lambda: not core.list_namespaced_pod(
        NS, field_selector="metadata.name=py-pod").items)

    step("a pod that fails, watched; eviction and disruption budgets")
    rv = core.list_namespaced_pod(NS).metadata.resource_version
    core.create_namespaced_pod(NS, client.V1Pod(
        metadata=client.V1ObjectMeta(name="py-fail", annotations={
            "sim.sluice.dev/run-seconds": "1", "sim.sluice.dev/exit-code": "3"}),
        spec=client.V1PodSpec(restart_policy="Never", containers=[
            client.V1Container(name="main", image="busybox")])))
    phases = []
    for ev in watch.Watch().stream(core.list_namespaced_pod, NS, resource_version=rv,
                                   field_selector="metadata.name=py-fail", timeout_seconds=10):
        check(isinstance(ev["object"], client.V1Pod), "pod event object")
        phases.append(ev["object"].status.phase)
        if ev["object"].status.phase == "Failed":
            break
    check(phases[0] == "Pending" and phases[-1] == "Failed", "phases %r" % phases)
    failed = core.read_namespaced_pod_status("py-fail", NS)
    term = failed.status.container_statuses[0].state.terminated
    check(term.exit_code == 3 and term.reason == "Error", "terminated %r" % term)
    check(term.finished_at >= term.started_at, "terminated times")
    policy = client.PolicyV1Api(api)
    policy.create_namespaced_pod_disruption_budget(NS, client.V1PodDisruptionBudget(
        metadata=client.V1ObjectMeta(name="py-pdb"),
        spec=client.V1PodDisruptionBudgetSpec(
            min_available=1, selector=client.V1LabelSelector(match_labels={"pdb": "py"}))))
    core.create_namespaced_pod(NS, client.V1Pod(
        metadata=client.V1ObjectMeta(name="py-guarded", labels={"pdb": "py"}),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")])))
    wait_for("the guarded pod to run", lambda: core.read_namespaced_pod(
        "py-guarded", NS).status.phase == "Running")
    policy.read_namespaced_pod_disruption_budget("py-pdb", NS)
    policy.list_pod_disruption_budget_for_all_namespaces()
    e = expect_status(429, lambda: core.create_namespaced_pod_eviction(
        "py-guarded", NS, client.V1Eviction(metadata=client.V1ObjectMeta(name="py-guarded"))))
    check("disruption budget" in e.body, "eviction refusal: %s" % e.body)
    policy.delete_namespaced_pod_disruption_budget("py-pdb", NS)
    core.create_namespaced_pod_eviction(
        "py-guarded", NS, client.V1Eviction(
            metadata=client.V1ObjectMeta(name="py-guarded"),
            delete_options=client.V1DeleteOptions(grace_period_seconds=0)))
    core.delete_namespaced_pod("py-fail", NS)
    all_pods = core.list_pod_for_all_namespaces()
    check(all(p.metadata.namespace for p in all_pods.items), "namespaces on all pods")

    step("apps, scheduling, networking, storage kinds")
    apps = client.AppsV1Api(api)
    dep = apps.create_namespaced_deployment(NS, client.V1Deployment(
        metadata=client.V1ObjectMeta(name="py-dep"),
        spec=client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(match_labels={"d": "py"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"d": "py"}),
                spec=client.V1PodSpec(containers=[
                    client.V1Container(name="c", image="busybox")])))))
    check(dep.spec.replicas == 1, "deployment")
    apps.read_namespaced_deployment("py-dep", NS)
    apps.delete_namespaced_deployment("py-dep", NS)
    sched = client.SchedulingV1Api(api)
    sched.create_priority_class(client.V1PriorityClass(
        metadata=client.V1ObjectMeta(name="py-high"), value=1000))
    check(sched.read_priority_class("py-high").value == 1000, "priority class")
    sched.delete_priority_class("py-high")
    pvc = core.create_namespaced_persistent_volume_claim(NS, client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name="py-pvc"),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteOnce"],
            resources=client.V1ResourceRequirements(requests={"storage": "1Gi"}))))
    check(pvc.status.phase, "pvc phase")
    core.delete_namespaced_persistent_volume_claim("py-pvc", NS)
    net = client.NetworkingV1Api(api)
    net.create_namespaced_ingress(NS, client.V1Ingress(
        metadata=client.V1ObjectMeta(name="py-ing"),
        spec=client.V1IngressSpec(rules=[client.V1IngressRule(
            host="x.example.com", http=client.V1HTTPIngressRuleValue(paths=[
                client.V1HTTPIngressPath(path="/", path_type="Prefix",
                                         backend=client.V1IngressBackend(
                                             service=client.V1IngressServiceBackend(
                                                 name="svc", port=client.V1ServiceBackendPort(
                                                     number=80))))]))])))
    net.read_namespaced_ingress("py-ing", NS)
    net.delete_namespaced_ingress("py-ing", NS)
    core.list_namespaced_service_account(NS)
    core.list_namespaced_secret(NS)

    step("CRD and custom objects")
    ext = client.ApiextensionsV1Api(api)
    crd = client.V1CustomResourceDefinition(
        metadata=client.V1ObjectMeta(name="gadgets.example.com"),
        spec=client.V1CustomResourceDefinitionSpec(
            group="example.com", scope="Namespaced",
            names=client.V1CustomResourceDefinitionNames(
                plural="gadgets", singular="gadget", kind="Gadget", short_names=["gd"]),
            versions=[client.V1CustomResourceDefinitionVersion(
                name="v1", served=True, storage=True,
                subresources=client.V1CustomResourceSubresources(status={}),
                schema=client.V1CustomResourceValidation(
                    open_apiv3_schema=client.V1JSONSchemaProps(
                        type="object",
                        properties={
                            "spec": client.V1JSONSchemaProps(
                                type="object", required=["size"],
                                properties={
                                    "size": client.V1JSONSchemaProps(type="integer", minimum=1),
                                    "color": client.V1JSONSchemaProps(
                                        type="string", default="blue"),
                                }),
                            "status": client.V1JSONSchemaProps(
                                type="object", x_kubernetes_preserve_unknown_fields=True),
                        })))]))
    made = ext.create_custom_resource_definition(crd)
    check(made.metadata.name == "gadgets.example.com", "crd name")
    est = wait_for("Established", lambda: [
        c for c in (ext.read_custom_resource_definition("gadgets.example.com").status.conditions
                    or []) if c.type == "Established" and c.status == "True"])
    check(est, "not Established")
    check(any(c.metadata.name == "gadgets.example.com"
              for c in ext.list_custom_resource_definition().items), "crd list")
    co = client.CustomObjectsApi(api)
    obj = co.create_namespaced_custom_object("example.com", "v1", NS, "gadgets", {
        "apiVersion": "example.com/v1", "kind": "Gadget",
        "metadata": {"name": "g1", "labels": {"k": "v"}}, "spec": {"size": 2, "junk": 1}})
    check(obj["spec"] == {"size": 2, "color": "blue"}, "defaulted and pruned: %r" % obj["spec"])
    got = co.get_namespaced_custom_object("example.com", "v1", NS, "gadgets", "g1")
    check(got["metadata"]["uid"] == obj["metadata"]["uid"], "get")
    pat = co.patch_namespaced_custom_object("example.com", "v1", NS, "gadgets", "g1",
                                            {"spec": {"size": 5}})
    check(pat["spec"]["size"] == 5, "merge patch %r" % pat["spec"])
    st = co.patch_namespaced_custom_object_status("example.com", "v1", NS, "gadgets", "g1",
                                                  {"status": {"phase": "Shiny"}})
    check(st["status"] == {"phase": "Shiny"}, "status %r" % st.get("status"))
    e = expect_status(422, lambda: co.patch_namespaced_custom_object(
        "example.com", "v1", NS, "gadgets", "g1", {"spec": {"size": 0}}))
    check("spec.size" in e.body, "validation names the field: %s" % e.body)
    lst = co.list_namespaced_custom_object("example.com", "v1", NS, "gadgets",
                                           label_selector="k=v")
    check([x["metadata"]["name"] for x in lst["items"]] == ["g1"], "custom list")
    co.list_cluster_custom_object("example.com", "v1", "gadgets")
    co.delete_namespaced_custom_object("example.com", "v1", NS, "gadgets", "g1")
    expect_status(404, lambda: co.get_namespaced_custom_object(
        "example.com", "v1", NS, "gadgets", "g1"))
    ext.delete_custom_resource_definition("gadgets.example.com")

    step("namespaces and other kinds")
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py-ns")))
    check(core.read_namespace("py-ns").status.phase == "Active", "namespace phase")
    wait_for("the default service account", lambda: core.list_namespaced_service_account(
        "py-ns").items)
    core.create_namespaced_secret("py-ns", client.V1Secret(
        metadata=client.V1ObjectMeta(name="s"), string_data={"k": "v"}))
    check(core.read_namespaced_secret("s", "py-ns").data == {"k": "dg=="}, "secret data")
    svc = core.create_namespaced_service("py-ns", client.V1Service(
        metadata=client.V1ObjectMeta(name="svc"),
        spec=client.V1ServiceSpec(selector={"a": "b"},
                                  ports=[client.V1ServicePort(port=80)])))
    check(svc.spec.cluster_ip and svc.spec.ports[0].target_port == 80, "service defaults")
    client.CoordinationV1Api(api).create_namespaced_lease("py-ns", client.V1Lease(
        metadata=client.V1ObjectMeta(name="l"),
        spec=client.V1LeaseSpec(holder_identity="me", lease_duration_seconds=15)))
    core.delete_namespace("py-ns")
    wait_for("the namespace to go",
             lambda: "py-ns" not in [n.metadata.name for n in core.list_namespace().items])
    print("python client: all steps passed", flush=True)


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except ApiException as e:
        print("FAIL at step %r: HTTP %s %s: %s" % (STEP[0], e.status, e.reason, e.body))
        sys.exit(1)
    except Exception:
        print("FAIL at step %r:" % STEP[0])
        traceback.print_exc()
        sys.exit(1)
