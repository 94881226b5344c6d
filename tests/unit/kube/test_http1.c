/* test_http1.c - the lean HTTP/1.1 transport (src/kube/http1.c): the response parser fed whole
 * and byte by byte, and the transport against a scripted keep-alive server on 127.0.0.1 (one
 * thread per connection; each request's answer, delay, trickle or drop chosen by the test):
 * Content-Length and chunked bodies, connection reuse and Connection: close, an idle connection
 * closed by the server (one retry, POST included, reported as stale), truncated and oversize
 * bodies, timeouts, 429 + Retry-After, malformed answers, many threads on one client, the
 * libcurl switch, and TLS (certificates made by the test: CA from memory, the server's address
 * checked, a client certificate required by the server, per-request exec certificates, an
 * untrusted CA, insecure mode). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test.h"

#include "kube/client_priv.h"

/* ---------------------------------------------------------------- parser */

struct pbody {
    struct slu_buf b;
};

static int pbody_add(void *ud, const char *d, size_t n)
{
    slu_buf_append(&((struct pbody *)ud)->b, d, n);
    return 0;
}

/* Parses text whole (step 0) or in pieces of step bytes; returns the parse result and fills
 * *status and body. */
static int parse_text(const char *text, size_t len, size_t step, struct kube__h1_parser *p,
                      struct slu_buf *body, bool eof, struct slu_err *err)
{
    struct pbody pb = {0};
    memset(p, 0, sizeof(*p));
    kube__h1_parser_init(p);
    p->on_body = pbody_add;
    p->ud = &pb;
    int rc = 0;
    size_t off = 0;
    while (off < len) {
        size_t n = step ? SLU_MIN(step, len - off) : len - off;
        size_t used = 0;
        rc = kube__h1_parse(p, text + off, n, &used, err);
        off += used;
        if (rc != 0)
            break;
    }
    if (rc == 0 && eof)
        rc = kube__h1_parse_eof(p, err);
    *body = pb.b;
    return rc;
}

static void test_parser(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int rc;
        int status;
        const char *body;
        bool keep_alive;
        bool eof;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/json\r\n\r\nhello", 1,
         200, "hello", true, false},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n"
         "6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
         1, 200, "hello world", true, false},
        {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}", 1, 201,
         "{}", true, false},
        {"HTTP/1.1 204 No Content\r\n\r\n", 1, 204, "", true, false},
        {"HTTP/1.0 200 OK\r\n\r\nuntil close", 1, 200, "until close", false, true},
        {"HTTP/1.1 200 OK\nContent-Length: 2\nConnection: close\n\nok", 1, 200, "ok", false, false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc", 1, 200, "abc", true, false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabc", SLU_EIO, 200, "",
         true, false},
        {"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", SLU_EIO, 200, "", true, false},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", SLU_EIO, 200, "", true, false},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", SLU_EIO, 200, "", true,
         false},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", SLU_EIO, 200, "ab",
         true, false},
        {"HTTP/2 200\r\n\r\n", SLU_EIO, 0, "", true, false},
        {"HTTP/1.1 20 OK\r\n\r\n", SLU_EIO, 0, "", true, false},
        {"HTTP/1.1 200 OK\r\n folded\r\n\r\n", SLU_EIO, 200, "", true, false},
        {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", SLU_EIO, 200, "", true, false},
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", SLU_EIO, 200, "abc", true, true},
    };
    for (size_t i = 0; i < SLU_ARRAY_LEN(cases); i++) {
        for (size_t step = 0; step < 3; step++) { /* whole, 1 byte, 2 bytes at a time */
            struct kube__h1_parser p;
            struct slu_buf body = {0};
            struct slu_err err = {0};
            int rc = parse_text(cases[i].text, strlen(cases[i].text), step, &p, &body, cases[i].eof,
                                &err);
            if (rc != cases[i].rc)
                fail_msg("case %zu step %zu: rc %d (%s)", i, step, rc, err.msg);
            if (rc < 0) {
                const char *want = cases[i].eof ? "missing" : "malformed";
                if (!strstr(err.msg, want) && !strstr(err.msg, "not supported"))
                    fail_msg("case %zu: message \"%s\"", i, err.msg);
            } else {
                assert_int_equal(p.status, cases[i].status);
                assert_int_equal(p.keep_alive, cases[i].keep_alive);
            }
            assert_int_equal(body.len, strlen(cases[i].body));
            if (body.len)
                assert_memory_equal(body.data, cases[i].body, body.len);
            slu_buf_release(&body);
            slu_err_release(&err);
            kube__h1_parser_release(&p);
        }
    }
    /* the bytes after a complete answer are not consumed */
    struct kube__h1_parser p = {0};
    kube__h1_parser_init(&p);
    const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1";
    size_t used = 0;
    assert_int_equal(kube__h1_parse(&p, two, strlen(two), &used, NULL), 1);
    assert_int_equal(used, strlen(two) - 8);
    kube__h1_parser_release(&p);
    /* Retry-After is kept; an endless header block is refused */
    kube__h1_parser_init(&p);
    const char *ra = "HTTP/1.1 429 Too Many\r\nRetry-After:  7 \r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(kube__h1_parse(&p, ra, strlen(ra), &used, NULL), 1);
    assert_string_equal(p.retry_after, "7");
    kube__h1_parser_release(&p);
    kube__h1_parser_init(&p);
    const char *st = "HTTP/1.1 200 OK\r\n";
    assert_int_equal(kube__h1_parse(&p, st, strlen(st), &used, NULL), 0);
    char line[1000];
    memset(line, 'a', sizeof(line));
    memcpy(line, "X-Pad: ", 7);
    line[sizeof(line) - 2] = '\r';
    line[sizeof(line) - 1] = '\n';
    struct slu_err err = {0};
    int rc = 0;
    for (int i = 0; i < 100 && rc == 0; i++)
        rc = kube__h1_parse(&p, line, sizeof(line), &used, &err);
    assert_int_equal(rc, SLU_EIO);
    assert_non_null(strstr(err.msg, "headers larger than"));
    slu_err_release(&err);
    kube__h1_parser_release(&p);
}

/* ---------------------------------------------------------------- scripted server */

struct sreq {
    char method[16];
    char path[512];
    char headers[4096];
    struct slu_buf body;
};

struct sact {
    struct slu_buf out; /* the answer */
    int delay_ms;       /* before answering */
    int trickle_ms;     /* > 0: one byte every trickle_ms */
    bool drop;          /* close without answering */
    bool close_after;   /* close after answering */
};

struct srv;
typedef void (*srv_fn)(struct srv *s, int conn, int nth_on_conn, int total, const struct sreq *rq,
                       struct sact *a);

#define SRV_MAX_CONN 64

struct srv {
    int fd, port;
    pthread_t th;
    atomic_bool stop;
    srv_fn fn;
    void *ud;
    pthread_mutex_t mu;
    int nconn, nreq;
    char methods[64][16];
    pthread_t conn_th[SRV_MAX_CONN];
    int conn_fd[SRV_MAX_CONN];
    SSL_CTX *tls;           /* serve TLS with this context, or NULL */
    char client_cn[64][64]; /* the client certificate's CN of each request (TLS) */
};

