/*
 * http1.c - the kube client's lean transport: HTTP/1.1 with keep-alive over plain TCP or
 * OpenSSL, for ordinary (non-streaming) requests. client.c's perform_once uses it when the
 * connection is eligible and falls back to libcurl otherwise (see docs/internals/kube.md).
 *
 * Why: libcurl's multi-socket machinery costs several poll/futex calls and ~30 option settings
 * per request. Here a request is one send (headers and body in one buffer, TCP_NODELAY) and
 * usually one recv: sockets are blocking, and the overall timeout is enforced with
 * SO_RCVTIMEO/SO_SNDTIMEO (set only when the value must change) plus a deadline checked after
 * every read, so no poll is needed.
 *
 * Connections: a pool per client (mutex-protected LIFO free list, at most max_idle kept); a
 * connection is used by one thread at a time. A connection idle for more than IDLE_CHECK_NS is
 * probed with one non-blocking MSG_PEEK before use (EOF or unexpected bytes: discarded). When a
 * reused connection still turns out closed (the write fails, or the read ends with EOF/ECONNRESET
 * before the first byte of an answer), the request is sent once more on a fresh connection,
 * whatever the method. This is libcurl's rule (Curl_retry_request: no byte received on a reused
 * connection) and the race it covers is a server closing an idle keep-alive connection while our
 * request is in flight: servers close only idle connections, so it never saw the request. A
 * server that crashed after acting on a request would look the same, so the caller is told
 * (stale_retry) and treats the first send as an attempt with an unknown outcome (kube_create
 * reads the object back on AlreadyExists; kube_delete accepts NotFound).
 *
 * TLS: one SSL_CTX per client built from memory (CA bundle or the system store, client
 * certificate and key, verification on unless insecure); the name checked is the host of the
 * URL (as an IP address when it is one), and SNI is sent for names. A per-request client
 * certificate (exec plugin) is installed on each new SSL, and a pooled connection made with
 * another certificate is not reused. The socket BIO is our own so that sends use MSG_NOSIGNAL
 * (no SIGPIPE) and we see the errno of the failed call.
 *
 * Parser: incremental, bounded (status/header/chunk lines 16 KiB, a head or trailer block 64
 * KiB), Content-Length, chunked (extensions and trailers ignored), or a body delimited by the
 * connection's close; 1xx answers are skipped. Anything else malformed is SLU_EIO naming the
 * problem.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kube/client_priv.h"

#define LINE_MAX_BYTES ((size_t)16 << 10)
#define HEAD_MAX_BYTES ((size_t)64 << 10)
#define RBUF_SIZE ((size_t)64 << 10)
#define CONNECT_TIMEOUT_MS 10000
#define IDLE_CHECK_NS ((int64_t)2 * 1000000000)
#define CL_MAX ((int64_t)1 << 62)
#define USER_AGENT "sluice/0.1"

/* ---------------------------------------------------------------- parser */

void kube__h1_parser_init(struct kube__h1_parser *p)
{
    struct slu_buf keep = p->line;
    memset(p, 0, sizeof(*p));
    p->line = keep;
    slu_buf_reset(&p->line);
    p->content_length = -1;
    p->state = KUBE__H1_STATUS;
}

void kube__h1_parser_release(struct kube__h1_parser *p)
{
    slu_buf_release(&p->line);
}

