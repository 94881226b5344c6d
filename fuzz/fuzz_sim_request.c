/*
 * fuzz_sim_request.c - libFuzzer target for the simulated API server's request handling
 * (src/sim: routing, discovery, every verb's handler, body decoding, patches, selectors, the
 * store's validation), in process and without sockets, through sim__handle_request (the seam
 * the HTTP callback shares).
 *
 * Input: up to 8 requests separated by a line "%%". Each is "METHOD TARGET" on the first line,
 * the Content-Type on the second, the Accept header on the third (empty lines: none), and the
 * body after that. Every input gets a fresh store (no cluster model), so a crash reproduces
 * from its input alone, and a sequence can create, then patch, watch or delete.
 *
 * Invariants: no crash, no sanitizer report; every status is 200-599 and never 500 (there are
 * no injected faults here, so a 500 is a request the server failed to understand); every
 * error (>= 400) is a JSON Status whose code is the HTTP status and whose message is not
 * empty; every JSON-looking success body parses. FUZZ_SIM_VERBOSE=1 prints each request's
 * status and the start of its answer (to check what a seed does).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQS 8

static struct sim *fuzz_sim_new(void)
{
    /* the parts of sim_start a request handler reads: a store, no HTTP daemon, no cluster */
    struct sim *s = slu_calloc(1, sizeof *s);
    atomic_init(&s->stopping, false);
    pthread_mutex_init(&s->streams_mu, NULL);
    s->st = sim_store_new(0);
    s->time_scale = 1;
    s->bookmark_ms = 1000;
    s->port = 1;
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:1");
    return s;
}

static void fuzz_sim_free(struct sim *s)
{
    sim_store_free(s->st);
    pthread_mutex_destroy(&s->streams_mu);
    slu_vec_release(&s->streams, NULL);
    free(s);
}

/* Copies [p, p+n) up to the first newline into a NUL-terminated string; *rest after it. */
static char *take_line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const char *stop = nl ? nl : end;
    char *s = slu_strndup(*p, (size_t)(stop - *p));
    *p = nl ? nl + 1 : end;
    return s;
}

static void check(const char *method, const char *target, int status, const char *body, size_t len)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_SIM_VERBOSE") != NULL;
    if (verbose) /* to see what a seed does: FUZZ_SIM_VERBOSE=1 fuzz_sim_request FILE */
        fprintf(stderr, "%s %s -> %d %.200s\n", method, target, status, body ? body : "");
    if (status < 200 || status > 599 || status == 500 || !body) {
        fprintf(stderr, "%s %s: status %d: %.300s\n", method, target, status, body ? body : "");
        abort();
    }
    if (status >= 400) {
        json_error_t je;
        json_t *v = json_loadb(body, len, 0, &je);
        const char *msg = json_string_value(json_object_get(v, "message"));
        if (!v || !slu_streq(json_string_value(json_object_get(v, "kind")), "Status") ||
            json_integer_value(json_object_get(v, "code")) != status || !msg || !*msg) {
            fprintf(stderr, "%s %s: %d without a proper Status: %.300s\n", method, target, status,
                    body);
            abort();
        }
        json_decref(v);
    } else if (len && body[0] == '{') {
        json_t *v = json_loadb(body, len, 0, NULL);
        if (!v) {
            fprintf(stderr, "%s %s: %d with a body that is not JSON: %.300s\n", method, target,
                    status, body);
            abort();
        }
        json_decref(v);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        slu_log_set_level(SLU_LOG_OFF);
        quiet = true;
    }
    if (size > 64 * 1024)
        return 0;
    struct sim *s = fuzz_sim_new();
    const char *p = (const char *)data, *end = p + size;
    for (int n = 0; n < MAX_REQS && p < end; n++) {
        /* this request ends at a "\n%%\n" (or the end) */
        const char *stop = end;
        for (const char *q = p; q + 4 <= end; q++) {
            if (!memcmp(q, "\n%%\n", 4)) {
                stop = q;
                break;
            }
        }
        const char *r = p;
        char *line = take_line(&r, stop);
        char *ct = take_line(&r, stop);
        char *accept = take_line(&r, stop);
        char *sp = strchr(line, ' ');
        if (sp && sp != line && sp[1] == '/') {
            *sp = '\0';
            int status = 0;
            char *body = NULL;
            size_t len = 0;
            sim__handle_request(s, line, sp + 1, *ct ? ct : NULL, *accept ? accept : NULL, r,
                                (size_t)(stop - r), &status, &body, &len);
            check(line, sp + 1, status, body, len);
            free(body);
        }
        free(line);
        free(ct);
        free(accept);
        p = stop < end ? stop + 4 : end;
    }
    fuzz_sim_free(s);
    return 0;
}
