/*
 * bench_json_scan.c - the JSON scanner (src/json/scan.c) against jansson on a realistic Pod.
 *
 * Usage: bench_json_scan [IGNORED] [ROUNDS]   (the first argument is accepted for scripts that
 * pass the sluice binary to every bench; ROUNDS default 5)
 *
 * No sim: everything runs in this process on a 4.4 KB Pod as the API server returns it
 * (managedFields, two container statuses) and on the same Pod wrapped as a watch event. Each
 * operation runs for ~0.2 s per round and the best round is kept (the machine is shared). The
 * table gives ns per operation and the speed-up over json_loadb of the whole document (+
 * json_decref), which is what a caller pays today for any field of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "json/json.h"

/* A Pod as the API server returns it (managedFields, status with two containers): ~4 KB. */
static const char POD_JSON[] =
    "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"spark-pi-1a2b3c941f297c00-"
    "driver\","
    "\"namespace\":\"spark-jobs\",\"uid\":\"5f0c6a52-2d4e-4b8a-9f3e-7c1d2e3f4a5b\","
    "\"resourceVersion\":\"184467\",\"creationTimestamp\":\"2025-01-01T00:00:00Z\","
    "\"labels\":{\"spark-app-selector\":\"spark-0123456789abcdef0123456789abcdef\","
    "\"spark-role\":\"driver\",\"spark-version\":\"4.0.0\",\"sparkoperator.k8s.io/"
    "app-name\":\"spark-pi\","
    "\"sparkoperator.k8s.io/launched-by-spark-operator\":\"true\",\"sparkoperator.k8s.io/"
    "submission-id\":"
    "\"0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0\",\"team\":\"data\"},"
    "\"annotations\":{\"note\":\"a \\\"quoted\\\" value with \\\\ and } ] { [ inside\","
    "\"unicode\":\"caf\\u00e9 \\ud83d\\ude00\"},"
    "\"ownerReferences\":[{\"apiVersion\":\"sparkoperator.k8s.io/"
    "v1beta2\",\"kind\":\"SparkApplication\","
    "\"name\":\"spark-pi\",\"uid\":\"9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4\",\"controller\":true,"
    "\"blockOwnerDeletion\":true}],"
    "\"managedFields\":[{\"manager\":\"sluice\",\"operation\":\"Update\",\"apiVersion\":\"v1\","
    "\"time\":\"2025-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:metadata\":"
    "{\"f:labels\":{\".\":{},\"f:spark-app-selector\":{},\"f:spark-role\":{},\"f:team\":{}},"
    "\"f:ownerReferences\":{\".\":{},\"k:{\\\"uid\\\":\\\"9a8b7c6d\\\"}\":{}}},\"f:spec\":{\"f:"
    "containers\":"
    "{\"k:{\\\"name\\\":\\\"spark-kubernetes-driver\\\"}\":{\".\":{},\"f:args\":{},\"f:env\":{},"
    "\"f:image\":{},\"f:name\":{},\"f:ports\":{},\"f:resources\":{}}},\"f:restartPolicy\":{},"
    "\"f:volumes\":{}}}}]},"
    "\"spec\":{\"volumes\":[{\"name\":\"spark-local-dir-1\",\"emptyDir\":{}},{\"name\":\"spark-"
    "conf-volume-driver\","
    "\"configMap\":{\"name\":\"spark-drv-5e6f7a941f297c00-conf-map\",\"items\":[{\"key\":\"spark."
    "properties\","
    "\"path\":\"spark.properties\",\"mode\":420}],\"defaultMode\":420}}],"
    "\"containers\":[{\"name\":\"spark-kubernetes-driver\",\"image\":\"apache/spark:4.0.0\","
    "\"args\":[\"driver\",\"--properties-file\",\"/opt/spark/conf/spark.properties\",\"--class\","
    "\"org.apache.spark.examples.SparkPi\",\"local:///opt/spark/examples/jars/"
    "spark-examples_2.13-4.0.0.jar\","
    "\"100\"],\"ports\":[{\"name\":\"driver-rpc-port\",\"containerPort\":7078,\"protocol\":\"TCP\"}"
    ","
    "{\"name\":\"blockmanager\",\"containerPort\":7079,\"protocol\":\"TCP\"},{\"name\":\"spark-"
    "ui\","
    "\"containerPort\":4040,\"protocol\":\"TCP\"}],\"env\":[{\"name\":\"SPARK_USER\",\"value\":"
    "\"alice\"},"
    "{\"name\":\"SPARK_APPLICATION_ID\",\"value\":\"spark-0123456789abcdef0123456789abcdef\"},"
    "{\"name\":\"SPARK_DRIVER_BIND_ADDRESS\",\"valueFrom\":{\"fieldRef\":{\"apiVersion\":\"v1\","
    "\"fieldPath\":\"status.podIP\"}}},{\"name\":\"SPARK_LOCAL_DIRS\",\"value\":\"/var/data/"
    "spark-0b1c2d3e\"},"
    "{\"name\":\"SPARK_CONF_DIR\",\"value\":\"/opt/spark/"
    "conf\"}],\"resources\":{\"limits\":{\"cpu\":\"1200m\","
    "\"memory\":\"2432Mi\"},\"requests\":{\"cpu\":\"1\",\"memory\":\"2432Mi\"}},\"volumeMounts\":["
    "{\"name\":\"spark-local-dir-1\",\"mountPath\":\"/var/data/spark-0b1c2d3e\"},{\"name\":"
    "\"spark-conf-volume-driver\",\"mountPath\":\"/opt/spark/conf\"}],\"terminationMessagePath\":"
    "\"/dev/"
    "termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":\"IfNotPresent\"}]"
    ","
    "\"restartPolicy\":\"Never\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":"
    "\"ClusterFirst\","
    "\"serviceAccountName\":\"spark\",\"serviceAccount\":\"spark\",\"nodeName\":\"sim-node-1\","
    "\"securityContext\":{},\"schedulerName\":\"default-scheduler\",\"tolerations\":[{\"key\":"
    "\"node.kubernetes.io/"
    "not-ready\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":300},"
    "{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\","
    "\"tolerationSeconds\":300}],\"priority\":0,\"enableServiceLinks\":true,\"preemptionPolicy\":"
    "\"PreemptLowerPriority\"},"
    "\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Initialized\",\"status\":"
    "\"True\","
    "\"lastProbeTime\":null,\"lastTransitionTime\":\"2025-01-01T00:00:01Z\"},{\"type\":\"Ready\","
    "\"status\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":\"2025-01-01T00:00:03Z\"},"
    "{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastProbeTime\":null,\"lastTransitionTime\":"
    "\"2025-01-01T00:00:00Z\"}],\"hostIP\":\"10.0.0.11\",\"podIP\":\"10.244.1.17\",\"podIPs\":[{"
    "\"ip\":"
    "\"10.244.1.17\"}],\"startTime\":\"2025-01-01T00:00:01Z\",\"containerStatuses\":[{\"name\":"
    "\"spark-kubernetes-driver\",\"state\":{\"running\":{\"startedAt\":\"2025-01-01T00:00:02Z\"}},"
    "\"lastState\":{},\"ready\":true,\"restartCount\":0,\"image\":\"apache/"
    "spark:4.0.0\",\"imageID\":"
    "\"docker-pullable://apache/"
    "spark@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
    "\"containerID\":\"containerd://"
    "4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e\","
    "\"started\":true},{\"name\":\"sidecar\",\"state\":{\"terminated\":{\"exitCode\":137,"
    "\"reason\":"
    "\"OOMKilled\",\"startedAt\":\"2025-01-01T00:00:02Z\",\"finishedAt\":\"2025-01-01T00:01:02Z\"}}"
    ","
    "\"ready\":false,\"restartCount\":2,\"image\":\"busybox:1.36\",\"started\":false,\"cpu\":1.5e-"
    "3}],"
    "\"qosClass\":\"Burstable\"}}";