/* A printable, bounded copy of bytes for an error message. */
static void snippet(char *out, size_t cap, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        unsigned char ch = (unsigned char)s[i];
        out[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    out[k] = '\0';
}

static int bad(struct slu_err *err, const char *what, const char *s, size_t n)
{
    char sn[80];
    snippet(sn, sizeof(sn), s, n);
    return slu_err_set(err, SLU_EIO, "malformed HTTP answer: %s \"%s\"", what, sn);
}

static bool ieq(const char *s, size_t n, const char *lit)
{
    return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static void trim(const char **s, size_t *n)
{
    while (*n && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static bool is_tchar(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int parse_status(struct kube__h1_parser *p, const char *s, size_t n, struct slu_err *err)
{
    /* HTTP/1.x SP 3DIGIT [SP reason] */
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ' ||
        s[9] < '1' || s[9] > '9' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
        (n > 12 && s[12] != ' '))
        return bad(err, "status line", s, n);
    p->minor = s[7] - '0';
    p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    if (p->status == 101)
        return bad(err, "unexpected protocol switch", s, n);
    return 0;
}

static int parse_content_length(struct kube__h1_parser *p, const char *v, size_t n,
                                struct slu_err *err)
{
    /* a list of identical values ("5, 5") is allowed (RFC 9110 8.6) */
    size_t i = 0;
    do {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        if (i >= n)
            break;
        int64_t x = 0;
        size_t start = i;
        while (i < n && v[i] >= '0' && v[i] <= '9') {
            if (x > CL_MAX / 10)
                return bad(err, "Content-Length too large", v, n);
            x = x * 10 + (v[i] - '0');
            i++;
        }
        if (i == start || (i < n && v[i] != ' ' && v[i] != '\t' && v[i] != ','))
            return bad(err, "Content-Length", v, n);
        if (p->content_length >= 0 && p->content_length != x)
            return bad(err, "conflicting Content-Length", v, n);
        p->content_length = x;
    } while (i < n);
    if (p->content_length < 0)
        return bad(err, "Content-Length", v, n);
    return 0;
}

static int parse_header(struct kube__h1_parser *p, const char *s, size_t n, struct slu_err *err)
{
    if (s[0] == ' ' || s[0] == '\t')
        return bad(err, "folded header line", s, n);
    const char *colon = memchr(s, ':', n);
    if (!colon || colon == s)
        return bad(err, "header line", s, n);
    size_t nl = (size_t)(colon - s);
    for (size_t i = 0; i < nl; i++)
        if (!is_tchar((unsigned char)s[i]))
            return bad(err, "header name", s, n);
    const char *v = colon + 1;
    size_t vl = n - nl - 1;
    trim(&v, &vl);
    if (ieq(s, nl, "content-length")) {
        return parse_content_length(p, v, vl, err);
    } else if (ieq(s, nl, "transfer-encoding")) {
        /* we send no TE and no Accept-Encoding: only "chunked" is expected */
        size_t i = 0;
        while (i < vl) {
            size_t j = i;
            while (j < vl && v[j] != ',')
                j++;
            const char *t = v + i;
            size_t tl = j - i;
            trim(&t, &tl);
            if (tl && !ieq(t, tl, "chunked"))
                return slu_err_set(err, SLU_EIO,
                                   "HTTP answer uses Transfer-Encoding \"%.*s\", which is not "
                                   "supported",
                                   (int)SLU_MIN(tl, 40), t);
            if (tl)
                p->chunked = true;
            i = j + 1;
        }
    } else if (ieq(s, nl, "connection")) {
        size_t i = 0;
        while (i < vl) {
            size_t j = i;
            while (j < vl && v[j] != ',')
                j++;
            const char *t = v + i;
            size_t tl = j - i;
            trim(&t, &tl);
            if (ieq(t, tl, "close"))
                p->conn_close = true;
            else if (ieq(t, tl, "keep-alive"))
                p->conn_keep_alive = true;
            i = j + 1;
        }
    } else if (ieq(s, nl, "retry-after")) {
        size_t k = SLU_MIN(vl, sizeof(p->retry_after) - 1);
        memcpy(p->retry_after, v, k);
        p->retry_after[k] = '\0';
    } else if (ieq(s, nl, "content-type")) {
        size_t k = SLU_MIN(vl, sizeof(p->content_type) - 1);
        memcpy(p->content_type, v, k);
        p->content_type[k] = '\0';
    }
    return 0;
}

/* The end of a head: decides how the body is delimited. */
static void head_done(struct kube__h1_parser *p)
{
    p->keep_alive = p->minor >= 1 ? !p->conn_close : p->conn_keep_alive && !p->conn_close;
    p->head_bytes = 0;
    if (p->status == 204 || p->status == 304) {
        p->state = KUBE__H1_DONE;
    } else if (p->chunked) {
        if (p->content_length >= 0) /* both: chunked wins, and the connection is not reused */
            p->keep_alive = false;
        p->state = KUBE__H1_CHUNK_SIZE;
    } else if (p->content_length >= 0) {
        p->left = (uint64_t)p->content_length;
        p->state = p->left ? KUBE__H1_BODY_LEN : KUBE__H1_DONE;
    } else {
        p->keep_alive = false;
        p->state = KUBE__H1_BODY_CLOSE;
    }
}

static int parse_chunk_size(struct kube__h1_parser *p, const char *s, size_t n, struct slu_err *err)
{
    uint64_t x = 0;
    size_t i = 0;
    while (i < n) {
        char ch = s[i];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d < 0)
            break;
        if (x > ((uint64_t)CL_MAX >> 4))
            return bad(err, "chunk size too large", s, n);
        x = x * 16 + (uint64_t)d;
        i++;
    }
    if (i == 0)
        return bad(err, "chunk size", s, n);
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < n && s[i] != ';') /* chunk extensions are ignored */
        return bad(err, "chunk size", s, n);
    if (x == 0) {
        p->state = KUBE__H1_TRAILER;
        p->head_bytes = 0;
    } else {
        p->left = x;
        p->state = KUBE__H1_CHUNK_DATA;
    }
    return 0;
}

/* One complete line (without its "\n" or "\r\n") in a line state. */
static int parse_line(struct kube__h1_parser *p, const char *s, size_t n, struct slu_err *err)
{
    switch (p->state) {
    case KUBE__H1_STATUS:
        if (n == 0) /* RFC 9112 2.2: empty lines before the status line are ignored */
            return 0;
        if (parse_status(p, s, n, err) < 0)
            return SLU_EIO;
        p->state = KUBE__H1_HEADER;
        return 0;
    case KUBE__H1_HEADER:
        if (n == 0) {
            if (p->status >= 100 && p->status < 200) { /* an interim answer: the real one follows */
                struct slu_buf keep = p->line;
                int (*fn)(void *, const char *, size_t) = p->on_body;
                void *ud = p->ud;
                kube__h1_parser_init(p);
                p->line = keep;
                p->on_body = fn;
                p->ud = ud;
                return 0;
            }
            head_done(p);
            return 0;
        }
        return parse_header(p, s, n, err);
    case KUBE__H1_CHUNK_SIZE:
        return parse_chunk_size(p, s, n, err);
    case KUBE__H1_CHUNK_END:
        if (n != 0)
            return bad(err, "chunk not followed by CRLF", s, n);
        p->state = KUBE__H1_CHUNK_SIZE;
        return 0;
    case KUBE__H1_TRAILER:
        if (n == 0)
            p->state = KUBE__H1_DONE;
        return 0; /* trailer fields are ignored */
    default:
        return slu_err_set(err, SLU_EIO, "HTTP parser: line in a body state");
    }
}

static bool line_state(enum kube__h1_state s)
{
    return s == KUBE__H1_STATUS || s == KUBE__H1_HEADER || s == KUBE__H1_CHUNK_SIZE ||
           s == KUBE__H1_CHUNK_END || s == KUBE__H1_TRAILER;
}

int kube__h1_parse(struct kube__h1_parser *p, const char *data, size_t n, size_t *used,
                   struct slu_err *err)
{
    size_t i = 0;
    int rc = 0;
    while (p->state != KUBE__H1_DONE && i < n) {
        if (line_state(p->state)) {
            const char *nl = memchr(data + i, '\n', n - i);
            size_t seg = nl ? (size_t)(nl - (data + i)) : n - i;
            bool head = p->state != KUBE__H1_CHUNK_SIZE && p->state != KUBE__H1_CHUNK_END;
            if (p->line.len + seg > LINE_MAX_BYTES) {
                rc =
                    slu_err_set(err, SLU_EIO, "malformed HTTP answer: a line longer than %zu bytes",
                                LINE_MAX_BYTES);
                goto out;
            }
            if (head && p->head_bytes + seg + 1 > HEAD_MAX_BYTES) {
                rc = slu_err_set(err, SLU_EIO,
                                 "malformed HTTP answer: headers larger than %zu bytes",
                                 HEAD_MAX_BYTES);
                goto out;
            }
            p->head_bytes += seg + (nl ? 1 : 0);
            if (!nl) {
                slu_buf_append(&p->line, data + i, seg);
                i = n;
                break;
            }
            const char *ln = data + i;
            size_t ll = seg;
            if (p->line.len) {
                slu_buf_append(&p->line, data + i, seg);
                ln = p->line.data;
                ll = p->line.len;
            }
            i += seg + 1;
            if (ll && ln[ll - 1] == '\r')
                ll--;
            rc = parse_line(p, ln, ll, err);
            slu_buf_reset(&p->line);
            if (rc < 0)
                goto out;
            continue;
        }
        size_t take = n - i;
        if (p->state != KUBE__H1_BODY_CLOSE && take > p->left)
            take = (size_t)p->left;
        if (p->on_body && take) {
            rc = p->on_body(p->ud, data + i, take);
            if (rc < 0)
                goto out;
        }
        i += take;
        if (p->state != KUBE__H1_BODY_CLOSE) {
            p->left -= take;
            if (p->left == 0)
                p->state = p->state == KUBE__H1_CHUNK_DATA ? KUBE__H1_CHUNK_END : KUBE__H1_DONE;
        }
    }
    rc = p->state == KUBE__H1_DONE ? 1 : 0;
out:
    if (used)
        *used = i;
    return rc;
}

int kube__h1_parse_eof(struct kube__h1_parser *p, struct slu_err *err)
{
    switch (p->state) {
    case KUBE__H1_BODY_CLOSE:
    case KUBE__H1_DONE:
        p->state = KUBE__H1_DONE;
        return 1;
    case KUBE__H1_STATUS:
        if (p->head_bytes == 0)
            return slu_err_set(err, SLU_EIO, "the server closed the connection without answering");
        /* fall through */
    case KUBE__H1_HEADER:
        return slu_err_set(err, SLU_EIO, "the connection closed in the middle of the headers");
    case KUBE__H1_BODY_LEN:
        return slu_err_set(err, SLU_EIO,
                           "the connection closed with %llu bytes of the body missing "
                           "(Content-Length %lld)",
                           (unsigned long long)p->left, (long long)p->content_length);
    default:
        return slu_err_set(err, SLU_EIO, "the connection closed in the middle of a chunked body");
    }
}

/* ---------------------------------------------------------------- connections */

struct h1_conn {
    int fd;
    SSL *ssl;
    int64_t rcvtimeo_ms, sndtimeo_ms; /* what the socket has now (0: none) */
    int64_t last_used_ns;
    uint64_t nreq;            /* answers received on it */
    char *cert_pem, *key_pem; /* the per-request certificate it was made with, or NULL */
    int io_errno;             /* of the last failed socket call (BIO) */
    bool io_eof;
    struct slu_buf out; /* the request(s) being sent (memory kept) */
    char *rbuf;         /* RBUF_SIZE bytes */
    size_t rpos, rlen;  /* rbuf[rpos..rlen): read but not yet parsed (a pipelined answer) */
    bool lowat;         /* SO_RCVLOWAT set (a stream's): never pooled */
    bool lazy;          /* an unhurried batch is being read (SO_RCVLOWAT set for it) */
};

struct kube__h1 {
    bool tls;
    char *host;     /* for connect, SNI and the name check */
    char *host_hdr; /* Host: value */
    char *port_str;
    char *prefix;
    bool host_is_ip;
    bool insecure;
    SSL_CTX *ctx;
    size_t max_idle;
    pthread_mutex_t mu;
    struct h1_conn **idle;
    size_t nidle;
    _Atomic uint64_t connects;
};

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static int bio_write(BIO *b, const char *data, int len)
{
    struct h1_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t w;
    do
        w = send(c->fd, data, (size_t)len, MSG_NOSIGNAL);
    while (w < 0 && errno == EINTR);
    if (w < 0) {
        c->io_errno = errno;
        if (errno == EAGAIN || errno == EWOULDBLOCK) /* SO_SNDTIMEO: may be called again */
            BIO_set_retry_write(b);
        return -1;
    }
    return (int)w;
}

static int bio_read(BIO *b, char *data, int len)
{
    struct h1_conn *c = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t r;
    do
        r = recv(c->fd, data, (size_t)len, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        c->io_errno = errno;
        if (errno == EAGAIN || errno == EWOULDBLOCK) /* SO_RCVTIMEO: may be called again */
            BIO_set_retry_read(b);
        return -1;
    }
    if (r == 0)
        c->io_eof = true;
    return (int)r;
}

static int bio_puts(BIO *b, const char *s)
{
    return bio_write(b, s, (int)strlen(s));
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void bio_setup(void)
{
    bio_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sluice-socket");
    BIO_meth_set_write(bio_method, bio_write);
    BIO_meth_set_read(bio_method, bio_read);
    BIO_meth_set_puts(bio_method, bio_puts);
    BIO_meth_set_ctrl(bio_method, bio_ctrl);
    BIO_meth_set_create(bio_method, bio_create);
}

static void conn_free(struct h1_conn *c)
{
    if (!c)
        return;
    if (c->ssl)
        SSL_free(c->ssl); /* no close_notify: a blocking write to a dead peer could stall */
    if (c->fd >= 0)
        close(c->fd);
    free(c->cert_pem);
    if (c->key_pem)
        explicit_bzero(c->key_pem, strlen(c->key_pem));
    free(c->key_pem);
    slu_buf_release(&c->out);
    free(c->rbuf);
    free(c);
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static char *openssl_errors(void)
{
    struct slu_buf b = {0};
    unsigned long e;
    while ((e = ERR_get_error()) != 0) {
        char one[256];
        ERR_error_string_n(e, one, sizeof(one));
        if (b.len)
            slu_buf_puts(&b, "; ");
        slu_buf_puts(&b, one);
    }
    return b.len ? slu_buf_steal(&b) : slu_strdup("unknown TLS error");
}

/* Loads a certificate (first PEM block) plus its chain and the key, into ctx or ssl. */
static int load_cert_key(SSL_CTX *ctx, SSL *ssl, const char *cert_pem, const char *key_pem,
                         struct slu_err *err)
{
    BIO *cb = BIO_new_mem_buf(cert_pem, -1);
    BIO *kb = BIO_new_mem_buf(key_pem, -1);
    X509 *x = PEM_read_bio_X509(cb, NULL, NULL, NULL);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL);
    int rc = 0;
    if (!x || !k) {
        char *e = openssl_errors();
        rc = slu_err_set(err, SLU_EINVAL, "client %s: %s", !x ? "certificate" : "key", e);
        free(e);
        goto out;
    }
    if ((ctx ? SSL_CTX_use_certificate(ctx, x) : SSL_use_certificate(ssl, x)) != 1 ||
        (ctx ? SSL_CTX_use_PrivateKey(ctx, k) : SSL_use_PrivateKey(ssl, k)) != 1) {
        char *e = openssl_errors();
        rc = slu_err_set(err, SLU_EINVAL, "client certificate and key: %s", e);
        free(e);
        goto out;
    }
    X509 *extra;
    while ((extra = PEM_read_bio_X509(cb, NULL, NULL, NULL)) != NULL) {
        if ((ctx ? SSL_CTX_add0_chain_cert(ctx, extra) : SSL_add0_chain_cert(ssl, extra)) != 1)
            X509_free(extra);
    }
    ERR_clear_error(); /* the end of the PEM data */
out:
    X509_free(x);
    EVP_PKEY_free(k);
    BIO_free(cb);
    BIO_free(kb);
    return rc;
}

struct kube__h1 *kube__h1_new(const struct kube__h1_conf *cf, struct slu_err *err)
{
    struct kube__h1 *h = slu_calloc(1, sizeof(*h));
    h->tls = cf->tls;
    h->host = slu_strdup(cf->host);
    bool v6 = strchr(cf->host, ':') != NULL;
    int defport = cf->tls ? 443 : 80;
    if (cf->port == defport)
        h->host_hdr = slu_asprintf(v6 ? "[%s]" : "%s", cf->host);
    else
        h->host_hdr = slu_asprintf(v6 ? "[%s]:%d" : "%s:%d", cf->host, cf->port);
    h->port_str = slu_asprintf("%d", cf->port);
    h->prefix = slu_strdup(cf->path_prefix ? cf->path_prefix : "");
    unsigned char tmp[16];
    h->host_is_ip =
        inet_pton(AF_INET, cf->host, tmp) == 1 || inet_pton(AF_INET6, cf->host, tmp) == 1;
    h->insecure = cf->insecure;
    h->max_idle = cf->max_idle ? cf->max_idle : 64;
    h->idle = slu_calloc(h->max_idle, sizeof(*h->idle));
    pthread_mutex_init(&h->mu, NULL);
    if (!cf->tls)
        return h;
    pthread_once(&bio_once, bio_setup);
    ERR_clear_error();
    h->ctx = SSL_CTX_new(TLS_client_method());
    if (!h->ctx || !bio_method) {
        slu_err_set(err, SLU_EINVAL, "TLS: cannot create a context");
        goto fail;
    }
    SSL_CTX_set_min_proto_version(h->ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(h->ctx, SSL_MODE_AUTO_RETRY);
    SSL_CTX_set_options(h->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    SSL_CTX_set_default_read_buffer_len(h->ctx, RBUF_SIZE);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(h->ctx, alpn, sizeof(alpn) - 1);
    if (cf->insecure) {
        SSL_CTX_set_verify(h->ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(h->ctx, SSL_VERIFY_PEER, NULL);
        if (cf->ca_pem) {
            X509_STORE *st = SSL_CTX_get_cert_store(h->ctx);
            BIO *b = BIO_new_mem_buf(cf->ca_pem, -1);
            STACK_OF(X509_INFO) *infos = PEM_X509_INFO_read_bio(b, NULL, NULL, NULL);
            BIO_free(b);
            int added = 0;
            for (int i = 0; infos && i < sk_X509_INFO_num(infos); i++) {
                X509_INFO *xi = sk_X509_INFO_value(infos, i);
                if (xi->x509 && X509_STORE_add_cert(st, xi->x509) == 1)
                    added++;
            }
            sk_X509_INFO_pop_free(infos, X509_INFO_free);
            if (added == 0) {
                char *e = openssl_errors();
                slu_err_set(err, SLU_EINVAL, "certificate-authority data has no certificate: %s",
                            e);
                free(e);
                goto fail;
            }
            ERR_clear_error();
        } else if (SSL_CTX_set_default_verify_paths(h->ctx) != 1) {
            slu_err_set(err, SLU_EINVAL, "TLS: cannot load the system certificate store");
            goto fail;
        }
    }
    if (cf->cert_pem && cf->key_pem && load_cert_key(h->ctx, NULL, cf->cert_pem, cf->key_pem, err))
        goto fail;
    return h;
fail:
    kube__h1_free(h);
    return NULL;
}

void kube__h1_free(struct kube__h1 *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->nidle; i++)
        conn_free(h->idle[i]);
    free(h->idle);
    pthread_mutex_destroy(&h->mu);
    SSL_CTX_free(h->ctx);
    free(h->host);
    free(h->host_hdr);
    free(h->port_str);
    free(h->prefix);
    free(h);
}

uint64_t kube__h1_connects(struct kube__h1 *h)
{
    return atomic_load(&h->connects);
}

static int set_timeo(struct h1_conn *c, int opt, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    int64_t *cur = opt == SO_RCVTIMEO ? &c->rcvtimeo_ms : &c->sndtimeo_ms;
    if (*cur == ms)
        return 0;
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    if (setsockopt(c->fd, SOL_SOCKET, opt, &tv, sizeof(tv)) < 0)
        return -1;
    *cur = ms;
    return 0;
}

/* Brings the socket's per-call bound near ms (the time left; 0: none). It changes only when it
 * is off by more than ms/8 + 10 ms, so that requests with the same timeout pay no system call;
 * a bound that ends before the deadline is harmless (the call is repeated, see io_again). */
static int near_timeo(struct h1_conn *c, int opt, int64_t ms)
{
    int64_t cur = opt == SO_RCVTIMEO ? c->rcvtimeo_ms : c->sndtimeo_ms;
    int64_t slack = ms / 8 + 10;
    if (ms == 0 ? cur == 0 : (cur != 0 && cur <= ms + slack && cur + slack >= ms))
        return 0;
    return set_timeo(c, opt, ms);
}

/* Milliseconds left before deadline (0: no deadline -> 0, meaning none), at least 1. */
static int64_t left_ms(int64_t deadline_ns)
{
    if (!deadline_ns)
        return 0;
    int64_t l = (deadline_ns - slu_now_mono_ns() + 999999) / 1000000;
    return l < 1 ? 1 : l;
}

static bool expired(int64_t deadline_ns)
{
    return deadline_ns && slu_now_mono_ns() >= deadline_ns;
}

/* A call ended with EAGAIN (its SO_*TIMEO bound ran out): true when the deadline is not reached,
 * after setting the bound to the time left, so the caller repeats the call. */
static bool io_again(struct h1_conn *c, int opt, int64_t deadline_ns)
{
    if (!deadline_ns || slu_now_mono_ns() + 1000000 >= deadline_ns)
        return false;
    return set_timeo(c, opt, left_ms(deadline_ns)) == 0;
}

/* Connects a new connection. *not_sent is set when no connection could be made. */
static struct h1_conn *conn_open(struct kube__h1 *h, const struct kube__h1_call *call,
                                 int64_t deadline_ns, bool *not_sent, int *code,
                                 struct slu_err *err)
{
    *code = SLU_EIO;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int gai = getaddrinfo(h->host, h->port_str, &hints, &ai);
    if (gai != 0) {
        *not_sent = true;
        slu_err_set(err, SLU_EIO, "%s %s: cannot resolve %s: %s", call->method, call->path_query,
                    h->host, gai_strerror(gai));
        return NULL;
    }
    struct h1_conn *c = slu_calloc(1, sizeof(*c));
    c->fd = -1;
    int last_errno = 0;
    bool timed_out = false;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        c->fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0) {
            last_errno = errno;
            continue;
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(c->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        int64_t ct = CONNECT_TIMEOUT_MS;
        if (deadline_ns && left_ms(deadline_ns) < ct)
            ct = left_ms(deadline_ns);
        set_timeo(c, SO_SNDTIMEO, ct); /* bounds connect() */
        int r;
        do
            r = connect(c->fd, a->ai_addr, a->ai_addrlen);
        while (r < 0 && errno == EINTR);
        if (r == 0)
            break;
        last_errno = errno;
        if (errno == EINPROGRESS || errno == EAGAIN)
            timed_out = true;
        close(c->fd);
        c->fd = -1;
        c->sndtimeo_ms = 0;
    }
    freeaddrinfo(ai);
    if (c->fd < 0) {
        conn_free(c);
        if (timed_out)
            *code = slu_err_set(err, SLU_ETIMEDOUT, "%s %s: connecting to %s port %s timed out",
                                call->method, call->path_query, h->host, h->port_str);
        else {
            *not_sent = true;
            slu_err_set(err, SLU_EIO, "%s %s: cannot connect to %s port %s: %s", call->method,
                        call->path_query, h->host, h->port_str, strerror(last_errno));
        }
        return NULL;
    }
    atomic_fetch_add(&h->connects, 1);
    c->rbuf = slu_malloc(RBUF_SIZE);
    if (!h->tls)
        return c;
    int64_t tmo = deadline_ns ? left_ms(deadline_ns) : 0;
    set_timeo(c, SO_SNDTIMEO, tmo);
    set_timeo(c, SO_RCVTIMEO, tmo);
    ERR_clear_error();
    c->ssl = SSL_new(h->ctx);
    BIO *b = BIO_new(bio_method);
    if (!c->ssl || !b) {
        BIO_free(b);
        slu_err_set(err, SLU_EIO, "%s %s: TLS: out of resources", call->method, call->path_query);
        conn_free(c);
        return NULL;
    }
    BIO_set_data(b, c);
    SSL_set_bio(c->ssl, b, b);
    SSL_set_read_ahead(c->ssl, 1);
    if (!h->host_is_ip)
        SSL_set_tlsext_host_name(c->ssl, h->host);
    if (!h->insecure) {
        X509_VERIFY_PARAM *vp = SSL_get0_param(c->ssl);
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (h->host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, h->host) != 1
                          : X509_VERIFY_PARAM_set1_host(vp, h->host, 0) != 1) {
            slu_err_set(err, SLU_EIO, "%s %s: TLS: cannot check the name %s", call->method,
                        call->path_query, h->host);
            conn_free(c);
            return NULL;
        }
    }
    if (call->cert_pem && call->key_pem) {
        if (load_cert_key(NULL, c->ssl, call->cert_pem, call->key_pem, err) < 0) {
            slu_err_prefix(err, "%s %s", call->method, call->path_query);
            if (err)
                err->code = SLU_EIO;
            conn_free(c);
            return NULL;
        }
        c->cert_pem = slu_strdup(call->cert_pem);
        c->key_pem = slu_strdup(call->key_pem);
    }
    if (SSL_connect(c->ssl) != 1) {
        long vr = SSL_get_verify_result(c->ssl);
        char *e = openssl_errors();
        if (c->io_errno == EAGAIN || c->io_errno == EWOULDBLOCK)
            *code = slu_err_set(err, SLU_ETIMEDOUT, "%s %s: TLS handshake with %s timed out",
                                call->method, call->path_query, h->host);
        else if (vr != X509_V_OK)
            slu_err_set(err, SLU_EIO, "%s %s: TLS: the certificate of %s is not trusted: %s",
                        call->method, call->path_query, h->host, X509_verify_cert_error_string(vr));
        else
            slu_err_set(err, SLU_EIO, "%s %s: TLS handshake with %s failed: %s", call->method,
                        call->path_query, h->host,
                        c->io_eof     ? "the server closed the connection"
                        : c->io_errno ? strerror(c->io_errno)
                                      : e);
        free(e);
        conn_free(c);
        return NULL;
    }
    return c;
}

/* True when an idle connection looks usable: nothing to read and not closed. */
static bool conn_alive(struct h1_conn *c)
{
    char b;
    ssize_t r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static struct h1_conn *pool_take(struct kube__h1 *h, const struct kube__h1_call *call)
{
    for (;;) {
        struct h1_conn *c = NULL;
        pthread_mutex_lock(&h->mu);
        if (h->nidle)
            c = h->idle[--h->nidle];
        pthread_mutex_unlock(&h->mu);
        if (!c)
            return NULL;
        bool same = !h->tls ||
                    (str_eq(c->cert_pem, call->cert_pem && call->key_pem ? call->cert_pem : NULL) &&
                     str_eq(c->key_pem, call->cert_pem && call->key_pem ? call->key_pem : NULL));
        if (same && (slu_now_mono_ns() - c->last_used_ns < IDLE_CHECK_NS || conn_alive(c)))
            return c;
        conn_free(c);
    }
}

static void pool_give(struct kube__h1 *h, struct h1_conn *c)
{
    c->last_used_ns = slu_now_mono_ns();
    pthread_mutex_lock(&h->mu);
    if (h->nidle < h->max_idle) {
        h->idle[h->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&h->mu);
    conn_free(c);
}

/* Sends all of out. Returns 0, or -errno-ish via *eno (EAGAIN: timed out). */
static int conn_send(struct h1_conn *c, const char *data, size_t n, int64_t deadline_ns, int *eno)
{
    size_t off = 0;
    while (off < n) {
        int e = 0;
        c->io_errno = 0;
        if (c->ssl) {
            ERR_clear_error();
            /* after WANT_WRITE, SSL_write is repeated with the same arguments */
            int w = SSL_write(c->ssl, data + off, (int)SLU_MIN(n - off, (size_t)1 << 30));
            if (w > 0) {
                off += (size_t)w;
                continue;
            }
            e = c->io_errno ? c->io_errno : EPIPE;
        } else {
            ssize_t w = send(c->fd, data + off, n - off, MSG_NOSIGNAL);
            if (w >= 0) {
                off += (size_t)w;
                continue;
            }
            e = errno;
            if (e == EINTR)
                continue;
        }
        if ((e == EAGAIN || e == EWOULDBLOCK) && io_again(c, SO_SNDTIMEO, deadline_ns))
            continue;
        *eno = e;
        return -1;
    }
    return 0;
}

/* Reads some bytes: > 0, 0 at EOF, -1 with *eno (EAGAIN: timed out). *tls_err set when the TLS
 * layer failed for another reason. */
static ssize_t conn_recv(struct h1_conn *c, char *buf, size_t cap, int *eno, bool *tls_err)
{
    c->io_errno = 0;
    c->io_eof = false;
    if (c->ssl) {
        ERR_clear_error();
        int r = SSL_read(c->ssl, buf, (int)SLU_MIN(cap, (size_t)1 << 30));
        if (r > 0)
            return r;
        int se = SSL_get_error(c->ssl, r);
        if (se == SSL_ERROR_ZERO_RETURN || c->io_eof)
            return 0;
        if (c->io_errno) {
            *eno = c->io_errno;
            return -1;
        }
        *tls_err = true;
        *eno = EPROTO;
        return -1;
    }
    ssize_t r;
    do
        r = recv(c->fd, buf, cap, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        *eno = errno;
    return r;
}

struct sink {
    const struct kube__h1_call *call;
    struct kube__h1_result *res;
    const struct kube__h1_parser *p;
};

static int on_body(void *ud, const char *data, size_t n)
{
    struct sink *s = ud;
    bool ok = s->p->status >= 200 && s->p->status < 300;
    if (ok && s->call->on_data) {
        if (!s->call->on_data(s->call->ud, data, n)) {
            s->res->cb_stopped = true;
            return SLU_ECANCELED;
        }
        return 0;
    }
    if (ok) {
        struct slu_buf *b = s->call->body_out;
        if (!b)
            return 0;
        if (b->len + n > s->call->body_cap) {
            s->res->overflow = true;
            return SLU_ETOOBIG;
        }
        if (b->len == 0 && s->p->content_length > 0 &&
            (uint64_t)s->p->content_length <= s->call->body_cap)
            slu_buf_reserve(b, (size_t)s->p->content_length + 1);
        slu_buf_append(b, data, n);
        return 0;
    }
    struct slu_buf *b = s->call->err_out;
    if (b && b->len < s->call->err_cap)
        slu_buf_append(b, data, SLU_MIN(n, s->call->err_cap - b->len));
    return 0;
}

/* Appends the request bytes of call to c->out. */
static void build_request(struct kube__h1 *h, struct h1_conn *c, const struct kube__h1_call *call)
{
    struct slu_buf *o = &c->out;
    slu_buf_reserve(o, 256 + strlen(call->path_query) +
                           (call->headers ? strlen(call->headers) : 0) + call->body_len);
    slu_buf_puts(o, call->method);
    slu_buf_putc(o, ' ');
    slu_buf_puts(o, h->prefix);
    slu_buf_puts(o, call->path_query);
    slu_buf_puts(o, " HTTP/1.1\r\nHost: ");
    slu_buf_puts(o, h->host_hdr);
    slu_buf_puts(o, "\r\nUser-Agent: " USER_AGENT "\r\n");
    if (call->headers)
        slu_buf_puts(o, call->headers);
    bool has_body = call->body || strcmp(call->method, "GET") != 0;
    if (has_body && strcmp(call->method, "DELETE") != 0 && strcmp(call->method, "GET") != 0)
        slu_buf_printf(o, "Content-Length: %zu\r\n", call->body ? call->body_len : 0);
    else if (call->body)
        slu_buf_printf(o, "Content-Length: %zu\r\n", call->body_len);
    slu_buf_puts(o, "\r\n");
    if (call->body && call->body_len)
        slu_buf_append(o, call->body, call->body_len);
}

#define STALE 1 /* a reused connection was closed before any byte of an answer */
/* A stream (a watch) is read in batches: its socket wakes the reader when H1_STREAM_LOWAT bytes
 * are there or H1_STREAM_BATCH_MS after the read began with anything there at all (SO_RCVLOWAT
 * with SO_RCVTIMEO), so that a busy watch costs one wake-up per batch of events instead of one
 * per event, for at most that much delay. The same bound is how often it looks at its stop
 * flag. */
#define H1_STREAM_BATCH_MS 10
#define H1_STREAM_LOWAT (128 * 1024)
/* An unhurried batch's answers are read the same way, every H1_LAZY_MS. */
#define H1_LAZY_MS 5

/* Sets the sockets' per-call bounds for an exchange ending at deadline_ns and sends c->out.
 * 0, STALE (a reused connection found closed), or a negative code with err. */
static int send_out(struct h1_conn *c, const struct kube__h1_call *call, int64_t deadline_ns,
                    bool reused, struct slu_err *err)
{
    int64_t tmo = deadline_ns ? left_ms(deadline_ns) : 0;
    /* SO_*TIMEO bound each call (set only when far from the time left); the deadline is
     * checked after each read */
    if (near_timeo(c, SO_SNDTIMEO, tmo) < 0 || near_timeo(c, SO_RCVTIMEO, tmo) < 0)
        return slu_err_set(err, SLU_EIO, "%s %s: setsockopt: %s", call->method, call->path_query,
                           strerror(errno));
    int eno = 0;
    if (conn_send(c, c->out.data, c->out.len, deadline_ns, &eno) < 0) {
        if (reused && (eno == EPIPE || eno == ECONNRESET || eno == ENOTCONN))
            return STALE;
        if (eno == EAGAIN || eno == EWOULDBLOCK)
            return slu_err_set(err, SLU_ETIMEDOUT, "%s %s: sending the request timed out",
                               call->method, call->path_query);
        return slu_err_set(err, SLU_EIO, "%s %s: sending the request failed: %s", call->method,
                           call->path_query, strerror(eno));
    }
    return 0;
}

/* Reads the answer to call from c: first the bytes left over from the answer before it (a
 * pipelined batch), then from the socket. 0 with a complete answer in res (*keep_alive: the
 * server keeps the connection open after it), STALE (stale_ok: no byte came before the
 * connection closed), or a negative code with err. Bytes after the answer stay in c->rbuf
 * (c->rpos..c->rlen) for the next answer. */
static int read_answer(struct h1_conn *c, const struct kube__h1_call *call,
                       struct kube__h1_result *res, int64_t deadline_ns, bool stale_ok,
                       bool *keep_alive, struct slu_err *err)
{
    *keep_alive = false;
    struct kube__h1_parser p = {0};
    kube__h1_parser_init(&p);
    struct sink s = {.call = call, .res = res, .p = &p};
    p.on_body = on_body;
    p.ud = &s;
    size_t got = 0;
    int rc;
    for (bool first = true;; first = false) {
        const char *data;
        size_t avail;
        if (c->rpos < c->rlen) {
            data = c->rbuf + c->rpos;
            avail = c->rlen - c->rpos;
        } else {
            c->rpos = c->rlen = 0;
            if (!first && deadline_ns) {
                if (expired(deadline_ns)) {
                    rc = slu_err_set(err, SLU_ETIMEDOUT, "%s %s: no complete answer within %lld ms",
                                     call->method, call->path_query, (long long)call->timeout_ms);
                    break;
                }
                /* a slow answer in many pieces: shrink the per-read bound to what is left (with
                 * a little slack, so that a fast answer does not pay a setsockopt per read) */
                int64_t l = left_ms(deadline_ns);
                if (c->rcvtimeo_ms > l + l / 8 + 10)
                    set_timeo(c, SO_RCVTIMEO, l);
            }
            if (call->stop) {
                if (atomic_load(call->stop)) {
                    rc = slu_err_set(err, SLU_ECANCELED, "%s %s: stopped", call->method,
                                     call->path_query);
                    break;
                }
                /* wake up in batches, and now and then to look at the stop flag */
                if (c->rcvtimeo_ms != H1_STREAM_BATCH_MS) {
                    set_timeo(c, SO_RCVTIMEO, H1_STREAM_BATCH_MS);
                    int lowat = H1_STREAM_LOWAT;
                    setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
                    c->lowat = true;
                }
            }
            bool tls_err = false;
            int eno = 0;
            ssize_t r = conn_recv(c, c->rbuf, RBUF_SIZE, &eno, &tls_err);
            if (r < 0 && (eno == EAGAIN || eno == EWOULDBLOCK) && (call->stop || c->lazy) &&
                !expired(deadline_ns))
                continue; /* the stop flag's wake-up, or an unhurried batch's next look */
            if (r < 0 && (eno == EAGAIN || eno == EWOULDBLOCK) &&
                io_again(c, SO_RCVTIMEO, deadline_ns))
                continue;
            if (r < 0 && (eno == EAGAIN || eno == EWOULDBLOCK)) {
                rc = slu_err_set(err, SLU_ETIMEDOUT, "%s %s: no complete answer within %lld ms",
                                 call->method, call->path_query, (long long)call->timeout_ms);
                break;
            }
            if (r < 0 && tls_err) {
                char *e = openssl_errors();
                rc = slu_err_set(err, SLU_EIO, "%s %s: TLS: %s", call->method, call->path_query, e);
                free(e);
                break;
            }
            if (r <= 0) {
                if (got == 0 && stale_ok && (r == 0 || eno == ECONNRESET)) {
                    rc = STALE;
                    break;
                }
                if (r < 0) {
                    rc = slu_err_set(err, SLU_EIO, "%s %s: receiving the answer failed: %s",
                                     call->method, call->path_query, strerror(eno));
                    break;
                }
                struct slu_err perr = {0};
                rc = kube__h1_parse_eof(&p, &perr);
                if (rc == 1) {
                    rc = 0;
                    res->status = p.status;
                } else {
                    rc = slu_err_set(err, SLU_EIO, "%s %s: %s", call->method, call->path_query,
                                     perr.msg);
                }
                slu_err_release(&perr);
                break;
            }
            c->rlen = (size_t)r;
            data = c->rbuf;
            avail = (size_t)r;
        }
        got += avail;
        size_t used = 0;
        struct slu_err perr = {0};
        rc = kube__h1_parse(&p, data, avail, &used, &perr);
        c->rpos += rc == 1 ? used : avail;
        if (rc < 0 && res->cb_stopped) {
            rc = SLU_ECANCELED; /* on_data said stop: it has recorded why */
        } else if (rc == SLU_ETOOBIG) {
            rc = slu_err_set(err, SLU_ETOOBIG, "response body larger than %zu bytes",
                             call->body_cap);
        } else if (rc < 0) {
            rc = slu_err_set(err, SLU_EIO, "%s %s: %s", call->method, call->path_query, perr.msg);
        } else if (rc == 1) {
            rc = 0;
            res->status = p.status;
            *keep_alive = p.keep_alive;
        } else {
            slu_err_release(&perr);
            continue;
        }
        slu_err_release(&perr);
        break;
    }
    if (rc == 0) {
        memcpy(res->retry_after, p.retry_after, sizeof(res->retry_after));
        c->nreq++;
    }
    kube__h1_parser_release(&p);
    return rc;
}

/* Bytes the server sent that no request asked for: the connection is out of step. */
static bool conn_has_extra(struct h1_conn *c)
{
    return c->rpos < c->rlen || (c->ssl && SSL_has_pending(c->ssl));
}

/* One request on c: 0 with a complete answer in res, STALE, or a negative code with err. */
static int exchange(struct kube__h1 *h, struct h1_conn *c, const struct kube__h1_call *call,
                    struct kube__h1_result *res, int64_t deadline_ns, bool *reusable,
                    struct slu_err *err)
{
    *reusable = false;
    bool reused = c->nreq > 0;
    c->rpos = c->rlen = 0;
    slu_buf_reset(&c->out);
    build_request(h, c, call);
    int rc = send_out(c, call, deadline_ns, reused, err);
    if (rc)
        return rc;
    bool keep_alive = false;
    rc = read_answer(c, call, res, deadline_ns, reused, &keep_alive, err);
    /* bytes after the answer: the server is out of step, do not reuse */
    *reusable = rc == 0 && keep_alive && !conn_has_extra(c) && !c->lowat;
    return rc;
}

int kube__h1_do(struct kube__h1 *h, const struct kube__h1_call *call, struct kube__h1_result *res,
                struct slu_err *err)
{
    memset(res, 0, sizeof(*res));
    int64_t deadline_ns = call->timeout_ms > 0 ? slu_now_mono_ns() + call->timeout_ms * 1000000 : 0;
    int rc = SLU_EIO;
    for (int attempt = 0; attempt < 2; attempt++) {
        /* after a stale connection: a fresh one, which cannot be stale */
        struct h1_conn *c = attempt == 0 ? pool_take(h, call) : NULL;
        if (!c) {
            c = conn_open(h, call, deadline_ns, &res->not_sent, &rc, err);
            if (!c)
                return rc;
        }
        if (call->body_out)
            slu_buf_reset(call->body_out);
        if (call->err_out)
            slu_buf_reset(call->err_out);
        bool reusable = false;
        rc = exchange(h, c, call, res, deadline_ns, &reusable, err);
        if (rc == 0 && reusable)
            pool_give(h, c);
        else
            conn_free(c);
        if (rc != STALE)
            return rc;
        res->stale_retry = true;
    }
    return slu_err_set(err, SLU_EIO, "%s %s: the connection closed before an answer", call->method,
                       call->path_query);
}

int kube__h1_do_batch(struct kube__h1 *h, const struct kube__h1_call *calls, size_t n,
                      struct kube__h1_result *res, int *rcs, struct slu_err *errs)
{
    if (n == 0)
        return 0;
    int64_t tmo = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&res[i], 0, sizeof(res[i]));
        rcs[i] = SLU_EIO;
        if (calls[i].timeout_ms > tmo)
            tmo = calls[i].timeout_ms;
    }
    int64_t deadline_ns = tmo > 0 ? slu_now_mono_ns() + tmo * 1000000 : 0;
    size_t answered = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        /* after a stale connection: a fresh one, which cannot be stale */
        struct h1_conn *c = attempt == 0 ? pool_take(h, &calls[0]) : NULL;
        if (!c) {
            bool not_sent = false;
            int code = SLU_EIO;
            c = conn_open(h, &calls[0], deadline_ns, &not_sent, &code, &errs[0]);
            if (!c) {
                for (size_t i = 0; i < n; i++) {
                    res[i].not_sent = not_sent;
                    rcs[i] = code;
                    if (i > 0)
                        slu_err_set(&errs[i], code, "%s", errs[0].msg);
                }
                return 0;
            }
        }
        bool reused = c->nreq > 0;
        c->rpos = c->rlen = 0;
        slu_buf_reset(&c->out);
        for (size_t i = 0; i < n; i++)
            build_request(h, c, &calls[i]);
        int rc = send_out(c, &calls[0], deadline_ns, reused, &errs[0]);
        if (rc == 0 && calls[0].unhurried && n > 1) {
            int lowat = H1_STREAM_LOWAT;
            if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)) == 0) {
                c->lazy = true;
                set_timeo(c, SO_RCVTIMEO, H1_LAZY_MS);
            }
        }
        bool keep_alive = true;
        size_t i = 0;
        if (rc == 0) {
            for (; i < n && keep_alive; i++) {
                const struct kube__h1_call *call = &calls[i];
                if (call->body_out)
                    slu_buf_reset(call->body_out);
                if (call->err_out)
                    slu_buf_reset(call->err_out);
                rc = read_answer(c, call, &res[i], deadline_ns, reused && i == 0, &keep_alive,
                                 &errs[i]);
                rcs[i] = rc;
                if (rc)
                    break;
                answered++;
            }
        }
        if (rc == STALE) {
            conn_free(c);
            for (size_t k = 0; k < n; k++)
                res[k].stale_retry = true;
            continue;
        }
        if (c->lazy) { /* back to an ordinary connection */
            int one = 1;
            if (setsockopt(c->fd, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one)) == 0)
                c->lazy = false;
        }
        if (rc == 0 && keep_alive && !conn_has_extra(c) && !c->lazy)
            pool_give(h, c);
        else
            conn_free(c);
        /* the rest: after a close announced by the server they were not processed (RFC 9112
         * 9.3.2: a server closing after an answer ignores what follows); after a broken
         * connection their fate is unknown */
        bool closed_cleanly = rc == 0 && !keep_alive;
        for (size_t k = answered; k < n; k++) {
            if (k == answered && rc < 0 && errs[k].code) {
                rcs[k] = rc;
                continue;
            }
            res[k].not_sent = closed_cleanly;
            rcs[k] = rc < 0 ? rc : SLU_EIO;
            if (!errs[k].code)
                slu_err_set(&errs[k], rcs[k], "%s %s: %s", calls[k].method, calls[k].path_query,
                            closed_cleanly ? "the server closed the connection before reading it"
                            : rc < 0 && errs[answered].code ? errs[answered].msg
                                                            : "no answer");
        }
        return 0;
    }
    for (size_t k = 0; k < n; k++) {
        rcs[k] = SLU_EIO;
        slu_err_set(&errs[k], SLU_EIO, "%s %s: the connection closed before an answer",
                    calls[k].method, calls[k].path_query);
    }
    return 0;
}