/* A connection's I/O, plain or TLS. */
struct sio {
    int fd;
    SSL *ssl;
};

static ssize_t sio_read(struct sio *io, char *b, size_t n)
{
    if (io->ssl) {
        int r = SSL_read(io->ssl, b, (int)n);
        return r > 0 ? r : -1;
    }
    return read(io->fd, b, n);
}

static ssize_t sio_write(struct sio *io, const char *b, size_t n)
{
    if (io->ssl) {
        int w = SSL_write(io->ssl, b, (int)n);
        return w > 0 ? w : -1;
    }
    return send(io->fd, b, n, MSG_NOSIGNAL);
}

struct conn_arg {
    struct srv *s;
    int idx;
};

static bool wait_in(struct srv *s, struct sio *io)
{
    if (io->ssl && SSL_pending(io->ssl))
        return true;
    int fd = io->fd;
    for (int waited = 0; waited < 10000 && !atomic_load(&s->stop); waited += 20) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) > 0)
            return true;
    }
    return false;
}

static void nap(struct srv *s, int ms)
{
    for (int w = 0; w < ms && !atomic_load(&s->stop); w += 5)
        slu_sleep_ms(SLU_MIN(5, ms - w));
}

/* Reads one request; in: the connection's bytes read but not used yet (pipelined requests). */
static bool read_req(struct srv *s, struct sio *io, struct slu_buf *in, struct sreq *rq)
{
    char buf[4096];
    size_t hdr_end = 0;
    for (;;) {
        char *e = in->len ? memmem(in->data, in->len, "\r\n\r\n", 4) : NULL;
        if (e) {
            hdr_end = (size_t)(e - in->data) + 4;
            break;
        }
        if (!wait_in(s, io))
            return false;
        ssize_t r = sio_read(io, buf, sizeof(buf));
        if (r <= 0)
            return false;
        slu_buf_append(in, buf, (size_t)r);
    }
    sscanf(in->data, "%15s %511s", rq->method, rq->path);
    size_t hl = SLU_MIN(hdr_end, sizeof(rq->headers) - 1);
    memcpy(rq->headers, in->data, hl);
    rq->headers[hl] = '\0';
    size_t clen = 0;
    const char *cl = strcasestr(rq->headers, "\r\ncontent-length:");
    if (cl)
        clen = strtoul(cl + 17, NULL, 10);
    while (in->len - hdr_end < clen) {
        if (!wait_in(s, io))
            return false;
        ssize_t r = sio_read(io, buf, sizeof(buf));
        if (r <= 0)
            return false;
        slu_buf_append(in, buf, (size_t)r);
    }
    slu_buf_append(&rq->body, in->data + hdr_end, clen);
    size_t used = hdr_end + clen;
    memmove(in->data, in->data + used, in->len - used);
    in->len -= used;
    in->data[in->len] = '\0';
    return true;
}

static void *conn_main(void *arg)
{
    struct conn_arg *ca = arg;
    struct srv *s = ca->s;
    int fd = s->conn_fd[ca->idx];
    struct sio io = {.fd = fd};
    char cn[64] = "";
    if (s->tls) {
        struct timeval tv = {.tv_sec = 5};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        io.ssl = SSL_new(s->tls);
        SSL_set_fd(io.ssl, fd);
        if (SSL_accept(io.ssl) != 1) {
            ERR_clear_error();
            SSL_free(io.ssl);
            close(fd);
            free(ca);
            return NULL;
        }
        X509 *peer = SSL_get1_peer_certificate(io.ssl);
        if (peer) {
            X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
            X509_free(peer);
        }
    }
    struct slu_buf in = {0};
    for (int nth = 0; !atomic_load(&s->stop); nth++) {
        struct sreq rq = {0};
        if (!read_req(s, &io, &in, &rq)) {
            slu_buf_release(&rq.body);
            break;
        }
        pthread_mutex_lock(&s->mu);
        int total = s->nreq++;
        if (total < 64) {
            slu_strlcpy(s->methods[total], rq.method, sizeof(s->methods[total]));
            slu_strlcpy(s->client_cn[total], cn, sizeof(s->client_cn[total]));
        }
        pthread_mutex_unlock(&s->mu);
        struct sact a = {0};
        s->fn(s, ca->idx, nth, total, &rq, &a);
        slu_buf_release(&rq.body);
        if (a.drop) {
            slu_buf_release(&a.out);
            break;
        }
        nap(s, a.delay_ms);
        size_t off = 0;
        while (off < a.out.len && !atomic_load(&s->stop)) {
            size_t n = a.trickle_ms ? 1 : a.out.len - off;
            ssize_t w = sio_write(&io, a.out.data + off, n);
            if (w <= 0)
                break;
            off += (size_t)w;
            if (a.trickle_ms)
                nap(s, a.trickle_ms);
        }
        slu_buf_release(&a.out);
        if (a.close_after)
            break;
    }
    slu_buf_release(&in);
    if (io.ssl)
        SSL_free(io.ssl); /* no close_notify: like a server dropping an idle connection */
    close(fd);
    free(ca);
    return NULL;
}

static void *accept_main(void *arg)
{
    struct srv *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        int cfd = accept(s->fd, NULL, NULL);
        if (cfd < 0)
            continue;
        pthread_mutex_lock(&s->mu);
        int idx = s->nconn < SRV_MAX_CONN ? s->nconn++ : -1;
        pthread_mutex_unlock(&s->mu);
        if (idx < 0) {
            close(cfd);
            continue;
        }
        s->conn_fd[idx] = cfd;
        struct conn_arg *ca = slu_calloc(1, sizeof(*ca));
        ca->s = s;
        ca->idx = idx;
        pthread_create(&s->conn_th[idx], NULL, conn_main, ca);
    }
    return NULL;
}

static void srv_start_tls(struct srv *s, srv_fn fn, void *ud, SSL_CTX *tls)
{
    memset(s, 0, sizeof(*s));
    s->tls = tls;
    s->fn = fn;
    s->ud = ud;
    pthread_mutex_init(&s->mu, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(s->fd, 64), 0);
    socklen_t sl = sizeof(sa);
    getsockname(s->fd, (struct sockaddr *)&sa, &sl);
    s->port = ntohs(sa.sin_port);
    atomic_init(&s->stop, false);
    assert_int_equal(pthread_create(&s->th, NULL, accept_main, s), 0);
}

static void srv_start(struct srv *s, srv_fn fn, void *ud)
{
    srv_start_tls(s, fn, ud, NULL);
}

static void srv_stop(struct srv *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->th, NULL);
    for (int i = 0; i < s->nconn; i++)
        pthread_join(s->conn_th[i], NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->mu);
}

static int srv_nreq(struct srv *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->nreq;
    pthread_mutex_unlock(&s->mu);
    return n;
}

static struct kube__h1 *h1_for(struct srv *s)
{
    struct kube__h1_conf cf = {.host = "127.0.0.1", .port = s->port, .path_prefix = ""};
    struct kube__h1 *h = kube__h1_new(&cf, NULL);
    assert_non_null(h);
    return h;
}

