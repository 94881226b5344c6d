/*
 * json.c - jansson helpers: dotted-path access (get/set/delete), bounded parsing with
 * line/column errors, compact and canonical dumps (our own small serializer, for shortest-form
 * reals), semantic equality and deep copy.
 *
 * How it works: a path such as `spec.containers[0].image` is split by a small iterator into key
 * and index steps (a backslash escapes the next character, so `a\.b` is the single key "a.b").
 * Getters walk the steps and return NULL (or the default) as soon as a step is absent or of the
 * wrong type; setters tokenise the whole path first so that they can look one step ahead and
 * create the right kind of intermediate container. Nothing here recurses deeper than the value
 * itself (bounded by the parsers' depth caps).
 */
#include "json/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- path iterator */

enum { TOK_END, TOK_KEY, TOK_INDEX, TOK_ERR };

struct path_iter {
    const char *p; /* cursor into the path */
    char *out;     /* where the next key is written (NUL-terminated) */
    bool first;
};

/* Largest accepted array index: beyond any array jansson can hold in memory. */
#define PATH_MAX_INDEX ((size_t)1 << 40)

/* Returns the kind of the next step; a key is written at it->out and returned in *key (and
 * it->out advances past it); an index is returned in *index. */
static int path_next(struct path_iter *it, const char **key, size_t *index)
{
    const char *p = it->p;
    if (*p == '\0')
        return TOK_END;
    if (!it->first) {
        if (*p == '.')
            p++;
        else if (*p != '[')
            return TOK_ERR;
    }
    it->first = false;
    if (*p == '[') {
        p++;
        size_t v = 0;
        size_t ndig = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (size_t)(*p - '0');
            if (v > PATH_MAX_INDEX)
                return TOK_ERR;
            p++;
            ndig++;
        }
        if (ndig == 0 || *p != ']')
            return TOK_ERR;
        it->p = p + 1;
        *index = v;
        return TOK_INDEX;
    }
    char *o = it->out;
    size_t n = 0;
    while (*p != '\0' && *p != '.' && *p != '[') {
        if (*p == '\\') {
            p++;
            if (*p == '\0')
                return TOK_ERR;
        }
        o[n++] = *p++;
    }
    if (n == 0)
        return TOK_ERR;
    o[n] = '\0';
    *key = o;
    it->out = o + n + 1;
    it->p = p;
    return TOK_KEY;
}

json_t *slu_json_path(const json_t *root, const char *path)
{
    if (root == NULL || path == NULL)
        return NULL;
    size_t plen = strlen(path);
    char stackbuf[256];
    char *buf = plen < sizeof(stackbuf) ? stackbuf : slu_malloc(plen + 1);
    struct path_iter it = {.p = path, .out = buf, .first = true};
    json_t *cur = (json_t *)root;
    for (;;) {
        const char *key = NULL;
        size_t index = 0;
        int t = path_next(&it, &key, &index);
        if (t == TOK_END)
            break;
        if (t == TOK_ERR) {
            cur = NULL;
            break;
        }
        if (t == TOK_KEY)
            cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
        else
            cur = json_is_array(cur) ? json_array_get(cur, index) : NULL;
        if (cur == NULL)
            break;
        it.out = buf; /* keys are not kept: reuse the buffer */
    }
    if (buf != stackbuf)
        free(buf);
    return cur;
}

const char *slu_json_str(const json_t *root, const char *path)
{
    return json_string_value(slu_json_path(root, path));
}

/* True when the real d holds an integral value representable as int64. */
static bool real_to_i64(double d, int64_t *out)
{
    if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return false;
    *out = (int64_t)d;
    return true;
}

int64_t slu_json_int(const json_t *root, const char *path, int64_t dflt)
{
    json_t *v = slu_json_path(root, path);
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    int64_t i;
    if (json_is_real(v) && real_to_i64(json_real_value(v), &i))
        return i;
    return dflt;
}

double slu_json_num(const json_t *root, const char *path, double dflt)
{
    json_t *v = slu_json_path(root, path);
    return json_is_number(v) ? json_number_value(v) : dflt;
}

