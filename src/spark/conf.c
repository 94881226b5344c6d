/*
 * conf.c - Spark configuration: an ordered map of properties, Spark's typed getters, and the
 * java.util.Properties file format both ways (load as spark-submit reads spark-defaults.conf and
 * --properties-file; store as the driver ConfigMap's spark.properties is written).
 *
 * How it works:
 * - struct spark_conf keeps entries in an array (insertion order), each key and its first value
 *   in one allocation, plus its own open-addressing index of entry numbers (FNV-1a), so get/set
 *   are O(1), iteration is stable and a copy is one allocation per entry with the index copied
 *   as it is (the builder copies the conf twice per submission). Setting an existing key replaces
 *   its value in place; unset removes the entry and rebuilds the index.
 * - spark_properties_parse is java.util.Properties.load(Reader): it splits the text into logical
 *   lines (LineReader: natural lines end at \n, \r or \r\n; leading blanks are skipped; a line
 *   whose first non-blank is '#' or '!' is a comment; an odd number of trailing backslashes joins
 *   the next natural line with its leading blanks removed), then splits each logical line into key
 *   and value (first unescaped '=', ':' or blank ends the key; blanks and at most one '=' or ':'
 *   are skipped before the value) and unescapes both (loadConvert).
 * - spark_conf_resolve applies SparkSubmitArguments.mergeDefaultSparkProperties: --conf first,
 *   then the properties file, then spark-defaults.conf, each only filling keys still missing.
 * - spark_properties_escape/store are Properties.saveConvert/store.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "spark/spark.h"

/* slu_buf_reserve that also leaves the buffer NUL-terminated (so an empty result is ""). */
static void buf_reserve0(struct slu_buf *b, size_t extra)
{
    slu_buf_reserve(b, extra);
    b->data[b->len] = '\0';
}

/* Largest properties file we read (spark-defaults.conf is a few KiB in practice). */
#define PROPERTIES_MAX_BYTES (4u * 1024u * 1024u)

struct conf_entry {
    char *key;      /* one allocation "key\0value\0" while the value is the first one set */
    char *value;    /* inside key's block, or its own allocation (own_value) */
    uint32_t hash;  /* conf_hash(key) */
    bool own_value; /* value was replaced: free it separately */
};

/* Entries in insertion order, plus an open-addressing index (linear probing, power-of-two slots,
 * at most half full) of entry number + 1 (0: empty slot). */
struct spark_conf {
    struct conf_entry *e;
    size_t len, cap;
    uint32_t *slots;
    size_t nslots;
};

static uint32_t conf_hash(const char *k, size_t *len)
{
    uint32_t h = 2166136261u; /* FNV-1a 32 */
    const unsigned char *p = (const unsigned char *)k;
    size_t n = 0;
    for (; p[n]; n++) {
        h ^= p[n];
        h *= 16777619u;
    }
    *len = n;
    return h;
}

/* The entry's "key\0value\0" block. */
static void entry_fill(struct conf_entry *e, const char *key, size_t kl, const char *value,
                       uint32_t h)
{
    size_t vl = strlen(value);
    char *b = slu_malloc(kl + vl + 2);
    memcpy(b, key, kl + 1);
    memcpy(b + kl + 1, value, vl + 1);
    e->key = b;
    e->value = b + kl + 1;
    e->hash = h;
    e->own_value = false;
}

static void entry_release(struct conf_entry *e)
{
    if (e->own_value)
        free(e->value);
    free(e->key);
}

static void index_insert(struct spark_conf *c, size_t i)
{
    size_t mask = c->nslots - 1;
    size_t s = c->e[i].hash & mask;
    while (c->slots[s])
        s = (s + 1) & mask;
    c->slots[s] = (uint32_t)(i + 1);
}

/* Rebuilds the index with at least twice as many slots as entries (min is a floor). */
static void index_rebuild(struct spark_conf *c, size_t min)
{
    size_t n = 16;
    while (n < min || n < 2 * (c->len + 1))
        n *= 2;
    free(c->slots);
    c->slots = slu_calloc(n, sizeof(*c->slots));
    c->nslots = n;
    for (size_t i = 0; i < c->len; i++)
        index_insert(c, i);
}

