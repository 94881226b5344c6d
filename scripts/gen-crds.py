#!/usr/bin/env python3
"""Generates deploy/crds/*.yaml: the SparkApplication and ScheduledSparkApplication CRDs
(sparkoperator.k8s.io/v1beta2) with structural openAPIV3Schemas.

Sluice's own schema, written from the API's field list (spec/sparkapplication.md section 1):
every Spark-specific field is declared with its type, enum and bounds, so it is validated; the
embedded Kubernetes types (PodTemplateSpec, Volume, Affinity, Container, EnvVar, ...) are
declared as objects that preserve unknown fields, so that a user's existing Kubeflow YAML keeps
every field after pruning without this file carrying a copy of the Kubernetes core schemas.

Run: python3 scripts/gen-crds.py           (no dependencies beyond the standard library)
     python3 scripts/gen-crds.py --check   (exit 1 when the files on disk are out of date)

Outputs: deploy/crds/*.yaml and the Helm chart's copies in deploy/helm/sluice/crds/.
"""
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def s(desc=None, **kw):
    d = {"type": "string"}
    if desc:
        d["description"] = desc
    d.update(kw)
    return d


def i32(desc=None, minimum=None, **kw):
    d = {"type": "integer", "format": "int32"}
    if minimum is not None:
        d["minimum"] = minimum
    if desc:
        d["description"] = desc
    d.update(kw)
    return d


def i64(desc=None, minimum=None):
    d = {"type": "integer", "format": "int64"}
    if minimum is not None:
        d["minimum"] = minimum
    if desc:
        d["description"] = desc
    return d


def b(desc=None):
    d = {"type": "boolean"}
    if desc:
        d["description"] = desc
    return d


def obj(props=None, required=None, desc=None):
    d = {"type": "object"}
    if desc:
        d["description"] = desc
    if props is not None:
        d["properties"] = props
    if required:
        d["required"] = required
    return d


def smap(desc=None):
    d = {"type": "object", "additionalProperties": {"type": "string"}}
    if desc:
        d["description"] = desc
    return d


def kube(desc):
    """An embedded Kubernetes object, kept whole."""
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "description": desc}


def kube_list(desc):
    return {"type": "array", "items": kube(desc), "description": desc}


def arr(items, desc=None):
    d = {"type": "array", "items": items}
    if desc:
        d["description"] = desc
    return d


QUANTITY = {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}


def pod_spec(role):
    p = {
        "template": kube("a PodTemplateSpec merged into the %s pod (Spark >= 3.0)" % role),
        "cores": i32("number of CPU cores (spark.%s.cores)" % role, minimum=1),
        "coreLimit": s("CPU limit of the %s pod, a Kubernetes quantity" % role),
        "memory": s("heap size, a JVM memory string such as 512m or 2g"),
        "memoryLimit": s("memory limit of the %s pod, a JVM memory string" % role),
        "memoryOverhead": s("off-heap overhead, a JVM memory string"),
        "gpu": obj({"name": s("resource name, e.g. nvidia.com/gpu"),
                    "quantity": i64("number of GPUs", minimum=0)}, required=["name", "quantity"]),
        "image": s("container image of the %s" % role),
        "configMaps": arr(obj({"name": s(), "path": s()}, required=["name", "path"]),
                          "ConfigMaps mounted into the pod"),
        "secrets": arr(obj({"name": s(), "path": s(),
                            "secretType": s(enum=["GCPServiceAccount", "HadoopDelegationToken",
                                                  "Generic"])},
                           required=["name", "path", "secretType"]), "Secrets mounted into the pod"),
        "env": kube_list("EnvVar"),
        "envVars": smap("deprecated: environment variables"),
        "envFrom": kube_list("EnvFromSource"),
        "envSecretKeyRefs": {"type": "object", "description": "deprecated: env from secret keys",
                             "additionalProperties": obj({"name": s(), "key": s()},
                                                         required=["name", "key"])},
        "labels": smap("labels of the %s pod" % role),
        "annotations": smap("annotations of the %s pod" % role),
        "volumeMounts": kube_list("VolumeMount"),
        "affinity": kube("Affinity"),
        "tolerations": kube_list("Toleration"),
        "podSecurityContext": kube("PodSecurityContext"),
        "securityContext": kube("SecurityContext of the Spark container"),
        "schedulerName": s(),
        "sidecars": kube_list("Container"),
        "initContainers": kube_list("Container"),
        "hostNetwork": b(),
        "nodeSelector": smap(),
        "dnsConfig": kube("PodDNSConfig"),
        "terminationGracePeriodSeconds": i64(),
        "serviceAccount": s(),
        "hostAliases": kube_list("HostAlias"),
        "shareProcessNamespace": b(),
        "coreRequest": s("CPU request, a Kubernetes quantity (spark.kubernetes.%s.request.cores)"
                         % role),
        "javaOptions": s("extra JVM options"),
        "lifecycle": kube("Lifecycle of the Spark container"),
        "ports": arr(obj({"name": s(), "protocol": s(), "containerPort": i32()},
                         required=["name", "protocol", "containerPort"])),
        "priorityClassName": s(),
        "runtimeClassName": s(),
    }
    if role == "driver":
        p.update({
            "podName": s("driver pod name (in-cluster-client mode only)",
                         pattern="[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"),
            "kubernetesMaster": s(),
            "serviceAnnotations": smap("annotations of the driver Service"),
            "serviceLabels": smap("labels of the driver Service"),
        })
    else:
        p.update({
            "instances": i32("number of executors", minimum=0),
            "deleteOnTermination": b("delete executor pods when they end"),
        })
    return obj(p, desc="%s pod specification" % role)