static const char *const SELECT10[] = {
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "metadata.resourceVersion",
    "metadata.deletionTimestamp",
    "metadata.labels.spark-app-selector",
    "metadata.labels.spark-role",
    "spec.nodeName",
    "status.phase",
    "status.podIP",
    "status.containerStatuses.*.state",
};
static const char *const SELECT_EVENT[] = {
    "type",
    "object.metadata.name",
    "object.metadata.namespace",
    "object.metadata.resourceVersion",
    "object.metadata.labels.spark-role",
    "object.status.phase",
};

enum op {
    OP_LOADB,
    OP_LOADB_EVENT,
    OP_SPAN_RV,
    OP_SCAN_STR_RV,
    OP_SPAN_PHASE,
    OP_SCAN_I64,
    OP_SELECT10,
    OP_SELECT_EVENT,
    OP_SELECT_ALL
};

static const char *doc;
static size_t doclen;
static char *event;
static size_t eventlen;
static volatile size_t sink;

static void run_op(enum op op)
{
    const char *v;
    size_t n;
    char out[128];
    int64_t x;
    json_t *j = NULL;
    static const char *const all[] = {""};
    switch (op) {
    case OP_LOADB:
        j = json_loadb(doc, doclen, 0, NULL);
        break;
    case OP_LOADB_EVENT:
        j = json_loadb(event, eventlen, 0, NULL);
        break;
    case OP_SPAN_RV:
        if (slu_json_span(doc, doclen, "metadata.resourceVersion", &v, &n) == 0)
            sink += n;
        break;
    case OP_SCAN_STR_RV:
        if (slu_json_scan_str(doc, doclen, "metadata.resourceVersion", out, sizeof out) == 0)
            sink += (size_t)out[0];
        break;
    case OP_SPAN_PHASE:
        if (slu_json_span(doc, doclen, "status.phase", &v, &n) == 0)
            sink += n;
        break;
    case OP_SCAN_I64:
        if (slu_json_scan_i64(doc, doclen, "spec.terminationGracePeriodSeconds", &x) == 0)
            sink += (size_t)x;
        break;
    case OP_SELECT10:
        slu_json_parse_select(doc, doclen, SELECT10, SLU_ARRAY_LEN(SELECT10), &j, NULL);
        break;
    case OP_SELECT_EVENT:
        slu_json_parse_select(event, eventlen, SELECT_EVENT, SLU_ARRAY_LEN(SELECT_EVENT), &j, NULL);
        break;
    case OP_SELECT_ALL:
        slu_json_parse_select(doc, doclen, all, 1, &j, NULL);
        break;
    }
    if (j) {
        sink += json_object_size(j);
        json_decref(j);
    }
}