struct spark_conf *spark_conf_new(void)
{
    return slu_calloc(1, sizeof(struct spark_conf));
}

struct spark_conf *spark_conf_copy(const struct spark_conf *c)
{
    struct spark_conf *n = spark_conf_new();
    if (!c || !c->len)
        return n;
    /* same entries at the same positions: the index is copied as it is */
    n->cap = c->len + 8;
    n->e = slu_malloc(n->cap * sizeof(*n->e));
    for (size_t i = 0; i < c->len; i++) {
        const struct conf_entry *s = &c->e[i];
        entry_fill(&n->e[i], s->key, strlen(s->key), s->value, s->hash);
    }
    n->len = c->len;
    n->nslots = c->nslots;
    n->slots = slu_malloc(c->nslots * sizeof(*c->slots));
    memcpy(n->slots, c->slots, c->nslots * sizeof(*c->slots));
    return n;
}

void spark_conf_free(struct spark_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->len; i++)
        entry_release(&c->e[i]);
    free(c->e);
    free(c->slots);
    free(c);
}

/* The slot of key (hash h), or of the empty slot where it would go. NULL when there is no index. */
static uint32_t *slot_of(const struct spark_conf *c, const char *key, uint32_t h)
{
    if (!c->nslots)
        return NULL;
    size_t mask = c->nslots - 1;
    for (size_t s = h & mask;; s = (s + 1) & mask) {
        uint32_t v = c->slots[s];
        if (!v)
            return &c->slots[s];
        const struct conf_entry *e = &c->e[v - 1];
        if (e->hash == h && strcmp(e->key, key) == 0)
            return &c->slots[s];
    }
}

static struct conf_entry *find(const struct spark_conf *c, const char *key)
{
    if (!c || !key)
        return NULL;
    size_t kl;
    uint32_t h = conf_hash(key, &kl);
    uint32_t *s = slot_of(c, key, h);
    return s && *s ? &c->e[*s - 1] : NULL;
}

void spark_conf_set(struct spark_conf *c, const char *key, const char *value)
{
    if (!c || !key)
        return;
    if (!value)
        value = "";
    size_t kl;
    uint32_t h = conf_hash(key, &kl);
    uint32_t *s = slot_of(c, key, h);
    if (s && *s) {
        struct conf_entry *e = &c->e[*s - 1];
        if (strcmp(e->value, value) == 0)
            return; /* the same value again (the app conversion sets its labels twice) */
        char *v = slu_strdup(value); /* value may point into the old one */
        if (e->own_value)
            free(e->value);
        e->value = v;
        e->own_value = true;
        return;
    }
    if (c->len == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->e = slu_realloc(c->e, c->cap * sizeof(*c->e));
    }
    entry_fill(&c->e[c->len], key, kl, value, h);
    c->len++;
    if (!s || 2 * (c->len + 1) > c->nslots)
        index_rebuild(c, 0);
    else
        *s = (uint32_t)c->len;
}

const char *spark_conf_get(const struct spark_conf *c, const char *key)
{
    struct conf_entry *e = find(c, key);
    return e ? e->value : NULL;
}

bool spark_conf_unset(struct spark_conf *c, const char *key)
{
    struct conf_entry *e = find(c, key);
    if (!e)
        return false;
    size_t at = (size_t)(e - c->e);
    entry_release(e);
    memmove(&c->e[at], &c->e[at + 1], (c->len - at - 1) * sizeof(*c->e));
    c->len--;
    index_rebuild(c, c->nslots);
    return true;
}

size_t spark_conf_len(const struct spark_conf *c)
{
    return c ? c->len : 0;
}

const char *spark_conf_key_at(const struct spark_conf *c, size_t i)
{
    if (!c || i >= c->len)
        return NULL;
    return c->e[i].key;
}

