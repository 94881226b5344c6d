/*
 * http.c - the operator's small HTTP endpoint on libmicrohttpd: GET /metrics (Prometheus text
 * format 0.0.4), /healthz (the process serves) and /readyz (caches synced). One internal polling
 * thread; requests are tiny and answered from memory. Only GET/HEAD; anything else is 405.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "operator/op_int.h"

struct op_http {
    struct MHD_Daemon *d;
    int port;
    void (*metrics_fn)(void *ud, struct slu_buf *out);
    bool (*ready_fn)(void *ud);
    void *ud;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                             char *body, size_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", ctype);
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    struct op_http *h = cls;
    if (!*con_cls) { /* first call: headers only */
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0; /* ignore bodies */
        return MHD_YES;
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(conn, 405, "text/plain", slu_strdup("method not allowed\n"), 19);
    if (strcmp(url, "/metrics") == 0) {
        struct slu_buf b = {0};
        slu_buf_puts(&b, "");
        h->metrics_fn(h->ud, &b);
        size_t n = b.len;
        return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", slu_buf_steal(&b), n);
    }
    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/livez") == 0)
        return reply(conn, 200, "text/plain", slu_strdup("ok\n"), 3);
    if (strcmp(url, "/readyz") == 0) {
        if (!h->ready_fn || h->ready_fn(h->ud))
            return reply(conn, 200, "text/plain", slu_strdup("ok\n"), 3);
        return reply(conn, 503, "text/plain", slu_strdup("not ready\n"), 10);
    }
    return reply(conn, 404, "text/plain", slu_strdup("not found\n"), 10);
}

struct op_http *op_http_start(const char *listen, void (*metrics_fn)(void *ud, struct slu_buf *out),
                              bool (*ready_fn)(void *ud), void *ud, struct slu_err *err)
{
    char host[128] = "127.0.0.1";
    int64_t port = 8080;
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (listen && colon) {
        size_t n = (size_t)(colon - listen);
        if (n >= sizeof host || slu_parse_i64(colon + 1, &port) != 0 || port < 0 || port > 65535) {
            slu_err_set(err, SLU_EINVAL, "metrics listen address \"%s\": expected HOST:PORT",
                        listen);
            return NULL;
        }
        if (n > 0) {
            memcpy(host, listen, n);
            host[n] = 0;
        } else {
            slu_strlcpy(host, "0.0.0.0", sizeof host);
        }
    } else if (listen) {
        slu_err_set(err, SLU_EINVAL, "metrics listen address \"%s\": expected HOST:PORT", listen);
        return NULL;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        slu_err_set(err, SLU_EINVAL, "metrics listen address: \"%s\" is not an IPv4 address", host);
        return NULL;
    }
    struct op_http *h = slu_calloc(1, sizeof *h);
    h->metrics_fn = metrics_fn;
    h->ready_fn = ready_fn;
    h->ud = ud;
    h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                            handle, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!h->d) {
        free(h);
        slu_err_set(err, SLU_EIO, "cannot listen on %s:%lld", host, (long long)port);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : (int)port;
    return h;
}

int op_http_port(struct op_http *h)
{
    return h ? h->port : 0;
}

void op_http_stop(struct op_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