/* An exchange with the usual caps; body in *body (2xx) or *ebody. */
static int h1_get(struct kube__h1 *h, const char *method, const char *path, size_t cap,
                  int64_t timeout_ms, struct slu_buf *body, struct slu_buf *ebody,
                  struct kube__h1_result *res, struct slu_err *err)
{
    struct kube__h1_call call = {.method = method,
                                 .path_query = path,
                                 .headers = "Accept: application/json\r\n",
                                 .body = strcmp(method, "GET") ? "{\"a\":1}" : NULL,
                                 .body_len = strcmp(method, "GET") ? 7 : 0,
                                 .timeout_ms = timeout_ms,
                                 .body_out = body,
                                 .body_cap = cap,
                                 .err_out = ebody,
                                 .err_cap = 16};
    return kube__h1_do(h, &call, res, err);
}

static void reply(struct sact *a, int status, const char *extra, const char *body)
{
    slu_buf_printf(
        &a->out,
        "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n%s",
        status, extra ? extra : "", strlen(body), body);
}

/* ---------------------------------------------------------------- transport */

static void plain_fn(struct srv *s, int conn, int nth, int total, const struct sreq *rq,
                     struct sact *a)
{
    (void)s;
    (void)conn;
    (void)nth;
    if (strcmp(rq->path, "/chunked") == 0) {
        slu_buf_puts(&a->out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "3;name=value\r\n{\"x\r\n5\r\n\":42}\r\n0\r\nTrailer: yes\r\n\r\n");
    } else if (strcmp(rq->path, "/stream") == 0) {
        /* a watch: two events, then the stream stays open */
        slu_buf_puts(&a->out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "6\r\nline1\n\r\n6\r\nline2\n\r\n");
    } else if (strcmp(rq->path, "/close") == 0) {
        reply(a, 200, "Connection: close\r\n", "{}");
        a->close_after = true;
    } else if (strcmp(rq->path, "/drop") == 0) {
        a->drop = true;
    } else if (strcmp(rq->path, "/dropreused") == 0 && nth > 0) {
        a->drop = true; /* an idle timeout racing a reused connection */
    } else if (strcmp(rq->path, "/big") == 0) {
        char big[200];
        memset(big, 'b', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        reply(a, 200, NULL, big);
    } else if (strcmp(rq->path, "/bigchunk") == 0) {
        slu_buf_puts(&a->out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 20; i++)
            slu_buf_puts(&a->out, "a\r\n0123456789\r\n");
        slu_buf_puts(&a->out, "0\r\n\r\n");
    } else if (strcmp(rq->path, "/err") == 0) {
        reply(a, 500, NULL, "{\"kind\":\"Status\",\"message\":\"a long error body here\"}");
    } else if (strcmp(rq->path, "/429") == 0) {
        reply(a, 429, "Retry-After: 7\r\n", "{}");
    } else if (strcmp(rq->path, "/badstatus") == 0) {
        slu_buf_puts(&a->out, "HTTP/1.1 OK 200\r\n\r\n");
    } else if (strcmp(rq->path, "/badheader") == 0) {
        slu_buf_puts(&a->out, "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n");
    } else if (strcmp(rq->path, "/truncated") == 0) {
        slu_buf_puts(&a->out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
        a->close_after = true;
    } else if (strcmp(rq->path, "/slow") == 0) {
        reply(a, 200, NULL, "{}");
        a->delay_ms = 1000;
    } else if (strcmp(rq->path, "/trickle") == 0) {
        reply(a, 200, NULL, "{\"padding\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}");
        a->trickle_ms = 20;
    } else {
        char b[64];
        snprintf(b, sizeof(b), "{\"n\":%d,\"method\":\"%s\"}", total, rq->method);
        reply(a, rq->method[0] == 'P' && rq->method[1] == 'O' ? 201 : 200, NULL, b);
    }
}

static void test_keepalive_and_bodies(void **state)
{
    (void)state;
    struct srv s;
    srv_start(&s, plain_fn, NULL);
    struct kube__h1 *h = h1_for(&s);
    struct slu_buf body = {0}, eb = {0};
    struct kube__h1_result res;
    struct slu_err err = {0};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(h1_get(h, "GET", "/x", 1000, 5000, &body, &eb, &res, &err), 0);
        assert_int_equal(res.status, 200);
        char want[64];
        snprintf(want, sizeof(want), "{\"n\":%d,\"method\":\"GET\"}", i);
        assert_int_equal(body.len, strlen(want));
        assert_memory_equal(body.data, want, body.len);
    }
    assert_int_equal(h1_get(h, "POST", "/x", 1000, 5000, &body, &eb, &res, &err), 0);
    assert_int_equal(res.status, 201);
    assert_int_equal(h1_get(h, "GET", "/chunked", 1000, 5000, &body, &eb, &res, &err), 0);
    assert_int_equal(body.len, 8);
    assert_memory_equal(body.data, "{\"x\":42}", 8);
    /* a non-2xx body goes to the error buffer, its first err_cap bytes */
    assert_int_equal(h1_get(h, "GET", "/err", 1000, 5000, &body, &eb, &res, &err), 0);
    assert_int_equal(res.status, 500);
    assert_int_equal(body.len, 0);
    assert_int_equal(eb.len, 16);
    assert_memory_equal(eb.data, "{\"kind\":\"Status\"", 16);
    assert_int_equal(h1_get(h, "GET", "/429", 1000, 5000, &body, &eb, &res, &err), 0);
    assert_int_equal(res.status, 429);
    assert_string_equal(res.retry_after, "7");
    /* all of it on one connection */
    assert_int_equal(kube__h1_connects(h), 1);
    assert_false(res.stale_retry);
    /* Connection: close: the next request needs a new connection */
    assert_int_equal(h1_get(h, "GET", "/close", 1000, 5000, &body, &eb, &res, &err), 0);
    assert_int_equal(h1_get(h, "GET", "/x", 1000, 5000, &body, &eb, &res, &err), 0);
    assert_int_equal(kube__h1_connects(h), 2);
    assert_false(res.stale_retry);
    slu_buf_release(&body);
    slu_buf_release(&eb);
    kube__h1_free(h);
    srv_stop(&s);
}

static void test_errors(void **state)
{
    (void)state;
    struct srv s;
    srv_start(&s, plain_fn, NULL);
    struct kube__h1 *h = h1_for(&s);
    struct slu_buf body = {0}, eb = {0};
    struct kube__h1_result res;
    struct slu_err err = {0};
    /* oversize, by Content-Length and chunked */
    assert_int_equal(h1_get(h, "GET", "/big", 100, 5000, &body, &eb, &res, &err), SLU_ETOOBIG);
    assert_true(res.overflow);
    assert_non_null(strstr(err.msg, "larger than 100"));
    slu_err_release(&err);
    assert_int_equal(h1_get(h, "GET", "/bigchunk", 100, 5000, &body, &eb, &res, &err), SLU_ETOOBIG);
    slu_err_release(&err);
    assert_int_equal(h1_get(h, "GET", "/bigchunk", 200, 5000, &body, &eb, &res, &err), 0);
    assert_int_equal(body.len, 200);
    /* truncated */
    assert_int_equal(h1_get(h, "GET", "/truncated", 1000, 5000, &body, &eb, &res, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "GET /truncated"));
    assert_non_null(strstr(err.msg, "91 bytes of the body missing"));
    slu_err_release(&err);
    /* malformed */
    assert_int_equal(h1_get(h, "GET", "/badstatus", 1000, 5000, &body, &eb, &res, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "malformed HTTP answer: status line \"HTTP/1.1 OK 200\""));
    slu_err_release(&err);
    assert_int_equal(h1_get(h, "GET", "/badheader", 1000, 5000, &body, &eb, &res, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "header line \"no colon here\""));
    slu_err_release(&err);
    /* a slow server: timed out, and the connection is not reused */
    uint64_t before = kube__h1_connects(h);
    assert_int_equal(h1_get(h, "GET", "/slow", 1000, 100, &body, &eb, &res, &err), SLU_ETIMEDOUT);
    assert_non_null(strstr(err.msg, "within 100 ms"));
    slu_err_release(&err);
    /* a server that trickles: each read is quick, the whole is late */
    assert_int_equal(h1_get(h, "GET", "/trickle", 1000, 150, &body, &eb, &res, &err),
                     SLU_ETIMEDOUT);
    slu_err_release(&err);
    assert_int_equal(h1_get(h, "GET", "/x", 1000, 5000, &body, &eb, &res, &err), 0);
    assert_true(kube__h1_connects(h) > before);
    /* nobody listening: not sent */
    int port = s.port;
    slu_buf_release(&body);
    slu_buf_release(&eb);
    kube__h1_free(h);
    srv_stop(&s);
    struct kube__h1_conf cf = {.host = "127.0.0.1", .port = port, .path_prefix = ""};
    h = kube__h1_new(&cf, NULL);
    assert_int_equal(h1_get(h, "POST", "/x", 100, 1000, &body, &eb, &res, &err), SLU_EIO);
    assert_true(res.not_sent);
    assert_non_null(strstr(err.msg, "POST /x: cannot connect to 127.0.0.1"));
    slu_err_release(&err);
    kube__h1_free(h);
}

/* The second request on every connection finds it closed (an idle timeout racing the request);
 * with drop_all, every request on a fresh connection is dropped as well. */
struct stale {
    bool drop_all;
    bool partial; /* answer the second request with half a head, then close */
};

static void stale_fn(struct srv *s, int conn, int nth, int total, const struct sreq *rq,
                     struct sact *a)
{
    (void)conn;
    (void)total;
    struct stale *st = s->ud;
    if (nth == 1 && st->partial) {
        slu_buf_puts(&a->out, "HTTP/1.1 200 OK\r\nContent-");
        a->close_after = true;
        return;
    }
    if (nth == 1 || (st->drop_all && nth == 0 && total > 0)) {
        a->drop = true;
        return;
    }
    reply(a, rq->method[0] == 'P' ? 201 : 200, NULL, "{}");
}

static void test_stale_connection(void **state)
{
    (void)state;
    struct stale st = {0};
    struct srv s;
    srv_start(&s, stale_fn, &st);
    struct kube__h1 *h = h1_for(&s);
    struct slu_buf body = {0}, eb = {0};
    struct kube__h1_result res;
    struct slu_err err = {0};
    assert_int_equal(h1_get(h, "GET", "/a", 100, 5000, &body, &eb, &res, &err), 0);
    assert_false(res.stale_retry);
    /* the reused connection is closed under the GET: sent again once, on a new connection */
    assert_int_equal(h1_get(h, "GET", "/b", 100, 5000, &body, &eb, &res, &err), 0);
    assert_true(res.stale_retry);
    assert_int_equal(srv_nreq(&s), 3);
    assert_int_equal(kube__h1_connects(h), 2);
    /* the same for a POST, reported as stale so the caller knows the first send is unknown */
    assert_int_equal(h1_get(h, "POST", "/c", 100, 5000, &body, &eb, &res, &err), 0);
    assert_int_equal(res.status, 201);
    assert_true(res.stale_retry);
    assert_int_equal(srv_nreq(&s), 5);
    /* only once: the fresh connection is dropped too -> an error, not a third send */
    st.drop_all = true;
    assert_int_equal(h1_get(h, "POST", "/d", 100, 5000, &body, &eb, &res, &err), SLU_EIO);
    assert_true(res.stale_retry);
    assert_false(res.not_sent);
    assert_int_equal(srv_nreq(&s), 7);
    slu_err_release(&err);
    /* a fresh connection dropped: no retry at all */
    assert_int_equal(h1_get(h, "POST", "/e", 100, 5000, &body, &eb, &res, &err), SLU_EIO);
    assert_false(res.stale_retry);
    assert_int_equal(srv_nreq(&s), 8);
    assert_non_null(strstr(err.msg, "closed the connection without answering"));
    slu_err_release(&err);
    /* part of an answer arrived on a reused connection: not retried */
    st.drop_all = false;
    st.partial = true;
    assert_int_equal(h1_get(h, "POST", "/f", 100, 5000, &body, &eb, &res, &err), 0);
    int n = srv_nreq(&s);
    assert_int_equal(h1_get(h, "POST", "/g", 100, 5000, &body, &eb, &res, &err), SLU_EIO);
    assert_false(res.stale_retry);
    assert_int_equal(srv_nreq(&s), n + 1);
    assert_non_null(strstr(err.msg, "middle of the headers"));
    slu_err_release(&err);
    slu_buf_release(&body);
    slu_buf_release(&eb);
    kube__h1_free(h);
    srv_stop(&s);
}

/* ---------------------------------------------------------------- pipelined batches */

static void batch_calls(struct kube__h1_call *calls, const char *const *paths, size_t n,
                        struct slu_buf *bodies)
{
    for (size_t i = 0; i < n; i++)
        calls[i] = (struct kube__h1_call){.method = strcmp(paths[i], "/p") ? "GET" : "POST",
                                          .path_query = paths[i],
                                          .body = strcmp(paths[i], "/p") ? NULL : "{}",
                                          .body_len = strcmp(paths[i], "/p") ? 0 : 2,
                                          .timeout_ms = 5000,
                                          .body_out = &bodies[i],
                                          .body_cap = 1000};
}

static int run_batch(struct kube__h1 *h, const char *const *paths, size_t n,
                     struct kube__h1_result *res, int *rcs, struct slu_err *errs,
                     struct slu_buf *bodies)
{
    struct kube__h1_call calls[8];
    batch_calls(calls, paths, n, bodies);
    for (size_t i = 0; i < n; i++) {
        slu_err_release(&errs[i]);
        slu_buf_reset(&bodies[i]);
    }
    return kube__h1_do_batch(h, calls, n, res, rcs, errs);
}

static void test_batch(void **state)
{
    (void)state;
    struct srv s;
    srv_start(&s, plain_fn, NULL);
    struct kube__h1 *h = h1_for(&s);
    struct kube__h1_result res[8];
    int rcs[8];
    struct slu_err errs[8] = {0};
    struct slu_buf bodies[8] = {0};
    /* four requests, one connection, the answers in order (several in one read, a chunked one
     * among them) */
    const char *const p1[] = {"/x", "/p", "/chunked", "/x"};
    assert_int_equal(run_batch(h, p1, 4, res, rcs, errs, bodies), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(rcs[i], 0);
    assert_int_equal(res[0].status, 200);
    assert_string_equal(bodies[0].data, "{\"n\":0,\"method\":\"GET\"}");
    assert_int_equal(res[1].status, 201);
    assert_string_equal(bodies[1].data, "{\"n\":1,\"method\":\"POST\"}");
    assert_string_equal(bodies[2].data, "{\"x\":42}");
    assert_string_equal(bodies[3].data, "{\"n\":3,\"method\":\"GET\"}");
    assert_int_equal(kube__h1_connects(h), 1);
    assert_int_equal(srv_nreq(&s), 4);
    /* the connection went back to the pool: a single request reuses it */
    struct slu_buf body = {0}, eb = {0};
    struct kube__h1_result r1;
    struct slu_err err = {0};
    assert_int_equal(h1_get(h, "GET", "/x", 1000, 5000, &body, &eb, &r1, &err), 0);
    assert_string_equal(body.data, "{\"n\":4,\"method\":\"GET\"}");
    assert_int_equal(kube__h1_connects(h), 1);
    /* the server closes after an announced Connection: close: what follows was not processed */
    const char *const p2[] = {"/x", "/close", "/p", "/x"};
    assert_int_equal(run_batch(h, p2, 4, res, rcs, errs, bodies), 0);
    assert_int_equal(rcs[0], 0);
    assert_int_equal(rcs[1], 0);
    assert_int_equal(res[1].status, 200);
    for (int i = 2; i < 4; i++) {
        assert_int_equal(rcs[i], SLU_EIO);
        assert_true(res[i].not_sent);
        assert_non_null(strstr(errs[i].msg, "closed the connection before reading it"));
    }
    assert_int_equal(srv_nreq(&s), 7);
    /* a connection broken in the middle: the rest's fate is unknown */
    const char *const p3[] = {"/x", "/drop", "/p"};
    assert_int_equal(run_batch(h, p3, 3, res, rcs, errs, bodies), 0);
    assert_int_equal(rcs[0], 0);
    for (int i = 1; i < 3; i++) {
        assert_int_equal(rcs[i], SLU_EIO);
        assert_false(res[i].not_sent);
    }
    assert_non_null(strstr(errs[1].msg, "GET /drop"));
    assert_non_null(strstr(errs[2].msg, "POST /p"));
    /* a pooled connection closed under the batch (no byte of the first answer): the whole
     * batch again on a fresh connection */
    const char *const p4[] = {"/x"};
    assert_int_equal(run_batch(h, p4, 1, res, rcs, errs, bodies), 0);
    uint64_t conns = kube__h1_connects(h);
    const char *const p5[] = {"/dropreused", "/p"};
    assert_int_equal(run_batch(h, p5, 2, res, rcs, errs, bodies), 0);
    assert_int_equal(rcs[0], 0);
    assert_int_equal(rcs[1], 0);
    assert_true(res[0].stale_retry);
    assert_true(res[1].stale_retry);
    assert_int_equal(res[1].status, 201);
    assert_int_equal(kube__h1_connects(h), conns + 1);
    /* an unhurried batch (read with SO_RCVLOWAT and a short timeout): every answer, in order,
     * even one that comes late; then the connection goes back to the pool */
    {
        const char *const pl[] = {"/x", "/p", "/trickle", "/chunked"};
        struct kube__h1_call lc[4];
        batch_calls(lc, pl, 4, bodies);
        lc[0].unhurried = true;
        for (int i = 0; i < 4; i++) {
            slu_err_release(&errs[i]);
            slu_buf_reset(&bodies[i]);
        }
        uint64_t before = kube__h1_connects(h);
        assert_int_equal(kube__h1_do_batch(h, lc, 4, res, rcs, errs), 0);
        for (int i = 0; i < 4; i++)
            assert_int_equal(rcs[i], 0);
        assert_int_equal(res[1].status, 201);
        assert_non_null(strstr(bodies[2].data, "padding"));
        assert_string_equal(bodies[3].data, "{\"x\":42}");
        assert_int_equal(h1_get(h, "GET", "/x", 1000, 5000, &body, &eb, &r1, &err), 0);
        assert_int_equal(kube__h1_connects(h), before); /* the same connection, pooled */
    }
    /* a timeout inside a batch */
    const char *const p6[] = {"/x", "/slow", "/x"};
    struct kube__h1_call calls[3];
    batch_calls(calls, p6, 3, bodies);
    for (int i = 0; i < 3; i++) {
        calls[i].timeout_ms = 200;
        slu_err_release(&errs[i]);
    }
    assert_int_equal(kube__h1_do_batch(h, calls, 3, res, rcs, errs), 0);
    assert_int_equal(rcs[0], 0);
    assert_int_equal(rcs[1], SLU_ETIMEDOUT);
    assert_non_null(strstr(errs[1].msg, "GET /slow: no complete answer within 200 ms"));
    assert_int_equal(rcs[2], SLU_ETIMEDOUT);
    for (int i = 0; i < 8; i++) {
        slu_err_release(&errs[i]);
        slu_buf_release(&bodies[i]);
    }
    slu_buf_release(&body);
    slu_buf_release(&eb);
    kube__h1_free(h);
    /* nobody listening: nothing sent */
    int port = s.port;
    srv_stop(&s);
    struct kube__h1_conf cf = {.host = "127.0.0.1", .port = port, .path_prefix = ""};
    h = kube__h1_new(&cf, NULL);
    const char *const p7[] = {"/p", "/x"};
    assert_int_equal(run_batch(h, p7, 2, res, rcs, errs, bodies), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rcs[i], SLU_EIO);
        assert_true(res[i].not_sent);
        assert_non_null(strstr(errs[i].msg, "cannot connect to 127.0.0.1"));
        slu_err_release(&errs[i]);
        slu_buf_release(&bodies[i]);
    }
    kube__h1_free(h);
}

/* ---------------------------------------------------------------- through the client */

#define CM "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c1\",\"labels\":{\"a\":\"b\"}}}"

/* First POST ok on a new connection; the next POST on it is dropped (stale), the retried POST
 * gets AlreadyExists (the first one "had" worked), and the read-back finds our object. */
static void create_fn(struct srv *s, int conn, int nth, int total, const struct sreq *rq,
                      struct sact *a)
{
    (void)s;
    (void)conn;
    if (strcmp(rq->method, "GET") == 0) {
        reply(a, 200, NULL, CM);
    } else if (total == 0) {
        reply(a, 201, NULL, "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c0\"}}");
    } else if (nth == 1) {
        a->drop = true;
    } else {
        reply(a, 409, NULL,
              "{\"kind\":\"Status\",\"code\":409,\"reason\":\"AlreadyExists\",\"message\":"
              "\"configmaps \\\"c1\\\" already exists\"}");
    }
}

static struct kube_client *client_for(int port)
{
    struct kube_config cfg = {0};
    cfg.server = slu_asprintf("http://127.0.0.1:%d", port);
    cfg.qps = -1;
    cfg.token = "tok";
    struct kube_client *c = kube_client_new(&cfg, NULL);
    free(cfg.server);
    assert_non_null(c);
    return c;
}

static void test_client_create_after_stale(void **state)
{
    (void)state;
    struct srv s;
    srv_start(&s, create_fn, NULL);
    struct kube_client *c = client_for(s.port);
    struct slu_err err = {0};
    json_t *o = json_pack("{s:{s:s}}", "metadata", "name", "c0");
    assert_int_equal(kube_create(c, &KUBE_RES_CONFIGMAPS, "ns", o, NULL, &err), 0);
    json_decref(o);
    o = json_loads(CM, 0, NULL);
    json_t *out = NULL;
    assert_int_equal(kube_create(c, &KUBE_RES_CONFIGMAPS, "ns", o, &out, &err), 0);
    assert_string_equal(slu_json_str(out, "metadata.name"), "c1");
    json_decref(out);
    json_decref(o);
    assert_int_equal(srv_nreq(&s), 4); /* POST, POST (dropped), POST (409), GET */
    assert_string_equal(s.methods[3], "GET");
    uint64_t lean = 0, curl = 0;
    kube__client_transport_counts(c, &lean, &curl);
    assert_int_equal(lean, 3);
    assert_int_equal(curl, 0);
    kube_client_free(c);
    srv_stop(&s);
}

static void test_client_429_and_switch(void **state)
{
    (void)state;
    struct srv s;
    srv_start(&s, plain_fn, NULL);
    struct kube_client *c = client_for(s.port);
    struct slu_err err = {0};
    int status = 0;
    struct slu_buf resp = {0};
    struct kube__req rq = {.method = "GET", .path_query = "/429", .retry = KUBE__RETRY_NONE};
    assert_int_equal(kube__do(c, &rq, &status, &resp, NULL, &err), SLU_ETOOMANY);
    assert_int_equal(status, 429);
    assert_int_equal(err.retry_after, 7);
    slu_err_release(&err);
    rq.path_query = "/badstatus";
    assert_int_equal(kube__do(c, &rq, &status, &resp, NULL, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "GET /badstatus: malformed HTTP answer"));
    slu_err_release(&err);
    /* the same requests through libcurl */
    kube__client_set_transport(c, KUBE__TRANSPORT_CURL);
    rq.path_query = "/chunked";
    assert_int_equal(kube__do(c, &rq, &status, &resp, NULL, &err), 0);
    assert_int_equal(resp.len, 8);
    uint64_t lean = 0, curl = 0;
    kube__client_transport_counts(c, &lean, &curl);
    assert_int_equal(lean, 2);
    assert_int_equal(curl, 1);
    kube__client_set_transport(c, KUBE__TRANSPORT_AUTO);
    assert_int_equal(kube__do(c, &rq, &status, &resp, NULL, &err), 0);
    kube__client_transport_counts(c, &lean, &curl);
    assert_int_equal(lean, 3);
    kube_client_free(c);
    /* the environment variable */
    setenv("SLU_KUBE_TRANSPORT", "curl", 1);
    c = client_for(s.port);
    unsetenv("SLU_KUBE_TRANSPORT");
    assert_int_equal(kube__do(c, &rq, &status, &resp, NULL, &err), 0);
    kube__client_transport_counts(c, &lean, &curl);
    assert_int_equal(lean, 0);
    assert_int_equal(curl, 1);
    kube_client_free(c);
    slu_buf_release(&resp);
    srv_stop(&s);
}

/* kube_create_batch's server: c-ok is created; c-429 is refused once with 429; c-500 answers 500
 * but "was" created (a retry finds it: 409, then the read-back shows ours); c-theirs exists and
 * is someone else's (409 at once). */
struct bstate {
    int n429, n500;
};

static void batchc_fn(struct srv *s, int conn, int nth, int total, const struct sreq *rq,
                      struct sact *a)
{
    (void)conn;
    (void)nth;
    (void)total;
    struct bstate *b = s->ud;
    static const char conflict[] = "{\"kind\":\"Status\",\"code\":409,\"reason\":\"AlreadyExists\","
                                   "\"message\":\"configmaps already exists\"}";
    if (strcmp(rq->method, "GET") == 0) {
        reply(
            a, 200, NULL,
            "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c-500\",\"labels\":{\"a\":\"b\"}}}");
    } else if (strstr(rq->body.data, "c-429")) {
        if (b->n429++ == 0)
            reply(a, 429, NULL, "{}");
        else
            reply(a, 201, NULL, rq->body.data);
    } else if (strstr(rq->body.data, "c-500")) {
        if (b->n500++ == 0)
            reply(a, 500, NULL, "{\"kind\":\"Status\",\"code\":500,\"message\":\"boom\"}");
        else
            reply(a, 409, NULL, conflict);
    } else if (strstr(rq->body.data, "c-theirs")) {
        reply(a, 409, NULL, conflict);
    } else {
        reply(a, 201, NULL, rq->body.data);
    }
}

static void test_client_batches(void **state)
{
    (void)state;
    struct bstate b = {0};
    struct srv s;
    srv_start(&s, batchc_fn, &b);
    struct kube_client *c = client_for(s.port);
    const char *names[] = {"c-ok", "c-429", "c-500", "c-theirs"};
    json_t *objs[4];
    json_t *outs[4] = {0};
    struct kube_create_req q[4];
    for (int i = 0; i < 4; i++) {
        objs[i] = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}}", "apiVersion", "v1", "kind", "ConfigMap",
                            "metadata", "name", names[i], "labels", "a", "b");
        q[i] = (struct kube_create_req){
            .res = &KUBE_RES_CONFIGMAPS, .ns = "ns", .obj = objs[i], .out = &outs[i]};
    }
    static const char *const sel[] = {"metadata.name"};
    q[0].select = sel; /* only that is parsed of the answer */
    q[0].nselect = 1;
    assert_int_equal(kube_create_batch(c, q, 4), 1);
    assert_int_equal(q[0].rc, 0);
    assert_string_equal(slu_json_str(outs[0], "metadata.name"), "c-ok");
    assert_null(json_object_get(outs[0], "kind"));
    assert_null(slu_json_path(outs[0], "metadata.labels"));
    assert_string_equal(slu_json_str(outs[1], "kind"), "ConfigMap");
    assert_int_equal(q[1].rc, 0); /* 429, then alone */
    assert_string_equal(slu_json_str(outs[1], "metadata.name"), "c-429");
    assert_int_equal(q[2].rc, 0); /* 500, then 409, then the read-back: ours */
    assert_string_equal(slu_json_str(outs[2], "metadata.name"), "c-500");
    assert_int_equal(q[3].rc, SLU_EEXIST); /* a definite 409 */
    assert_null(outs[3]);
    assert_non_null(strstr(q[3].err.msg, "already exists"));
    /* 4 pipelined, then c-429 and c-500 again, and c-500's read-back */
    assert_int_equal(srv_nreq(&s), 7);
    assert_string_equal(s.methods[6], "GET");
    for (int i = 0; i < 4; i++) {
        slu_err_release(&q[i].err);
        json_decref(objs[i]);
        json_decref(outs[i]);
    }
    /* raw requests: a bad path fails alone, the others go */
    struct slu_buf r0 = {0};
    struct kube_batch_req rq[3] = {{.method = "POST",
                                    .path_query = "/x",
                                    .body = "{\"metadata\":{\"name\":\"c-ok\"}}",
                                    .body_len = 29,
                                    .content_type = "application/json",
                                    .resp = &r0},
                                   {.method = "GET", .path_query = "no-slash"},
                                   {.method = "POST",
                                    .path_query = "/x",
                                    .body = "{\"metadata\":{\"name\":\"c-theirs\"}}",
                                    .body_len = 33}};
    assert_int_equal(kube_request_batch(c, rq, 3), 2);
    assert_int_equal(rq[0].rc, 0);
    assert_int_equal(rq[0].http_status, 201);
    assert_non_null(strstr(r0.data, "c-ok"));
    assert_int_equal(rq[1].rc, SLU_EINVAL);
    assert_int_equal(rq[2].rc, SLU_EEXIST);
    assert_int_equal(rq[2].http_status, 409);
    for (int i = 0; i < 3; i++)
        slu_err_release(&rq[i].err);
    slu_buf_release(&r0);
    /* through libcurl (no pipelining): the same results, one by one */
    kube__client_set_transport(c, KUBE__TRANSPORT_CURL);
    int before = srv_nreq(&s);
    assert_int_equal(kube_request_batch(c, rq, 3), 2);
    assert_int_equal(rq[0].rc, 0);
    assert_int_equal(rq[2].rc, SLU_EEXIST);
    assert_int_equal(srv_nreq(&s), before + 2);
    assert_non_null(strstr(r0.data, "c-ok"));
    for (int i = 0; i < 3; i++)
        slu_err_release(&rq[i].err);
    slu_buf_release(&r0);
    kube_client_free(c);
    srv_stop(&s);
}