const char *spark_conf_value_at(const struct spark_conf *c, size_t i)
{
    if (!c || i >= c->len)
        return NULL;
    return c->e[i].value;
}

void spark_conf_merge(struct spark_conf *dst, const struct spark_conf *src, bool overwrite)
{
    if (!dst || !src || dst == src)
        return;
    for (size_t i = 0; i < src->len; i++) {
        const struct conf_entry *e = &src->e[i];
        if (overwrite || !find(dst, e->key))
            spark_conf_set(dst, e->key, e->value);
    }
}

struct spark_conf *spark_conf_with_prefix(const struct spark_conf *c, const char *prefix)
{
    struct spark_conf *n = spark_conf_new();
    size_t plen = prefix ? strlen(prefix) : 0;
    /* c's keys are distinct, so are the stripped ones: entries are appended as they are and
     * indexed once (the builder asks for a dozen prefixes per submission, most match nothing) */
    for (size_t i = 0; c && i < c->len; i++) {
        const struct conf_entry *e = &c->e[i];
        if (plen && (e->key[0] != prefix[0] || strncmp(e->key, prefix, plen) != 0))
            continue;
        if (n->len == n->cap) {
            n->cap = n->cap ? n->cap * 2 : 8;
            n->e = slu_realloc(n->e, n->cap * sizeof(*n->e));
        }
        size_t kl;
        uint32_t h = conf_hash(e->key + plen, &kl);
        entry_fill(&n->e[n->len++], e->key + plen, kl, e->value, h);
    }
    if (n->len)
        index_rebuild(n, 0);
    return n;
}

size_t spark_conf_drop_non_spark(struct spark_conf *c)
{
    size_t removed = 0;
    for (size_t i = 0; c && i < c->len;) {
        struct conf_entry *e = &c->e[i];
        if (strncmp(e->key, "spark.", 6) != 0) {
            slu_warn("Ignoring non-Spark config property: %s", e->key);
            spark_conf_unset(c, e->key);
            removed++;
        } else {
            i++;
        }
    }
    return removed;
}

/* ---------------------------------------------------------------- typed getters */

/* Java String.trim into an owned copy. */
static char *java_trim(const char *s)
{
    size_t b = 0, e = strlen(s);
    while (b < e && (unsigned char)s[b] <= 0x20)
        b++;
    while (e > b && (unsigned char)s[e - 1] <= 0x20)
        e--;
    return slu_strndup(s + b, e - b);
}

int spark_conf_get_bool(const struct spark_conf *c, const char *key, bool def, bool *out,
                        struct slu_err *err)
{
    const char *v = spark_conf_get(c, key);
    if (!v) {
        *out = def;
        return 0;
    }
    char *t = java_trim(v);
    int rc = 0;
    if (strcasecmp(t, "true") == 0)
        *out = true;
    else if (strcasecmp(t, "false") == 0)
        *out = false;
    else
        rc = slu_err_set(err, SLU_EINVAL, "%s should be boolean, but was %s", key, v);
    free(t);
    return rc;
}

