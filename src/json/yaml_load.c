/*
 * yaml_load.c - YAML stream -> jansson values, on libyaml's event API, with hard caps.
 *
 * How it works: libyaml turns the bytes into events (document start, scalar, mapping start, ...);
 * we build each document with an explicit stack of open containers (no recursion), so nesting is
 * bounded by max_depth and never by the C stack. Scalars resolve as sigs.k8s.io/yaml (go-yaml v2)
 * resolves them, see resolve_plain(). Anchors are kept per document in a hash map with the node
 * count and height of their value; an alias is checked against the alias, node and depth caps
 * BEFORE its value is deep-copied, so a "billion laughs" document fails after a few hundred
 * events instead of exhausting memory. Merge keys (`<<`) are collected while a mapping is open
 * and applied when it closes: explicit keys win, and among merged mappings the first wins.
 * Errors carry "line L, column C: ..." (1-based) from libyaml's marks.
 */
#include "json/json.h"
#include "json/json_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define DEF_MAX_BYTES ((size_t)16 << 20)
#define DEF_MAX_DEPTH 256u
#define DEF_MAX_ALIASES 10000u
#define DEF_MAX_NODES ((size_t)5000000)
#define DEF_MAX_DOCUMENTS ((size_t)10000)

struct anchor {
    json_t *value; /* reference held */
    size_t nodes;  /* nodes in value (incl. keys) */
    unsigned height;
};

struct frame {
    json_t *node; /* object or array being filled (reference held) */
    bool is_map;
    char *anchor;    /* owned, or NULL */
    size_t nodes;    /* nodes in this container so far, itself included */
    unsigned height; /* 1 + the largest child height */
    yaml_mark_t mark;
    /* mappings only */
    char *key; /* pending key, owned; NULL when the next scalar is a key */
    size_t key_len;
    yaml_mark_t key_mark;
    bool key_is_merge;
    json_t *merges; /* array of objects to merge at the end, or NULL */
    size_t merge_nodes;
};

struct loader {
    yaml_parser_t parser;
    struct slu_yaml_limits lim;
    struct frame *stack;
    size_t depth, cap;
    struct slu_map anchors; /* name -> struct anchor * */
    size_t nodes, aliases, ndocs;
    size_t copied; /* nodes among `nodes` that are copies made for aliases and merges */
    json_t *docs;
    json_t *root;    /* completed root of the current document */
    bool root_empty; /* the document is an empty plain scalar ("---" alone) */
    struct slu_err *err;
};

static int count_node(struct loader *l, size_t n, const yaml_mark_t *m);

static void anchor_free(void *p)
{
    struct anchor *a = p;
    if (a != NULL)
        json_decref(a->value);
    free(a);
}

static int errat(struct loader *l, int code, const yaml_mark_t *m, const char *fmt, ...)
    SLU_PRINTF(4, 5);
static int errat(struct loader *l, int code, const yaml_mark_t *m, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return slu_err_set(l->err, code, "line %zu, column %zu: %s", m->line + 1, m->column + 1, msg);
}

/* ---------------------------------------------------------------- scalar resolution */

static bool in_list(const char *s, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == n && memcmp(*list, s, n) == 0)
            return true;
    return false;
}

static const char *const k_true[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                     "True", "TRUE", "on",  "On",  "ON",  NULL};
static const char *const k_false[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                      "False", "FALSE", "off", "Off", "OFF", NULL};
static const char *const k_null[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const k_pinf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
static const char *const k_ninf[] = {"-.inf", "-.Inf", "-.INF", NULL};
static const char *const k_nan[] = {".nan", ".NaN", ".NAN", NULL};

enum num_kind { NUM_NONE, NUM_INT, NUM_REAL, NUM_RANGE /* well-formed but not representable */ };

/* Go's strconv.ParseInt(s, 0, 64) then ParseUint(s, 0, 64) (what go-yaml v2 tries): optional
 * sign, then 0x/0o/0b prefixes, a leading 0 meaning octal, else decimal. A positive value over
 * INT64_MAX that fits uint64 becomes a real (jansson has no uint64). */
static enum num_kind parse_go_int(const char *s, json_int_t *iv, double *rv)
{
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    } else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
        base = 8;
        s += 2;
    } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
        base = 2;
        s += 2;
    } else if (s[0] == '0' && s[1] != '\0') {
        base = 8;
        s += 1;
    }
    if (*s == '\0')
        return NUM_NONE;
    uint64_t v = 0;
    bool overflow = false;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (*s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (*s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            return NUM_NONE;
        if (d >= base)
            return NUM_NONE;
        if (v > (UINT64_MAX - d) / base)
            overflow = true;
        else
            v = v * base + d;
    }
    if (overflow)
        return NUM_NONE; /* the float rule may still take it (decimal only) */
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return NUM_NONE;
        *iv = v == (uint64_t)INT64_MAX + 1 ? (json_int_t)INT64_MIN : -(json_int_t)v;
        return NUM_INT;
    }
    if (v > (uint64_t)INT64_MAX) {
        *rv = (double)v;
        return NUM_REAL;
    }
    *iv = (json_int_t)v;
    return NUM_INT;
}