struct worker {
    struct kube_client *c;
    int ok;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 40; i++) {
        struct slu_buf resp = {0};
        int status = 0;
        if (kube_request(w->c, i % 2 ? "POST" : "GET", "/x", "application/json", "{}", 2, &status,
                         &resp, NULL) == 0 &&
            resp.len > 0 && strstr(resp.data, i % 2 ? "\"POST\"" : "\"GET\""))
            w->ok++;
        slu_buf_release(&resp);
    }
    return NULL;
}

static void test_many_threads(void **state)
{
    (void)state;
    struct srv s;
    srv_start(&s, plain_fn, NULL);
    struct kube_client *c = client_for(s.port);
    struct worker w[8];
    pthread_t th[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){.c = c};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].ok, 40);
    }
    assert_int_equal(srv_nreq(&s), 320);
    /* connections are kept and shared, one per concurrent caller at most */
    pthread_mutex_lock(&s.mu);
    int nconn = s.nconn;
    pthread_mutex_unlock(&s.mu);
    assert_true(nconn >= 1 && nconn <= 8);
    kube_client_free(c);
    srv_stop(&s);
}

/* ---------------------------------------------------------------- TLS */

struct pki {
    EVP_PKEY *key;
    X509 *cert;
    char *cert_pem, *key_pem;
};