def ingress_tls():
    return kube_list("IngressTLS")


def app_spec():
    return obj({
        "suspend": b("true: do not submit; flipping it to true stops a running application"),
        "type": s("application type", enum=["Java", "Python", "Scala", "R"]),
        "sparkVersion": s("Spark version of the image, e.g. 4.0.4"),
        "mode": s(enum=["cluster", "client", "in-cluster-client"]),
        "proxyUser": s(),
        "image": s(),
        "imagePullPolicy": s(),
        "imagePullSecrets": arr(s()),
        "mainClass": s(),
        "mainApplicationFile": s(),
        "arguments": arr(s()),
        "sparkConf": smap("Spark properties"),
        "hadoopConf": smap("Hadoop properties (spark.hadoop.*)"),
        "sparkConfigMap": s(),
        "hadoopConfigMap": s(),
        "volumes": kube_list("Volume"),
        "driver": pod_spec("driver"),
        "executor": pod_spec("executor"),
        "deps": obj({k: arr(s()) for k in ["jars", "files", "pyFiles", "packages",
                                           "excludePackages", "repositories", "archives"]}),
        "restartPolicy": obj({
            "type": s(enum=["Never", "Always", "OnFailure"]),
            "onSubmissionFailureRetries": i32(minimum=0),
            "onFailureRetries": i32(minimum=0),
            "onSubmissionFailureRetryInterval": i64(minimum=1),
            "onFailureRetryInterval": i64(minimum=1),
        }),
        "nodeSelector": smap(),
        "failureRetries": i32(),
        "retryInterval": i64(),
        "pythonVersion": s(enum=["2", "3"]),
        "memoryOverheadFactor": s(),
        "monitoring": obj({
            "exposeDriverMetrics": b(),
            "exposeExecutorMetrics": b(),
            "metricsProperties": s(),
            "metricsPropertiesFile": s(),
            "prometheus": obj({
                "jmxExporterJar": s(),
                "port": i32(minimum=1024, maximum=49151),
                "portName": s(),
                "configFile": s(),
                "configuration": s(),
            }, required=["jmxExporterJar"]),
        }, required=["exposeDriverMetrics", "exposeExecutorMetrics"]),
        "batchScheduler": s(),
        "batchSchedulerOptions": obj({
            "queue": s(),
            "priorityClassName": s(),
            "resources": {"type": "object", "additionalProperties": QUANTITY},
        }),
        "timeToLiveSeconds": i64(),
        "sparkUIOptions": obj({
            "servicePort": i32(),
            "servicePortName": s(),
            "serviceType": s(),
            "serviceAnnotations": smap(),
            "serviceLabels": smap(),
            "ingressAnnotations": smap(),
            "ingressTLS": ingress_tls(),
        }),
        "driverIngressOptions": arr(obj({
            "servicePort": i32(),
            "servicePortName": s(),
            "serviceType": s(),
            "serviceAnnotations": smap(),
            "serviceLabels": smap(),
            "ingressURLFormat": s(),
            "ingressAnnotations": smap(),
            "ingressTLS": ingress_tls(),
        }, required=["servicePort", "servicePortName"])),
        "dynamicAllocation": obj({
            "enabled": b(),
            "initialExecutors": i32(),
            "minExecutors": i32(),
            "maxExecutors": i32(),
            "shuffleTrackingEnabled": b(),
            "shuffleTrackingTimeout": i64(),
        }),
        "driverPodDisruptionBudget": b("create a PodDisruptionBudget (minAvailable 1) for the driver"),
    }, required=["driver", "executor", "mainApplicationFile", "sparkVersion", "type"])