/* ns per operation: the best of `rounds` rounds of ~0.2 s each. */
static double measure(enum op op, int rounds)
{
    long iters = 1000;
    double t0 = (double)slu_now_mono_ns();
    for (long i = 0; i < iters; i++)
        run_op(op);
    double per = ((double)slu_now_mono_ns() - t0) / (double)iters;
    iters = (long)(2e8 / (per > 1 ? per : 1)) + 1;
    double best = per;
    for (int r = 0; r < rounds; r++) {
        t0 = (double)slu_now_mono_ns();
        for (long i = 0; i < iters; i++)
            run_op(op);
        per = ((double)slu_now_mono_ns() - t0) / (double)iters;
        if (per < best)
            best = per;
    }
    return best;
}

int main(int argc, char **argv)
{
    int rounds = 5;
    if (argc > 2) {
        int64_t r;
        if (slu_parse_i64(argv[2], &r) != 0 || r < 1 || r > 100) {
            fprintf(stderr, "usage: bench_json_scan [IGNORED] [ROUNDS (1..100)]\n");
            return 2;
        }
        rounds = (int)r;
    }
    doc = POD_JSON;
    doclen = strlen(POD_JSON);
    event = slu_asprintf("{\"type\":\"MODIFIED\",\"object\":%s}", POD_JSON);
    eventlen = strlen(event);

    /* the projections are what they should be */
    json_t *full = json_loadb(doc, doclen, 0, NULL), *sel = NULL;
    if (!full ||
        slu_json_parse_select(doc, doclen, SELECT10, SLU_ARRAY_LEN(SELECT10), &sel, NULL) != 0 ||
        !json_equal(json_object_get(json_object_get(sel, "metadata"), "resourceVersion"),
                    json_object_get(json_object_get(full, "metadata"), "resourceVersion"))) {
        fprintf(stderr, "bench: the scanner disagrees with jansson\n");
        return 1;
    }
    json_decref(full);
    json_decref(sel);

    static const struct {
        enum op op;
        const char *name;
        enum op base;
    } rows[] = {
        {OP_LOADB, "json_loadb(pod)", OP_LOADB},
        {OP_SPAN_RV, "span metadata.resourceVersion", OP_LOADB},
        {OP_SCAN_STR_RV, "scan_str metadata.resourceVersion", OP_LOADB},
        {OP_SCAN_I64, "scan_i64 spec.terminationGracePeriodSeconds", OP_LOADB},
        {OP_SPAN_PHASE, "span status.phase (near the end)", OP_LOADB},
        {OP_SELECT10, "parse_select 11 small fields", OP_LOADB},
        {OP_SELECT_ALL, "parse_select \"\" (whole pod)", OP_LOADB},
        {OP_LOADB_EVENT, "json_loadb(watch event)", OP_LOADB_EVENT},
        {OP_SELECT_EVENT, "parse_select event: type + 5 fields", OP_LOADB_EVENT},
    };
    double ns[SLU_ARRAY_LEN(rows)];
    printf("pod %zu bytes, watch event %zu bytes, best of %d rounds\n\n", doclen, eventlen, rounds);
    printf("%-46s %10s %10s\n", "operation", "ns/op", "speed-up");
    for (size_t i = 0; i < SLU_ARRAY_LEN(rows); i++) {
        ns[i] = measure(rows[i].op, rounds);
        double base = ns[rows[i].base == OP_LOADB ? 0 : 7];
        printf("%-46s %10.0f %9.1fx\n", rows[i].name, ns[i], base / ns[i]);
    }
    printf("\nRESULT json_scan loadb_ns=%.0f span_rv_ns=%.0f scan_str_rv_ns=%.0f select10_ns=%.0f "
           "span_speedup=%.1f scan_str_speedup=%.1f select10_speedup=%.1f "
           "event_select_speedup=%.1f\n",
           ns[0], ns[1], ns[2], ns[5], ns[0] / ns[1], ns[0] / ns[2], ns[0] / ns[5], ns[7] / ns[8]);
    free(event);
    return (int)(sink & 0);
}