/* go-yaml's float pattern: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool match_float(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    } else {
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
        if (*s == '.') {
            s++;
            while (*s >= '0' && *s <= '9')
                s++;
        }
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

/* Number forms of a plain scalar, underscores ignored (as go-yaml v2). */
static enum num_kind parse_number(const char *s, size_t n, json_int_t *iv, double *rv)
{
    char stackbuf[128];
    char *buf = n < sizeof(stackbuf) ? stackbuf : slu_malloc(n + 1);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != '_')
            buf[m++] = s[i];
    buf[m] = '\0';
    enum num_kind k = NUM_NONE;
    if (m > 0 && strlen(buf) == m) {
        k = parse_go_int(buf, iv, rv);
        if (k == NUM_NONE && match_float(buf)) {
            errno = 0;
            double d = strtod(buf, NULL);
            k = isfinite(d) ? NUM_REAL : NUM_RANGE;
            *rv = d;
        }
    }
    if (buf != stackbuf)
        free(buf);
    return k;
}

enum scalar_type {
    ST_STRING,
    ST_NULL,
    ST_TRUE,
    ST_FALSE,
    ST_INT,
    ST_REAL,
    ST_PINF,
    ST_NINF,
    ST_NAN
};

struct scalar_val {
    enum scalar_type type;
    json_int_t i;
    double d;
};

/* Resolves an untagged plain scalar as go-yaml v2 does (timestamps excepted: they stay strings). */
static void resolve_plain(const char *s, size_t n, struct scalar_val *out)
{
    out->type = ST_STRING;
    if (in_list(s, n, k_null)) {
        out->type = ST_NULL;
    } else if (in_list(s, n, k_true)) {
        out->type = ST_TRUE;
    } else if (in_list(s, n, k_false)) {
        out->type = ST_FALSE;
    } else if (in_list(s, n, k_pinf)) {
        out->type = ST_PINF;
    } else if (in_list(s, n, k_ninf)) {
        out->type = ST_NINF;
    } else if (in_list(s, n, k_nan)) {
        out->type = ST_NAN;
    } else if ((s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.') {
        enum num_kind k = parse_number(s, n, &out->i, &out->d);
        if (k == NUM_INT)
            out->type = ST_INT;
        else if (k == NUM_REAL)
            out->type = ST_REAL;
    }
}

bool slu_yaml_plain_is_string(const char *s, size_t n)
{
    struct scalar_val v;
    if (n > 0 && memchr(s, '\0', n) != NULL)
        return true;
    resolve_plain(s, n, &v);
    return v.type == ST_STRING;
}

static bool tag_is(const yaml_char_t *tag, const char *name)
{
    return tag != NULL && strcmp((const char *)tag, name) == 0;
}

/* Resolves a scalar event (tag, style, value). Returns 0 or an error. */
static int resolve_event(struct loader *l, const yaml_event_t *ev, struct scalar_val *out)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const yaml_char_t *tag = ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const yaml_mark_t *m = &ev->start_mark;
    out->type = ST_STRING;
    if (tag == NULL) {
        if (plain)
            resolve_plain(s, n, out);
        return 0;
    }
    if (tag_is(tag, YAML_STR_TAG) || tag_is(tag, "!"))
        return 0;
    if (tag_is(tag, YAML_NULL_TAG)) {
        if (!in_list(s, n, k_null))
            return errat(l, SLU_EPARSE, m, "cannot use \"%.*s\" as !!null", (int)SLU_MIN(n, 64), s);
        out->type = ST_NULL;
        return 0;
    }
    if (tag_is(tag, YAML_BOOL_TAG)) {
        if (in_list(s, n, k_true))
            out->type = ST_TRUE;
        else if (in_list(s, n, k_false))
            out->type = ST_FALSE;
        else
            return errat(l, SLU_EPARSE, m, "cannot use \"%.*s\" as !!bool", (int)SLU_MIN(n, 64), s);
        return 0;
    }
    if (tag_is(tag, YAML_INT_TAG) || tag_is(tag, YAML_FLOAT_TAG)) {
        bool want_float = tag_is(tag, YAML_FLOAT_TAG);
        struct scalar_val v;
        resolve_plain(s, n, &v);
        if (v.type == ST_INT && want_float) {
            v.type = ST_REAL;
            v.d = (double)v.i;
        }
        bool ok = v.type == ST_INT || v.type == ST_REAL;
        if (want_float)
            ok = ok || v.type == ST_PINF || v.type == ST_NINF || v.type == ST_NAN;
        if (!ok)
            return errat(l, SLU_EPARSE, m, "cannot use \"%.*s\" as %s", (int)SLU_MIN(n, 64), s,
                         want_float ? "!!float" : "!!int");
        *out = v;
        return 0;
    }
    /* other tags (!!binary, !!timestamp, local tags such as !Ref): the text, as a string */
    return 0;
}