/* Java Long.parseLong / Integer.parseInt: optional sign, decimal digits, nothing else. */
static bool java_parse_long(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    if (*p == '\0')
        return false;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* The value of key as a Java integer (trimmed) in [lo, hi] into *out; *out is left alone when
 * key is absent. `type` names the Java type in the error. */
static int get_integer(const struct spark_conf *c, const char *key, int64_t lo, int64_t hi,
                       const char *type, int64_t *out, struct slu_err *err)
{
    const char *v = spark_conf_get(c, key);
    if (!v)
        return 0;
    char *t = java_trim(v);
    int64_t n;
    bool ok = java_parse_long(t, lo, hi, &n);
    free(t);
    if (!ok)
        return slu_err_set(err, SLU_EINVAL, "%s should be %s, but was %s", key, type, v);
    *out = n;
    return 0;
}

int spark_conf_get_int(const struct spark_conf *c, const char *key, int32_t def, int32_t *out,
                       struct slu_err *err)
{
    int64_t n = def;
    int rc = get_integer(c, key, INT32_MIN, INT32_MAX, "int", &n, err);
    if (rc == 0)
        *out = (int32_t)n;
    return rc;
}

int spark_conf_get_long(const struct spark_conf *c, const char *key, int64_t def, int64_t *out,
                        struct slu_err *err)
{
    int64_t n = def;
    int rc = get_integer(c, key, INT64_MIN, INT64_MAX, "long", &n, err);
    if (rc == 0)
        *out = n;
    return rc;
}

int spark_conf_get_double(const struct spark_conf *c, const char *key, double def, double *out,
                          struct slu_err *err)
{
    const char *v = spark_conf_get(c, key);
    if (!v) {
        *out = def;
        return 0;
    }
    char *t = java_trim(v);
    bool ok = false;
    double d = 0;
    /* Double.parseDouble also takes hex floats and "Infinity"; decimal is what configs hold. */
    if (*t && strspn(t, "+-0123456789.eE") == strlen(t)) {
        char *end = NULL;
        errno = 0;
        d = strtod(t, &end);
        ok = end && *end == '\0';
    } else if (strcmp(t, "Infinity") == 0 || strcmp(t, "+Infinity") == 0) {
        d = INFINITY;
        ok = true;
    } else if (strcmp(t, "-Infinity") == 0) {
        d = -INFINITY;
        ok = true;
    }
    free(t);
    if (!ok)
        return slu_err_set(err, SLU_EINVAL, "%s should be double, but was %s", key, v);
    *out = d;
    return 0;
}

/* The value of key (else def) converted by `as` (spark_size_as or spark_time_as) to unit; an
 * error names the key. */
static int get_with_unit(const struct spark_conf *c, const char *key, const char *def,
                         const char *unit, int64_t *out, struct slu_err *err,
                         int (*as)(const char *, const char *, int64_t *, struct slu_err *))
{
    const char *v = spark_conf_get(c, key);
    if (!v)
        v = def;
    if (!v)
        return slu_err_set(err, SLU_ENOTFOUND, "%s is not set", key);
    int rc = as(v, unit, out, err);
    if (rc < 0)
        slu_err_prefix(err, "%s", key);
    return rc;
}

int spark_conf_get_size(const struct spark_conf *c, const char *key, const char *def,
                        const char *unit, int64_t *out, struct slu_err *err)
{
    return get_with_unit(c, key, def, unit, out, err, spark_size_as);
}

int spark_conf_get_time(const struct spark_conf *c, const char *key, const char *def,
                        const char *unit, int64_t *out, struct slu_err *err)
{
    return get_with_unit(c, key, def, unit, out, err, spark_time_as);
}

/* ---------------------------------------------------------------- Properties.load */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(struct slu_buf *b, uint32_t cp)
{
    char u[4];
    if (cp < 0x80) {
        slu_buf_putc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        slu_buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        slu_buf_append(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        slu_buf_append(b, u, 4);
    }
}

/* Properties.loadConvert of s[0..n) into out. A \uXXXX pair of surrogates becomes one UTF-8
 * character; a lone surrogate becomes '?' (as Java's UTF-8 encoder writes it). */
static int load_convert(const char *s, size_t n, struct slu_buf *out, const char *origin,
                        size_t line, struct slu_err *err)
{
    slu_buf_reset(out);
    buf_reserve0(out, n + 1);
    uint32_t pending_hi = 0; /* a high surrogate waiting for its low half */
    for (size_t i = 0; i < n;) {
        char ch = s[i++];
        if (ch == '\\' && i < n && s[i] == 'u') {
            i++;
            if (n - i < 4)
                goto malformed;
            uint32_t v = 0;
            for (int k = 0; k < 4; k++) {
                int h = hexval(s[i + (size_t)k]);
                if (h < 0)
                    goto malformed;
                v = (v << 4) | (uint32_t)h;
            }
            i += 4;
            if (v >= 0xD800 && v <= 0xDBFF) {
                if (pending_hi)
                    slu_buf_putc(out, '?');
                pending_hi = v;
                continue;
            }
            if (v >= 0xDC00 && v <= 0xDFFF) {
                if (pending_hi) {
                    put_utf8(out, 0x10000 + ((pending_hi - 0xD800) << 10) + (v - 0xDC00));
                    pending_hi = 0;
                } else {
                    slu_buf_putc(out, '?');
                }
                continue;
            }
            if (pending_hi) {
                slu_buf_putc(out, '?');
                pending_hi = 0;
            }
            put_utf8(out, v);
            continue;
        }
        if (pending_hi) {
            slu_buf_putc(out, '?');
            pending_hi = 0;
        }
        if (ch == '\\') {
            if (i >= n)
                break; /* a lone trailing backslash (only at end of input) is dropped */
            ch = s[i++];
            if (ch == 't')
                ch = '\t';
            else if (ch == 'r')
                ch = '\r';
            else if (ch == 'n')
                ch = '\n';
            else if (ch == 'f')
                ch = '\f';
        }
        slu_buf_putc(out, ch);
    }
    if (pending_hi)
        slu_buf_putc(out, '?');
    if (!out->data)
        buf_reserve0(out, 1);
    return 0;
malformed:
    return slu_err_set(err, SLU_EPARSE, "%s:%zu: Malformed \\uxxxx encoding.",
                       origin ? origin : "properties", line);
}

/* Reads one logical line starting at *pos into line (raw, escapes kept); *lineno is advanced to
 * the natural line it started on. Returns false at end of input. */
static bool read_logical_line(const char *t, size_t len, size_t *pos, struct slu_buf *line,
                              size_t *lineno, size_t *startline)
{
    size_t p = *pos;
    slu_buf_reset(line);
    for (;;) {
        /* start of a natural line that begins a logical line: skip blanks and empty lines */
        while (p < len && (is_blank(t[p]) || t[p] == '\n' || t[p] == '\r')) {
            if (t[p] == '\n' || (t[p] == '\r' && !(p + 1 < len && t[p + 1] == '\n')))
                (*lineno)++;
            p++;
        }
        if (p >= len) {
            *pos = p;
            return false;
        }
        *startline = *lineno;
        if (t[p] == '#' || t[p] == '!') {
            while (p < len && t[p] != '\n' && t[p] != '\r')
                p++;
            continue; /* the line break is consumed by the loop above */
        }
        break;
    }
    for (;;) {
        size_t b = p;
        while (p < len && t[p] != '\n' && t[p] != '\r')
            p++;
        slu_buf_append(line, t + b, p - b);
        /* count trailing backslashes of this natural line */
        size_t bs = 0;
        while (bs < p - b && line->data[line->len - 1 - bs] == '\\')
            bs++;
        /* consume the line terminator */
        if (p < len) {
            if (t[p] == '\r' && p + 1 < len && t[p + 1] == '\n')
                p++;
            p++;
            (*lineno)++;
        }
        if (bs % 2 == 0)
            break;
        line->len--; /* drop the continuation backslash */
        line->data[line->len] = '\0';
        if (p >= len) {
            if (line->len == 0) { /* Java's LineReader returns no line here */
                *pos = p;
                return false;
            }
            break;
        }
        while (p < len && is_blank(t[p]))
            p++;
    }
    *pos = p;
    return true;
}

int spark_properties_parse(const char *text, size_t len, const char *origin, struct spark_conf *out,
                           struct slu_err *err)
{
    struct slu_buf line = {0}, key = {0}, val = {0};
    size_t pos = 0, lineno = 1, startline = 1;
    int rc = 0;
    if (!text)
        len = 0;
    while (read_logical_line(text, len, &pos, &line, &lineno, &startline)) {
        const char *l = line.data;
        size_t limit = line.len;
        size_t keylen = 0, vstart = limit;
        bool has_sep = false, prev_bs = false;
        while (keylen < limit) {
            char c = l[keylen];
            if ((c == '=' || c == ':') && !prev_bs) {
                vstart = keylen + 1;
                has_sep = true;
                break;
            } else if (is_blank(c) && !prev_bs) {
                vstart = keylen + 1;
                break;
            }
            prev_bs = c == '\\' ? !prev_bs : false;
            keylen++;
        }
        while (vstart < limit) {
            char c = l[vstart];
            if (!is_blank(c)) {
                if (!has_sep && (c == '=' || c == ':'))
                    has_sep = true;
                else
                    break;
            }
            vstart++;
        }
        rc = load_convert(l, keylen, &key, origin, startline, err);
        if (rc == 0)
            rc = load_convert(l + vstart, limit - vstart, &val, origin, startline, err);
        if (rc < 0)
            goto out;
        spark_conf_set(out, key.data, val.data);
    }
out:
    slu_buf_release(&line);
    slu_buf_release(&key);
    slu_buf_release(&val);
    return rc;
}

/* Utils.trimExceptCRLF: strip chars <= ' ' except \r and \n at both ends. Returned owned. */
static char *trim_except_crlf(const char *s)
{
    size_t b = 0, e = strlen(s);
#define TRIMMABLE(ch) ((unsigned char)(ch) <= 0x20 && (ch) != '\r' && (ch) != '\n')
    while (b < e && TRIMMABLE(s[b]))
        b++;
    while (e > b && TRIMMABLE(s[e - 1]))
        e--;
#undef TRIMMABLE
    return slu_strndup(s + b, e - b);
}

int spark_conf_load_file(struct spark_conf *c, const char *path, bool spark_only, bool overwrite,
                         struct slu_err *err)
{
    struct stat st;
    if (!path)
        return slu_err_set(err, SLU_EINVAL, "no properties file given");
    if (stat(path, &st) != 0)
        return slu_err_set(err, SLU_ENOTFOUND, "Properties file %s does not exist", path);
    if (!S_ISREG(st.st_mode))
        return slu_err_set(err, SLU_EINVAL, "Properties file %s is not a normal file", path);
    struct slu_buf b = {0};
    int rc = slu_read_file(path, PROPERTIES_MAX_BYTES, &b, err);
    if (rc < 0) {
        slu_err_prefix(err, "Failed when loading Spark properties from %s", path);
        slu_buf_release(&b);
        return rc;
    }
    struct spark_conf *tmp = spark_conf_new();
    rc = spark_properties_parse(b.data, b.len, path, tmp, err);
    slu_buf_release(&b);
    if (rc == 0) {
        for (size_t i = 0; i < tmp->len; i++) {
            struct conf_entry *e = &tmp->e[i];
            if (spark_only && strncmp(e->key, "spark.", 6) != 0) {
                slu_warn("Ignoring non-Spark config property: %s (from %s)", e->key, path);
                continue;
            }
            if (!overwrite && find(c, e->key))
                continue;
            char *v = trim_except_crlf(e->value);
            spark_conf_set(c, e->key, v);
            free(v);
        }
    }
    spark_conf_free(tmp);
    return rc;
}

char *spark_conf_default_properties_path(const char *spark_conf_dir, const char *spark_home)
{
    char *path = NULL;
    if (spark_conf_dir)
        path = slu_asprintf("%s/spark-defaults.conf", spark_conf_dir);
    else if (spark_home)
        path = slu_asprintf("%s/conf/spark-defaults.conf", spark_home);
    if (!path)
        return NULL;
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(path);
        return NULL;
    }
    if (path[0] != '/') {
        char *abs = realpath(path, NULL);
        if (abs) {
            free(path);
            path = slu_strdup(abs);
            free(abs);
        }
    }
    return path;
}

int spark_conf_resolve(const struct spark_conf *cmdline, const char *properties_file,
                       bool load_spark_defaults, const char *spark_conf_dir, const char *spark_home,
                       struct spark_conf **out, struct slu_err *err)
{
    struct spark_conf *c = spark_conf_copy(cmdline);
    int rc = 0;
    if (properties_file) {
        rc = spark_conf_load_file(c, properties_file, false, false, err);
        if (rc < 0)
            goto fail;
    }
    if (!properties_file || load_spark_defaults) {
        char *def = spark_conf_default_properties_path(spark_conf_dir, spark_home);
        if (def) {
            rc = spark_conf_load_file(c, def, false, false, err);
            free(def);
            if (rc < 0)
                goto fail;
        }
    }
    spark_conf_drop_non_spark(c);
    *out = c;
    return 0;
fail:
    spark_conf_free(c);
    return rc;
}

/* ---------------------------------------------------------------- Properties.store */

static const char HEX[] = "0123456789ABCDEF";

static void put_u16_escape(struct slu_buf *out, uint32_t u)
{
    char e[6] = {'\\',        'u', HEX[(u >> 12) & 0xF], HEX[(u >> 8) & 0xF], HEX[(u >> 4) & 0xF],
                 HEX[u & 0xF]};
    slu_buf_append(out, e, 6);
}

/* Decodes one UTF-8 sequence at s (NUL-terminated); *n its length. Invalid bytes decode as
 * U+FFFD, one byte at a time (as Java's decoder replaces them). */
static uint32_t utf8_next(const unsigned char *s, size_t *n)
{
    unsigned char c = s[0];
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
        *n = 1;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        cp = c & 0x1F;
        len = 2;
    } else if ((c & 0xF0) == 0xE0) {
        cp = c & 0x0F;
        len = 3;
    } else if ((c & 0xF8) == 0xF0) {
        cp = c & 0x07;
        len = 4;
    } else {
        *n = 1;
        return 0xFFFD;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *n = 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *n = 1;
        return 0xFFFD;
    }
    *n = len;
    return cp;
}