static char *pem_of(X509 *x, EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    if (x)
        PEM_write_bio_X509(b, x);
    else
        PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = slu_strndup(data, (size_t)n);
    BIO_free(b);
    return out;
}

/* A certificate for cn (EC key), signed by issuer (NULL: self-signed CA); san like
 * "IP:127.0.0.1" or NULL. */
static void pki_make(struct pki *p, const char *cn, const struct pki *issuer, const char *san)
{
    p->key = EVP_EC_gen("prime256v1");
    assert_non_null(p->key);
    X509 *x = X509_new();
    X509_set_version(x, 2);
    static long serial = 1;
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, p->key);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) : nm);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer->cert : x, x, NULL, NULL, 0);
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, issuer ? "CA:FALSE" : "CA:TRUE");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (san) {
        ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, issuer ? issuer->key : p->key, EVP_sha256()) > 0);
    p->cert = x;
    p->cert_pem = pem_of(x, NULL);
    p->key_pem = pem_of(NULL, p->key);
}

static void pki_free(struct pki *p)
{
    X509_free(p->cert);
    EVP_PKEY_free(p->key);
    free(p->cert_pem);
    free(p->key_pem);
}

/* A server context: cert/key, and client certificates required and checked against ca. */
static SSL_CTX *server_ctx(const struct pki *srv_cert, const struct pki *ca)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate(ctx, srv_cert->cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, srv_cert->key), 1);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca->cert);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    return ctx;
}