/* Formats a float as Go's strconv.FormatFloat(f, 'g', -1, 32) (how sigs.k8s.io/yaml turns a
 * float mapping key into a string). */
static void go_format_float32(double d, char *buf, size_t n)
{
    float f = (float)d;
    if (f == 0) {
        snprintf(buf, n, signbit(f) ? "-0" : "0");
        return;
    }
    char tmp[64];
    int prec = 1;
    for (; prec < 9; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, (double)f);
        if (strtof(tmp, NULL) == f)
            break;
    }
    snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, (double)f);
    const char *e = strchr(tmp, 'e');
    long exp = e ? strtol(e + 1, NULL, 10) : 0;
    if (exp < -4 || exp >= 6) {
        snprintf(buf, n, "%s", tmp);
    } else {
        long decimals = prec - 1 - exp;
        snprintf(buf, n, "%.*f", (int)(decimals > 0 ? decimals : 0), (double)f);
    }
}

/* The key string for a mapping key scalar (non-strings in their string form). Returned owned. */
static char *key_string(const char *s, size_t n, const struct scalar_val *v, size_t *len)
{
    char tmp[64];
    switch (v->type) {
    case ST_STRING: {
        char *k = slu_malloc(n + 1);
        memcpy(k, s, n);
        k[n] = '\0';
        *len = n;
        return k;
    }
    case ST_NULL:
        snprintf(tmp, sizeof(tmp), "null");
        break;
    case ST_TRUE:
        snprintf(tmp, sizeof(tmp), "true");
        break;
    case ST_FALSE:
        snprintf(tmp, sizeof(tmp), "false");
        break;
    case ST_INT:
        snprintf(tmp, sizeof(tmp), "%lld", (long long)v->i);
        break;
    case ST_REAL:
        go_format_float32(v->d, tmp, sizeof(tmp));
        break;
    case ST_PINF:
        snprintf(tmp, sizeof(tmp), ".inf");
        break;
    case ST_NINF:
        snprintf(tmp, sizeof(tmp), "-.inf");
        break;
    case ST_NAN:
        snprintf(tmp, sizeof(tmp), ".nan");
        break;
    }
    *len = strlen(tmp);
    return slu_strdup(tmp);
}

/* ---------------------------------------------------------------- building */

/* Counts n nodes copied for an alias or a merge: besides max_nodes, copies may not exceed
 * ALIAS_RATIO times the nodes written out in the text (with a floor of ALIAS_FLOOR), which stops
 * an exponential alias bomb after about ALIAS_FLOOR nodes instead of max_nodes. */
#define ALIAS_FLOOR ((size_t)100000)
#define ALIAS_RATIO ((size_t)100)