bool slu_json_bool(const json_t *root, const char *path, bool dflt)
{
    json_t *v = slu_json_path(root, path);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* A tokenised path: steps[i] is a key (key != NULL) or an index. */
struct path_step {
    const char *key;
    size_t index;
};

/* Tokenises path into *steps (owned, free with free(); keys point into *buf, also owned).
 * Returns the number of steps (> 0), or -1 on a syntax error or an empty path. */
static long path_split(const char *path, struct path_step **steps, char **buf)
{
    size_t plen = strlen(path);
    *buf = slu_malloc(plen + 1);
    /* at most one step per character */
    *steps = slu_malloc(sizeof(**steps) * (plen + 1));
    struct path_iter it = {.p = path, .out = *buf, .first = true};
    long n = 0;
    for (;;) {
        const char *key = NULL;
        size_t index = 0;
        int t = path_next(&it, &key, &index);
        if (t == TOK_END && n > 0)
            return n;
        if (t == TOK_ERR || t == TOK_END) { /* a syntax error, or the empty path */
            free(*steps);
            free(*buf);
            *steps = NULL;
            *buf = NULL;
            return -1;
        }
        (*steps)[n].key = t == TOK_KEY ? key : NULL;
        (*steps)[n].index = index;
        n++;
    }
}

int slu_json_set(json_t *root, const char *path, json_t *value)
{
    if (root == NULL || path == NULL || value == NULL) {
        json_decref(value);
        return SLU_EINVAL;
    }
    struct path_step *steps;
    char *buf;
    long n = path_split(path, &steps, &buf);
    if (n <= 0) {
        json_decref(value);
        return SLU_EINVAL;
    }
    int rc = SLU_EINVAL;
    /* first check that the whole path can be set, so that a failure leaves root unchanged */
    json_t *cur = root;
    for (long i = 0; i < n; i++) {
        if (cur == NULL) { /* created by the previous step, empty */
            if (!steps[i].key && steps[i].index != 0)
                goto fail;
            continue;
        }
        if (steps[i].key) {
            if (!json_is_object(cur))
                goto fail;
            cur = json_object_get(cur, steps[i].key);
        } else {
            if (!json_is_array(cur) || steps[i].index > json_array_size(cur))
                goto fail;
            cur = json_array_get(cur, steps[i].index);
        }
    }
    cur = root;
    for (long i = 0; i < n; i++) {
        bool last = i == n - 1;
        json_t *child = last ? value : NULL;
        if (!last) {
            /* find or create the intermediate container */
            json_t *existing =
                steps[i].key ? (json_is_object(cur) ? json_object_get(cur, steps[i].key) : NULL)
                             : (json_is_array(cur) ? json_array_get(cur, steps[i].index) : NULL);
            if (existing != NULL) {
                cur = existing;
                continue;
            }
            child = steps[i + 1].key ? json_object() : json_array();
        }
        int r;
        if (steps[i].key) {
            r = json_is_object(cur) ? json_object_set_new(cur, steps[i].key, child) : -1;
            if (!json_is_object(cur))
                json_decref(child);
        } else if (json_is_array(cur) && steps[i].index < json_array_size(cur)) {
            r = json_array_set_new(cur, steps[i].index, child);
        } else if (json_is_array(cur) && steps[i].index == json_array_size(cur)) {
            r = json_array_append_new(cur, child);
        } else {
            json_decref(child);
            r = -1;
        }
        if (r != 0) {
            if (!last)
                json_decref(value);
            goto out;
        }
        cur = child;
    }
    rc = 0;
out:
    free(steps);
    free(buf);
    return rc;
fail:
    json_decref(value);
    goto out;
}

int slu_json_set_str(json_t *root, const char *path, const char *s)
{
    json_t *v = s ? json_string(s) : NULL;
    if (v == NULL)
        return SLU_EINVAL;
    return slu_json_set(root, path, v);
}

int slu_json_set_int(json_t *root, const char *path, int64_t v)
{
    return slu_json_set(root, path, json_integer((json_int_t)v));
}

int slu_json_del(json_t *root, const char *path)
{
    if (root == NULL || path == NULL)
        return SLU_EINVAL;
    struct path_step *steps;
    char *buf;
    long n = path_split(path, &steps, &buf);
    if (n <= 0)
        return SLU_EINVAL;
    int rc = SLU_ENOTFOUND;
    json_t *cur = root;
    for (long i = 0; i < n - 1 && cur != NULL; i++)
        cur = steps[i].key ? (json_is_object(cur) ? json_object_get(cur, steps[i].key) : NULL)
                           : (json_is_array(cur) ? json_array_get(cur, steps[i].index) : NULL);
    const struct path_step *lastp = &steps[n - 1];
    if (lastp->key && json_is_object(cur)) {
        if (json_object_del(cur, lastp->key) == 0)
            rc = 0;
    } else if (!lastp->key && json_is_array(cur)) {
        if (json_array_remove(cur, lastp->index) == 0)
            rc = 0;
    }
    free(steps);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------- parse, dump, compare */

int slu_json_parse(const char *buf, size_t len, size_t max_bytes, json_t **out, struct slu_err *err)
{
    *out = NULL;
    if (max_bytes == 0)
        max_bytes = (size_t)64 << 20;
    if (len > max_bytes)
        return slu_err_set(err, SLU_ETOOBIG, "JSON input of %zu bytes exceeds the limit of %zu",
                           len, max_bytes);
    if (buf == NULL)
        return slu_err_set(err, SLU_EPARSE, "line 1, column 1: no JSON input");
    json_error_t e;
    json_t *v = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
    if (v == NULL) {
        int line = e.line > 0 ? e.line : 1;
        int col = e.column > 0 ? e.column : 1;
        if (json_error_code(&e) == json_error_out_of_memory)
            return slu_err_set(err, SLU_ENOMEM, "out of memory parsing JSON");
        return slu_err_set(err, SLU_EPARSE, "line %d, column %d: %s", line, col, e.text);
    }
    *out = v;
    return 0;
}

void slu_json_put_string(struct slu_buf *b, const char *s, size_t n)
{
    slu_buf_putc(b, '"');
    size_t run = 0; /* start of the pending unescaped run */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char ubuf[8];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            if (c < 0x20) {
                snprintf(ubuf, sizeof(ubuf), "\\u%04x", c);
                esc = ubuf;
            }
        }
        if (esc != NULL) {
            slu_buf_append(b, s + run, i - run);
            slu_buf_puts(b, esc);
            run = i + 1;
        }
    }
    slu_buf_append(b, s + run, n - run);
    slu_buf_putc(b, '"');
}