static void tls_fn(struct srv *s, int conn, int nth, int total, const struct sreq *rq,
                   struct sact *a)
{
    (void)s;
    (void)conn;
    (void)total;
    if (strcmp(rq->path, "/stale") == 0 && nth > 0) {
        a->drop = true;
        return;
    }
    reply(a, 200, NULL, "{\"tls\":true}");
}

static struct kube__h1 *h1_tls(int port, const char *ca_pem, const struct pki *client,
                               bool insecure, struct slu_err *err)
{
    struct kube__h1_conf cf = {.tls = true,
                               .host = "127.0.0.1",
                               .port = port,
                               .path_prefix = "",
                               .ca_pem = ca_pem,
                               .cert_pem = client ? client->cert_pem : NULL,
                               .key_pem = client ? client->key_pem : NULL,
                               .insecure = insecure};
    return kube__h1_new(&cf, err);
}

static int tls_get(struct kube__h1 *h, const char *path, const struct pki *exec_cert,
                   struct kube__h1_result *res, struct slu_err *err)
{
    struct slu_buf body = {0}, eb = {0};
    struct kube__h1_call call = {.method = "GET",
                                 .path_query = path,
                                 .timeout_ms = 5000,
                                 .cert_pem = exec_cert ? exec_cert->cert_pem : NULL,
                                 .key_pem = exec_cert ? exec_cert->key_pem : NULL,
                                 .body_out = &body,
                                 .body_cap = 1000,
                                 .err_out = &eb,
                                 .err_cap = 100};
    int rc = kube__h1_do(h, &call, res, err);
    if (rc == 0 && (body.len != 12 || memcmp(body.data, "{\"tls\":true}", 12) != 0))
        rc = -100;
    slu_buf_release(&body);
    slu_buf_release(&eb);
    return rc;
}

