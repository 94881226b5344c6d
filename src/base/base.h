/*
 * base.h - the whole public contract of src/base: allocation, strings and buffers, vectors,
 * string hash maps, time, logging, errors (with Kubernetes Status details), random/UUID, and
 * thread helpers (blocking queue).
 *
 * Conventions (see DESIGN.md): functions return 0 or a negative SLU_E* code; details go into a
 * caller-provided struct slu_err; small allocations abort on out-of-memory (slu_malloc & co);
 * ownership is stated in each comment ("borrowed", "taken", "returned owned").
 */
#ifndef SLU_BASE_H
#define SLU_BASE_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SLU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SLU_MIN(a, b) ((a) < (b) ? (a) : (b))
#define SLU_MAX(a, b) ((a) > (b) ? (a) : (b))
#define SLU_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SLU_UNUSED __attribute__((unused))

/* ---------------------------------------------------------------- errors */

enum {
    SLU_OK = 0,
    SLU_EINVAL = -1,        /* invalid argument or input (Kubernetes: Invalid / BadRequest) */
    SLU_ENOMEM = -2,        /* a large, input-sized allocation failed */
    SLU_ENOTFOUND = -3,     /* NotFound (404) */
    SLU_EEXIST = -4,        /* AlreadyExists (409) */
    SLU_ECONFLICT = -5,     /* Conflict (409) */
    SLU_EGONE = -6,         /* Gone / Expired (410): resourceVersion too old, continue expired */
    SLU_EIO = -7,           /* transport or file I/O error */
    SLU_ETIMEDOUT = -8,     /* timed out */
    SLU_EFORBIDDEN = -9,    /* Forbidden (403) */
    SLU_EUNAUTH = -10,      /* Unauthorized (401) */
    SLU_ETOOMANY = -11,     /* TooManyRequests (429) */
    SLU_ESERVER = -12,      /* InternalError / ServiceUnavailable (5xx) */
    SLU_ETOOBIG = -13,      /* a size cap was hit (413, or an input limit) */
    SLU_EPARSE = -14,       /* malformed JSON/YAML/quantity/selector/... */
    SLU_ECANCELED = -15,    /* stopped on request (shutdown) */
    SLU_EUNSUPPORTED = -16, /* unsupported media type / operation (415, 405) */
    SLU_EBADREQUEST = -17,  /* BadRequest (400) */
    SLU_ESTATE = -18,       /* operation not valid in the current state */
};

struct slu_err_cause {
    char *reason;  /* e.g. "FieldValueRequired"; may be NULL */
    char *field;   /* e.g. "spec.driver.cores"; may be NULL */
    char *message; /* never NULL when set */
};

/*
 * An error report. Zero-initialise (`struct slu_err err = {0};`), pass by pointer, read
 * err.msg on failure, then slu_err_release(). Callers may pass NULL where they don't care.
 */
struct slu_err {
    int code;        /* SLU_E* (0 when no error) */
    int http_status; /* HTTP status when the error came from/for an HTTP exchange, else 0 */
    char reason[48]; /* Kubernetes Status reason ("NotFound", "Conflict", ...) or "" */
    char msg[1024];  /* human-readable message, always NUL-terminated */
    char kind[64];   /* Status details.kind, or "" */
    char name[256];  /* Status details.name, or "" */
    int retry_after; /* seconds from Retry-After / details.retryAfterSeconds, or 0 */
    struct slu_err_cause *causes; /* owned array */
    size_t ncauses;
};

/* Sets code and a formatted message; returns code (so `return slu_err_set(err, ...)` works).
 * err may be NULL. Keeps existing causes. */
int slu_err_set(struct slu_err *err, int code, const char *fmt, ...) SLU_PRINTF(3, 4);
int slu_err_vset(struct slu_err *err, int code, const char *fmt, va_list ap);
/* Prefixes the existing message with "prefix: " (for adding context while propagating). */
void slu_err_prefix(struct slu_err *err, const char *fmt, ...) SLU_PRINTF(2, 3);
/* Sets the Kubernetes reason (copied). */
void slu_err_set_reason(struct slu_err *err, const char *reason);
/* Appends a cause; strings are copied; reason/field may be NULL. */
void slu_err_add_cause(struct slu_err *err, const char *reason, const char *field,
                       const char *message);
/* Frees causes and resets to zero. Safe on a zeroed or NULL err. */
void slu_err_release(struct slu_err *err);
/* Moves src into dst (dst released first); src is zeroed. */
void slu_err_move(struct slu_err *dst, struct slu_err *src);
/* Static name of an error code ("SLU_ENOTFOUND" -> "not found"). */
const char *slu_strerror(int code);
/* Kubernetes mapping helpers. */
int slu_err_code_from_http(int http_status, const char *reason);
int slu_err_http_from_code(int code);
const char *slu_err_reason_from_code(int code);