static int count_copies(struct loader *l, size_t n, const yaml_mark_t *m)
{
    size_t direct = l->nodes - l->copied;
    size_t budget = direct > ALIAS_FLOOR / ALIAS_RATIO ? direct * ALIAS_RATIO : ALIAS_FLOOR;
    if (n > budget || l->copied > budget - n)
        return errat(l, SLU_ETOOBIG, m,
                     "aliases expand to more than %zu nodes (%zu times the %zu nodes written "
                     "out; an alias bomb?)",
                     budget, ALIAS_RATIO, direct);
    int rc = count_node(l, n, m);
    if (rc == 0)
        l->copied += n;
    return rc;
}

static int count_node(struct loader *l, size_t n, const yaml_mark_t *m)
{
    if (n > l->lim.max_nodes || l->nodes > l->lim.max_nodes - n)
        return errat(l, SLU_ETOOBIG, m,
                     "the stream expands to more than %zu nodes (too many aliases or merges?)",
                     l->lim.max_nodes);
    l->nodes += n;
    return 0;
}

static void frame_release(struct frame *f)
{
    json_decref(f->node);
    json_decref(f->merges);
    free(f->anchor);
    free(f->key);
    memset(f, 0, sizeof(*f));
}

static void set_anchor(struct loader *l, const char *name, json_t *v, size_t nodes, unsigned height)
{
    struct anchor *a = slu_malloc(sizeof(*a));
    a->value = json_incref(v);
    a->nodes = nodes;
    a->height = height;
    slu_map_put(&l->anchors, name, a); /* a redefined anchor replaces the old one */
}

/* Adds a completed value (reference taken) to the open container, or makes it the root. */
static int add_value(struct loader *l, json_t *v, size_t nodes, unsigned height,
                     const yaml_mark_t *m)
{
    if (l->depth == 0) {
        json_decref(l->root);
        l->root = v;
        return 0;
    }
    struct frame *f = &l->stack[l->depth - 1];
    f->nodes += nodes;
    if (height + 1 > f->height)
        f->height = height + 1;
    if (!f->is_map) {
        if (json_array_append_new(f->node, v) != 0)
            return errat(l, SLU_ENOMEM, m, "out of memory");
        return 0;
    }
    if (f->key_is_merge) {
        int rc = 0;
        if (json_is_object(v)) {
            json_array_append(f->merges, v);
        } else if (json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e)
            {
                if (!json_is_object(e)) {
                    rc = errat(l, SLU_EPARSE, &f->key_mark,
                               "merge key \"<<\" needs a mapping or a list of mappings");
                    break;
                }
                json_array_append(f->merges, e);
            }
        } else {
            rc = errat(l, SLU_EPARSE, &f->key_mark,
                       "merge key \"<<\" needs a mapping or a list of mappings");
        }
        f->merge_nodes += nodes;
        json_decref(v);
        f->key_is_merge = false;
        free(f->key);
        f->key = NULL;
        return rc;
    }
    int r = json_object_setn_new(f->node, f->key, f->key_len, v);
    free(f->key);
    f->key = NULL;
    if (r != 0)
        return errat(l, SLU_ENOMEM, m, "out of memory");
    return 0;
}

/* Handles a key (scalar or aliased scalar) for the mapping on top of the stack. */
static int take_key(struct loader *l, char *key, size_t len, bool merge, const yaml_mark_t *m)
{
    struct frame *f = &l->stack[l->depth - 1];
    if (merge) {
        free(key);
        f->key_is_merge = true;
        if (f->merges == NULL)
            f->merges = json_array();
        f->key = slu_strdup("<<");
        f->key_len = 2;
        f->key_mark = *m;
        return 0;
    }
    if (json_object_getn(f->node, key, len) != NULL) {
        int rc =
            errat(l, SLU_EPARSE, m, "duplicate key \"%.*s\" in the mapping starting at line %zu",
                  (int)SLU_MIN(len, 200), key, f->mark.line + 1);
        free(key);
        return rc;
    }
    f->key = key;
    f->key_len = len;
    f->key_mark = *m;
    return 0;
}

static bool expecting_key(const struct loader *l)
{
    return l->depth > 0 && l->stack[l->depth - 1].is_map && l->stack[l->depth - 1].key == NULL;
}

static json_t *scalar_json(const struct scalar_val *v, const char *s, size_t n)
{
    switch (v->type) {
    case ST_NULL:
        return json_null();
    case ST_TRUE:
        return json_true();
    case ST_FALSE:
        return json_false();
    case ST_INT:
        return json_integer(v->i);
    case ST_REAL:
        return json_real(v->d);
    default:
        return json_stringn(s, n);
    }
}

