/*
 * sim_int.h - private to the API-server core of src/sim (store.c, builtin.c, smp.c, apiserver.c,
 * handlers.c, tls.c): the seams between those files. Nothing outside src/sim includes it.
 */
#ifndef SLU_SIM_INT_H
#define SLU_SIM_INT_H

#include "sim/parts.h"
#include "sim/sim.h"
#include "sim/store.h"

/* ---------------------------------------------------------------- builtin.c */

/* The built-in types (returned owned: the vector and each type; free each with
 * sim_builtin_type_free). */
void sim_builtin_types(struct slu_vec *out);
void sim_builtin_type_free(struct sim_rtype *rt);

/* Applies the defaults the real API server applies to a built-in kind and validates the
 * kind-specific fields (obj changed in place). old is the stored object for updates (NULL on
 * create). Violations are added to err as causes (the caller turns them into 422). Returns 0
 * or SLU_EINVAL. */
int sim_builtin_prepare(const struct sim_rtype *rt, json_t *obj, const json_t *old,
                        struct slu_err *err);
/* API-user update rules for built-in kinds (pod spec immutability, scheduling gates that may
 * only be removed). Adds causes; returns 0 or SLU_EINVAL. */
int sim_builtin_check_update(const struct sim_rtype *rt, const json_t *obj, const json_t *old,
                             struct slu_err *err);
/* Appends to out, one a line as `unknown field "spec.x"`, every field of a built-in object that
 * its kind does not declare (top level, metadata, and the pod/container specs); removes them
 * from obj when prune. Returns the number found. */
size_t sim_builtin_unknown_fields(const struct sim_rtype *rt, json_t *obj, bool prune,
                                  struct slu_buf *out);
/* Unknown fields of metadata only (for custom resources; the schema covers the rest). */
size_t sim_meta_unknown_fields(json_t *obj, bool prune, struct slu_buf *out);
/* Validates metadata (name or generateName, labels, annotations and their total size,
 * finalizers, ownerReferences). Adds causes; returns 0 or SLU_EINVAL. */
int sim_validate_meta(const struct sim_rtype *rt, const json_t *obj, bool creating,
                      struct slu_err *err);
/* Turns the causes collected in err into the real server's 422 message
 * (`Kind "name" is invalid: field: message` or `[a: x, b: y]`). Returns SLU_EINVAL. */
int sim_err_invalid(struct slu_err *err, const char *kind, const char *name);
/* Resource name for Status details and messages: "pods" or "widgets.example.com". */
void sim_rtype_resource(const struct sim_rtype *rt, char *buf, size_t n);
/* apiVersion string of a type ("v1", "apps/v1"). */
void sim_rtype_api_version(const struct sim_rtype *rt, char *buf, size_t n);

/* ---------------------------------------------------------------- smp.c */

/* Strategic merge patch (as the real server applies to built-in kinds): maps merge
 * recursively, null deletes, lists with a merge key (containers, env, volumes, ports, ...)
 * merge element-wise by that key, metadata.finalizers merge as a set, other lists are
 * replaced; directives `$patch: replace|delete|merge`, `$retainKeys`,
 * `$deleteFromPrimitiveList/<k>`, `$setElementOrder/<k>`. *target (owned by the caller) is
 * changed in place or replaced. SLU_EINVAL for a malformed patch (err says where). */
int sim_smp_apply(json_t **target, const json_t *patch, struct slu_err *err);

/* ---------------------------------------------------------------- proto.c */

/* Decodes a Kubernetes protobuf body ("k8s\0" + runtime.Unknown) of the kinds kubectl's typed
 * clients create (Namespace, ConfigMap, Secret, ServiceAccount, Service, PriorityClass) into
 * the JSON object (returned owned). SLU_EUNSUPPORTED for other kinds, SLU_EBADREQUEST when
 * malformed. */
int sim_proto_decode(const char *body, size_t len, json_t **out, struct slu_err *err);

