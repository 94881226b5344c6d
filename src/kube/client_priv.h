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
    bool unhurried;          /* in a batch: its answer may wait a few ms (kube__h1_call) */
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
/* kube__do for each of n requests (no streams), pipelined on one connection when the lean
 * transport carries them (kube__h1_do_batch); a request the batch did not settle (no answer, or
 * an answer kube__do would retry: 429, 5xx, 401) goes again alone through kube__do, whose
 * resp_info then says an earlier attempt may have happened. Results per request as kube__do's:
 * rcs[i], http_status[i], resps[i] (each may be NULL, as may the arrays resps and infos),
 * infos[i], errs[i]. */
void kube__do_batch(struct kube_client *c, const struct kube__req *rqs, size_t n, int *rcs,
                    int *http_status, struct slu_buf **resps, struct kube__resp_info *infos,
                    struct slu_err *errs);
/* Sleeps ms unless *stop becomes true first (polls); returns false when stopped. */
bool kube__sleep(int64_t ms, const atomic_bool *stop);
/* Backoff with full jitter: a value in [d/2, d] for d = min(base * 2^attempt, cap). */
int64_t kube__backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms);
/* Appends the list/watch selector options to a query. */
void kube__list_query(struct slu_buf *b, const struct kube_list_opts *o);

/* Which transport ordinary requests use (see http1.c). The default comes from the environment
 * variable SLU_KUBE_TRANSPORT ("curl": libcurl for everything; anything else or unset: the lean
 * HTTP/1.1 transport where eligible). Tests and benchmarks switch a client with this. */
enum kube__transport {
    KUBE__TRANSPORT_AUTO, /* lean HTTP/1.1 where eligible, libcurl otherwise */
    KUBE__TRANSPORT_CURL, /* libcurl for everything */
};
void kube__client_set_transport(struct kube_client *c, enum kube__transport t);
/* How many requests each transport carried since the client was made (tests, benchmarks). */
void kube__client_transport_counts(struct kube_client *c, uint64_t *lean, uint64_t *curl);

/* ---------------------------------------------------------------- http1.c */

/* The lean HTTP/1.1 keep-alive transport: one target (scheme, host, port), a TLS context built
 * once, and a pool of persistent connections, each used by one thread at a time. */
struct kube__h1;

struct kube__h1_conf {
    bool tls;
    const char *host; /* name or address, without [] */
    int port;
    const char *path_prefix; /* prepended to every request target ("" or "/prefix") */
    const char *ca_pem;      /* NULL: the system store */
    const char *cert_pem;    /* client certificate and key (both or neither), may be NULL */
    const char *key_pem;
    bool insecure;   /* no verification of the server's certificate or name */
    size_t max_idle; /* connections kept in the pool */
};

/* Builds the transport (parses the TLS material). Returned owned, NULL with err on bad input. */
struct kube__h1 *kube__h1_new(const struct kube__h1_conf *cf, struct slu_err *err);
void kube__h1_free(struct kube__h1 *h);

struct kube__h1_call {
    const char *method;
    const char *path_query;
    const char *headers; /* extra header lines, each ending in "\r\n"; may be NULL */
    const char *body;    /* may be NULL */
    size_t body_len;
    int64_t timeout_ms;             /* the whole exchange; <= 0: none */
    const char *cert_pem, *key_pem; /* this request's client certificate (exec plugin) or NULL */
    struct slu_buf *body_out;       /* a 2xx body (NULL: discarded) */
    size_t body_cap;                /* more is SLU_ETOOBIG */
    struct slu_buf *err_out;        /* a non-2xx body: the first err_cap bytes kept */
    size_t err_cap;
    /* Streaming (watches, logs): a 2xx body goes to on_data as it arrives instead of body_out;
     * on_data returning false ends the exchange with SLU_ECANCELED and res->cb_stopped. stop
     * (may be NULL) is checked at least every H1_STREAM_POLL_MS while waiting for bytes; set, it
     * ends the exchange with SLU_ECANCELED. The connection is not reused after either. */
    bool (*on_data)(void *ud, const char *data, size_t n);
    void *ud;
    const atomic_bool *stop;
    /* kube__h1_do_batch, read from calls[0]: the answers may wait a few ms, so they are read in
     * few wake-ups (SO_RCVLOWAT with a short SO_RCVTIMEO: one read per H1_LAZY_MS) instead of
     * one per answer as the server sends them. */
    bool unhurried;
};