static void test_tls(void **state)
{
    (void)state;
    struct pki ca, other_ca, srv_cert, wrong_name, cl_static, cl_exec1, cl_exec2, rogue;
    pki_make(&ca, "test-ca", NULL, NULL);
    pki_make(&other_ca, "other-ca", NULL, NULL);
    pki_make(&srv_cert, "server", &ca, "IP:127.0.0.1,DNS:localhost");
    pki_make(&wrong_name, "server", &ca, "IP:10.1.2.3");
    pki_make(&cl_static, "static-user", &ca, NULL);
    pki_make(&cl_exec1, "exec-one", &ca, NULL);
    pki_make(&cl_exec2, "exec-two", &ca, NULL);
    pki_make(&rogue, "rogue", &other_ca, NULL);
    SSL_CTX *sctx = server_ctx(&srv_cert, &ca);
    struct srv s;
    srv_start_tls(&s, tls_fn, NULL, sctx);
    struct kube__h1_result res;
    struct slu_err err = {0};

    /* CA from memory, the address checked, the static client certificate; kept alive */
    struct kube__h1 *h = h1_tls(s.port, ca.cert_pem, &cl_static, false, &err);
    assert_non_null(h);
    for (int i = 0; i < 3; i++)
        assert_int_equal(tls_get(h, "/x", NULL, &res, &err), 0);
    assert_int_equal(kube__h1_connects(h), 1);
    assert_string_equal(s.client_cn[0], "static-user");
    assert_string_equal(s.client_cn[2], "static-user");
    /* per-request certificates (exec plugin): a connection is reused only with its own */
    assert_int_equal(tls_get(h, "/x", &cl_exec1, &res, &err), 0);
    assert_int_equal(tls_get(h, "/x", &cl_exec1, &res, &err), 0);
    assert_int_equal(kube__h1_connects(h), 2);
    assert_int_equal(tls_get(h, "/x", &cl_exec2, &res, &err), 0);
    assert_int_equal(kube__h1_connects(h), 3);
    assert_string_equal(s.client_cn[3], "exec-one");
    assert_string_equal(s.client_cn[4], "exec-one");
    assert_string_equal(s.client_cn[5], "exec-two");
    /* an idle TLS connection dropped by the server: sent again once */
    assert_int_equal(tls_get(h, "/stale", NULL, &res, &err), 0);
    assert_false(res.stale_retry);
    assert_int_equal(tls_get(h, "/stale", NULL, &res, &err), 0);
    assert_true(res.stale_retry);
    kube__h1_free(h);

    /* the server requires a client certificate: refused without one, or with a foreign one */
    h = h1_tls(s.port, ca.cert_pem, NULL, false, &err);
    assert_int_equal(tls_get(h, "/x", NULL, &res, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "GET /x"));
    slu_err_release(&err);
    assert_int_equal(tls_get(h, "/x", &rogue, &res, &err), SLU_EIO);
    slu_err_release(&err);
    kube__h1_free(h);
    /* a CA that did not sign the server's certificate: not trusted, unless insecure */
    h = h1_tls(s.port, other_ca.cert_pem, &cl_static, false, &err);
    assert_int_equal(tls_get(h, "/x", NULL, &res, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "not trusted"));
    slu_err_release(&err);
    kube__h1_free(h);
    h = h1_tls(s.port, other_ca.cert_pem, &cl_static, true, &err);
    assert_int_equal(tls_get(h, "/x", NULL, &res, &err), 0);
    kube__h1_free(h);
    /* bad TLS material is refused when the transport is made */
    h = h1_tls(s.port, "not a certificate", NULL, false, &err);
    assert_null(h);
    assert_non_null(strstr(err.msg, "certificate-authority"));
    slu_err_release(&err);
    srv_stop(&s);
    SSL_CTX_free(sctx);

    /* a certificate for another address: refused */
    sctx = server_ctx(&wrong_name, &ca);
    srv_start_tls(&s, tls_fn, NULL, sctx);
    h = h1_tls(s.port, ca.cert_pem, &cl_static, false, &err);
    assert_int_equal(tls_get(h, "/x", NULL, &res, &err), SLU_EIO);
    assert_non_null(strstr(err.msg, "not trusted"));
    slu_err_release(&err);
    kube__h1_free(h);
    srv_stop(&s);
    SSL_CTX_free(sctx);

    struct pki *all[] = {&ca,        &other_ca, &srv_cert, &wrong_name,
                         &cl_static, &cl_exec1, &cl_exec2, &rogue};
    for (size_t i = 0; i < SLU_ARRAY_LEN(all); i++)
        pki_free(all[i]);
}