static void put_cp_escaped(struct slu_buf *out, uint32_t cp)
{
    if (cp >= 0x10000) {
        cp -= 0x10000;
        put_u16_escape(out, 0xD800 + (cp >> 10));
        put_u16_escape(out, 0xDC00 + (cp & 0x3FF));
    } else {
        put_u16_escape(out, cp);
    }
}

/* The bytes saveConvert does not copy as they are (without escape_unicode; a leading space is
 * escaped too, so runs start after the first byte). */
static const bool needs_escape[256] = {
    ['\\'] = true, [' '] = true, ['\t'] = true, ['\n'] = true, ['\r'] = true,
    ['\f'] = true, ['='] = true, [':'] = true,  ['#'] = true,  ['!'] = true,
};

void spark_properties_escape(struct slu_buf *out, const char *s, bool is_key, bool escape_unicode)
{
    if (!s)
        return;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t x = 0; p[x];) {
        unsigned char c = p[x];
        if (!escape_unicode && x > 0) {
            /* a run of bytes written as they are, in one append */
            size_t r = x;
            while (p[r] && !needs_escape[p[r]])
                r++;
            if (r > x) {
                slu_buf_append(out, p + x, r - x);
                x = r;
                continue;
            }
        }
        if (c > 61 && c < 127) {
            if (c == '\\')
                slu_buf_putc(out, '\\');
            slu_buf_putc(out, (char)c);
            x++;
            continue;
        }
        switch (c) {
        case ' ':
            if (x == 0 || is_key)
                slu_buf_putc(out, '\\');
            slu_buf_putc(out, ' ');
            break;
        case '\t':
            slu_buf_puts(out, "\\t");
            break;
        case '\n':
            slu_buf_puts(out, "\\n");
            break;
        case '\r':
            slu_buf_puts(out, "\\r");
            break;
        case '\f':
            slu_buf_puts(out, "\\f");
            break;
        case '=':
        case ':':
        case '#':
        case '!':
            slu_buf_putc(out, '\\');
            slu_buf_putc(out, (char)c);
            break;
        default:
            if (escape_unicode && (c < 0x20 || c > 0x7e)) {
                size_t n;
                uint32_t cp = utf8_next(p + x, &n);
                put_cp_escaped(out, cp);
                x += n;
                continue;
            }
            slu_buf_putc(out, (char)c);
        }
        x++;
    }
}

