/*
 * client.c - the transport and the verbs: one struct kube_client serves every thread.
 *
 * Transport: ordinary requests (not streams) go over the lean HTTP/1.1 keep-alive transport of
 * http1.c when the target allows it: http:// or https:// without a proxy and without a
 * tls-server-name mapping (SLU_KUBE_TRANSPORT=curl turns it off). Everything else - watches and
 * logs, HEAD and other methods, proxies, tls-server-name - uses libcurl: easy handles taken from
 * a pool, all attached to one CURLSH that shares the DNS cache and TLS sessions (with a mutex per
 * shared data kind); each pooled handle keeps its own connection alive and the options that never
 * change are set once per handle (the connection cache itself is not shared: libcurl does not
 * support that between concurrent threads). HTTP/2 is negotiated over TLS when the server offers
 * it (CURL_HTTP_VERSION_2TLS). TLS material comes from memory (CAINFO_BLOB, SSLCERT_BLOB,
 * SSLKEY_BLOB): nothing is written to disk. tls-server-name is honoured by putting that name in
 * the URL and mapping it to the real host with CURLOPT_CONNECT_TO (so SNI and the certificate
 * check use it).
 *
 * Auth: bearer token (re-read from token_file when the file changes), basic auth, client
 * certificates, or an exec plugin whose credentials are cached until they expire and refreshed
 * once on a 401.
 *
 * Requests (kube__do): a token bucket limits the client's rate (QPS/burst); non-2xx answers are
 * parsed as Status into struct slu_err; safe verbs are retried with exponential backoff and jitter
 * on transport errors, 429 (honouring Retry-After / details.retryAfterSeconds), 500, 503 and 504.
 * A create (POST) is only retried on 429 blindly; when its outcome is unknown (transport error or
 * 5xx, or the lean transport sent it again after finding a kept-alive connection closed)
 * kube_create reads the object back by name and succeeds when it exists with the same owner
 * references and labels, or reports AlreadyExists when it is someone else's.
 */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kube/client_priv.h"

#define MAX_BODY_DEFAULT ((size_t)64 << 20) /* a list of many objects */
#define MAX_ERR_BODY ((size_t)1 << 20)      /* a Status body */
#define POOL_MAX 64
#define DEFAULT_ATTEMPTS 6
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS 10000
#define RETRY_AFTER_CAP_S 60
#define USER_AGENT "sluice/0.1"

/* ---------------------------------------------------------------- resources */

const struct kube_resource KUBE_RES_NAMESPACES = {"", "v1", "namespaces", "Namespace", false};
const struct kube_resource KUBE_RES_PODS = {"", "v1", "pods", "Pod", true};
const struct kube_resource KUBE_RES_CONFIGMAPS = {"", "v1", "configmaps", "ConfigMap", true};
const struct kube_resource KUBE_RES_SECRETS = {"", "v1", "secrets", "Secret", true};
const struct kube_resource KUBE_RES_SERVICES = {"", "v1", "services", "Service", true};
const struct kube_resource KUBE_RES_SERVICEACCOUNTS = {"", "v1", "serviceaccounts",
                                                       "ServiceAccount", true};
const struct kube_resource KUBE_RES_EVENTS = {"", "v1", "events", "Event", true};
const struct kube_resource KUBE_RES_NODES = {"", "v1", "nodes", "Node", false};
const struct kube_resource KUBE_RES_PVCS = {"", "v1", "persistentvolumeclaims",
                                            "PersistentVolumeClaim", true};
const struct kube_resource KUBE_RES_LEASES = {"coordination.k8s.io", "v1", "leases", "Lease", true};
const struct kube_resource KUBE_RES_CRDS = {
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false};
const struct kube_resource KUBE_RES_INGRESSES = {"networking.k8s.io", "v1", "ingresses", "Ingress",
                                                 true};
const struct kube_resource KUBE_RES_PDBS = {"policy", "v1", "poddisruptionbudgets",
                                            "PodDisruptionBudget", true};
const struct kube_resource KUBE_RES_PRIORITYCLASSES = {"scheduling.k8s.io", "v1", "priorityclasses",
                                                       "PriorityClass", false};

/* ---------------------------------------------------------------- the client */

struct kube_client {
    char *url_base; /* scheme://host[:port] (tls-server-name substituted) */
    struct curl_slist *connect_to;
    char *ca_pem, *cert_pem, *key_pem;
    bool insecure;
    char *ns;
    char *username, *password;
    int64_t timeout_ms;

    pthread_mutex_t auth_mu; /* guards everything below up to the share */
    char *token;
    char *token_file;
    struct timespec token_mtime;
    ino_t token_ino;
    off_t token_size;
    struct kube_config *exec_cfg; /* exec plugin settings, or NULL */
    struct kube__exec_cred exec_cred;
    bool exec_valid;

    CURLSH *share;
    pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];

    pthread_mutex_t pool_mu;
    struct curl_slot *pool[POOL_MAX];
    size_t npool;

    struct kube__h1 *h1;   /* the lean transport, or NULL when the target needs libcurl */
    _Atomic int transport; /* enum kube__transport */
    bool curl_streams;     /* SLU_KUBE_TRANSPORT=curl-streams: streams on libcurl */
    _Atomic uint64_t n_lean, n_curl;
    char *basic_auth; /* "Authorization: Basic ...\r\n" for the lean transport, or NULL */

    struct kube_token_bucket bucket;
};

struct curl_slot;
static void slot_free(struct curl_slot *s);

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_global(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)h;
    (void)access;
    struct kube_client *c = ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&c->share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    struct kube_client *c = ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&c->share_mu[data]);
}

/* Does libcurl send requests for host through a proxy (its environment variables, minus our
 * CURLOPT_NOPROXY list)? Then the lean transport, which has no proxy support, stays off. */
static bool proxy_configured(const char *scheme, const char *host)
{
    if (strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
        strcmp(host, "[::1]") == 0)
        return false;
    const char *const names[] = {strcmp(scheme, "https") == 0 ? "https_proxy" : "http_proxy",
                                 strcmp(scheme, "https") == 0 ? "HTTPS_PROXY" : NULL, "all_proxy",
                                 "ALL_PROXY"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(names); i++) {
        const char *v = names[i] ? getenv(names[i]) : NULL;
        if (v && *v)
            return true;
    }
    return false;
}

/* The lean transport for the target, when it can serve it (plain http or https, no proxy, no
 * tls-server-name mapping); NULL otherwise. Bad TLS material also leaves it off: libcurl then
 * reports the problem on each request, as before. */
static struct kube__h1 *lean_new(const struct kube_client *c, const char *scheme, const char *host,
                                 int port, const char *rest)
{
    bool tls = strcmp(scheme, "https") == 0;
    if ((!tls && strcmp(scheme, "http") != 0) || c->connect_to || proxy_configured(scheme, host))
        return NULL;
    char *h = host[0] == '[' ? slu_strndup(host + 1, strlen(host) - 2) : slu_strdup(host);
    struct kube__h1_conf cf = {.tls = tls,
                               .host = h,
                               .port = port,
                               .path_prefix = rest,
                               .ca_pem = c->ca_pem,
                               .cert_pem = c->cert_pem && c->key_pem ? c->cert_pem : NULL,
                               .key_pem = c->cert_pem && c->key_pem ? c->key_pem : NULL,
                               .insecure = c->insecure,
                               .max_idle = POOL_MAX};
    struct slu_err err = {0};
    struct kube__h1 *t = kube__h1_new(&cf, &err);
    if (!t)
        slu_debug("kube: lean transport off for %s: %s", host, err.msg);
    slu_err_release(&err);
    free(h);
    return t;
}

/* Splits "https://host:port/path" into its parts; host may be "[v6]". */
static int split_server(const char *server, char **scheme, char **host, int *port, char **rest)
{
    const char *p = strstr(server, "://");
    if (!p)
        return -1;
    *scheme = slu_strndup(server, (size_t)(p - server));
    p += 3;
    const char *hend;
    if (*p == '[') {
        hend = strchr(p, ']');
        if (!hend)
            return -1;
        hend++;
    } else {
        hend = p + strcspn(p, ":/");
    }
    *host = slu_strndup(p, (size_t)(hend - p));
    *port = strcmp(*scheme, "https") == 0 ? 443 : 80;
    const char *q = hend;
    if (*q == ':') {
        char *end;
        long v = strtol(q + 1, &end, 10);
        if (end == q + 1 || v <= 0 || v > 65535)
            return -1;
        *port = (int)v;
        q = end;
    }
    *rest = slu_strdup(q);
    return 0;
}