/* ---------------------------------------------------------------- streams */

struct collect {
    struct slu_buf got;
    int calls, stop_after; /* stop_after > 0: answer false on that call */
};

static bool collect_fn(void *ud, const char *data, size_t n)
{
    struct collect *c = ud;
    slu_buf_append(&c->got, data, n);
    return ++c->calls != c->stop_after;
}

struct stopper {
    atomic_bool *flag;
    struct collect *c;
};

static void *stopper_main(void *arg)
{
    struct stopper *st = arg;
    /* stop once both events arrived (or after 5 s: the test then fails on the data) */
    for (int i = 0; i < 500 && st->c->got.len < 12; i++)
        slu_sleep_ms(10);
    atomic_store(st->flag, true);
    return NULL;
}

static void test_streams(void **state)
{
    (void)state;
    struct srv s;
    srv_start(&s, plain_fn, NULL);
    struct kube__h1 *h = h1_for(&s);
    struct kube__h1_result res;
    struct slu_err err = {0};
    /* a complete chunked body goes to on_data, not to body_out */
    struct collect c1 = {0};
    struct slu_buf body = {0};
    struct kube__h1_call call = {.method = "GET",
                                 .path_query = "/chunked",
                                 .body_out = &body,
                                 .body_cap = 1 << 20,
                                 .on_data = collect_fn,
                                 .ud = &c1};
    assert_int_equal(kube__h1_do(h, &call, &res, &err), 0);
    assert_int_equal(res.status, 200);
    assert_int_equal(c1.got.len, 8);
    assert_memory_equal(c1.got.data, "{\"x\":42}", 8);
    assert_int_equal(body.len, 0);
    /* an open stream ends when the stop flag is set, with what arrived delivered */
    atomic_bool stop = false;
    struct collect c2 = {0};
    struct stopper st = {&stop, &c2};
    pthread_t th;
    pthread_create(&th, NULL, stopper_main, &st);
    call = (struct kube__h1_call){
        .method = "GET", .path_query = "/stream", .on_data = collect_fn, .ud = &c2, .stop = &stop};
    assert_int_equal(kube__h1_do(h, &call, &res, &err), SLU_ECANCELED);
    pthread_join(th, NULL);
    slu_err_release(&err);
    assert_int_equal(c2.got.len, 12);
    assert_memory_equal(c2.got.data, "line1\nline2\n", 12);
    /* on_data saying stop ends it at once, without a message of ours */
    struct collect c3 = {.stop_after = 1};
    atomic_store(&stop, false);
    call.ud = &c3;
    assert_int_equal(kube__h1_do(h, &call, &res, &err), SLU_ECANCELED);
    assert_true(res.cb_stopped);
    assert_int_equal(c3.calls, 1);
    slu_err_release(&err);
    slu_buf_release(&c1.got);
    slu_buf_release(&c2.got);
    slu_buf_release(&c3.got);
    slu_buf_release(&body);
    kube__h1_free(h);
    srv_stop(&s);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser),
        cmocka_unit_test(test_keepalive_and_bodies),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stale_connection),
        cmocka_unit_test(test_batch),
        cmocka_unit_test(test_client_create_after_stale),
        cmocka_unit_test(test_client_429_and_switch),
        cmocka_unit_test(test_client_batches),
        cmocka_unit_test(test_many_threads),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_streams),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