/* ---------------------------------------------------------------- memory */

/* Abort on out-of-memory (small allocations). */
void *slu_malloc(size_t n);
void *slu_calloc(size_t n, size_t size);
void *slu_realloc(void *p, size_t n);
char *slu_strdup(const char *s); /* NULL in -> NULL out */
char *slu_strndup(const char *s, size_t n);
char *slu_asprintf(const char *fmt, ...) SLU_PRINTF(1, 2); /* returned owned */
char *slu_vasprintf(const char *fmt, va_list ap);

/* ---------------------------------------------------------------- strings and buffers */

/* A growable byte buffer, always NUL-terminated when data != NULL. Zero-init is a valid empty
 * buffer. */
struct slu_buf {
    char *data;
    size_t len;
    size_t cap;
};

void slu_buf_init(struct slu_buf *b);
void slu_buf_release(struct slu_buf *b);
void slu_buf_reset(struct slu_buf *b); /* len = 0, keeps memory */
void slu_buf_reserve(struct slu_buf *b, size_t extra);
void slu_buf_append(struct slu_buf *b, const void *data, size_t n);
void slu_buf_puts(struct slu_buf *b, const char *s);
void slu_buf_putc(struct slu_buf *b, char c);
void slu_buf_printf(struct slu_buf *b, const char *fmt, ...) SLU_PRINTF(2, 3);
void slu_buf_vprintf(struct slu_buf *b, const char *fmt, va_list ap);
/* Returns the data (owned by the caller, never NULL) and resets the buffer to empty. */
char *slu_buf_steal(struct slu_buf *b);
/* Reads a whole file, refusing files larger than max_bytes (SLU_ETOOBIG). */
int slu_read_file(const char *path, size_t max_bytes, struct slu_buf *out, struct slu_err *err);
/* Writes data to path atomically (temp file + rename), mode e.g. 0600. */
int slu_write_file(const char *path, const void *data, size_t n, int mode, struct slu_err *err);

bool slu_str_has_prefix(const char *s, const char *prefix);
bool slu_str_has_suffix(const char *s, const char *suffix);
bool slu_streq(const char *a, const char *b); /* NULL-safe */
/* strtoll/strtoull wrappers that require the whole string to be a number. */
int slu_parse_i64(const char *s, int64_t *out);
int slu_parse_u64(const char *s, uint64_t *out);
int slu_parse_double(const char *s, double *out);
/* Copies at most dstsize-1 bytes and NUL-terminates; returns strlen(src). */
size_t slu_strlcpy(char *dst, const char *src, size_t dstsize);
/* Splits s on sep into a NULL-terminated vector of owned strings (free with slu_strv_free). Empty
 * fields are kept; trim strips ASCII whitespace around each field. */
char **slu_str_split(const char *s, char sep, bool trim, size_t *count);
void slu_strv_free(char **v);
char *slu_str_trim(char *s); /* in place; returns s advanced past leading space */
/* Lowercase ASCII in place. */
void slu_str_lower(char *s);
/* Base64 (standard alphabet) encode/decode; returned owned. decode returns NULL on bad input. */
char *slu_base64_encode(const void *data, size_t n);
unsigned char *slu_base64_decode(const char *s, size_t *out_len);

/* ---------------------------------------------------------------- vectors */

/* A vector of pointers. Zero-init is valid. */
struct slu_vec {
    void **items;
    size_t len;
    size_t cap;
};
void slu_vec_push(struct slu_vec *v, void *item);
void *slu_vec_pop(struct slu_vec *v);
void slu_vec_remove_at(struct slu_vec *v, size_t i);              /* keeps order */
void slu_vec_release(struct slu_vec *v, void (*free_fn)(void *)); /* free_fn may be NULL */
void slu_vec_sort(struct slu_vec *v,
                  int (*cmp)(const void *a, const void *b)); /* cmp gets void** */

/* ---------------------------------------------------------------- hash map */

/* A string-keyed open-addressing hash map. Keys are copied (owned by the map); values are
 * borrowed pointers unless a free function is given. Zero-init is NOT valid: use _init. */