struct kube_client *kube_client_new(const struct kube_config *cfg, struct slu_err *err)
{
    if (!cfg || !cfg->server) {
        slu_err_set(err, SLU_EINVAL, "kube client: no server configured");
        return NULL;
    }
    pthread_once(&curl_once, curl_global);
    char *scheme = NULL, *host = NULL, *rest = NULL;
    int port = 0;
    if (split_server(cfg->server, &scheme, &host, &port, &rest) < 0) {
        slu_err_set(err, SLU_EINVAL, "kube client: server \"%s\" is not a URL", cfg->server);
        free(scheme);
        free(host);
        free(rest);
        return NULL;
    }
    struct kube_client *c = slu_calloc(1, sizeof(*c));
    size_t rl = strlen(rest);
    while (rl > 0 && rest[rl - 1] == '/')
        rest[--rl] = '\0';
    if (cfg->tls_server_name && *cfg->tls_server_name && strcmp(scheme, "https") == 0) {
        c->url_base = slu_asprintf("https://%s:%d%s", cfg->tls_server_name, port, rest);
        char *ct = slu_asprintf("%s:%d:%s:%d", cfg->tls_server_name, port, host, port);
        c->connect_to = curl_slist_append(NULL, ct);
        free(ct);
    } else {
        c->url_base = slu_asprintf("%s://%s:%d%s", scheme, host, port, rest);
    }
    c->ca_pem = slu_strdup(cfg->ca_pem);
    c->cert_pem = slu_strdup(cfg->client_cert_pem);
    c->key_pem = slu_strdup(cfg->client_key_pem);
    c->insecure = cfg->insecure_skip_tls_verify;
    c->h1 = lean_new(c, scheme, host, port, rest);
    const char *tr = getenv("SLU_KUBE_TRANSPORT");
    atomic_init(&c->transport,
                tr && strcmp(tr, "curl") == 0 ? KUBE__TRANSPORT_CURL : KUBE__TRANSPORT_AUTO);
    c->curl_streams = tr && strcmp(tr, "curl-streams") == 0; /* see lean_eligible */
    free(scheme);
    free(host);
    free(rest);
    c->ns = slu_strdup(cfg->namespace && *cfg->namespace ? cfg->namespace : "default");
    c->username = slu_strdup(cfg->username);
    c->password = slu_strdup(cfg->password);
    if (c->username) {
        char *up = slu_asprintf("%s:%s", c->username, c->password ? c->password : "");
        size_t ul = strlen(up);
        char *b64 = slu_malloc(4 * ((ul + 2) / 3) + 1);
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)up, (int)ul);
        c->basic_auth = slu_asprintf("Authorization: Basic %s\r\n", b64);
        explicit_bzero(up, ul);
        free(up);
        free(b64);
    }
    c->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    c->token = slu_strdup(cfg->token);
    c->token_file = slu_strdup(cfg->token_file);
    if (cfg->exec_command) {
        struct kube_config *e = slu_calloc(1, sizeof(*e));
        e->exec_command = slu_strdup(cfg->exec_command);
        e->exec_api_version = slu_strdup(cfg->exec_api_version);
        size_t n = 0;
        for (char **a = cfg->exec_args; a && *a; a++)
            n++;
        e->exec_args = slu_calloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            e->exec_args[i] = slu_strdup(cfg->exec_args[i]);
        n = 0;
        for (char **a = cfg->exec_env; a && *a; a++)
            n++;
        e->exec_env = slu_calloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            e->exec_env[i] = slu_strdup(cfg->exec_env[i]);
        c->exec_cfg = e;
    }
    pthread_mutex_init(&c->auth_mu, NULL);
    pthread_mutex_init(&c->pool_mu, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&c->share_mu[i], NULL);
    c->share = curl_share_init();
    curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
    /* Not CURL_LOCK_DATA_CONNECT: libcurl does not support sharing connections between
     * concurrent threads (it crashed the operator at 10,000 applications); each pooled easy
     * handle keeps its own connection alive instead. */
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    double qps = cfg->qps == 0 ? 50 : cfg->qps;
    double burst = cfg->burst <= 0 ? 100 : cfg->burst;
    kube_token_bucket_init(&c->bucket, qps, burst);
    return c;
}

void kube_client_free(struct kube_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->npool; i++)
        slot_free(c->pool[i]);
    kube__h1_free(c->h1);
    if (c->basic_auth)
        explicit_bzero(c->basic_auth, strlen(c->basic_auth));
    free(c->basic_auth);
    curl_share_cleanup(c->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&c->share_mu[i]);
    pthread_mutex_destroy(&c->pool_mu);
    pthread_mutex_destroy(&c->auth_mu);
    kube_token_bucket_release(&c->bucket);
    curl_slist_free_all(c->connect_to);
    free(c->url_base);
    free(c->ca_pem);
    free(c->cert_pem);
    free(c->key_pem);
    free(c->ns);
    free(c->username);
    free(c->password);
    free(c->token);
    free(c->token_file);
    kube_config_free(c->exec_cfg);
    kube__exec_cred_release(&c->exec_cred);
    free(c);
}

const char *kube_client_namespace(const struct kube_client *c)
{
    return c->ns;
}

void kube__client_set_transport(struct kube_client *c, enum kube__transport t)
{
    atomic_store(&c->transport, (int)t);
}

void kube__client_transport_counts(struct kube_client *c, uint64_t *lean, uint64_t *curl)
{
    if (lean)
        *lean = atomic_load(&c->n_lean);
    if (curl)
        *curl = atomic_load(&c->n_curl);
}

/* ---------------------------------------------------------------- URLs */

void kube__url_escape(struct slu_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            slu_buf_putc(b, (char)ch);
        } else {
            slu_buf_putc(b, '%');
            slu_buf_putc(b, hex[ch >> 4]);
            slu_buf_putc(b, hex[ch & 15]);
        }
    }
}

void kube__query_add(struct slu_buf *b, const char *key, const char *value)
{
    if (!value || !*value)
        return;
    bool has_q = b->data && memchr(b->data, '?', b->len);
    slu_buf_putc(b, has_q ? '&' : '?');
    kube__url_escape(b, key);
    slu_buf_putc(b, '=');
    kube__url_escape(b, value);
}

char *kube_resource_path(const struct kube_resource *r, const char *ns, const char *name,
                         const char *subresource)
{
    struct slu_buf b = {0};
    if (!r->group || !*r->group)
        slu_buf_printf(&b, "/api/%s", r->version);
    else
        slu_buf_printf(&b, "/apis/%s/%s", r->group, r->version);
    if (r->namespaced && ns && *ns) {
        slu_buf_puts(&b, "/namespaces/");
        kube__url_escape(&b, ns);
    }
    slu_buf_putc(&b, '/');
    slu_buf_puts(&b, r->plural);
    if (name && *name) {
        slu_buf_putc(&b, '/');
        kube__url_escape(&b, name);
        if (subresource && *subresource) {
            slu_buf_putc(&b, '/');
            slu_buf_puts(&b, subresource);
        }
    }
    return slu_buf_steal(&b);
}

void kube__list_query(struct slu_buf *b, const struct kube_list_opts *o)
{
    if (!o)
        return;
    kube__query_add(b, "labelSelector", o->label_selector);
    kube__query_add(b, "fieldSelector", o->field_selector);
    if (o->limit > 0) {
        char n[32];
        snprintf(n, sizeof(n), "%lld", (long long)o->limit);
        kube__query_add(b, "limit", n);
    }
    kube__query_add(b, "continue", o->continue_token);
    kube__query_add(b, "resourceVersion", o->resource_version);
    kube__query_add(b, "resourceVersionMatch", o->resource_version_match);
}

/* ---------------------------------------------------------------- Status -> error */