/* Appends a real in the shortest form that reads back as the same double ("0.1", not
 * "0.10000000000000001"), with ".0" added when it would otherwise look like an integer. */
static void dump_real(struct slu_buf *b, double d)
{
    char tmp[64];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    slu_buf_puts(b, tmp);
    if (strpbrk(tmp, ".eEn") == NULL) /* 'n': inf/nan, which jansson cannot hold anyway */
        slu_buf_puts(b, ".0");
}

struct key_ref {
    const char *k;
    size_t len;
    json_t *v;
};

static int key_ref_cmp(const void *a, const void *b)
{
    const struct key_ref *x = a, *y = b;
    int c = memcmp(x->k, y->k, SLU_MIN(x->len, y->len));
    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static void dump_value(struct slu_buf *b, const json_t *v, bool sorted)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v);
        struct key_ref *keys = slu_malloc(sizeof(*keys) * (n ? n : 1));
        size_t i = 0;
        const char *k;
        size_t klen;
        json_t *e;
        json_object_keylen_foreach((json_t *)v, k, klen, e)
        {
            keys[i++] = (struct key_ref){k, klen, e};
        }
        if (sorted)
            qsort(keys, n, sizeof(*keys), key_ref_cmp);
        slu_buf_putc(b, '{');
        for (i = 0; i < n; i++) {
            if (i)
                slu_buf_putc(b, ',');
            slu_json_put_string(b, keys[i].k, keys[i].len);
            slu_buf_putc(b, ':');
            dump_value(b, keys[i].v, sorted);
        }
        slu_buf_putc(b, '}');
        free(keys);
        break;
    }
    case JSON_ARRAY: {
        slu_buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                slu_buf_putc(b, ',');
            dump_value(b, json_array_get(v, i), sorted);
        }
        slu_buf_putc(b, ']');
        break;
    }
    case JSON_STRING:
        slu_json_put_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        slu_buf_printf(b, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        dump_real(b, json_real_value(v));
        break;
    case JSON_TRUE:
        slu_buf_puts(b, "true");
        break;
    case JSON_FALSE:
        slu_buf_puts(b, "false");
        break;
    case JSON_NULL:
        slu_buf_puts(b, "null");
        break;
    }
}

/* Our own compact serializer rather than json_dumps: jansson prints reals with 17 digits
 * (0.1 -> 0.10000000000000001); we print the shortest exact form, as Go and JavaScript do. */
static char *dumps_compact(const json_t *v, bool sorted)
{
    struct slu_buf b = {0};
    slu_buf_reserve(&b, 1000); /* most objects written fit; saves the realloc steps up to it */
    if (v == NULL)
        slu_buf_puts(&b, "null");
    else
        dump_value(&b, v, sorted);
    return slu_buf_steal(&b);
}

char *slu_json_dumps_canonical(const json_t *v)
{
    return dumps_compact(v, true);
}

char *slu_json_dumps(const json_t *v)
{
    return dumps_compact(v, false);
}

/* Integer i versus real d, exact (no rounding of large integers through double). */
static bool int_real_equal(json_int_t i, double d)
{
    int64_t di;
    return real_to_i64(d, &di) && di == (int64_t)i;
}

bool slu_json_equal(const json_t *a, const json_t *b)
{
    if (a == b)
        return true;
    if (a == NULL || b == NULL)
        return false;
    if (json_is_number(a) && json_is_number(b)) {
        if (json_is_integer(a) && json_is_integer(b))
            return json_integer_value(a) == json_integer_value(b);
        if (json_is_real(a) && json_is_real(b))
            return json_real_value(a) == json_real_value(b);
        if (json_is_integer(a))
            return int_real_equal(json_integer_value(a), json_real_value(b));
        return int_real_equal(json_integer_value(b), json_real_value(a));
    }
    if (json_typeof(a) != json_typeof(b))
        return false;
    switch (json_typeof(a)) {
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return false;
        const char *k;
        size_t klen;
        json_t *va;
        json_object_keylen_foreach((json_t *)a, k, klen, va)
        {
            json_t *vb = json_object_getn(b, k, klen);
            if (vb == NULL || !slu_json_equal(va, vb))
                return false;
        }
        return true;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!slu_json_equal(json_array_get(a, i), json_array_get(b, i)))
                return false;
        return true;
    }
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
    default: /* true, false, null: same type is enough */
        return true;
    }
}

json_t *slu_json_copy(const json_t *v)
{
    if (v == NULL)
        return NULL;
    json_t *c = json_deep_copy(v);
    if (c == NULL)
        abort(); /* only on out-of-memory */
    return c;
}