def app_status():
    return obj({
        "sparkApplicationId": s(),
        "submissionID": s(),
        "lastSubmissionAttemptTime": s(format="date-time", nullable=True),
        "terminationTime": s(format="date-time", nullable=True),
        "driverInfo": obj({
            "webUIServiceName": s(), "webUIAddress": s(), "webUIPort": i32(),
            "webUIIngressName": s(), "webUIIngressAddress": s(), "podName": s(),
        }),
        "applicationState": obj({"state": s(), "errorMessage": s()}),
        "executorState": smap("executor pod name -> state (bounded: see executorCounts)"),
        "executorCounts": {"type": "object", "description":
                           "sluice: number of executors by state (all executors)",
                           "additionalProperties": {"type": "integer", "format": "int32"}},
        "executionAttempts": i32(),
        "submissionAttempts": i32(),
        "observedGeneration": i64("sluice: the spec generation the status refers to"),
        "queue": obj({"name": s(), "admitted": b(), "message": s()},
                     desc="sluice: application-level queueing"),
    })


def meta():
    return {"type": "object"}


def crd(plural, kind, short, spec, status, columns):
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": "%s.sparkoperator.k8s.io" % plural,
            # The group is under k8s.io, a protected group: a real API server refuses a v1 CRD
            # without this annotation. This is the approval of the sparkoperator.k8s.io API
            # itself (Kubeflow's PR), which Sluice implements unchanged.
            "annotations": {"api-approved.kubernetes.io": API_APPROVAL},
            "labels": {"app.kubernetes.io/part-of": "sluice"},
        },
        "spec": {
            "group": "sparkoperator.k8s.io",
            "names": {"kind": kind, "listKind": kind + "List", "plural": plural,
                      "shortNames": short, "singular": kind.lower()},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1beta2",
                "served": True,
                "storage": True,
                "subresources": {"status": {}},
                "additionalPrinterColumns": columns,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "description": "%s is the Schema for the %s API" % (kind, plural),
                    "required": ["metadata", "spec"],
                    "properties": {
                        "apiVersion": s(), "kind": s(), "metadata": meta(),
                        "spec": spec, "status": status,
                    },
                }},
            }],
        },
    }


def col(name, path, typ="string", priority=None):
    d = {"name": name, "type": typ, "jsonPath": path}
    if priority:
        d["priority"] = priority
    return d


# ---------------------------------------------------------------- a small YAML emitter

PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./ -]*$")
RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if PLAIN.match(v) and v.lower() not in RESERVED and not v.endswith(" ") and ": " not in v:
        return v
    return json.dumps(v)


