/*
 * fuzz_http1_response.c - libFuzzer target for the lean HTTP/1.1 transport's response parser
 * (src/kube/http1.c: kube__h1_parse / kube__h1_parse_eof).
 *
 * Input: the first byte picks the piece size the answer is fed in (1 + byte % 64) and whether
 * the connection then ends (bit 7); the rest is the server's bytes (exactly that many, so reads
 * past the end are caught by ASan).
 *
 * Invariants: no crash, no sanitizer report; the result (done / needs more / error code), the
 * status, the keep-alive decision, the bytes consumed and the body are the same whether the
 * input is fed whole or in pieces (for a failure: the code and the body so far; which of two
 * limits is reported may differ); the body is never longer than the input; a completed answer
 * with a Content-Length and no chunking has exactly that many body bytes; a failure always has
 * a message. Any mismatch aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/client_priv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
    int rc;
    int status;
    bool keep_alive;
    size_t used;
    struct slu_buf body;
    char msg[1024];
};

static int add_body(void *ud, const char *d, size_t n)
{
    struct slu_buf *b = ud;
    if (b->len + n > ((size_t)1 << 20))
        return SLU_ETOOBIG;
    slu_buf_append(b, d, n);
    return 0;
}

static void run(const char *in, size_t n, size_t step, bool eof, struct outcome *o)
{
    struct kube__h1_parser p;
    memset(&p, 0, sizeof(p));
    kube__h1_parser_init(&p);
    p.on_body = add_body;
    p.ud = &o->body;
    struct slu_err err = {0};
    size_t off = 0;
    int rc = 0;
    while (off < n) {
        size_t k = step ? (n - off < step ? n - off : step) : n - off;
        size_t used = 0;
        rc = kube__h1_parse(&p, in + off, k, &used, &err);
        if (used > k)
            abort();
        off += used;
        if (rc != 0)
            break;
        if (used != k) /* 0 means all of it was taken */
            abort();
    }
    if (rc == 0 && eof)
        rc = kube__h1_parse_eof(&p, &err);
    o->rc = rc;
    o->status = p.status;
    o->keep_alive = p.keep_alive;
    o->used = off;
    if (rc < 0 && rc != SLU_ETOOBIG && !err.msg[0])
        abort();
    if (rc == 1 && !p.chunked && p.content_length >= 0 && p.status != 204 && p.status != 304 &&
        o->body.len != (size_t)p.content_length)
        abort();
    memcpy(o->msg, err.msg, sizeof(o->msg));
    slu_err_release(&err);
    kube__h1_parser_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = 1 + (data[0] & 63);
    bool eof = (data[0] & 128) != 0;
    size_t n = size - 1;
    char *in = malloc(n ? n : 1);
    memcpy(in, data + 1, n);
    struct outcome whole = {0}, parts = {0};
    run(in, n, 0, eof, &whole);
    run(in, n, step, eof, &parts);
    if (whole.rc != parts.rc || whole.body.len > n || whole.body.len != parts.body.len ||
        (whole.body.len && memcmp(whole.body.data, parts.body.data, whole.body.len) != 0))
        abort();
    /* on success everything about the answer agrees; on failure only where it was found */
    if (whole.rc >= 0 && (whole.status != parts.status || whole.keep_alive != parts.keep_alive ||
                          whole.used != parts.used))
        abort();
    slu_buf_release(&whole.body);
    slu_buf_release(&parts.body);
    free(in);
    return 0;
}
