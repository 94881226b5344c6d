/*
 * client_priv.h - private to src/kube (the client half: config.c, client.c, watch.c, informer.c,
 * lease.c). The seams between those files, and the pure helpers exposed for unit tests
 * (`kube__name` = file-private helper visible to tests only). Not part of the public contract.
 */
#ifndef SLU_KUBE_CLIENT_PRIV_H
#define SLU_KUBE_CLIENT_PRIV_H

#include <stdatomic.h>

#include "kube/kube.h"

/* ---------------------------------------------------------------- config.c */

/* Credentials returned by an exec plugin (client.authentication.k8s.io ExecCredential). */
struct kube__exec_cred {
    char *token;
    char *cert_pem;
    char *key_pem;
    int64_t expiry_ns; /* unix ns of status.expirationTimestamp; 0: never expires */
};

/* Runs cfg's exec plugin (exec_command/args/env/api_version) with KUBERNETES_EXEC_INFO set,
 * captures stdout (capped at 1 MiB) and parses it into *cred (fields returned owned). */
int kube__exec_run(const struct kube_config *cfg, struct kube__exec_cred *cred,
                   struct slu_err *err);
/* Parses an ExecCredential document; api_version is the one the plugin was asked for. */
int kube__exec_parse(const char *api_version, const char *json, size_t len,
                     struct kube__exec_cred *cred, struct slu_err *err);
void kube__exec_cred_release(struct kube__exec_cred *cred);
/* In-cluster config from an explicit service-account directory (tests use a temp dir). */
int kube__config_in_cluster_dir(const char *sa_dir, struct kube_config **out, struct slu_err *err);

/* ---------------------------------------------------------------- client.c */

/* Percent-encodes s for a URL query value or path segment (RFC 3986 unreserved kept). */
void kube__url_escape(struct slu_buf *b, const char *s);
/* Appends "?key=value" or "&key=value" (value escaped) to b; value NULL or "" adds nothing. */
void kube__query_add(struct slu_buf *b, const char *key, const char *value);
/* Turns a non-2xx answer into err: the Status fields when body is a Status, otherwise a message
 * with the HTTP code and the start of the body. retry_after is the Retry-After header (may be
 * NULL). Returns err's code (negative). */
int kube__status_to_err(int http_status, const char *body, size_t len, const char *retry_after,
                        struct slu_err *err);

enum kube__retry {
    KUBE__RETRY_SAFE,   /* transport errors, 429, 500, 503, 504 */
    KUBE__RETRY_CREATE, /* only 429 (the server refused before doing anything) */
    KUBE__RETRY_NONE,
};

struct kube__req {
    const char *method; /* "GET", "POST", ... */
    const char *path_query;
    const char *content_type; /* NULL: none */
    const char *body;         /* NULL: no body */
    size_t body_len;
    enum kube__retry retry;
    int64_t timeout_ms; /* 0: the client's default; < 0: no overall timeout (streams) */
    size_t max_body;    /* 0: 64 MiB */
    /* Streaming: when set, a 2xx body goes to on_data (return false to stop: the request ends
     * with SLU_ECANCELED) instead of resp. */
    bool (*on_data)(void *ud, const char *data, size_t n);
    void *ud;
    const atomic_bool *stop; /* checked during the transfer and between retries; may be NULL */
};

struct kube__resp_info {
    int attempts;             /* how many requests were sent */
    bool unknown_before_last; /* an earlier attempt ended with an unknown outcome (transport
                                 error or 5xx) */
    bool last_not_sent;       /* the last attempt could not connect: the server saw nothing */
};

/* Sends a request with rate limiting, auth, retries (per rq->retry), Status errors. resp (may be
 * NULL) gets the 2xx body (or nothing when streaming); http_status (may be NULL) the last code;
 * info (may be NULL) what happened. */
int kube__do(struct kube_client *c, const struct kube__req *rq, int *http_status,
             struct slu_buf *resp, struct kube__resp_info *info, struct slu_err *err);
/* Sleeps ms unless *stop becomes true first (polls); returns false when stopped. */
bool kube__sleep(int64_t ms, const atomic_bool *stop);
/* Backoff with full jitter: a value in [d/2, d] for d = min(base * 2^attempt, cap). */
int64_t kube__backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms);
/* Appends the list/watch selector options to a query. */
void kube__list_query(struct slu_buf *b, const struct kube_list_opts *o);

/* ---------------------------------------------------------------- watch.c */

/* Splits a byte stream into lines (without '\n', a trailing '\r' dropped), each at most
 * max_line bytes. */
struct kube__lines {
    struct slu_buf buf;
    size_t max_line;
};
/* Feeds n bytes; calls fn for each complete non-empty line. Returns 0, SLU_ETOOBIG when a line
 * exceeds max_line, or SLU_ECANCELED when fn returned false. */
int kube__lines_feed(struct kube__lines *l, const char *data, size_t n,
                     bool (*fn)(void *ud, const char *line, size_t len), void *ud);
void kube__lines_release(struct kube__lines *l);

/* Parses one watch event line: type (copied into type[16]) and object (returned owned). */
int kube__watch_parse_event(const char *line, size_t len, char type[16], json_t **obj,
                            struct slu_err *err);
/* The same with only the selected paths of the object built (sel: event paths such as
 * "object.metadata.labels", from kube__watch_select; NULL: whole). */
int kube__watch_parse_event_sel(const char *line, size_t len, const char *const *sel, size_t nsel,
                                char type[16], json_t **obj, struct slu_err *err);
/* The watch query string for a resource (returned owned). */
char *kube__watch_path(const struct kube_resource *r, const char *ns,
                       const struct kube_watch_opts *o);

#endif