def emit(v, indent=0, out=None):
    pad = "  " * indent
    if isinstance(v, dict):
        if not v:
            out.append(" {}")
            return
        for k, x in v.items():
            if isinstance(x, dict) and x:
                out.append("\n%s%s:" % (pad, scalar(k)))
                emit(x, indent + 1, out)
            elif isinstance(x, list) and x:
                out.append("\n%s%s:" % (pad, scalar(k)))
                emit(x, indent, out)
            else:
                out.append("\n%s%s: %s" % (pad, scalar(k), "{}" if x == {} else "[]" if x == []
                                           else scalar(x)))
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, dict) and x:
                first = True
                for k, y in x.items():
                    lead = "- " if first else "  "
                    first = False
                    if isinstance(y, (dict, list)) and y:
                        out.append("\n%s%s%s:" % (pad, lead, scalar(k)))
                        if isinstance(y, dict):
                            emit(y, indent + 2, out)
                        else:
                            emit(y, indent + 1, out)
                    else:
                        out.append("\n%s%s%s: %s" % (pad, lead, scalar(k),
                                                     "{}" if y == {} else "[]" if y == []
                                                     else scalar(y)))
            else:
                out.append("\n%s- %s" % (pad, scalar(x)))




API_APPROVAL = "https://github.com/kubeflow/spark-operator/pull/1298"

HEADER = ("# Generated by scripts/gen-crds.py: edit that script, not this file.\n"
          "# sparkoperator.k8s.io/v1beta2, compatible with the Kubeflow Spark Operator's API.\n")

# The printer columns are the upstream ones exactly (names, paths, types: "Attempts" is a string
# column upstream), so `kubectl get sparkapp` prints the same table under either operator.
app_cols = [col("Suspend", ".spec.suspend", "boolean"),
            col("Status", ".status.applicationState.state"),
            col("Attempts", ".status.executionAttempts"),
            col("Start", ".status.lastSubmissionAttemptTime"),
            col("Finish", ".status.terminationTime"),
            col("Age", ".metadata.creationTimestamp", "date")]

sched_spec = obj({
    "schedule": s("cron schedule: 5 fields, @hourly-style macros, or @every <duration>"),
    "timeZone": s("time zone name from the tz database; default Local"),
    "template": app_spec(),
    "suspend": b(),
    "concurrencyPolicy": s(enum=["Allow", "Forbid", "Replace"]),
    "successfulRunHistoryLimit": i32(minimum=0),
    "failedRunHistoryLimit": i32(minimum=0),
}, required=["schedule", "template"])
sched_status = obj({
    "lastRun": s(format="date-time", nullable=True),
    "nextRun": s(format="date-time", nullable=True),
    "lastRunName": s(),
    "pastSuccessfulRunNames": arr(s()),
    "pastFailedRunNames": arr(s()),
    "scheduleState": s(),
    "reason": s(),
})
sched_cols = [col("Schedule", ".spec.schedule"),
              col("TimeZone", ".spec.timeZone"),
              col("Suspend", ".spec.suspend"),
              col("Last Run", ".status.lastRun", "date"),
              col("Last Run Name", ".status.lastRunName"),
              col("Age", ".metadata.creationTimestamp", "date")]



def render(doc):
    out = []
    emit(doc, 0, out)
    return HEADER + "".join(out).lstrip("\n") + "\n"


def outputs():
    """{relative path: text} of every generated file. The Helm chart gets real copies of the
    CRDs (Helm installs crds/ verbatim and packages no symlinks reliably)."""
    docs = {
        "sparkoperator.k8s.io_sparkapplications.yaml":
            crd("sparkapplications", "SparkApplication", ["sparkapp"], app_spec(), app_status(),
                app_cols),
        "sparkoperator.k8s.io_scheduledsparkapplications.yaml":
            crd("scheduledsparkapplications", "ScheduledSparkApplication", ["scheduledsparkapp"],
                sched_spec, sched_status, sched_cols),
    }
    files = {}
    for name, doc in docs.items():
        text = render(doc)
        files[os.path.join("deploy", "crds", name)] = text
        files[os.path.join("deploy", "helm", "sluice", "crds", name)] = text
    return files


def main(argv):
    """No argument: (re)write the files. --check: exit 1 when a file on disk differs."""
    check = "--check" in argv[1:]
    stale = []
    for rel, text in outputs().items():
        path = os.path.join(ROOT, rel)
        try:
            with open(path) as f:
                same = f.read() == text
        except OSError:
            same = False
        if same:
            continue
        stale.append(rel)
        if not check:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
    if check and stale:
        sys.stderr.write("gen-crds: out of date (run scripts/gen-crds.py): %s\n" % ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