struct kube__h1_result {
    int status;
    char retry_after[64];
    bool not_sent;    /* could not connect: the server saw nothing */
    bool overflow;    /* the 2xx body was larger than body_cap */
    bool stale_retry; /* a reused connection turned out closed before any answer byte; the
                         request was sent once more on a fresh connection */
    bool cb_stopped;  /* on_data asked to stop */
};

/* One exchange. 0 when a complete answer arrived (any status); SLU_ETOOBIG, SLU_ETIMEDOUT or
 * SLU_EIO (message "METHOD PATH: what") otherwise. */
int kube__h1_do(struct kube__h1 *h, const struct kube__h1_call *call, struct kube__h1_result *res,
                struct slu_err *err);
/* n exchanges (no streams) pipelined on one connection: every request written at once, then
 * the answers read in order, which costs one round trip and about two system calls for all.
 * For each call, rcs[i] and res[i]/errs[i] as kube__h1_do's: 0 when its answer arrived (any
 * status). A call without an answer has res[i].not_sent set when the server cannot have acted
 * on it (no connection, or the server closed the connection after an earlier answer, as an
 * HTTP/1.1 server must before ignoring the rest); otherwise its fate is unknown. The calls
 * share calls[0]'s client certificate; the batch's deadline is the longest timeout. Returns 0;
 * errs[] must be zeroed by the caller. */
int kube__h1_do_batch(struct kube__h1 *h, const struct kube__h1_call *calls, size_t n,
                      struct kube__h1_result *res, int *rcs, struct slu_err *errs);
/* Connections opened so far (tests). */
uint64_t kube__h1_connects(struct kube__h1 *h);

/* The incremental response parser (exposed for the unit tests and the fuzz target). */
enum kube__h1_state {
    KUBE__H1_STATUS,
    KUBE__H1_HEADER,
    KUBE__H1_BODY_LEN,
    KUBE__H1_BODY_CLOSE,
    KUBE__H1_CHUNK_SIZE,
    KUBE__H1_CHUNK_DATA,
    KUBE__H1_CHUNK_END,
    KUBE__H1_TRAILER,
    KUBE__H1_DONE,
};

struct kube__h1_parser {
    enum kube__h1_state state;
    int status;
    int minor; /* HTTP/1.minor */
    bool keep_alive;
    bool chunked;
    bool conn_close, conn_keep_alive;
    int64_t content_length; /* -1: none */
    uint64_t left;          /* bytes left of the body or the current chunk */
    size_t head_bytes;      /* of the current head (or trailers), capped */
    struct slu_buf line;    /* a partial line carried over to the next feed */
    char retry_after[64];
    char content_type[128];
    /* body bytes go here; a negative return stops the parse with that code */
    int (*on_body)(void *ud, const char *data, size_t n);
    void *ud;
};

void kube__h1_parser_init(struct kube__h1_parser *p);
void kube__h1_parser_release(struct kube__h1_parser *p);
/* Feeds n bytes. Returns 1 when the answer is complete (*used: bytes consumed), 0 when more is
 * needed (all consumed), or a negative code (SLU_EIO for a malformed answer, with err). */
int kube__h1_parse(struct kube__h1_parser *p, const char *data, size_t n, size_t *used,
                   struct slu_err *err);
/* The connection ended: 1 when that completes the answer (a body delimited by the close), else
 * SLU_EIO (truncated) with err. */
int kube__h1_parse_eof(struct kube__h1_parser *p, struct slu_err *err);

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
 * "object.metadata.labels", built by kube_watch from kube_watch_opts.select; NULL: whole). */
int kube__watch_parse_event_sel(const char *line, size_t len, const char *const *sel, size_t nsel,
                                char type[16], json_t **obj, struct slu_err *err);
/* The watch query string for a resource (returned owned). */
char *kube__watch_path(const struct kube_resource *r, const char *ns,
                       const struct kube_watch_opts *o);

#endif