/* ---------------------------------------------------------------- tls.c */

/* Generates a self-signed CA and a server certificate for 127.0.0.1/localhost signed by it
 * (EC P-256, valid one year). All three PEM strings are returned owned. */
int sim_tls_generate(char **ca_pem, char **cert_pem, char **key_pem, struct slu_err *err);

/* ---------------------------------------------------------------- store.c extras */

/* Cancels every watcher (their next() returns SLU_ECANCELED); used on shutdown. */
void sim_store_cancel_watchers(struct sim_store *st);

/* ---------------------------------------------------------------- apiserver.c / handlers.c */

#include <microhttpd.h>
#include <stdatomic.h>

#define SIM_MAX_BODY (3u * 1024u * 1024u)

struct sim {
    struct sim_store *st;
    struct sim_cluster *cluster; /* NULL when no cluster model runs */
    struct sim_faults *faults;   /* NULL: none */
    struct MHD_Daemon *d;
    int port;
    char url[80];
    bool tls;
    char *ca_pem, *cert_pem, *key_pem;
    double time_scale;
    int64_t bookmark_ms;
    atomic_bool stopping;
    pthread_t restart_thread;
    bool restart_started;
    pthread_mutex_t restart_mu;
    pthread_cond_t restart_cond;
    pthread_mutex_t streams_mu;
    struct slu_vec streams; /* struct sim_stream* being served (watches, followed logs) */
};

/* A streaming response in progress (handlers.c); cancel wakes it and makes it end. */
struct sim_stream {
    atomic_bool canceled;
    struct sim_watcher *w; /* NULL for logs */
};
/* Ends every stream being served (shutdown, "restart" fault). */
void sim_streams_cancel(struct sim *s);

/* One request as the handlers see it. */
struct sim_req {
    struct sim *sim;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    const char *body;
    size_t body_len;
    const char *accept;
    const char *content_type;
    /* decoded query parameters as key, value, key, value, ..., NULL; read instead of the
     * connection's when conn is NULL (sim__handle_request) */
    const char *const *args;
};

/* What a handler answers: either a complete body or a streaming response. */
struct sim_resp {
    int status;
    char *body; /* owned (malloc) */
    size_t len;
    const char *content_type;
    struct slu_buf warnings; /* one warning text a line */
    int retry_after;
    struct MHD_Response *stream; /* when set, sent instead of body */
};

/* Query parameter (decoded) or NULL. */
const char *sim_req_query(const struct sim_req *r, const char *name);
/* Fills resp with a JSON body (v taken). */
void sim_resp_json(struct sim_resp *resp, int status, json_t *v);
/* Fills resp with a Status built from err (code, reason, message, details). */
void sim_resp_error(struct sim_resp *resp, const struct slu_err *err);
/* A Status built from the parts. */
void sim_resp_status(struct sim_resp *resp, int code, const char *reason, const char *fmt, ...)
    SLU_PRINTF(4, 5);

/* Test seam for fuzz/fuzz_sim_request.c: handles one request without a socket, through the
 * same routing and handlers as the HTTP callback. target is the request target as sent
 * (path, optional "?query", percent-encoded); content_type and accept may be NULL; body need
 * not be NUL-terminated. A streaming answer (watch, followed log) is set up and torn down at
 * once (*body is then ""). *status is the HTTP status; *body (returned owned, NUL-terminated)
 * and *len what would be sent. */
void sim__handle_request(struct sim *s, const char *method, const char *target,
                         const char *content_type, const char *accept, const char *body,
                         size_t body_len, int *status, char **out, size_t *len);

/* handlers.c: a request under /api/v1 or /apis/G/V that names a resource. segs are the path
 * segments after the group-version. */
void sim_handle_resource(struct sim_req *r, const struct sim_rtype *rt, const char *ns,
                         const char *name, const char *sub, bool legacy_watch,
                         struct sim_resp *resp);

#endif