static int on_scalar(struct loader *l, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const yaml_mark_t *m = &ev->start_mark;
    struct scalar_val v;
    int rc = resolve_event(l, ev, &v);
    if (rc)
        return rc;
    if ((rc = count_node(l, 1, m)))
        return rc;
    if (expecting_key(l)) {
        bool merge = v.type == ST_STRING && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                     ev->data.scalar.tag == NULL && n == 2 && memcmp(s, "<<", 2) == 0;
        merge = merge || tag_is(ev->data.scalar.tag, "tag:yaml.org,2002:merge");
        size_t klen;
        char *key = key_string(s, n, &v, &klen);
        if (ev->data.scalar.anchor) {
            json_t *ks = json_stringn(key, klen);
            if (ks != NULL)
                set_anchor(l, (const char *)ev->data.scalar.anchor, ks, 1, 0);
            json_decref(ks);
        }
        return take_key(l, key, klen, merge, m);
    }
    if (v.type == ST_PINF || v.type == ST_NINF || v.type == ST_NAN)
        return errat(l, SLU_EPARSE, m, "\"%.*s\" (infinity or NaN) cannot be represented in JSON",
                     (int)SLU_MIN(n, 16), s);
    json_t *j = scalar_json(&v, s, n);
    if (j == NULL)
        return errat(l, SLU_EPARSE, m, "string is not valid UTF-8");
    if (l->depth == 0)
        l->root_empty = n == 0 && ev->data.scalar.tag == NULL && ev->data.scalar.anchor == NULL &&
                        ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (ev->data.scalar.anchor)
        set_anchor(l, (const char *)ev->data.scalar.anchor, j, 1, 0);
    return add_value(l, j, 1, 0, m);
}

static int on_alias(struct loader *l, const yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    const char *name = (const char *)ev->data.alias.anchor;
    if (++l->aliases > l->lim.max_aliases)
        return errat(l, SLU_ETOOBIG, m, "more than %u aliases", l->lim.max_aliases);
    struct anchor *a = slu_map_get(&l->anchors, name);
    if (a == NULL)
        return errat(l, SLU_EPARSE, m, "unknown anchor \"%s\"", name);
    if ((size_t)l->depth + a->height > l->lim.max_depth)
        return errat(l, SLU_ETOOBIG, m, "alias \"%s\" nests deeper than %u levels", name,
                     l->lim.max_depth);
    if (expecting_key(l)) {
        struct scalar_val v = {.type = ST_STRING};
        const char *s = "";
        size_t n = 0;
        switch (json_typeof(a->value)) {
        case JSON_STRING:
            s = json_string_value(a->value);
            n = json_string_length(a->value);
            break;
        case JSON_INTEGER:
            v.type = ST_INT;
            v.i = json_integer_value(a->value);
            break;
        case JSON_REAL:
            v.type = ST_REAL;
            v.d = json_real_value(a->value);
            break;
        case JSON_TRUE:
            v.type = ST_TRUE;
            break;
        case JSON_FALSE:
            v.type = ST_FALSE;
            break;
        case JSON_NULL:
            v.type = ST_NULL;
            break;
        default:
            return errat(l, SLU_EPARSE, m, "alias \"%s\" used as a key is not a scalar", name);
        }
        size_t klen;
        char *key = key_string(s, n, &v, &klen);
        int rc = count_node(l, 1, m);
        if (rc) {
            free(key);
            return rc;
        }
        return take_key(l, key, klen, false, m);
    }
    int rc = count_copies(l, a->nodes, m);
    if (rc)
        return rc;
    json_t *copy = json_deep_copy(a->value);
    if (copy == NULL)
        return errat(l, SLU_ENOMEM, m, "out of memory");
    if (l->depth == 0)
        l->root_empty = false;
    return add_value(l, copy, a->nodes, a->height, m);
}