int kube__status_to_err(int http_status, const char *body, size_t len, const char *retry_after,
                        struct slu_err *err)
{
    json_t *st = NULL;
    int code;
    if (body && len > 0)
        slu_json_parse(body, len, MAX_ERR_BODY, &st, NULL);
    const char *kind = slu_json_str(st, "kind");
    int ra = 0;
    if (retry_after) {
        int64_t v;
        char tmp[64];
        slu_strlcpy(tmp, retry_after, sizeof(tmp));
        if (slu_parse_i64(slu_str_trim(tmp), &v) == 0 && v > 0)
            ra = (int)SLU_MIN(v, RETRY_AFTER_CAP_S);
    }
    if (json_is_object(st) && kind && strcmp(kind, "Status") == 0) {
        const char *reason = slu_json_str(st, "reason");
        const char *message = slu_json_str(st, "message");
        int scode = (int)slu_json_int(st, "code", http_status);
        if (scode <= 0)
            scode = http_status;
        code = slu_err_code_from_http(scode, reason);
        if (code == 0)
            code = SLU_EIO;
        if (err) {
            /* keep causes only from this Status */
            slu_err_release(err);
            slu_err_set(err, code, "%s", message && *message ? message : slu_strerror(code));
            err->http_status = scode;
            slu_err_set_reason(err, reason ? reason : slu_err_reason_from_code(code));
            const char *dk = slu_json_str(st, "details.kind");
            const char *dn = slu_json_str(st, "details.name");
            slu_strlcpy(err->kind, dk ? dk : "", sizeof(err->kind));
            slu_strlcpy(err->name, dn ? dn : "", sizeof(err->name));
            int64_t ras = slu_json_int(st, "details.retryAfterSeconds", 0);
            if (ras > 0)
                ra = (int)SLU_MIN(ras, RETRY_AFTER_CAP_S);
            err->retry_after = ra;
            json_t *causes = slu_json_path(st, "details.causes");
            size_t i;
            json_t *cz;
            json_array_foreach(causes, i, cz)
            {
                if (i >= 100)
                    break;
                slu_err_add_cause(err, slu_json_str(cz, "reason"), slu_json_str(cz, "field"),
                                  slu_json_str(cz, "message"));
            }
        }
    } else {
        code = slu_err_code_from_http(http_status, NULL);
        if (code == 0)
            code = SLU_EIO;
        if (err) {
            slu_err_release(err);
            /* the first line of a non-Status body, bounded */
            char snippet[200] = "";
            if (body && len) {
                size_t n = 0;
                while (n < len && n < sizeof(snippet) - 1 && body[n] != '\n' && body[n] != '\r')
                    n++;
                memcpy(snippet, body, n);
                snippet[n] = '\0';
                for (size_t i = 0; i < n; i++)
                    if ((unsigned char)snippet[i] < 0x20)
                        snippet[i] = ' ';
            }
            if (*snippet)
                slu_err_set(err, code, "the server answered HTTP %d: %s", http_status, snippet);
            else
                slu_err_set(err, code, "the server answered HTTP %d with no Status", http_status);
            err->http_status = http_status;
            slu_err_set_reason(err, slu_err_reason_from_code(code));
            err->retry_after = ra;
        }
    }
    json_decref(st);
    return code;
}

/* ---------------------------------------------------------------- auth */

/* Returns the current bearer token (owned copy) and the exec plugin's client certificate, if
 * any. */
static int auth_current(struct kube_client *c, char **token, char **cert, char **key,
                        struct slu_err *err)
{
    *token = *cert = *key = NULL;
    int rc = 0;
    pthread_mutex_lock(&c->auth_mu);
    if (c->token_file) {
        struct stat st;
        if (stat(c->token_file, &st) == 0 &&
            (st.st_ino != c->token_ino || st.st_size != c->token_size ||
             st.st_mtim.tv_sec != c->token_mtime.tv_sec ||
             st.st_mtim.tv_nsec != c->token_mtime.tv_nsec)) {
            struct slu_buf b = {0};
            if (slu_read_file(c->token_file, 1 << 20, &b, NULL) == 0) {
                char *t = slu_buf_steal(&b);
                free(c->token);
                c->token = slu_strdup(slu_str_trim(t));
                free(t);
                c->token_ino = st.st_ino;
                c->token_size = st.st_size;
                c->token_mtime = st.st_mtim;
            }
            slu_buf_release(&b);
        }
    }
    if (c->exec_cfg) {
        if (c->exec_valid && c->exec_cred.expiry_ns && slu_now_real_ns() >= c->exec_cred.expiry_ns)
            c->exec_valid = false;
        if (!c->exec_valid) {
            kube__exec_cred_release(&c->exec_cred);
            rc = kube__exec_run(c->exec_cfg, &c->exec_cred, err);
            c->exec_valid = rc == 0;
        }
        if (rc == 0) {
            *token = slu_strdup(c->exec_cred.token);
            *cert = slu_strdup(c->exec_cred.cert_pem);
            *key = slu_strdup(c->exec_cred.key_pem);
        }
    }
    if (rc == 0 && !*token)
        *token = slu_strdup(c->token);
    pthread_mutex_unlock(&c->auth_mu);
    return rc;
}

/* After a 401: forget cached exec credentials and re-stat the token file. True when something
 * could change, so one more attempt is worth it. */
static bool auth_invalidate(struct kube_client *c)
{
    pthread_mutex_lock(&c->auth_mu);
    bool can = c->exec_cfg != NULL || c->token_file != NULL;
    c->exec_valid = false;
    c->token_ino = 0;
    c->token_size = -1;
    pthread_mutex_unlock(&c->auth_mu);
    return can;
}

/* ---------------------------------------------------------------- transfer */

/* A pooled libcurl handle. The options that never change are set once, when it is made
 * (slot_new); a request sets only its own (URL, headers, method, body, timeout, data pointers). */
struct curl_slot {
    CURL *h;
    char errbuf[CURL_ERROR_SIZE];
    bool exec_cert; /* a per-request client certificate was set on it */
};

static void slot_free(struct curl_slot *s)
{
    if (!s)
        return;
    curl_easy_cleanup(s->h);
    free(s);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud);
static size_t on_header(char *buf, size_t size, size_t nitems, void *ud);
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un);

static void slot_static_cert(struct kube_client *c, CURL *h)
{
    if (c->cert_pem && c->key_pem) {
        struct curl_blob cb = {c->cert_pem, strlen(c->cert_pem), CURL_BLOB_NOCOPY};
        struct curl_blob kb = {c->key_pem, strlen(c->key_pem), CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cb);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &kb);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    } else {
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, NULL);
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, NULL);
    }
}

static struct curl_slot *slot_new(struct kube_client *c)
{
    struct curl_slot *s = slu_calloc(1, sizeof(*s));
    CURL *h = s->h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_SHARE, c->share);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "127.0.0.1,localhost,::1");
    if (c->connect_to)
        curl_easy_setopt(h, CURLOPT_CONNECT_TO, c->connect_to);
    if (c->ca_pem) {
        struct curl_blob blob = {c->ca_pem, strlen(c->ca_pem), CURL_BLOB_NOCOPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (c->insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    slot_static_cert(c, h);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    return s;
}

static struct curl_slot *pool_get(struct kube_client *c)
{
    struct curl_slot *s = NULL;
    pthread_mutex_lock(&c->pool_mu);
    if (c->npool > 0)
        s = c->pool[--c->npool];
    pthread_mutex_unlock(&c->pool_mu);
    return s ? s : slot_new(c);
}

static void pool_put(struct kube_client *c, struct curl_slot *s)
{
    pthread_mutex_lock(&c->pool_mu);
    if (c->npool < POOL_MAX) {
        c->pool[c->npool++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&c->pool_mu);
    slot_free(s);
}

struct xfer {
    CURL *h;
    const struct kube__req *rq;
    struct slu_buf *body; /* 2xx body (non-streaming) */
    struct slu_buf errbody;
    size_t cap;
    bool overflow;
    bool cb_stopped;
    bool not_sent;    /* the connection could not be made: the server saw nothing */
    bool stale_retry; /* lean transport: sent again after a reused connection was closed */
    long status;
    char retry_after[64];
};

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nmemb;
    if (x->status == 0)
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
    bool ok = x->status >= 200 && x->status < 300;
    if (ok && x->rq->on_data) {
        if (!x->rq->on_data(x->rq->ud, ptr, n)) {
            x->cb_stopped = true;
            return 0;
        }
        return n;
    }
    struct slu_buf *b = ok && x->body ? x->body : &x->errbody;
    size_t cap = ok ? x->cap : MAX_ERR_BODY;
    if (b->len + n > cap) {
        if (!ok) /* a huge error body: keep its start, drop the rest */
            return n;
        x->overflow = true;
        return 0;
    }
    slu_buf_append(b, ptr, n);
    return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *ud)
{
    struct xfer *x = ud;
    size_t n = size * nitems;
    static const char ra[] = "retry-after:";
    if (n > sizeof(ra) - 1 && strncasecmp(buf, ra, sizeof(ra) - 1) == 0) {
        size_t vl = SLU_MIN(n - (sizeof(ra) - 1), sizeof(x->retry_after) - 1);
        memcpy(x->retry_after, buf + sizeof(ra) - 1, vl);
        x->retry_after[vl] = '\0';
    } else if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        x->retry_after[0] = '\0'; /* a new response (after 100 Continue or a redirect) */
        x->status = 0;
    }
    return n;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    const struct xfer *x = ud;
    return x->rq->stop && atomic_load(x->rq->stop) ? 1 : 0;
}

bool kube__sleep(int64_t ms, const atomic_bool *stop)
{
    int64_t end = slu_now_mono_ns() + ms * 1000000;
    for (;;) {
        if (stop && atomic_load(stop))
            return false;
        int64_t left_ns = end - slu_now_mono_ns();
        if (left_ns <= 0)
            return true;
        int64_t left = (left_ns + 999999) / 1000000; /* round up: never wake early */
        slu_sleep_ms(SLU_MIN(left, 50));
    }
}

int64_t kube__backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms)
{
    int64_t d = base_ms;
    for (int i = 0; i < attempt && d < cap_ms; i++)
        d *= 2;
    if (d > cap_ms)
        d = cap_ms;
    if (d < 2)
        return d;
    return d / 2 + (int64_t)(slu_random_u64() % (uint64_t)(d / 2 + 1));
}

