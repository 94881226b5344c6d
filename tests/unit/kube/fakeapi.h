/*
 * fakeapi.h - a tiny scripted HTTP/1.1 server on 127.0.0.1 for the kube client's unit tests
 * (test_client.c, test_watch.c). One thread accepts connections one at a time; for each request
 * it records method, path, headers and body, and asks the test's handler for the raw answer. An
 * empty answer closes the connection without replying (a transport error for the client); a
 * handler may also ask to hold the connection open for a while after writing (streams).
 */
#ifndef SLU_TEST_FAKEAPI_H
#define SLU_TEST_FAKEAPI_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/base.h"

struct fake_req {
    char method[16];
    char path[2048];
    char headers[8192]; /* raw header block, lower-cased names kept as sent */
    struct slu_buf body;
};

struct fake_answer {
    struct slu_buf raw; /* the whole HTTP answer; empty: drop the connection */
    int hold_ms;        /* keep the connection open this long after writing (0: close) */
};

typedef void (*fake_handler)(void *ud, int n, const struct fake_req *rq, struct fake_answer *a);

struct fakeapi {
    int fd;
    int port;
    pthread_t th;
    atomic_bool stop;
    fake_handler fn;
    void *ud;
    pthread_mutex_t mu;
    int nreq;                 /* requests seen */
    struct fake_req last[64]; /* the first 64 requests, for assertions */
};

static inline void fake_reply(struct fake_answer *a, int status, const char *extra_headers,
                              const char *body)
{
    const char *text = status == 200 ? "OK" : status == 201 ? "Created" : "Status";
    slu_buf_printf(&a->raw,
                   "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: "
                   "%zu\r\nConnection: close\r\n%s\r\n%s",
                   status, text, strlen(body), extra_headers ? extra_headers : "", body);
}

static inline bool fake_read_request(int cfd, struct fake_req *rq)
{
    struct slu_buf in = {0};
    char buf[4096];
    size_t hdr_end = 0;
    for (;;) {
        struct pollfd p = {.fd = cfd, .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0)
            goto fail;
        ssize_t r = read(cfd, buf, sizeof(buf));
        if (r <= 0)
            goto fail;
        slu_buf_append(&in, buf, (size_t)r);
        char *e = strstr(in.data, "\r\n\r\n");
        if (e) {
            hdr_end = (size_t)(e - in.data) + 4;
            break;
        }
    }
    sscanf(in.data, "%15s %2047s", rq->method, rq->path);
    size_t hl = SLU_MIN(hdr_end, sizeof(rq->headers) - 1);
    memcpy(rq->headers, in.data, hl);
    rq->headers[hl] = '\0';
    size_t clen = 0;
    const char *cl = strcasestr(in.data, "\r\ncontent-length:");
    if (cl && cl < in.data + hdr_end)
        clen = strtoul(cl + 17, NULL, 10);
    while (in.len - hdr_end < clen) {
        ssize_t r = read(cfd, buf, sizeof(buf));
        if (r <= 0)
            goto fail;
        slu_buf_append(&in, buf, (size_t)r);
    }
    slu_buf_append(&rq->body, in.data + hdr_end, clen);
    slu_buf_release(&in);
    return true;
fail:
    slu_buf_release(&in);
    return false;
}

static inline void *fake_main(void *arg)
{
    struct fakeapi *f = arg;
    while (!atomic_load(&f->stop)) {
        struct pollfd p = {.fd = f->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int cfd = accept(f->fd, NULL, NULL);
        if (cfd < 0)
            continue;
        struct fake_req rq = {0};
        if (!fake_read_request(cfd, &rq)) {
            close(cfd);
            continue;
        }
        pthread_mutex_lock(&f->mu);
        int n = f->nreq++;
        if (n < 64) {
            f->last[n] = rq;
            f->last[n].body.data = slu_strdup(rq.body.data ? rq.body.data : "");
            f->last[n].body.cap = f->last[n].body.len + 1;
        }
        pthread_mutex_unlock(&f->mu);
        struct fake_answer a = {0};
        f->fn(f->ud, n, &rq, &a);
        if (a.raw.len) {
            size_t off = 0;
            while (off < a.raw.len) {
                ssize_t w = write(cfd, a.raw.data + off, a.raw.len - off);
                if (w <= 0)
                    break;
                off += (size_t)w;
            }
        }
        for (int waited = 0; waited < a.hold_ms && !atomic_load(&f->stop); waited += 10) {
            struct pollfd cp = {.fd = cfd, .events = POLLIN};
            if (poll(&cp, 1, 10) > 0) {
                char tmp[64];
                if (read(cfd, tmp, sizeof(tmp)) <= 0)
                    break; /* the client went away */
            }
        }
        close(cfd);
        slu_buf_release(&a.raw);
        slu_buf_release(&rq.body);
    }
    return NULL;
}

static inline int fake_start(struct fakeapi *f, fake_handler fn, void *ud)
{
    memset(f, 0, sizeof(*f));
    f->fn = fn;
    f->ud = ud;
    pthread_mutex_init(&f->mu, NULL);
    f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(f->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(f->fd, 16) < 0)
        return -1;
    socklen_t sl = sizeof(sa);
    getsockname(f->fd, (struct sockaddr *)&sa, &sl);
    f->port = ntohs(sa.sin_port);
    atomic_init(&f->stop, false);
    return pthread_create(&f->th, NULL, fake_main, f) == 0 ? 0 : -1;
}

static inline void fake_stop(struct fakeapi *f)
{
    atomic_store(&f->stop, true);
    pthread_join(f->th, NULL);
    close(f->fd);
    for (int i = 0; i < f->nreq && i < 64; i++)
        slu_buf_release(&f->last[i].body);
    pthread_mutex_destroy(&f->mu);
}

static inline int fake_nreq(struct fakeapi *f)
{
    pthread_mutex_lock(&f->mu);
    int n = f->nreq;
    pthread_mutex_unlock(&f->mu);
    return n;
}

#endif