static int on_start(struct loader *l, const yaml_event_t *ev, bool is_map)
{
    const yaml_mark_t *m = &ev->start_mark;
    if (expecting_key(l))
        return errat(l, SLU_EPARSE, m, "a mapping key must be a scalar, not a %s",
                     is_map ? "mapping" : "sequence");
    if (l->depth >= l->lim.max_depth)
        return errat(l, SLU_ETOOBIG, m, "nesting deeper than %u levels", l->lim.max_depth);
    int rc = count_node(l, 1, m);
    if (rc)
        return rc;
    if (l->depth == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->stack = slu_realloc(l->stack, l->cap * sizeof(*l->stack));
    }
    struct frame *f = &l->stack[l->depth++];
    memset(f, 0, sizeof(*f));
    f->node = is_map ? json_object() : json_array();
    f->is_map = is_map;
    const yaml_char_t *anchor =
        is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    f->anchor = anchor ? slu_strdup((const char *)anchor) : NULL;
    f->nodes = 1;
    f->height = 1;
    f->mark = *m;
    return 0;
}

static int on_end(struct loader *l, const yaml_event_t *ev)
{
    const yaml_mark_t *m = &ev->start_mark;
    struct frame *f = &l->stack[l->depth - 1];
    if (f->merges != NULL && json_array_size(f->merges) > 0) {
        int rc = count_copies(l, f->merge_nodes, m);
        if (rc)
            return rc;
        size_t i;
        json_t *src;
        json_array_foreach(f->merges, i, src)
        {
            const char *k;
            size_t klen;
            json_t *val;
            json_object_keylen_foreach(src, k, klen, val)
            {
                if (json_object_getn(f->node, k, klen) == NULL)
                    json_object_setn_new(f->node, k, klen, json_deep_copy(val));
            }
        }
        f->nodes += f->merge_nodes;
    }
    json_t *v = f->node;
    f->node = NULL;
    size_t nodes = f->nodes;
    unsigned height = f->height;
    if (f->anchor)
        set_anchor(l, f->anchor, v, nodes, height);
    frame_release(f);
    l->depth--;
    if (l->depth == 0)
        l->root_empty = false;
    return add_value(l, v, nodes, height, m);
}

static size_t offset_line_col(const char *buf, size_t len, size_t off, size_t *col)
{
    size_t line = 1, c = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (buf[i] == '\n') {
            line++;
            c = 1;
        } else {
            c++;
        }
    }
    *col = c;
    return line;
}

static int parser_error(struct loader *l, const char *buf, size_t len)
{
    yaml_parser_t *p = &l->parser;
    const char *problem = p->problem ? p->problem : "malformed YAML";
    if (p->error == YAML_MEMORY_ERROR)
        return slu_err_set(l->err, SLU_ENOMEM, "out of memory parsing YAML");
    if (p->error == YAML_READER_ERROR) {
        size_t col;
        size_t line = offset_line_col(buf, len, p->problem_offset, &col);
        if (p->problem_value != -1)
            return slu_err_set(l->err, SLU_EPARSE, "line %zu, column %zu: %s (byte 0x%02X)", line,
                               col, problem, (unsigned)p->problem_value & 0xFFu);
        return slu_err_set(l->err, SLU_EPARSE, "line %zu, column %zu: %s", line, col, problem);
    }
    if (p->context)
        return slu_err_set(l->err, SLU_EPARSE,
                           "line %zu, column %zu: %s (%s at line %zu, column %zu)",
                           p->problem_mark.line + 1, p->problem_mark.column + 1, problem,
                           p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    return slu_err_set(l->err, SLU_EPARSE, "line %zu, column %zu: %s", p->problem_mark.line + 1,
                       p->problem_mark.column + 1, problem);
}

static void apply_limits(struct slu_yaml_limits *out, const struct slu_yaml_limits *in)
{
    out->max_bytes = in && in->max_bytes ? in->max_bytes : DEF_MAX_BYTES;
    out->max_depth = in && in->max_depth ? in->max_depth : DEF_MAX_DEPTH;
    out->max_aliases = in && in->max_aliases ? in->max_aliases : DEF_MAX_ALIASES;
    out->max_nodes = in && in->max_nodes ? in->max_nodes : DEF_MAX_NODES;
    out->max_documents = in && in->max_documents ? in->max_documents : DEF_MAX_DOCUMENTS;
}

int slu_yaml_load(const char *buf, size_t len, const struct slu_yaml_limits *lim, json_t **docs,
                  struct slu_err *err)
{
    *docs = NULL;
    struct loader l;
    memset(&l, 0, sizeof(l));
    apply_limits(&l.lim, lim);
    l.err = err;
    if (len > l.lim.max_bytes)
        return slu_err_set(err, SLU_ETOOBIG, "YAML input of %zu bytes exceeds the limit of %zu",
                           len, l.lim.max_bytes);
    if (buf == NULL)
        buf = "";
    if (!yaml_parser_initialize(&l.parser))
        return slu_err_set(err, SLU_ENOMEM, "out of memory initialising the YAML parser");
    yaml_parser_set_input_string(&l.parser, (const unsigned char *)buf, len);
    slu_map_init(&l.anchors, anchor_free);
    l.docs = json_array();
    int rc = 0;
    bool done = false;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&l.parser, &ev)) {
            rc = parser_error(&l, buf, len);
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++l.ndocs > l.lim.max_documents)
                rc = errat(&l, SLU_ETOOBIG, &ev.start_mark, "more than %zu documents",
                           l.lim.max_documents);
            json_decref(l.root);
            l.root = NULL;
            l.root_empty = false;
            break;
        case YAML_DOCUMENT_END_EVENT:
            if (l.root != NULL && !l.root_empty)
                json_array_append(l.docs, l.root);
            json_decref(l.root);
            l.root = NULL;
            /* anchors are scoped to their document */
            slu_map_release(&l.anchors);
            slu_map_init(&l.anchors, anchor_free);
            break;
        case YAML_SCALAR_EVENT:
            rc = on_scalar(&l, &ev);
            break;
        case YAML_ALIAS_EVENT:
            rc = on_alias(&l, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = on_start(&l, &ev, false);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = on_start(&l, &ev, true);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = on_end(&l, &ev);
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    for (size_t i = 0; i < l.depth; i++)
        frame_release(&l.stack[i]);
    free(l.stack);
    json_decref(l.root);
    slu_map_release(&l.anchors);
    yaml_parser_delete(&l.parser);
    if (rc != 0) {
        json_decref(l.docs);
        return rc;
    }
    *docs = l.docs;
    return 0;
}