/* The request headers both transports send (besides Host, User-Agent, Content-Length). */
static void common_headers(struct kube_client *c, const struct kube__req *rq, const char *token,
                           struct slu_buf *h)
{
    slu_buf_puts(h, "Accept: application/json\r\n");
    if (rq->content_type) {
        slu_buf_puts(h, "Content-Type: ");
        slu_buf_puts(h, rq->content_type);
        slu_buf_puts(h, "\r\n");
    }
    if (token && *token) {
        slu_buf_puts(h, "Authorization: Bearer ");
        slu_buf_puts(h, token);
        slu_buf_puts(h, "\r\n");
    } else if (c->basic_auth && !token) {
        slu_buf_puts(h, c->basic_auth);
    }
}

/* Can the lean transport carry this request? Streams (watches, logs) too, read in batches
 * (http1.c, H1_STREAM_BATCH_MS): about half the system calls and wake-ups of libcurl's
 * poll-then-read per event (docs/benchmarks.md, "Operator"). SLU_KUBE_TRANSPORT=curl-streams
 * keeps streams on libcurl (an earlier measurement had the operator's pod watch fall behind
 * the sim's event window on the lean transport at 10,000 apps; not seen since the sim's watch
 * fixes). */
static bool lean_eligible(struct kube_client *c, const struct kube__req *rq)
{
    if (!c->h1 || ((rq->on_data || rq->stop) && c->curl_streams) ||
        atomic_load_explicit(&c->transport, memory_order_relaxed) == KUBE__TRANSPORT_CURL)
        return false;
    const char *m = rq->method;
    return strcmp(m, "GET") == 0 || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
           strcmp(m, "PATCH") == 0 || strcmp(m, "DELETE") == 0;
}

static int perform_lean(struct kube_client *c, const struct kube__req *rq, struct xfer *x,
                        const char *token, const char *xcert, const char *xkey, struct slu_err *err)
{
    struct slu_buf hdrs = {0};
    common_headers(c, rq, token, &hdrs);
    int64_t tmo = rq->timeout_ms == 0 ? c->timeout_ms : rq->timeout_ms;
    struct kube__h1_call call = {.method = rq->method,
                                 .path_query = rq->path_query,
                                 .headers = hdrs.data,
                                 .body = rq->body,
                                 .body_len = rq->body ? rq->body_len : 0,
                                 .timeout_ms = tmo,
                                 .cert_pem = xcert && xkey ? xcert : NULL,
                                 .key_pem = xcert && xkey ? xkey : NULL,
                                 .body_out = x->body,
                                 .body_cap = x->cap,
                                 .err_out = &x->errbody,
                                 .err_cap = MAX_ERR_BODY,
                                 .on_data = rq->on_data,
                                 .ud = rq->ud,
                                 .stop = rq->stop};
    struct kube__h1_result res;
    int rc = kube__h1_do(c->h1, &call, &res, err);
    explicit_bzero(hdrs.data, hdrs.len);
    slu_buf_release(&hdrs);
    x->status = res.status;
    x->not_sent = res.not_sent;
    x->overflow = res.overflow;
    x->stale_retry = res.stale_retry;
    x->cb_stopped = res.cb_stopped;
    memcpy(x->retry_after, res.retry_after, sizeof(x->retry_after));
    atomic_fetch_add_explicit(&c->n_lean, 1, memory_order_relaxed);
    return rc;
}

static int perform_curl(struct kube_client *c, const struct kube__req *rq, struct xfer *x,
                        const char *token, const char *xcert, const char *xkey, struct slu_err *err)
{
    struct curl_slot *slot = pool_get(c);
    CURL *h = slot->h;
    x->h = h;
    slot->errbuf[0] = '\0';
    struct slu_buf url = {0};
    slu_buf_puts(&url, c->url_base);
    slu_buf_puts(&url, rq->path_query);
    struct slu_buf hb = {0};
    common_headers(c, rq, token, &hb);
    slu_buf_puts(&hb, "Expect:\r\n");
    struct curl_slist *hdrs = NULL;
    for (char *p = hb.data, *e; p && (e = strstr(p, "\r\n")) != NULL; p = e + 2) {
        *e = '\0';
        hdrs = curl_slist_append(hdrs, p);
    }
    explicit_bzero(hb.data, hb.len);
    slu_buf_release(&hb);
    curl_easy_setopt(h, CURLOPT_URL, url.data);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    int64_t tmo = rq->timeout_ms == 0 ? c->timeout_ms : rq->timeout_ms;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo > 0 ? (long)tmo : 0L);
    if (xcert && xkey) {
        /* COPY: the exec plugin's strings are freed below, before the handle is reused */
        struct curl_blob cb = {(void *)xcert, strlen(xcert), CURL_BLOB_COPY};
        struct curl_blob kb = {(void *)xkey, strlen(xkey), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cb);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &kb);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
        slot->exec_cert = true;
    } else if (slot->exec_cert) {
        slot_static_cert(c, h);
        slot->exec_cert = false;
    }
    if (strcmp(rq->method, "GET") == 0) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    } else {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST,
                         strcmp(rq->method, "POST") != 0 ? rq->method : NULL);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
    }
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, rq->stop ? 0L : 1L);
    CURLcode cc = curl_easy_perform(h);
    x->not_sent = cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
                  cc == CURLE_COULDNT_RESOLVE_PROXY;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &x->status);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(hdrs);
    slu_buf_release(&url);
    char errbuf[CURL_ERROR_SIZE];
    slu_strlcpy(errbuf, slot->errbuf, sizeof(errbuf));
    /* a failed connection is not put back; curl keeps good connections in the share anyway */
    if (cc == CURLE_OK || cc == CURLE_WRITE_ERROR || cc == CURLE_ABORTED_BY_CALLBACK)
        pool_put(c, slot);
    else
        slot_free(slot);
    x->h = NULL;
    atomic_fetch_add_explicit(&c->n_curl, 1, memory_order_relaxed);
    if (cc == CURLE_OK)
        return 0;
    if (x->overflow)
        return slu_err_set(err, SLU_ETOOBIG, "response body larger than %zu bytes", x->cap);
    if (x->cb_stopped) /* the data callback said stop; it has recorded why */
        return SLU_ECANCELED;
    if (cc == CURLE_ABORTED_BY_CALLBACK)
        return slu_err_set(err, SLU_ECANCELED, "request stopped");
    if (cc == CURLE_OPERATION_TIMEDOUT)
        return slu_err_set(err, SLU_ETIMEDOUT, "%s %s: %s", rq->method, rq->path_query,
                           *errbuf ? errbuf : curl_easy_strerror(cc));
    return slu_err_set(err, SLU_EIO, "%s %s: %s", rq->method, rq->path_query,
                       *errbuf ? errbuf : curl_easy_strerror(cc));
}

/* One HTTP exchange, on the lean transport when it can carry it, else libcurl. Returns 0 when an
 * answer arrived (any status), or a transport error. */
static int perform_once(struct kube_client *c, const struct kube__req *rq, struct xfer *x,
                        struct slu_err *err)
{
    char *token = NULL, *xcert = NULL, *xkey = NULL;
    int rc = auth_current(c, &token, &xcert, &xkey, err);
    if (rc < 0)
        return rc;
    if (lean_eligible(c, rq))
        rc = perform_lean(c, rq, x, token, xcert, xkey, err);
    else
        rc = perform_curl(c, rq, x, token, xcert, xkey, err);
    if (token)
        explicit_bzero(token, strlen(token));
    free(token);
    free(xcert);
    if (xkey)
        explicit_bzero(xkey, strlen(xkey));
    free(xkey);
    return rc;
}

static bool retryable_status(long s)
{
    return s == 429 || s == 500 || s == 503 || s == 504;
}

