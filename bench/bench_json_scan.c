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

#include "pod_fixture.h"

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
    OP_SPAN_ALL,
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
    case OP_SPAN_ALL:
        if (slu_json_span(doc, doclen, "", &v, &n) == 0)
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
    json_decref(sel);
    static const char *const all[] = {""};
    if (slu_json_parse_select(doc, doclen, all, 1, &sel, NULL) != 0 || !json_equal(sel, full)) {
        fprintf(stderr, "bench: the scanner's whole-document decode differs from jansson's\n");
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
        {OP_SPAN_ALL, "span \"\" (validates the whole pod)", OP_LOADB},
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
        double base = ns[rows[i].base == OP_LOADB ? 0 : 8];
        printf("%-46s %10.0f %9.1fx\n", rows[i].name, ns[i], base / ns[i]);
    }
    printf("\nRESULT json_scan loadb_ns=%.0f span_rv_ns=%.0f scan_str_rv_ns=%.0f select10_ns=%.0f "
           "span_speedup=%.1f scan_str_speedup=%.1f select10_speedup=%.1f "
           "event_select_speedup=%.1f span_end_ns=%.0f span_all_ns=%.0f select_all_ns=%.0f "
           "event_select_ns=%.0f\n",
           ns[0], ns[1], ns[2], ns[6], ns[0] / ns[1], ns[0] / ns[2], ns[0] / ns[6], ns[8] / ns[9],
           ns[4], ns[5], ns[7], ns[9]);
    free(event);
    return (int)(sink & 0);
}