/* Properties.writeComments: line breaks start a new comment line (a '#' is added unless the next
 * char is already '#' or '!'); chars above U+00FF are written as \uXXXX. */
static void write_comment(struct slu_buf *out, const char *comment)
{
    const unsigned char *p = (const unsigned char *)comment;
    slu_buf_putc(out, '#');
    for (size_t x = 0; p[x];) {
        unsigned char c = p[x];
        if (c == '\n' || c == '\r') {
            if (c == '\r' && p[x + 1] == '\n')
                x++;
            x++;
            slu_buf_putc(out, '\n');
            if (p[x] != '#' && p[x] != '!')
                slu_buf_putc(out, '#');
            continue;
        }
        if (c >= 0x80) {
            size_t n;
            uint32_t cp = utf8_next(p + x, &n);
            if (cp > 0xFF)
                put_cp_escaped(out, cp);
            else
                slu_buf_append(out, p + x, n);
            x += n;
            continue;
        }
        slu_buf_putc(out, (char)c);
        x++;
    }
    slu_buf_putc(out, '\n');
}

/* Sorts v[0..n) by key (distinct keys: any correct sort gives the same order), a merge sort
 * through tmp (n entries); qsort's indirect comparisons cost more than the sort itself for the
 * ~50 keys of a spark.properties. */