int kube__do(struct kube_client *c, const struct kube__req *rq, int *http_status,
             struct slu_buf *resp, struct kube__resp_info *info, struct slu_err *err)
{
    int max = rq->retry == KUBE__RETRY_NONE ? 1 : DEFAULT_ATTEMPTS;
    bool auth_retried = false;
    struct kube__resp_info inf = {0};
    int rc = 0;
    for (int attempt = 0;; attempt++) {
        if (rq->stop && atomic_load(rq->stop)) {
            rc = slu_err_set(err, SLU_ECANCELED, "request stopped");
            break;
        }
        kube_token_bucket_wait(&c->bucket);
        struct xfer x = {
            .rq = rq, .body = resp, .cap = rq->max_body ? rq->max_body : MAX_BODY_DEFAULT};
        if (resp)
            slu_buf_reset(resp);
        inf.attempts++;
        rc = perform_once(c, rq, &x, err);
        if (http_status)
            *http_status = (int)x.status;
        int64_t wait_ms = -1; /* < 0: do not retry */
        bool unknown = false;
        inf.last_not_sent = rc < 0 && x.not_sent;
        if (x.stale_retry) /* the first send may have reached a server that then died */
            inf.unknown_before_last = true;
        if (rc < 0) {
            unknown = (rc == SLU_EIO || rc == SLU_ETIMEDOUT) && !x.not_sent;
            /* a request that never reached the server is safe to repeat, whatever the verb */
            if ((unknown && rq->retry == KUBE__RETRY_SAFE) ||
                (x.not_sent && rq->retry != KUBE__RETRY_NONE))
                wait_ms = kube__backoff_ms(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
        } else if (x.status >= 200 && x.status < 300) {
            slu_buf_release(&x.errbody);
            rc = 0;
            break;
        } else {
            rc = kube__status_to_err((int)x.status, x.errbody.data, x.errbody.len,
                                     *x.retry_after ? x.retry_after : NULL, err);
            unknown = x.status >= 500;
            if (x.status == 401 && !auth_retried && auth_invalidate(c)) {
                auth_retried = true;
                wait_ms = 0;
            } else if (retryable_status(x.status) &&
                       (rq->retry == KUBE__RETRY_SAFE ||
                        (rq->retry == KUBE__RETRY_CREATE && x.status == 429))) {
                wait_ms = kube__backoff_ms(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
                int ra = err ? err->retry_after : 0;
                if (!err && *x.retry_after) {
                    int64_t v;
                    char tmp[64];
                    slu_strlcpy(tmp, x.retry_after, sizeof(tmp));
                    if (slu_parse_i64(slu_str_trim(tmp), &v) == 0 && v > 0)
                        ra = (int)SLU_MIN(v, RETRY_AFTER_CAP_S);
                }
                if (ra > 0 && (int64_t)ra * 1000 > wait_ms)
                    wait_ms = (int64_t)ra * 1000;
            }
        }
        slu_buf_release(&x.errbody);
        if (wait_ms < 0 || attempt + 1 >= max)
            break;
        if (unknown)
            inf.unknown_before_last = true;
        slu_debug("kube: %s %s: %s; retrying in %lld ms", rq->method, rq->path_query,
                  err ? err->msg : "error", (long long)wait_ms);
        if (!kube__sleep(wait_ms, rq->stop)) {
            rc = slu_err_set(err, SLU_ECANCELED, "request stopped");
            break;
        }
    }
    if (info)
        *info = inf;
    if (rc == 0 && err)
        slu_err_release(err);
    return rc;
}

/* ---------------------------------------------------------------- batches */

#define BATCH_MAX 32                        /* requests pipelined at once */
#define BATCH_MAX_BYTES ((size_t)256 << 10) /* request bytes pipelined at once */

/* One chunk of kube__do_batch, all on the lean transport. */
static void batch_chunk(struct kube_client *c, const struct kube__req *rqs, size_t n, int *rcs,
                        int *http_status, struct slu_buf **resps, struct kube__resp_info *infos,
                        struct slu_err *errs)
{
    char *token = NULL, *xcert = NULL, *xkey = NULL;
    struct slu_err aerr = {0};
    int arc = auth_current(c, &token, &xcert, &xkey, &aerr);
    if (arc < 0) {
        for (size_t i = 0; i < n; i++) {
            rcs[i] = arc;
            slu_err_set(&errs[i], arc, "%s", aerr.msg);
            if (infos)
                infos[i] = (struct kube__resp_info){.attempts = 0, .last_not_sent = true};
        }
        slu_err_release(&aerr);
        return;
    }
    struct kube__h1_call *calls = slu_calloc(n, sizeof(*calls));
    struct kube__h1_result *res = slu_calloc(n, sizeof(*res));
    struct slu_buf *hdrs = slu_calloc(n, sizeof(*hdrs));
    struct slu_buf *errbody = slu_calloc(n, sizeof(*errbody));
    int *hrc = slu_calloc(n, sizeof(*hrc));
    for (size_t i = 0; i < n; i++) {
        const struct kube__req *rq = &rqs[i];
        kube_token_bucket_wait(&c->bucket);
        common_headers(c, rq, token, &hdrs[i]);
        struct slu_buf *out = resps ? resps[i] : NULL;
        if (out)
            slu_buf_reset(out);
        calls[i] = (struct kube__h1_call){
            .method = rq->method,
            .path_query = rq->path_query,
            .headers = hdrs[i].data,
            .body = rq->body,
            .body_len = rq->body ? rq->body_len : 0,
            .timeout_ms = rq->timeout_ms == 0 ? c->timeout_ms : rq->timeout_ms,
            .cert_pem = xcert && xkey ? xcert : NULL,
            .key_pem = xcert && xkey ? xkey : NULL,
            .body_out = out,
            .body_cap = rq->max_body ? rq->max_body : MAX_BODY_DEFAULT,
            .err_out = &errbody[i],
            .err_cap = MAX_ERR_BODY};
        calls[0].unhurried = i == 0 ? rq->unhurried : calls[0].unhurried && rq->unhurried;
    }
    kube__h1_do_batch(c->h1, calls, n, res, hrc, errs);
    atomic_fetch_add_explicit(&c->n_lean, n, memory_order_relaxed);
    bool need_wait = false;
    bool *redo = slu_calloc(n, sizeof(*redo));
    bool *unknown = slu_calloc(n, sizeof(*unknown));
    for (size_t i = 0; i < n; i++) {
        const struct kube__req *rq = &rqs[i];
        if (http_status)
            http_status[i] = res[i].status;
        if (hrc[i] < 0) {
            unknown[i] = (hrc[i] == SLU_EIO || hrc[i] == SLU_ETIMEDOUT) && !res[i].not_sent;
            if (res[i].overflow)
                slu_err_set(&errs[i], SLU_ETOOBIG, "response body larger than %zu bytes",
                            calls[i].body_cap);
            else if (res[i].not_sent ? rq->retry != KUBE__RETRY_NONE
                                     : unknown[i] && rq->retry == KUBE__RETRY_SAFE)
                redo[i] = true;
            rcs[i] = hrc[i];
        } else if (res[i].status >= 200 && res[i].status < 300) {
            rcs[i] = 0;
            slu_err_release(&errs[i]);
        } else {
            int st = res[i].status;
            unknown[i] = st >= 500;
            if (st == 401 ||
                (retryable_status(st) && (rq->retry == KUBE__RETRY_SAFE ||
                                          (rq->retry == KUBE__RETRY_CREATE && st == 429)))) {
                redo[i] = true;
                need_wait = need_wait || st != 401;
            } else {
                rcs[i] =
                    kube__status_to_err(st, errbody[i].data, errbody[i].len,
                                        *res[i].retry_after ? res[i].retry_after : NULL, &errs[i]);
            }
        }
        if (infos)
            infos[i] = (struct kube__resp_info){.attempts = 1,
                                                .unknown_before_last = res[i].stale_retry,
                                                .last_not_sent = hrc[i] < 0 && res[i].not_sent};
        explicit_bzero(hdrs[i].data, hdrs[i].len);
        slu_buf_release(&hdrs[i]);
        slu_buf_release(&errbody[i]);
    }
    if (token)
        explicit_bzero(token, strlen(token));
    free(token);
    free(xcert);
    if (xkey)
        explicit_bzero(xkey, strlen(xkey));
    free(xkey);
    /* what the batch did not settle: alone, with kube__do's retries */
    if (need_wait)
        kube__sleep(kube__backoff_ms(0, BACKOFF_BASE_MS, BACKOFF_CAP_MS), NULL);
    for (size_t i = 0; i < n; i++) {
        if (!redo[i])
            continue;
        slu_err_release(&errs[i]);
        struct kube__resp_info inf = {0};
        int st = 0;
        rcs[i] = kube__do(c, &rqs[i], &st, resps ? resps[i] : NULL, &inf, &errs[i]);
        if (http_status)
            http_status[i] = st;
        if (infos) {
            inf.attempts += 1;
            inf.unknown_before_last = inf.unknown_before_last || unknown[i] || res[i].stale_retry;
            infos[i] = inf;
        }
    }
    free(redo);
    free(unknown);
    free(hrc);
    free(errbody);
    free(hdrs);
    free(res);
    free(calls);
}

void kube__do_batch(struct kube_client *c, const struct kube__req *rqs, size_t n, int *rcs,
                    int *http_status, struct slu_buf **resps, struct kube__resp_info *infos,
                    struct slu_err *errs)
{
    size_t i = 0;
    while (i < n) {
        /* a chunk: consecutive requests the lean transport carries, within the caps */
        size_t m = 0, bytes = 0;
        while (i + m < n && m < BATCH_MAX && lean_eligible(c, &rqs[i + m]) &&
               (m == 0 || bytes + rqs[i + m].body_len <= BATCH_MAX_BYTES)) {
            bytes += rqs[i + m].body ? rqs[i + m].body_len : 0;
            m++;
        }
        if (m <= 1) { /* alone: the usual way */
            int st = 0;
            rcs[i] = kube__do(c, &rqs[i], &st, resps ? resps[i] : NULL, infos ? &infos[i] : NULL,
                              &errs[i]);
            if (http_status)
                http_status[i] = st;
            i++;
            continue;
        }
        batch_chunk(c, rqs + i, m, rcs + i, http_status ? http_status + i : NULL,
                    resps ? resps + i : NULL, infos ? infos + i : NULL, errs + i);
        i += m;
    }
}

/* ---------------------------------------------------------------- verbs */

static const char *ns_for(struct kube_client *c, const struct kube_resource *r, const char *ns,
                          const json_t *obj)
{
    if (!r->namespaced)
        return NULL;
    if (ns && *ns)
        return ns;
    const char *on = obj ? slu_json_str(obj, "metadata.namespace") : NULL;
    return on && *on ? on : c->ns;
}

static int parse_body(const struct slu_buf *b, json_t **out, struct slu_err *err)
{
    if (!out)
        return 0;
    *out = NULL;
    if (!b->data || b->len == 0)
        return 0;
    int rc = slu_json_parse(b->data, b->len, MAX_BODY_DEFAULT, out, err);
    if (rc < 0)
        slu_err_prefix(err, "the server's answer is not JSON");
    return rc;
}

static void meta_from_text(const struct slu_buf *b, struct kube_meta *meta)
{
    meta->uid[0] = meta->resource_version[0] = '\0';
    if (!b->data || b->len == 0)
        return;
    if (slu_json_scan_str(b->data, b->len, "metadata.uid", meta->uid, sizeof meta->uid) != 0)
        meta->uid[0] = '\0';
    if (slu_json_scan_str(b->data, b->len, "metadata.resourceVersion", meta->resource_version,
                          sizeof meta->resource_version) != 0)
        meta->resource_version[0] = '\0';
}

static void meta_from_json(const json_t *o, struct kube_meta *meta)
{
    const char *u = kube_object_uid(o), *rv = kube_object_rv(o);
    slu_strlcpy(meta->uid, u ? u : "", sizeof meta->uid);
    slu_strlcpy(meta->resource_version, rv ? rv : "", sizeof meta->resource_version);
}

static int json_call_m(struct kube_client *c, const char *method, const char *path,
                       const char *ctype, const json_t *body, enum kube__retry retry, json_t **out,
                       struct kube_meta *meta, struct kube__resp_info *info, struct slu_err *err);

/* method + path + optional JSON body; out gets the parsed answer. */
static int json_call(struct kube_client *c, const char *method, const char *path, const char *ctype,
                     const json_t *body, enum kube__retry retry, json_t **out,
                     struct kube__resp_info *info, struct slu_err *err)
{
    return json_call_m(c, method, path, ctype, body, retry, out, NULL, info, err);
}

/* json_call; meta (when not NULL) gets the answer's uid and resourceVersion, read from its
 * text. */
static int json_call_m(struct kube_client *c, const char *method, const char *path,
                       const char *ctype, const json_t *body, enum kube__retry retry, json_t **out,
                       struct kube_meta *meta, struct kube__resp_info *info, struct slu_err *err)
{
    if (out)
        *out = NULL;
    char *b = body ? slu_json_dumps(body) : NULL;
    struct slu_buf resp = {0};
    struct kube__req rq = {.method = method,
                           .path_query = path,
                           .content_type = b ? (ctype ? ctype : "application/json") : NULL,
                           .body = b,
                           .body_len = b ? strlen(b) : 0,
                           .retry = retry};
    int rc = kube__do(c, &rq, NULL, &resp, info, err);
    if (rc == 0)
        rc = parse_body(&resp, out, err);
    if (rc == 0 && meta)
        meta_from_text(&resp, meta);
    slu_buf_release(&resp);
    free(b);
    return rc;
}

int kube_get(struct kube_client *c, const struct kube_resource *r, const char *ns, const char *name,
             json_t **out, struct slu_err *err)
{
    if (out)
        *out = NULL;
    if (!name || !*name)
        return slu_err_set(err, SLU_EINVAL, "get %s: no name", r->plural);
    char *path = kube_resource_path(r, ns_for(c, r, ns, NULL), name, NULL);
    int rc = json_call(c, "GET", path, NULL, NULL, KUBE__RETRY_SAFE, out, NULL, err);
    free(path);
    return rc;
}

int kube_list(struct kube_client *c, const struct kube_resource *r, const char *ns,
              const struct kube_list_opts *opts, json_t **out, struct slu_err *err)
{
    struct slu_buf p = {0};
    char *base = kube_resource_path(r, r->namespaced ? ns : NULL, NULL, NULL);
    slu_buf_puts(&p, base);
    free(base);
    kube__list_query(&p, opts);
    int rc = json_call(c, "GET", p.data, NULL, NULL, KUBE__RETRY_SAFE, out, NULL, err);
    slu_buf_release(&p);
    if (rc == 0 && out && !json_is_array(json_object_get(*out, "items"))) {
        json_decref(*out);
        *out = NULL;
        rc = slu_err_set(err, SLU_EPARSE, "list %s: the answer has no items", r->plural);
    }
    return rc;
}

int kube_list_all(struct kube_client *c, const struct kube_resource *r, const char *ns,
                  const struct kube_list_opts *opts, json_t **out, struct slu_err *err)
{
    *out = NULL;
    struct kube_list_opts o = opts ? *opts : (struct kube_list_opts){0};
    if (o.limit <= 0)
        o.limit = 500;
    json_t *all = NULL;
    char *cont = NULL; /* owned continue token of the next page */
    bool fallback = false;
    int rc = 0;
    for (;;) {
        json_t *page = NULL;
        rc = kube_list(c, r, ns, &o, &page, err);
        if (rc == SLU_EGONE && cont && !fallback) {
            /* the continue token expired: one full list instead (as client-go's pager does) */
            json_decref(all);
            all = NULL;
            fallback = true;
            free(cont);
            cont = NULL;
            o = opts ? *opts : (struct kube_list_opts){0};
            o.limit = 0;
            o.continue_token = NULL;
            continue;
        }
        if (rc < 0)
            break;
        if (!all)
            all = json_incref(page);
        else
            json_array_extend(json_object_get(all, "items"), json_object_get(page, "items"));
        const char *next = slu_json_str(page, "metadata.continue");
        free(cont);
        cont = next && *next ? slu_strdup(next) : NULL;
        json_decref(page);
        if (!cont) {
            json_t *md = json_object_get(all, "metadata");
            if (json_is_object(md))
                json_object_del(md, "continue");
            break;
        }
        o.continue_token = cont;
        o.resource_version = NULL; /* not allowed together with continue */
        o.resource_version_match = NULL;
    }
    free(cont);
    if (rc < 0) {
        json_decref(all);
        return rc;
    }
    *out = all;
    return 0;
}

static bool same_identity(const json_t *mine, const json_t *theirs)
{
    json_t *a = slu_json_path(mine, "metadata.ownerReferences");
    json_t *b = slu_json_path(theirs, "metadata.ownerReferences");
    bool ea = !a || json_array_size(a) == 0, eb = !b || json_array_size(b) == 0;
    if (!(ea && eb) && !slu_json_equal(a, b))
        return false;
    a = slu_json_path(mine, "metadata.labels");
    b = slu_json_path(theirs, "metadata.labels");
    ea = !a || json_object_size(a) == 0;
    eb = !b || json_object_size(b) == 0;
    return (ea && eb) || slu_json_equal(a, b);
}

/* After a create whose outcome is unknown: does our object exist? 0 (and *out) when it does and
 * is ours, SLU_EEXIST when someone else's, SLU_ENOTFOUND when absent, other codes when the read
 * failed. */
static int create_check(struct kube_client *c, const struct kube_resource *r, const char *ns,
                        const json_t *obj, json_t **out, struct slu_err *err)
{
    const char *name = slu_json_str(obj, "metadata.name");
    json_t *got = NULL;
    struct slu_err gerr = {0};
    int rc = kube_get(c, r, ns, name, &got, &gerr);
    if (rc == SLU_ENOTFOUND) {
        slu_err_release(&gerr);
        return SLU_ENOTFOUND;
    }
    if (rc < 0) {
        slu_err_move(err, &gerr);
        slu_err_prefix(err, "create %s %s: outcome unknown, and reading it back failed", r->plural,
                       name);
        return rc;
    }
    slu_err_release(&gerr);
    if (same_identity(obj, got)) {
        if (out)
            *out = got;
        else
            json_decref(got);
        return 0;
    }
    json_decref(got);
    if (err) {
        slu_err_release(err);
        slu_err_set(err, SLU_EEXIST, "%s \"%s\" already exists", r->plural, name);
        err->http_status = 409;
        slu_err_set_reason(err, "AlreadyExists");
        slu_strlcpy(err->kind, r->plural, sizeof(err->kind));
        slu_strlcpy(err->name, name, sizeof(err->name));
    }
    return SLU_EEXIST;
}

static int create_impl(struct kube_client *c, const struct kube_resource *r, const char *ns,
                       const json_t *obj, json_t **out, struct kube_meta *meta, bool unknown,
                       struct slu_err *err);

int kube_create(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const json_t *obj, json_t **out, struct slu_err *err)
{
    return create_impl(c, r, ns, obj, out, NULL, false, err);
}

int kube_create_meta(struct kube_client *c, const struct kube_resource *r, const char *ns,
                     const json_t *obj, struct kube_meta *meta, struct slu_err *err)
{
    return create_impl(c, r, ns, obj, NULL, meta, false, err);
}

/* A create whose answer is reported as *out (whole) or *meta (identity only) or neither.
 * unknown: an earlier attempt (a batch's) may have created it already. */
static int create_impl(struct kube_client *c, const struct kube_resource *r, const char *ns,
                       const json_t *obj, json_t **out, struct kube_meta *meta, bool unknown,
                       struct slu_err *err)
{
    if (out)
        *out = NULL;
    if (meta)
        meta->uid[0] = meta->resource_version[0] = '\0';
    json_t *back = NULL; /* a read-back, when only meta is wanted */
    json_t **outp = out ? out : meta ? &back : NULL;
    if (!json_is_object(obj))
        return slu_err_set(err, SLU_EINVAL, "create %s: the object is not a JSON object",
                           r->plural);
    const char *name = slu_json_str(obj, "metadata.name");
    char *path = kube_resource_path(r, ns_for(c, r, ns, obj), NULL, NULL);
    int rc = 0;
    for (int attempt = 0; attempt < DEFAULT_ATTEMPTS; attempt++) {
        struct kube__resp_info info = {0};
        rc = json_call_m(c, "POST", path, NULL, obj, KUBE__RETRY_CREATE, out, meta, &info, err);
        if (rc == 0)
            break;
        if (rc == SLU_EEXIST && (unknown || info.unknown_before_last) && name) {
            /* our earlier attempt may have created it */
            rc = create_check(c, r, ns_for(c, r, ns, obj), obj, outp, err);
            break;
        }
        bool now_unknown =
            (rc == SLU_EIO || rc == SLU_ETIMEDOUT || rc == SLU_ESERVER) && !info.last_not_sent;
        if (!now_unknown || !name)
            break;
        unknown = true;
        struct slu_err saved = {0};
        if (err) {
            saved = *err;
            memset(err, 0, sizeof(*err));
        }
        int crc = create_check(c, r, ns_for(c, r, ns, obj), obj, outp, err);
        if (crc == 0 || crc == SLU_EEXIST) {
            slu_err_release(&saved);
            rc = crc;
            break;
        }
        if (crc != SLU_ENOTFOUND) {
            slu_err_release(&saved);
            rc = crc;
            break;
        }
        /* not there: the create did not happen, so sending it again is safe */
        slu_err_move(err, &saved);
        if (attempt + 1 < DEFAULT_ATTEMPTS)
            kube__sleep(kube__backoff_ms(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS), NULL);
    }
    free(path);
    if (back) {
        if (rc == 0)
            meta_from_json(back, meta);
        json_decref(back);
    }
    if (rc == 0 && err)
        slu_err_release(err);
    return rc;
}

static int put_obj(struct kube_client *c, const struct kube_resource *r, const char *ns,
                   const json_t *obj, const char *sub, json_t **out, struct slu_err *err)
{
    if (out)
        *out = NULL;
    const char *name = slu_json_str(obj, "metadata.name");
    if (!name || !*name)
        return slu_err_set(err, SLU_EINVAL, "update %s: the object has no metadata.name",
                           r->plural);
    char *path = kube_resource_path(r, ns_for(c, r, ns, obj), name, sub);
    int rc = json_call(c, "PUT", path, NULL, obj, KUBE__RETRY_SAFE, out, NULL, err);
    free(path);
    return rc;
}

int kube_update(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const json_t *obj, json_t **out, struct slu_err *err)
{
    return put_obj(c, r, ns, obj, NULL, out, err);
}

int kube_update_status(struct kube_client *c, const struct kube_resource *r, const char *ns,
                       const json_t *obj, json_t **out, struct slu_err *err)
{
    return put_obj(c, r, ns, obj, "status", out, err);
}

int kube_update_status_meta(struct kube_client *c, const struct kube_resource *r, const char *ns,
                            const json_t *obj, struct kube_meta *meta, struct slu_err *err)
{
    meta->uid[0] = meta->resource_version[0] = '\0';
    const char *name = slu_json_str(obj, "metadata.name");
    if (!name || !*name)
        return slu_err_set(err, SLU_EINVAL, "update %s: the object has no metadata.name",
                           r->plural);
    char *path = kube_resource_path(r, ns_for(c, r, ns, obj), name, "status");
    int rc = json_call_m(c, "PUT", path, NULL, obj, KUBE__RETRY_SAFE, NULL, meta, NULL, err);
    free(path);
    return rc;
}

int kube_patch(struct kube_client *c, const struct kube_resource *r, const char *ns,
               const char *name, const char *subresource, enum kube_patch_type type,
               const json_t *patch, const char *field_manager, json_t **out, struct slu_err *err)
{
    if (out)
        *out = NULL;
    if (!name || !*name)
        return slu_err_set(err, SLU_EINVAL, "patch %s: no name", r->plural);
    const char *ct;
    switch (type) {
    case KUBE_PATCH_MERGE:
        ct = "application/merge-patch+json";
        break;
    case KUBE_PATCH_JSON:
        ct = "application/json-patch+json";
        break;
    case KUBE_PATCH_STRATEGIC:
        ct = "application/strategic-merge-patch+json";
        break;
    case KUBE_PATCH_APPLY:
        ct = "application/apply-patch+yaml";
        if (!field_manager || !*field_manager)
            return slu_err_set(err, SLU_EINVAL, "server-side apply needs a field manager");
        break;
    default:
        return slu_err_set(err, SLU_EINVAL, "patch: unknown patch type %d", (int)type);
    }
    struct slu_buf p = {0};
    char *base = kube_resource_path(r, ns_for(c, r, ns, NULL), name, subresource);
    slu_buf_puts(&p, base);
    free(base);
    kube__query_add(&p, "fieldManager", field_manager);
    int rc = json_call(c, "PATCH", p.data, ct, patch, KUBE__RETRY_SAFE, out, NULL, err);
    slu_buf_release(&p);
    return rc;
}

static json_t *delete_options(const struct kube_delete_opts *o)
{
    if (!o)
        return NULL;
    json_t *d = json_object();
    json_object_set_new(d, "kind", json_string("DeleteOptions"));
    json_object_set_new(d, "apiVersion", json_string("v1"));
    if (o->propagation_policy && *o->propagation_policy)
        json_object_set_new(d, "propagationPolicy", json_string(o->propagation_policy));
    if (o->grace_period_seconds >= 0)
        json_object_set_new(d, "gracePeriodSeconds", json_integer(o->grace_period_seconds));
    if ((o->precondition_uid && *o->precondition_uid) ||
        (o->precondition_resource_version && *o->precondition_resource_version)) {
        json_t *pc = json_object();
        if (o->precondition_uid && *o->precondition_uid)
            json_object_set_new(pc, "uid", json_string(o->precondition_uid));
        if (o->precondition_resource_version && *o->precondition_resource_version)
            json_object_set_new(pc, "resourceVersion",
                                json_string(o->precondition_resource_version));
        json_object_set_new(d, "preconditions", pc);
    }
    return d;
}

int kube_delete(struct kube_client *c, const struct kube_resource *r, const char *ns,
                const char *name, const struct kube_delete_opts *opts, json_t **out,
                struct slu_err *err)
{
    if (out)
        *out = NULL;
    if (!name || !*name)
        return slu_err_set(err, SLU_EINVAL, "delete %s: no name", r->plural);
    char *path = kube_resource_path(r, ns_for(c, r, ns, NULL), name, NULL);
    json_t *body = delete_options(opts);
    struct kube__resp_info info = {0};
    int rc = json_call(c, "DELETE", path, NULL, body, KUBE__RETRY_SAFE, out, &info, err);
    if (rc == SLU_ENOTFOUND && info.unknown_before_last) {
        /* an earlier attempt whose answer we lost did the deletion */
        slu_err_release(err);
        rc = 0;
    }
    json_decref(body);
    free(path);
    return rc;
}

int kube_delete_collection(struct kube_client *c, const struct kube_resource *r, const char *ns,
                           const struct kube_list_opts *sel, const struct kube_delete_opts *opts,
                           struct slu_err *err)
{
    struct slu_buf p = {0};
    char *base = kube_resource_path(r, r->namespaced ? ns_for(c, r, ns, NULL) : NULL, NULL, NULL);
    slu_buf_puts(&p, base);
    free(base);
    if (sel) {
        kube__query_add(&p, "labelSelector", sel->label_selector);
        kube__query_add(&p, "fieldSelector", sel->field_selector);
    }
    json_t *body = delete_options(opts);
    int rc = json_call(c, "DELETE", p.data, NULL, body, KUBE__RETRY_SAFE, NULL, NULL, err);
    json_decref(body);
    slu_buf_release(&p);
    return rc;
}

int kube_request(struct kube_client *c, const char *method, const char *path_query,
                 const char *content_type, const char *body, size_t body_len, int *http_status,
                 struct slu_buf *resp, struct slu_err *err)
{
    if (!path_query || path_query[0] != '/')
        return slu_err_set(err, SLU_EINVAL, "request: path must start with '/'");
    struct kube__req rq = {.method = method ? method : "GET",
                           .path_query = path_query,
                           .content_type = content_type,
                           .body = body,
                           .body_len = body_len,
                           .retry = strcmp(method ? method : "GET", "POST") == 0
                                        ? KUBE__RETRY_CREATE
                                        : KUBE__RETRY_SAFE};
    struct slu_buf tmp = {0};
    int rc = kube__do(c, &rq, http_status, resp ? resp : &tmp, NULL, err);
    slu_buf_release(&tmp);
    return rc;
}

size_t kube_request_batch(struct kube_client *c, struct kube_batch_req *reqs, size_t n)
{
    if (n == 0)
        return 0;
    struct kube__req *rqs = slu_calloc(n, sizeof(*rqs));
    struct slu_buf **resps = slu_calloc(n, sizeof(*resps));
    struct slu_buf *tmp = slu_calloc(n, sizeof(*tmp));
    int *rcs = slu_calloc(n, sizeof(*rcs));
    int *sts = slu_calloc(n, sizeof(*sts));
    size_t failed = 0, todo = 0;
    for (size_t i = 0; i < n; i++) {
        struct kube_batch_req *b = &reqs[i];
        memset(&b->err, 0, sizeof(b->err));
        b->http_status = 0;
        const char *m = b->method ? b->method : "GET";
        if (!b->path_query || b->path_query[0] != '/') {
            b->rc = slu_err_set(&b->err, SLU_EINVAL, "request: path must start with '/'");
            continue;
        }
        rqs[todo] = (struct kube__req){.method = m,
                                       .path_query = b->path_query,
                                       .content_type = b->content_type,
                                       .body = b->body,
                                       .body_len = b->body_len,
                                       .retry = strcmp(m, "POST") == 0 ? KUBE__RETRY_CREATE
                                                                       : KUBE__RETRY_SAFE,
                                       .unhurried = b->unhurried};
        resps[todo] = b->resp ? b->resp : &tmp[todo];
        todo++;
    }
    struct slu_err *errs = slu_calloc(todo ? todo : 1, sizeof(*errs));
    kube__do_batch(c, rqs, todo, rcs, sts, resps, NULL, errs);
    for (size_t i = 0, k = 0; i < n; i++) {
        struct kube_batch_req *b = &reqs[i];
        if (!b->path_query || b->path_query[0] != '/') {
            failed++;
            continue;
        }
        b->rc = rcs[k];
        b->http_status = sts[k];
        if (b->rc) {
            slu_err_move(&b->err, &errs[k]);
            failed++;
        } else {
            slu_err_release(&errs[k]);
        }
        slu_buf_release(&tmp[k]);
        k++;
    }
    free(errs);
    free(sts);
    free(rcs);
    free(tmp);
    free(resps);
    free(rqs);
    return failed;
}

size_t kube_create_batch(struct kube_client *c, struct kube_create_req *reqs, size_t n)
{
    if (n == 0)
        return 0;
    struct kube__req *rqs = slu_calloc(n, sizeof(*rqs));
    struct slu_buf *bodies = slu_calloc(n, sizeof(*bodies));
    struct slu_buf **resps = slu_calloc(n, sizeof(*resps));
    char **paths = slu_calloc(n, sizeof(*paths));
    char **texts = slu_calloc(n, sizeof(*texts));
    int *rcs = slu_calloc(n, sizeof(*rcs));
    struct kube__resp_info *infos = slu_calloc(n, sizeof(*infos));
    struct slu_err *errs = slu_calloc(n, sizeof(*errs));
    size_t *idx = slu_calloc(n, sizeof(*idx));
    size_t todo = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        struct kube_create_req *q = &reqs[i];
        memset(&q->err, 0, sizeof(q->err));
        q->rc = 0;
        if (q->out)
            *q->out = NULL;
        if (!json_is_object(q->obj)) {
            q->rc = slu_err_set(&q->err, SLU_EINVAL, "create %s: the object is not a JSON object",
                                q->res->plural);
            continue;
        }
        texts[todo] = slu_json_dumps(q->obj);
        paths[todo] = kube_resource_path(q->res, ns_for(c, q->res, q->ns, q->obj), NULL, NULL);
        rqs[todo] = (struct kube__req){.method = "POST",
                                       .path_query = paths[todo],
                                       .content_type = "application/json",
                                       .body = texts[todo],
                                       .body_len = strlen(texts[todo]),
                                       .retry = KUBE__RETRY_CREATE};
        resps[todo] = &bodies[todo];
        idx[todo++] = i;
    }
    kube__do_batch(c, rqs, todo, rcs, NULL, resps, infos, errs);
    for (size_t k = 0; k < todo; k++) {
        struct kube_create_req *q = &reqs[idx[k]];
        int rc = rcs[k];
        bool unknown = infos[k].unknown_before_last ||
                       ((rc == SLU_EIO || rc == SLU_ETIMEDOUT || rc == SLU_ESERVER) &&
                        !infos[k].last_not_sent);
        if (rc == 0 && q->out && q->select && bodies[k].len) {
            rc = slu_json_parse_select(bodies[k].data, bodies[k].len, q->select, q->nselect, q->out,
                                       &q->err);
            if (rc < 0)
                slu_err_prefix(&q->err, "the server's answer is not JSON");
        } else if (rc == 0) {
            rc = parse_body(&bodies[k], q->out, &q->err);
        } else if (rc == SLU_EEXIST && !unknown) {
            slu_err_move(&q->err, &errs[k]);
        } else if (rc == SLU_EEXIST || unknown) {
            /* as kube_create after such an answer: our attempt may have made it */
            slu_err_release(&errs[k]);
            rc = create_impl(c, q->res, q->ns, q->obj, q->out, NULL, true, &q->err);
        } else {
            slu_err_move(&q->err, &errs[k]);
        }
        slu_err_release(&errs[k]);
        q->rc = rc;
        slu_buf_release(&bodies[k]);
        free(paths[k]);
        free(texts[k]);
    }
    for (size_t i = 0; i < n; i++)
        if (reqs[i].rc)
            failed++;
    free(idx);
    free(errs);
    free(infos);
    free(rcs);
    free(texts);
    free(paths);
    free(resps);
    free(bodies);
    free(rqs);
    return failed;
}

struct stream_ctx {
    bool (*cb)(void *ud, const char *data, size_t n);
    void *ud;
    bool stopped;
};

static bool stream_data(void *ud, const char *data, size_t n)
{
    struct stream_ctx *s = ud;
    if (!s->cb(s->ud, data, n)) {
        s->stopped = true;
        return false;
    }
    return true;
}

int kube_request_stream(struct kube_client *c, const char *path_query,
                        bool (*cb)(void *ud, const char *data, size_t n), void *ud,
                        const atomic_bool *stop, struct slu_err *err)
{
    if (!path_query || path_query[0] != '/')
        return slu_err_set(err, SLU_EINVAL, "request: path must start with '/'");
    struct stream_ctx s = {.cb = cb, .ud = ud};
    struct kube__req rq = {.method = "GET",
                           .path_query = path_query,
                           .retry = KUBE__RETRY_NONE,
                           .timeout_ms = -1,
                           .on_data = stream_data,
                           .ud = &s,
                           .stop = stop};
    int rc = kube__do(c, &rq, NULL, NULL, NULL, err);
    if (rc == SLU_ECANCELED && s.stopped && !(stop && atomic_load(stop))) {
        slu_err_release(err);
        rc = 0; /* the callback asked to stop */
    }
    return rc;
}