int slu_yaml_load_one(const char *buf, size_t len, const struct slu_yaml_limits *lim, json_t **doc,
                      struct slu_err *err)
{
    *doc = NULL;
    json_t *docs;
    int rc = slu_yaml_load(buf, len, lim, &docs, err);
    if (rc)
        return rc;
    size_t n = json_array_size(docs);
    if (n != 1) {
        json_decref(docs);
        return slu_err_set(err, SLU_EINVAL, "expected exactly one YAML document, found %zu", n);
    }
    *doc = json_incref(json_array_get(docs, 0));
    json_decref(docs);
    return 0;
}

/* Reads all of f into out, refusing more than max bytes. */
static int read_stream(FILE *f, const char *name, size_t max, struct slu_buf *out,
                       struct slu_err *err)
{
    char chunk[65536];
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0) {
            if (out->len + n > max)
                return slu_err_set(err, SLU_ETOOBIG, "%s: input exceeds the limit of %zu bytes",
                                   name, max);
            slu_buf_append(out, chunk, n);
        }
        if (n < sizeof(chunk)) {
            if (ferror(f))
                return slu_err_set(err, SLU_EIO, "%s: read error", name);
            return 0;
        }
    }
}

int slu_yaml_load_file(const char *path, const struct slu_yaml_limits *lim, json_t **docs,
                       struct slu_err *err)
{
    *docs = NULL;
    struct slu_yaml_limits eff;
    apply_limits(&eff, lim);
    struct slu_buf b = {0};
    int rc;
    const char *name = path;
    if (strcmp(path, "-") == 0) {
        name = "<stdin>";
        rc = read_stream(stdin, name, eff.max_bytes, &b, err);
    } else {
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            int e = errno;
            return slu_err_set(err, e == ENOENT ? SLU_ENOTFOUND : SLU_EIO, "%s: %s", path,
                               strerror(e));
        }
        rc = read_stream(f, name, eff.max_bytes, &b, err);
        fclose(f);
    }
    if (rc == 0) {
        rc = slu_yaml_load(b.data ? b.data : "", b.len, &eff, docs, err);
        if (rc != 0)
            slu_err_prefix(err, "%s", name);
    }
    slu_buf_release(&b);
    return rc;
}