struct slu_map_entry {
    char *key; /* NULL: empty; SLU_MAP_TOMBSTONE: deleted */
    uint64_t hash;
    void *value;
};
struct slu_map {
    struct slu_map_entry *slots;
    size_t cap;  /* power of two */
    size_t len;  /* live entries */
    size_t used; /* live + tombstones */
    void (*free_value)(void *);
};
void slu_map_init(struct slu_map *m, void (*free_value)(void *));
void slu_map_release(struct slu_map *m);
/* Inserts or replaces; a replaced value is freed with free_value when set. */
void slu_map_put(struct slu_map *m, const char *key, void *value);
void *slu_map_get(const struct slu_map *m, const char *key);
bool slu_map_has(const struct slu_map *m, const char *key);
/* Removes and returns the value (NOT freed); NULL when absent. */
void *slu_map_take(struct slu_map *m, const char *key);
/* Removes and frees the value with free_value; returns true when it was present. */
bool slu_map_del(struct slu_map *m, const char *key);
/* Iteration: for (size_t it = 0; slu_map_next(m, &it, &k, &v);) ... Do not modify during. */
bool slu_map_next(const struct slu_map *m, size_t *it, const char **key, void **value);
uint64_t slu_hash(const void *data, size_t n); /* FNV-1a 64 */

/* ---------------------------------------------------------------- time */

int64_t slu_now_mono_ns(void); /* CLOCK_MONOTONIC */
int64_t slu_now_real_ns(void); /* CLOCK_REALTIME */
int64_t slu_now_unix(void);    /* seconds */
/* RFC 3339 UTC with seconds ("2026-11-22T15:03:39Z"), into buf of at least 32 bytes. */
void slu_time_format_rfc3339(int64_t unix_seconds, char *buf, size_t n);
/* With microseconds ("2026-11-22T15:03:39.123456Z"), as Kubernetes MicroTime. */
void slu_time_format_rfc3339_micro(int64_t unix_ns, char *buf, size_t n);
/* Parses RFC 3339 (with optional fraction and offset) into unix nanoseconds. */
int slu_time_parse_rfc3339(const char *s, int64_t *unix_ns);
void slu_sleep_ms(int64_t ms);

/* ---------------------------------------------------------------- logging */

enum slu_log_level { SLU_LOG_DEBUG, SLU_LOG_INFO, SLU_LOG_WARN, SLU_LOG_ERROR, SLU_LOG_OFF };
/* Programs (not libraries) configure the logger; libraries log only at DEBUG/INFO/WARN. */
void slu_log_set_level(enum slu_log_level level);
enum slu_log_level slu_log_get_level(void);
/* Parses "debug|info|warn|error|off"; -1 if unknown. */
int slu_log_parse_level(const char *s);
void slu_log_set_json(bool json); /* one JSON object a line instead of text */
void slu_log(enum slu_log_level level, const char *fmt, ...) SLU_PRINTF(2, 3);
#define slu_debug(...) slu_log(SLU_LOG_DEBUG, __VA_ARGS__)
#define slu_info(...) slu_log(SLU_LOG_INFO, __VA_ARGS__)
#define slu_warn(...) slu_log(SLU_LOG_WARN, __VA_ARGS__)
#define slu_error(...) slu_log(SLU_LOG_ERROR, __VA_ARGS__)

/* ---------------------------------------------------------------- random */

void slu_random_bytes(void *buf, size_t n); /* cryptographic (OpenSSL RAND_bytes) */
uint64_t slu_random_u64(void);
/* Random UUID v4 into buf of at least 37 bytes. */
void slu_uuid4(char *buf);
/* n random chars from [a-z0-9] (as Kubernetes generateName uses "bcdfghjklmnpqrstvwxz2456789"
 * set; we use the same alphabet) into buf (n+1 bytes). */
void slu_random_name_suffix(char *buf, size_t n);

/* ---------------------------------------------------------------- threads */

/* A bounded (cap > 0) or unbounded (cap == 0) blocking FIFO of pointers. */
struct slu_bqueue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    void **ring;
    size_t head, len, ringcap, cap;
    bool closed;
};
void slu_bqueue_init(struct slu_bqueue *q, size_t cap);
void slu_bqueue_release(struct slu_bqueue *q, void (*free_fn)(void *));
/* Returns 0, or SLU_ECANCELED when closed. Blocks while full. */
int slu_bqueue_push(struct slu_bqueue *q, void *item);
/* Waits up to timeout_ms (<0: forever). 0 and *out set; SLU_ETIMEDOUT; SLU_ECANCELED when closed
 * and drained. */
int slu_bqueue_pop(struct slu_bqueue *q, void **out, int64_t timeout_ms);
void slu_bqueue_close(struct slu_bqueue *q);
size_t slu_bqueue_len(struct slu_bqueue *q);

/* Absolute CLOCK_MONOTONIC deadline for pthread_cond_timedwait on a cond initialised with
 * slu_cond_init_mono(). */
void slu_cond_init_mono(pthread_cond_t *c);
void slu_deadline_from_now(struct timespec *ts, int64_t ms);

#endif