static void sort_by_key(const struct conf_entry **v, const struct conf_entry **tmp, size_t n)
{
    if (n < 8) {
        for (size_t i = 1; i < n; i++) {
            const struct conf_entry *x = v[i];
            size_t j = i;
            for (; j > 0 && strcmp(v[j - 1]->key, x->key) > 0; j--)
                v[j] = v[j - 1];
            v[j] = x;
        }
        return;
    }
    size_t h = n / 2;
    sort_by_key(v, tmp, h);
    sort_by_key(v + h, tmp, n - h);
    size_t a = 0, b = h, k = 0;
    while (a < h && b < n)
        tmp[k++] = strcmp(v[a]->key, v[b]->key) <= 0 ? v[a++] : v[b++];
    while (a < h)
        tmp[k++] = v[a++];
    while (b < n)
        tmp[k++] = v[b++];
    memcpy(v, tmp, n * sizeof(*v));
}

char *spark_properties_store(const struct spark_conf *c, const char *comment, const char *date,
                             bool sorted)
{
    struct slu_buf out = {0};
    if (comment)
        write_comment(&out, comment);
    if (date) {
        slu_buf_putc(&out, '#');
        slu_buf_puts(&out, date);
        slu_buf_putc(&out, '\n');
    }
    size_t n = c ? c->len : 0;
    const struct conf_entry **order = NULL;
    if (n) {
        size_t bytes = 0;
        order = slu_malloc(2 * n * sizeof(*order)); /* the entries, then sort_by_key's room */
        for (size_t i = 0; i < n; i++) {
            order[i] = &c->e[i];
            bytes += strlen(c->e[i].key) + strlen(c->e[i].value) + 2;
        }
        slu_buf_reserve(&out, bytes + bytes / 8);
        if (sorted)
            sort_by_key(order, order + n, n);
    }
    for (size_t i = 0; i < n; i++) {
        spark_properties_escape(&out, order[i]->key, true, false);
        slu_buf_putc(&out, '=');
        spark_properties_escape(&out, order[i]->value, false, false);
        slu_buf_putc(&out, '\n');
    }
    free(order);
    return slu_buf_steal(&out);
}

void spark_properties_date(int64_t unix_seconds, char *buf, size_t n)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    if (!buf || n == 0)
        return;
    if (!gmtime_r(&t, &tm)) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, n, "%s %s %02d %02d:%02d:%02d UTC %d", days[tm.tm_wday], months[tm.tm_mon],
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}
