/*
 * schema.c - structural openAPIV3Schema enforcement for custom resources, as the real
 * apiextensions-apiserver does it: pruning of undeclared fields, dropping of nulls the schema does
 * not allow, defaulting, then validation with one cause per violation, worded like the real server
 * (kube-openapi messages wrapped in k8s.io field errors).
 *
 * How it works: sim_schema_apply makes two passes over the object.
 *  1. normalize(): walks value and schema together; deletes fields the schema does not declare
 *     (unless x-kubernetes-preserve-unknown-fields or additionalProperties allow them), recording
 *     their paths; deletes nulls of non-nullable properties that have no default; inserts deep
 *     copies of `default`s where the parent object exists (and normalizes them in turn, so nested
 *     defaults apply too). At the root (and in x-kubernetes-embedded-resource objects) apiVersion,
 *     kind and metadata are left alone: the caller owns them.
 *  2. validate(): type, enum, string/number/array/object keywords, list-type set/map uniqueness,
 *     allOf/anyOf/oneOf/not (value validation only, as structural schemas allow).
 * Unknown fields with "Strict" stop before validation with SLU_EBADREQUEST, as the real decoder
 * does.
 *
 * Patterns: Kubernetes compiles `pattern` with Go's RE2 (ECMA-262-like syntax). We use POSIX ERE
 * (<regex.h>, REG_EXTENDED) after translating the common ECMA escapes (\d \w \s and their
 * negations, \t \n \r, escapes inside brackets, (?: groups). Lookarounds, backreferences, \b and
 * lazy quantifiers are not supported by either RE2 or ERE the same way; a pattern that fails to
 * compile gives the real server's "but pattern is invalid" message. Compiled patterns are cached
 * (process-wide, mutex-guarded, capped).
 *
 * Formats: strings with format date-time, date, byte, uuid, ipv4 are checked (the real server
 * checks more); int32/int64 on integers are not range-checked, as kube-openapi does not either.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/parts.h"

#define SCHEMA_MAX_DEPTH 200
#define RX_CACHE_MAX 1024
#define MAX_CAUSES 1000

/* ---------------------------------------------------------------- small helpers */

static const json_t *sget(const json_t *s, const char *k)
{
    return json_is_object(s) ? json_object_get(s, k) : NULL;
}

static bool sflag(const json_t *s, const char *k)
{
    return json_is_true(sget(s, k));
}

static const char *sstr(const json_t *s, const char *k)
{
    return json_string_value(sget(s, k));
}

static bool is_meta_key(const char *k)
{
    return strcmp(k, "apiVersion") == 0 || strcmp(k, "kind") == 0 || strcmp(k, "metadata") == 0;
}

/* The JSON type name as kube-openapi reports it. */
static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

/* Integers, and reals holding an integral value (Go accepts 1.0 as an integer). */
static bool is_integral(const json_t *v)
{
    if (json_is_integer(v))
        return true;
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return isfinite(d) && d == floor(d) && fabs(d) < 9.007199254740992e15;
    }
    return false;
}

static bool type_matches(const char *type, const json_t *v)
{
    if (strcmp(type, "object") == 0)
        return json_is_object(v);
    if (strcmp(type, "array") == 0)
        return json_is_array(v);
    if (strcmp(type, "string") == 0)
        return json_is_string(v);
    if (strcmp(type, "integer") == 0)
        return is_integral(v);
    if (strcmp(type, "number") == 0)
        return json_is_number(v);
    if (strcmp(type, "boolean") == 0)
        return json_is_boolean(v);
    return true; /* unknown type names are rejected by sim_schema_check */
}

/* Go's %v for a float64 (strconv 'g' with the shortest digits; exponent form when the exponent
 * is below -4 or at least 6: 1e+06, 1.5, 123456). */
static void fmt_go_float(double d, char *buf, size_t n)
{
    if (!isfinite(d)) {
        snprintf(buf, n, "%s", isnan(d) ? "NaN" : (d > 0 ? "+Inf" : "-Inf"));
        return;
    }
    if (d == 0) {
        snprintf(buf, n, "0");
        return;
    }
    char tmp[64];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
    const char *e = strchr(tmp, 'e');
    long exp = e ? strtol(e + 1, NULL, 10) : 0;
    if (exp < -4 || exp >= 6) {
        snprintf(buf, n, "%s", tmp);
        return;
    }
    int decimals = prec - 1 - (int)exp;
    if (decimals < 0)
        decimals = 0;
    snprintf(buf, n, "%.*f", decimals, d);
}

/* Go's %q of a string (escapes quotes, backslashes and control characters). */
static void put_quoted(struct slu_buf *b, const char *s)
{
    slu_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            slu_buf_puts(b, "\\\"");
            break;
        case '\\':
            slu_buf_puts(b, "\\\\");
            break;
        case '\n':
            slu_buf_puts(b, "\\n");
            break;
        case '\t':
            slu_buf_puts(b, "\\t");
            break;
        case '\r':
            slu_buf_puts(b, "\\r");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                slu_buf_printf(b, "\\x%02x", *p);
            else
                slu_buf_putc(b, (char)*p);
        }
    }
    slu_buf_putc(b, '"');
}

/* A bad value as k8s.io field errors print it: strings quoted, numbers and booleans bare, null as
 * "null", objects and arrays as compact JSON. Long values are cut. */
static void put_value(struct slu_buf *b, const json_t *v)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        if (strlen(s) > 256) {
            char *cut = slu_strndup(s, 256);
            put_quoted(b, cut);
            free(cut);
        } else {
            put_quoted(b, s);
        }
        break;
    }
    case JSON_INTEGER:
        slu_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        fmt_go_float(json_real_value(v), num, sizeof(num));
        slu_buf_puts(b, num);
        break;
    case JSON_TRUE:
        slu_buf_puts(b, "true");
        break;
    case JSON_FALSE:
        slu_buf_puts(b, "false");
        break;
    case JSON_NULL:
        slu_buf_puts(b, "\"null\"");
        break;
    default: {
        char *s = slu_json_dumps(v);
        if (strlen(s) > 512)
            s[512] = '\0';
        slu_buf_puts(b, s);
        free(s);
    }
    }
}

/* A number from the schema (minimum, maximum, multipleOf) as Go prints float64 with %v. */
static void put_schema_num(struct slu_buf *b, const json_t *v)
{
    char num[64];
    fmt_go_float(json_number_value(v), num, sizeof(num));
    slu_buf_puts(b, num);
}

static size_t path_push_key(struct slu_buf *path, const char *key)
{
    size_t old = path->len;
    if (path->len > 0)
        slu_buf_putc(path, '.');
    slu_buf_puts(path, key);
    return old;
}

static size_t path_push_index(struct slu_buf *path, size_t i)
{
    size_t old = path->len;
    slu_buf_printf(path, "[%zu]", i);
    return old;
}

static void path_pop(struct slu_buf *path, size_t old)
{
    path->len = old;
    if (path->data)
        path->data[old] = '\0';
}

static const char *path_str(const struct slu_buf *path)
{
    return path->data ? path->data : "";
}

/* ---------------------------------------------------------------- patterns */

struct rx_entry {
    regex_t re;
    bool ok;
    char errmsg[160];
};

static pthread_mutex_t rx_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slu_map rx_cache;
static bool rx_cache_ready;

/* Translates the ECMA/RE2 escapes that POSIX ERE lacks (see the file comment). */
static void rx_translate(const char *src, struct slu_buf *out)
{
    const char *p = src;
    while (*p) {
        if (p[0] == '(' && p[1] == '?' && p[2] == ':') {
            slu_buf_putc(out, '(');
            p += 3;
            continue;
        }
        if (*p == '\\' && p[1]) {
            char c = p[1];
            p += 2;
            switch (c) {
            case 'd':
                slu_buf_puts(out, "[0-9]");
                break;
            case 'D':
                slu_buf_puts(out, "[^0-9]");
                break;
            case 'w':
                slu_buf_puts(out, "[A-Za-z0-9_]");
                break;
            case 'W':
                slu_buf_puts(out, "[^A-Za-z0-9_]");
                break;
            case 's':
                slu_buf_puts(out, "[[:space:]]");
                break;
            case 'S':
                slu_buf_puts(out, "[^[:space:]]");
                break;
            case 't':
                slu_buf_putc(out, '\t');
                break;
            case 'n':
                slu_buf_putc(out, '\n');
                break;
            case 'r':
                slu_buf_putc(out, '\r');
                break;
            case '/':
            case '-':
            case '_':
            case ':':
            case '=':
            case '!':
            case '@':
            case '#':
            case '%':
            case '&':
            case '~':
            case '`':
            case '\'':
            case '"':
            case ',':
            case ';':
            case '<':
            case '>':
                slu_buf_putc(out, c);
                break;
            default:
                slu_buf_putc(out, '\\');
                slu_buf_putc(out, c);
            }
            continue;
        }
        if (*p == '[') {
            /* A bracket expression: rebuild it with POSIX rules (backslash is literal there). */
            struct slu_buf body = {0};
            bool neg = false, rbracket = false, dash = false;
            p++;
            if (*p == '^') {
                neg = true;
                p++;
            }
            if (*p == ']') {
                rbracket = true;
                p++;
            }
            while (*p && *p != ']') {
                if (p[0] == '[' && p[1] == ':') {
                    const char *end = strstr(p + 2, ":]");
                    if (end) {
                        slu_buf_append(&body, p, (size_t)(end + 2 - p));
                        p = end + 2;
                        continue;
                    }
                }
                if (*p == '\\' && p[1]) {
                    char c = p[1];
                    p += 2;
                    switch (c) {
                    case 'd':
                        slu_buf_puts(&body, "0-9");
                        break;
                    case 'w':
                        slu_buf_puts(&body, "A-Za-z0-9_");
                        break;
                    case 's':
                        slu_buf_puts(&body, "[:space:]");
                        break;
                    case 't':
                        slu_buf_putc(&body, '\t');
                        break;
                    case 'n':
                        slu_buf_putc(&body, '\n');
                        break;
                    case 'r':
                        slu_buf_putc(&body, '\r');
                        break;
                    case ']':
                        rbracket = true;
                        break;
                    case '-':
                        dash = true;
                        break;
                    default:
                        slu_buf_putc(&body, c);
                    }
                    continue;
                }
                slu_buf_putc(&body, *p);
                p++;
            }
            slu_buf_putc(out, '[');
            if (neg)
                slu_buf_putc(out, '^');
            if (rbracket)
                slu_buf_putc(out, ']');
            if (body.data)
                slu_buf_puts(out, body.data);
            if (dash)
                slu_buf_putc(out, '-');
            if (*p == ']') {
                slu_buf_putc(out, ']');
                p++;
            }
            slu_buf_release(&body);
            continue;
        }
        slu_buf_putc(out, *p);
        p++;
    }
    if (!out->data)
        slu_buf_puts(out, "");
}

static void rx_compile(struct rx_entry *e, const char *pattern)
{
    struct slu_buf tr = {0};
    rx_translate(pattern, &tr);
    int rc = regcomp(&e->re, tr.data, REG_EXTENDED | REG_NOSUB);
    slu_buf_release(&tr);
    e->ok = rc == 0;
    if (!e->ok)
        regerror(rc, &e->re, e->errmsg, sizeof(e->errmsg));
}

static void rx_entry_free(void *p)
{
    struct rx_entry *e = p;
    if (e->ok)
        regfree(&e->re);
    free(e);
}

/* 1 match, 0 no match, -1 invalid pattern (errbuf filled). */
static int rx_match(const char *pattern, const char *s, char *errbuf, size_t errlen)
{
    pthread_mutex_lock(&rx_mu);
    if (!rx_cache_ready) {
        slu_map_init(&rx_cache, rx_entry_free);
        rx_cache_ready = true;
    }
    struct rx_entry *e = slu_map_get(&rx_cache, pattern);
    bool owned = false;
    if (!e) {
        e = slu_calloc(1, sizeof(*e));
        rx_compile(e, pattern);
        if (rx_cache.len < RX_CACHE_MAX)
            slu_map_put(&rx_cache, pattern, e);
        else
            owned = true;
    }
    pthread_mutex_unlock(&rx_mu);
    int r;
    if (!e->ok) {
        snprintf(errbuf, errlen, "%s", e->errmsg);
        r = -1;
    } else {
        r = regexec(&e->re, s, 0, NULL, 0) == 0 ? 1 : 0;
    }
    if (owned)
        rx_entry_free(e);
    return r;
}

/* ---------------------------------------------------------------- formats */

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static int num2(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static bool valid_date(const char *s)
{
    if (!digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return false;
    int m = num2(s + 5), d = num2(s + 8);
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static bool valid_date_time(const char *s)
{
    if (strlen(s) < 19 || !valid_date(s))
        return false;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return false;
    const char *t = s + 11;
    if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' || !digits(t + 6, 2))
        return false;
    if (num2(t) > 23 || num2(t + 3) > 59 || num2(t + 6) > 60)
        return false;
    const char *p = t + 8;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == '\0')
        return true; /* local time, accepted by strfmt */
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
        return true;
    if (*p == '+' || *p == '-') {
        p++;
        if (digits(p, 2) && p[2] == ':' && digits(p + 3, 2) && p[5] == '\0')
            return true;
        if (digits(p, 4) && p[4] == '\0')
            return true;
    }
    return false;
}

static bool valid_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static bool valid_ipv4(const char *s)
{
    int parts = 0;
    const char *p = s;
    while (parts < 4) {
        if (!isdigit((unsigned char)*p))
            return false;
        int v = 0, nd = 0;
        while (isdigit((unsigned char)*p) && nd < 4) {
            v = v * 10 + (*p - '0');
            p++;
            nd++;
        }
        if (nd > 3 || v > 255)
            return false;
        parts++;
        if (parts < 4) {
            if (*p != '.')
                return false;
            p++;
        }
    }
    return *p == '\0';
}

static bool valid_byte(const char *s)
{
    size_t n = 0;
    if (*s == '\0')
        return true;
    unsigned char *d = slu_base64_decode(s, &n);
    if (!d)
        return false;
    free(d);
    return true;
}

/* true when the string satisfies the format (unknown formats always do). */
static bool format_ok(const char *format, const char *s)
{
    if (strcmp(format, "date-time") == 0 || strcmp(format, "datetime") == 0)
        return valid_date_time(s);
    if (strcmp(format, "date") == 0)
        return strlen(s) == 10 && valid_date(s);
    if (strcmp(format, "uuid") == 0)
        return valid_uuid(s);
    if (strcmp(format, "ipv4") == 0)
        return valid_ipv4(s);
    if (strcmp(format, "byte") == 0)
        return valid_byte(s);
    return true;
}

/* ---------------------------------------------------------------- validation context */

struct vctx {
    struct slu_err *err; /* causes land here; may be NULL when only counting */
    struct slu_buf msgs; /* "path: body" for each violation, ", "-separated */
    size_t n;
    unsigned depth;
};

/* Adds one violation. field may be NULL (the real server's "<nil>" for junctor errors). body is
 * taken (freed here). */
static void add_violation(struct vctx *c, const char *reason, const char *field, char *body)
{
    c->n++;
    if (c->n <= MAX_CAUSES) {
        if (c->err)
            slu_err_add_cause(c->err, reason, field && *field ? field : NULL, body);
        if (c->msgs.len > 0)
            slu_buf_puts(&c->msgs, ", ");
        slu_buf_printf(&c->msgs, "%s: %s", field ? (*field ? field : "") : "<nil>", body);
    }
    free(body);
}

static char *body_from(struct slu_buf *b)
{
    return slu_buf_steal(b);
}

static void v_type_invalid(struct vctx *c, const char *path, const char *want, const json_t *v)
{
    struct slu_buf b = {0};
    slu_buf_printf(&b, "Invalid value: \"%s\": %s in body must be of type %s: \"%s\"", type_name(v),
                   path, want, type_name(v));
    add_violation(c, "FieldValueTypeInvalid", path, body_from(&b));
}

/* "Invalid value: <v>: <path> in body <detail>" */
static void v_invalid(struct vctx *c, const char *path, const json_t *v, const char *detail)
{
    struct slu_buf b = {0};
    slu_buf_puts(&b, "Invalid value: ");
    put_value(&b, v);
    slu_buf_printf(&b, ": %s in body %s", path, detail);
    add_violation(c, "FieldValueInvalid", path, body_from(&b));
}

static void validate(struct vctx *c, const json_t *s, const json_t *v, struct slu_buf *path,
                     bool root);

/* Runs validate into a private context; returns the number of violations; *sub keeps them. */
static size_t validate_sub(struct vctx *sub, unsigned depth, const json_t *s, const json_t *v,
                           struct slu_buf *path, struct slu_err *suberr)
{
    memset(sub, 0, sizeof(*sub));
    sub->err = suberr;
    sub->depth = depth;
    validate(sub, s, v, path, false);
    return sub->n;
}

static void copy_violations(struct vctx *c, struct slu_err *from)
{
    for (size_t i = 0; i < from->ncauses; i++)
        add_violation(c, from->causes[i].reason, from->causes[i].field ? from->causes[i].field : "",
                      slu_strdup(from->causes[i].message));
}

static void validate_junctors(struct vctx *c, const json_t *s, const json_t *v,
                              struct slu_buf *path)
{
    char *p = slu_strdup(path_str(path)); /* path may move while sub-validations push */
    const json_t *any = sget(s, "anyOf");
    if (json_is_array(any) && json_array_size(any) > 0) {
        bool okany = false;
        struct slu_err first = {0};
        size_t idx;
        const json_t *sub_s;
        json_array_foreach(any, idx, sub_s)
        {
            struct vctx sub;
            struct slu_err se = {0};
            size_t n = validate_sub(&sub, c->depth, sub_s, v, path, &se);
            slu_buf_release(&sub.msgs);
            if (n == 0) {
                okany = true;
                slu_err_release(&se);
                break;
            }
            if (idx == 0)
                slu_err_move(&first, &se);
            slu_err_release(&se);
        }
        if (!okany) {
            struct slu_buf b = {0};
            slu_buf_puts(&b, "Invalid value: \"\": ");
            put_quoted(&b, p);
            slu_buf_puts(&b, " must validate at least one schema (anyOf)");
            add_violation(c, "FieldValueInvalid", NULL, body_from(&b));
            copy_violations(c, &first);
        }
        slu_err_release(&first);
    }
    const json_t *all = sget(s, "allOf");
    if (json_is_array(all) && json_array_size(all) > 0) {
        struct slu_err errs = {0};
        size_t passed = 0, idx;
        const json_t *sub_s;
        json_array_foreach(all, idx, sub_s)
        {
            struct vctx sub;
            size_t n = validate_sub(&sub, c->depth, sub_s, v, path, &errs);
            slu_buf_release(&sub.msgs);
            if (n == 0)
                passed++;
        }
        if (passed < json_array_size(all)) {
            struct slu_buf b = {0};
            slu_buf_puts(&b, "Invalid value: \"\": ");
            put_quoted(&b, p);
            if (passed == 0)
                slu_buf_puts(&b, " must validate all the schemas (allOf). None validated");
            else
                slu_buf_puts(&b, " must validate all the schemas (allOf)");
            add_violation(c, "FieldValueInvalid", NULL, body_from(&b));
            copy_violations(c, &errs);
        }
        slu_err_release(&errs);
    }
    const json_t *one = sget(s, "oneOf");
    if (json_is_array(one) && json_array_size(one) > 0) {
        size_t passed = 0, idx;
        const json_t *sub_s;
        json_array_foreach(one, idx, sub_s)
        {
            struct vctx sub;
            size_t n = validate_sub(&sub, c->depth, sub_s, v, path, NULL);
            slu_buf_release(&sub.msgs);
            if (n == 0)
                passed++;
        }
        if (passed != 1) {
            struct slu_buf b = {0};
            slu_buf_puts(&b, "Invalid value: \"\": ");
            put_quoted(&b, p);
            slu_buf_puts(&b, " must validate one and only one schema (oneOf)");
            if (passed > 1)
                slu_buf_puts(&b, ". Found none valid");
            add_violation(c, "FieldValueInvalid", NULL, body_from(&b));
        }
    }
    const json_t *not = sget(s, "not");
    if (json_is_object(not )) {
        struct vctx sub;
        size_t n = validate_sub(&sub, c->depth, not, v, path, NULL);
        slu_buf_release(&sub.msgs);
        if (n == 0) {
            struct slu_buf b = {0};
            slu_buf_puts(&b, "Invalid value: \"\": ");
            put_quoted(&b, p);
            slu_buf_puts(&b, " must not validate the schema (not)");
            add_violation(c, "FieldValueInvalid", NULL, body_from(&b));
        }
    }
    free(p);
}

static void validate_string(struct vctx *c, const json_t *s, const json_t *v, const char *p)
{
    const char *str = json_string_value(v);
    size_t runes = 0;
    for (const unsigned char *q = (const unsigned char *)str; *q; q++)
        if ((*q & 0xC0) != 0x80)
            runes++;
    const json_t *maxl = sget(s, "maxLength");
    if (json_is_integer(maxl) && (json_int_t)runes > json_integer_value(maxl)) {
        json_int_t m = json_integer_value(maxl);
        add_violation(c, "FieldValueTooLong", p,
                      slu_asprintf("Too long: may not be more than %" JSON_INTEGER_FORMAT " %s", m,
                                   m == 1 ? "byte" : "bytes"));
    }
    const json_t *minl = sget(s, "minLength");
    if (json_is_integer(minl) && (json_int_t)runes < json_integer_value(minl)) {
        char d[96];
        snprintf(d, sizeof(d), "should be at least %" JSON_INTEGER_FORMAT " chars long",
                 json_integer_value(minl));
        v_invalid(c, p, v, d);
    }
    const char *pattern = sstr(s, "pattern");
    if (pattern) {
        char rxerr[160] = "";
        int m = rx_match(pattern, str, rxerr, sizeof(rxerr));
        if (m == 0) {
            struct slu_buf d = {0};
            slu_buf_printf(&d, "should match '%s'", pattern);
            v_invalid(c, p, v, d.data);
            slu_buf_release(&d);
        } else if (m < 0) {
            struct slu_buf d = {0};
            slu_buf_printf(&d, "should match '%s, but pattern is invalid: %s'", pattern, rxerr);
            v_invalid(c, p, v, d.data);
            slu_buf_release(&d);
        }
    }
    const char *format = sstr(s, "format");
    if (format && !format_ok(format, str)) {
        struct slu_buf b = {0};
        slu_buf_puts(&b, "Invalid value: ");
        put_value(&b, v);
        slu_buf_printf(&b, ": %s in body must be of type %s: ", p, format);
        put_quoted(&b, str);
        add_violation(c, "FieldValueTypeInvalid", p, body_from(&b));
    }
}

static void validate_number(struct vctx *c, const json_t *s, const json_t *v, const char *p)
{
    double d = json_number_value(v);
    const json_t *min = sget(s, "minimum");
    if (json_is_number(min)) {
        bool excl = sflag(s, "exclusiveMinimum");
        double m = json_number_value(min);
        if (excl ? !(d > m) : !(d >= m)) {
            struct slu_buf det = {0};
            slu_buf_puts(&det,
                         excl ? "should be greater than " : "should be greater than or equal to ");
            put_schema_num(&det, min);
            v_invalid(c, p, v, det.data);
            slu_buf_release(&det);
        }
    }
    const json_t *max = sget(s, "maximum");
    if (json_is_number(max)) {
        bool excl = sflag(s, "exclusiveMaximum");
        double m = json_number_value(max);
        if (excl ? !(d < m) : !(d <= m)) {
            struct slu_buf det = {0};
            slu_buf_puts(&det, excl ? "should be less than " : "should be less than or equal to ");
            put_schema_num(&det, max);
            v_invalid(c, p, v, det.data);
            slu_buf_release(&det);
        }
    }
    const json_t *mult = sget(s, "multipleOf");
    if (json_is_number(mult) && json_number_value(mult) > 0) {
        double q = d / json_number_value(mult);
        if (fabs(q - round(q)) > 1e-9) {
            struct slu_buf det = {0};
            slu_buf_puts(&det, "should be a multiple of ");
            put_schema_num(&det, mult);
            v_invalid(c, p, v, det.data);
            slu_buf_release(&det);
        }
    }
}

/* Key of a list-type=map item: the canonical JSON of its key fields. NULL if not an object. */
static char *list_map_key(const json_t *item, const json_t *keys)
{
    if (!json_is_object(item))
        return NULL;
    json_t *k = json_object();
    size_t i;
    const json_t *name;
    json_array_foreach(keys, i, name)
    {
        const char *kn = json_string_value(name);
        if (!kn)
            continue;
        json_t *kv = json_object_get(item, kn);
        if (kv)
            json_object_set(k, kn, kv);
    }
    char *out = slu_json_dumps_canonical(k);
    json_decref(k);
    return out;
}

static void validate_array(struct vctx *c, const json_t *s, const json_t *v, struct slu_buf *path)
{
    const char *p = path_str(path);
    size_t n = json_array_size(v);
    const json_t *mini = sget(s, "minItems");
    if (json_is_integer(mini) && (json_int_t)n < json_integer_value(mini)) {
        struct slu_buf b = {0};
        slu_buf_printf(&b,
                       "Invalid value: %zu: %s in body should have at least %" JSON_INTEGER_FORMAT
                       " items",
                       n, p, json_integer_value(mini));
        add_violation(c, "FieldValueInvalid", p, body_from(&b));
    }
    const json_t *maxi = sget(s, "maxItems");
    if (json_is_integer(maxi) && (json_int_t)n > json_integer_value(maxi)) {
        add_violation(c, "FieldValueTooMany", p,
                      slu_asprintf("Too many: %zu: must have at most %" JSON_INTEGER_FORMAT
                                   " items",
                                   n, json_integer_value(maxi)));
    }
    const char *lt = sstr(s, "x-kubernetes-list-type");
    const json_t *mapkeys = sget(s, "x-kubernetes-list-map-keys");
    bool is_set = lt && strcmp(lt, "set") == 0;
    bool is_map = lt && strcmp(lt, "map") == 0 && json_is_array(mapkeys);
    struct slu_map seen;
    if (is_set || is_map)
        slu_map_init(&seen, NULL);
    const json_t *items = sget(s, "items");
    size_t i;
    const json_t *el;
    json_array_foreach(v, i, el)
    {
        size_t old = path_push_index(path, i);
        if (is_set || is_map) {
            char *key = is_set ? slu_json_dumps_canonical(el) : list_map_key(el, mapkeys);
            if (key) {
                if (slu_map_has(&seen, key)) {
                    struct slu_buf b = {0};
                    slu_buf_puts(&b, "Duplicate value: ");
                    if (is_map) {
                        slu_buf_puts(&b, key);
                    } else {
                        put_value(&b, el);
                    }
                    add_violation(c, "FieldValueDuplicate", path_str(path), body_from(&b));
                } else {
                    slu_map_put(&seen, key, NULL);
                }
                free(key);
            }
        }
        if (json_is_object(items))
            validate(c, items, el, path, false);
        path_pop(path, old);
    }
    if (is_set || is_map)
        slu_map_release(&seen);
}

static void validate_object(struct vctx *c, const json_t *s, const json_t *v, struct slu_buf *path,
                            bool root)
{
    const char *p = path_str(path);
    const json_t *req = sget(s, "required");
    bool embedded = sflag(s, "x-kubernetes-embedded-resource");
    if (json_is_array(req)) {
        size_t i;
        const json_t *r;
        json_array_foreach(req, i, r)
        {
            const char *k = json_string_value(r);
            if (!k || json_object_get(v, k))
                continue;
            if (root && is_meta_key(k))
                continue; /* the caller owns (and may have set aside) apiVersion/kind/metadata */
            size_t old = path_push_key(path, k);
            add_violation(c, "FieldValueRequired", path_str(path), slu_strdup("Required value"));
            path_pop(path, old);
        }
    }
    size_t nprops = json_object_size(v);
    const json_t *maxp = sget(s, "maxProperties");
    if (json_is_integer(maxp) && (json_int_t)nprops > json_integer_value(maxp)) {
        add_violation(c, "FieldValueTooMany", p,
                      slu_asprintf("Too many: %zu: must have at most %" JSON_INTEGER_FORMAT
                                   " items",
                                   nprops, json_integer_value(maxp)));
    }
    const json_t *minp = sget(s, "minProperties");
    if (json_is_integer(minp) && (json_int_t)nprops < json_integer_value(minp)) {
        struct slu_buf b = {0};
        slu_buf_printf(&b,
                       "Invalid value: %zu: %s in body should have at least %" JSON_INTEGER_FORMAT
                       " properties",
                       nprops, p, json_integer_value(minp));
        add_violation(c, "FieldValueInvalid", p, body_from(&b));
    }
    const json_t *props = sget(s, "properties");
    const json_t *ap = sget(s, "additionalProperties");
    const char *k;
    const json_t *child;
    json_object_foreach((json_t *)v, k, child)
    {
        if ((root || embedded) && is_meta_key(k))
            continue;
        const json_t *ps = json_is_object(props) ? json_object_get(props, k) : NULL;
        if (!ps && json_is_object(ap))
            ps = ap;
        if (!ps)
            continue;
        size_t old = path_push_key(path, k);
        validate(c, ps, child, path, false);
        path_pop(path, old);
    }
}

static void validate(struct vctx *c, const json_t *s, const json_t *v, struct slu_buf *path,
                     bool root)
{
    if (!json_is_object(s))
        return;
    const char *p = path_str(path);
    if (c->depth >= SCHEMA_MAX_DEPTH) {
        add_violation(c, "FieldValueInvalid", p,
                      slu_strdup("Invalid value: \"\": object nesting is too deep"));
        return;
    }
    c->depth++;
    bool ios = sflag(s, "x-kubernetes-int-or-string");
    const char *type = sstr(s, "type");
    if (json_is_null(v)) {
        if (!sflag(s, "nullable")) {
            if (ios)
                v_type_invalid(c, p, "integer,string", v);
            else if (type)
                v_type_invalid(c, p, type, v);
        }
        c->depth--;
        return;
    }
    if (ios) {
        if (!(json_is_string(v) || is_integral(v)))
            v_type_invalid(c, p, "integer,string", v);
    } else if (type && !type_matches(type, v)) {
        v_type_invalid(c, p, type, v);
    }
    const json_t *en = sget(s, "enum");
    if (json_is_array(en)) {
        bool found = false;
        size_t i;
        const json_t *e;
        json_array_foreach(en, i, e)
        {
            if (slu_json_equal(e, v)) {
                found = true;
                break;
            }
        }
        if (!found) {
            struct slu_buf b = {0};
            slu_buf_puts(&b, "Unsupported value: ");
            put_value(&b, v);
            slu_buf_puts(&b, ": supported values: ");
            json_array_foreach(en, i, e)
            {
                if (i > 0)
                    slu_buf_puts(&b, ", ");
                if (json_is_string(e)) {
                    put_quoted(&b, json_string_value(e));
                } else {
                    char *js = slu_json_dumps(e);
                    put_quoted(&b, js);
                    free(js);
                }
            }
            add_violation(c, "FieldValueNotSupported", p, body_from(&b));
        }
    }
    bool typeless = type == NULL;
    if (json_is_string(v)) {
        validate_string(c, s, v, p);
    } else if (json_is_number(v) &&
               (typeless || ios || strcmp(type, "integer") == 0 || strcmp(type, "number") == 0)) {
        validate_number(c, s, v, p);
    } else if (json_is_array(v) && (typeless || strcmp(type, "array") == 0)) {
        validate_array(c, s, v, path);
    } else if (json_is_object(v) && (typeless || strcmp(type, "object") == 0)) {
        validate_object(c, s, v, path, root);
    }
    validate_junctors(c, s, v, path);
    c->depth--;
}

/* ---------------------------------------------------------------- pruning and defaulting */

struct nctx {
    bool apply_defaults;
    struct slu_vec unknown; /* owned char* paths */
    unsigned depth;
};

static void normalize(struct nctx *c, const json_t *s, json_t *v, struct slu_buf *path, bool root,
                      bool record)
{
    if (!json_is_object(s) || c->depth >= SCHEMA_MAX_DEPTH)
        return;
    c->depth++;
    if (json_is_object(v)) {
        bool preserve = sflag(s, "x-kubernetes-preserve-unknown-fields");
        bool embedded = sflag(s, "x-kubernetes-embedded-resource");
        const json_t *props = sget(s, "properties");
        if (!json_is_object(props))
            props = NULL;
        const json_t *ap = sget(s, "additionalProperties");
        const char *k;
        json_t *child;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, child)
        {
            if ((root || embedded) && is_meta_key(k))
                continue;
            const json_t *ps = props ? json_object_get(props, k) : NULL;
            if (!ps && json_is_object(ap))
                ps = ap;
            if (ps) {
                if (json_is_null(child) && !sflag(ps, "nullable") && !sget(ps, "default")) {
                    json_object_del(v, k);
                    continue;
                }
                size_t old = path_push_key(path, k);
                normalize(c, ps, child, path, false, record);
                path_pop(path, old);
            } else if (!preserve && !json_is_true(ap)) {
                if (record) {
                    size_t old = path_push_key(path, k);
                    slu_vec_push(&c->unknown, slu_strdup(path_str(path)));
                    path_pop(path, old);
                }
                json_object_del(v, k);
            }
        }
        if (c->apply_defaults && props) {
            const json_t *ps;
            json_object_foreach((json_t *)props, k, ps)
            {
                const json_t *d = sget(ps, "default");
                if (!d)
                    continue;
                if ((root || embedded) && is_meta_key(k))
                    continue;
                json_t *cur = json_object_get(v, k);
                if (cur && !(json_is_null(cur) && !sflag(ps, "nullable")))
                    continue;
                json_t *copy = slu_json_copy(d);
                json_object_set_new(v, k, copy);
                size_t old = path_push_key(path, k);
                normalize(c, ps, copy, path, false, false);
                path_pop(path, old);
            }
        }
    } else if (json_is_array(v)) {
        const json_t *items = sget(s, "items");
        if (json_is_object(items)) {
            size_t i;
            json_t *el;
            json_array_foreach(v, i, el)
            {
                size_t old = path_push_index(path, i);
                normalize(c, items, el, path, false, record);
                path_pop(path, old);
            }
        }
    }
    c->depth--;
}

/* ---------------------------------------------------------------- public: apply */

int sim_schema_apply(const json_t *schema, json_t *obj, bool apply_defaults,
                     const char *field_validation, struct slu_buf *warnings, struct slu_err *err)
{
    if (!json_is_object(schema))
        return 0;
    if (!obj)
        return slu_err_set(err, SLU_EINVAL, "no object to validate");
    bool strict = field_validation && strcmp(field_validation, "Strict") == 0;
    bool warn = field_validation && strcmp(field_validation, "Warn") == 0;

    struct nctx nc = {.apply_defaults = apply_defaults};
    struct slu_buf path = {0};
    normalize(&nc, schema, obj, &path, true, true);
    path_pop(&path, 0);

    if (nc.unknown.len > 0 && (strict || warn)) {
        struct slu_buf b = {0};
        for (size_t i = 0; i < nc.unknown.len; i++) {
            const char *u = nc.unknown.items[i];
            if (strict) {
                slu_buf_puts(&b, i == 0 ? "strict decoding error: " : ", ");
                slu_buf_printf(&b, "unknown field \"%s\"", u);
            } else if (warnings) {
                if (warnings->len > 0)
                    slu_buf_putc(warnings, '\n');
                slu_buf_printf(warnings, "unknown field \"%s\"", u);
            }
        }
        if (strict) {
            slu_vec_release(&nc.unknown, free);
            slu_buf_release(&path);
            slu_err_set(err, SLU_EBADREQUEST, "%s", b.data);
            slu_err_set_reason(err, "BadRequest");
            slu_buf_release(&b);
            return SLU_EBADREQUEST;
        }
        slu_buf_release(&b);
    }
    slu_vec_release(&nc.unknown, free);

    struct vctx vc = {.err = err};
    validate(&vc, schema, obj, &path, true);
    slu_buf_release(&path);
    if (vc.n == 0) {
        slu_buf_release(&vc.msgs);
        return 0;
    }
    if (vc.n == 1)
        slu_err_set(err, SLU_EINVAL, "%s", vc.msgs.data);
    else
        slu_err_set(err, SLU_EINVAL, "[%s]", vc.msgs.data);
    slu_err_set_reason(err, "Invalid");
    slu_buf_release(&vc.msgs);
    return SLU_EINVAL;
}

/* ---------------------------------------------------------------- public: check */

/* LVL_JUNCTOR_IOS: inside the anyOf/allOf of an x-kubernetes-int-or-string node, where the
 * real server allows the [{type: integer}, {type: string}] pattern. */
enum level { LVL_ROOT, LVL_FIELD, LVL_ITEM, LVL_JUNCTOR, LVL_JUNCTOR_IOS };

struct cctx {
    struct slu_err *err;
    struct slu_buf msgs;
    size_t n;
    unsigned depth;
};

static void c_add(struct cctx *c, const char *reason, const char *field, char *body)
{
    c->n++;
    if (c->n <= MAX_CAUSES) {
        if (c->err)
            slu_err_add_cause(c->err, reason, field, body);
        if (c->msgs.len > 0)
            slu_buf_puts(&c->msgs, ", ");
        slu_buf_printf(&c->msgs, "%s: %s", field, body);
    }
    free(body);
}

static void c_at(struct cctx *c, struct slu_buf *path, const char *child, const char *reason,
                 char *body)
{
    size_t old = path->len;
    slu_buf_printf(path, ".%s", child);
    c_add(c, reason, path_str(path), body);
    path_pop(path, old);
}

static const char *const valid_types[] = {"array",  "boolean", "integer",
                                          "number", "object",  "string"};

static void check_node(struct cctx *c, const json_t *s, struct slu_buf *path, enum level lvl);

static void check_children(struct cctx *c, const json_t *s, struct slu_buf *path, bool in_ios)
{
    const json_t *props = sget(s, "properties");
    if (props && !json_is_object(props)) {
        c_at(c, path, "properties", "FieldValueInvalid",
             slu_strdup("Invalid value: \"\": must be an object"));
    } else if (props) {
        const char *k;
        const json_t *ps;
        json_object_foreach((json_t *)props, k, ps)
        {
            size_t old = path->len;
            slu_buf_printf(path, ".properties[%s]", k);
            check_node(c, ps, path, LVL_FIELD);
            path_pop(path, old);
        }
    }
    const json_t *ap = sget(s, "additionalProperties");
    if (json_is_object(ap)) {
        size_t old = path->len;
        slu_buf_puts(path, ".additionalProperties");
        check_node(c, ap, path, LVL_FIELD);
        path_pop(path, old);
    }
    const json_t *items = sget(s, "items");
    if (json_is_object(items)) {
        size_t old = path->len;
        slu_buf_puts(path, ".items");
        check_node(c, items, path, LVL_ITEM);
        path_pop(path, old);
    } else if (json_is_array(items)) {
        c_at(c, path, "items", "FieldValueForbidden",
             slu_strdup("Forbidden: items must be a schema object and not an array"));
    }
    static const char *const junctors[] = {"allOf", "anyOf", "oneOf"};
    bool ios = sflag(s, "x-kubernetes-int-or-string") || in_ios;
    for (size_t j = 0; j < SLU_ARRAY_LEN(junctors); j++) {
        const json_t *arr = sget(s, junctors[j]);
        if (!json_is_array(arr))
            continue;
        size_t i;
        const json_t *sub;
        json_array_foreach(arr, i, sub)
        {
            size_t old = path->len;
            slu_buf_printf(path, ".%s[%zu]", junctors[j], i);
            check_node(c, sub, path, ios && j < 2 ? LVL_JUNCTOR_IOS : LVL_JUNCTOR);
            path_pop(path, old);
        }
    }
    const json_t *not = sget(s, "not");
    if (json_is_object(not )) {
        size_t old = path->len;
        slu_buf_puts(path, ".not");
        check_node(c, not, path, LVL_JUNCTOR);
        path_pop(path, old);
    }
}

/* Checks that a default is valid against its own schema (pruned and validated). */
static void check_default(struct cctx *c, const json_t *s, struct slu_buf *path)
{
    const json_t *d = sget(s, "default");
    if (!d)
        return;
    json_t *copy = slu_json_copy(d);
    struct nctx nc = {.apply_defaults = true};
    struct slu_buf p = {0};
    slu_buf_puts(&p, "");
    normalize(&nc, s, copy, &p, false, true);
    size_t old = path->len;
    slu_buf_puts(path, ".default");
    if (nc.unknown.len > 0) {
        struct slu_buf b = {0};
        slu_buf_puts(&b, "Invalid value: ");
        put_value(&b, d);
        slu_buf_printf(&b, ": must not have unknown fields (e.g. \"%s\")",
                       (const char *)nc.unknown.items[0]);
        c_add(c, "FieldValueInvalid", path_str(path), body_from(&b));
    } else {
        struct vctx vc = {0};
        path_pop(&p, 0);
        validate(&vc, s, copy, &p, false);
        if (vc.n > 0) {
            struct slu_buf b = {0};
            slu_buf_puts(&b, "Invalid value: ");
            put_value(&b, d);
            slu_buf_printf(&b, ": %s", vc.msgs.data);
            c_add(c, "FieldValueInvalid", path_str(path), body_from(&b));
        }
        slu_buf_release(&vc.msgs);
    }
    path_pop(path, old);
    slu_vec_release(&nc.unknown, free);
    slu_buf_release(&p);
    json_decref(copy);
}

static void check_node(struct cctx *c, const json_t *s, struct slu_buf *path, enum level lvl)
{
    if (!json_is_object(s)) {
        c_add(c, "FieldValueInvalid", path_str(path),
              slu_strdup("Invalid value: \"\": must be a schema object"));
        return;
    }
    if (c->depth >= SCHEMA_MAX_DEPTH) {
        c_add(c, "FieldValueInvalid", path_str(path),
              slu_strdup("Invalid value: \"\": schema nesting is too deep"));
        return;
    }
    c->depth++;
    const json_t *tj = sget(s, "type");
    const char *type = json_string_value(tj);
    bool ios = sflag(s, "x-kubernetes-int-or-string");
    bool preserve = sflag(s, "x-kubernetes-preserve-unknown-fields");
    bool embedded = sflag(s, "x-kubernetes-embedded-resource");

    if (tj && !type) {
        c_at(c, path, "type", "FieldValueInvalid",
             slu_strdup("Invalid value: \"\": must be a string"));
    } else if (type) {
        bool ok = false;
        for (size_t i = 0; i < SLU_ARRAY_LEN(valid_types); i++)
            ok = ok || strcmp(type, valid_types[i]) == 0;
        if (!ok) {
            struct slu_buf b = {0};
            slu_buf_puts(&b, "Unsupported value: ");
            put_quoted(&b, type);
            slu_buf_puts(&b, ": supported values: \"array\", \"boolean\", \"integer\", \"number\", "
                             "\"object\", \"string\"");
            c_at(c, path, "type", "FieldValueNotSupported", body_from(&b));
        }
    }
    if (embedded && (!type || strcmp(type, "object") != 0)) {
        if (!type)
            c_at(c, path, "type", "FieldValueRequired",
                 slu_strdup("Required value: must be object if x-kubernetes-embedded-resource is "
                            "true"));
        else
            c_at(c, path, "type", "FieldValueInvalid",
                 slu_asprintf("Invalid value: \"%s\": must be object if "
                              "x-kubernetes-embedded-resource is true",
                              type));
    } else if (!type && !ios && !preserve && lvl != LVL_JUNCTOR && lvl != LVL_JUNCTOR_IOS) {
        const char *detail = lvl == LVL_ROOT   ? "must not be empty at the root"
                             : lvl == LVL_ITEM ? "must not be empty for specified array items"
                                               : "must not be empty for specified object fields";
        c_at(c, path, "type", "FieldValueRequired", slu_asprintf("Required value: %s", detail));
    }
    if (lvl == LVL_ROOT && type && strcmp(type, "object") != 0)
        c_at(c, path, "type", "FieldValueInvalid",
             slu_asprintf("Invalid value: \"%s\": must be object at the root", type));
    if (lvl == LVL_JUNCTOR && type && !ios)
        c_at(c, path, "type", "FieldValueForbidden",
             slu_strdup("Forbidden: must be empty to be structural"));
    if (type && strcmp(type, "array") == 0 && !sget(s, "items"))
        c_at(c, path, "items", "FieldValueRequired",
             slu_strdup("Required value: must be specified"));
    if (sget(s, "properties") && sget(s, "additionalProperties"))
        c_at(c, path, "additionalProperties", "FieldValueForbidden",
             slu_strdup("Forbidden: additionalProperties and properties are mutual exclusive"));
    if (json_is_false(sget(s, "additionalProperties")))
        c_at(c, path, "additionalProperties", "FieldValueForbidden",
             slu_strdup("Forbidden: must not be false"));
    if (sget(s, "$ref"))
        c_at(c, path, "$ref", "FieldValueForbidden",
             slu_strdup("Forbidden: $ref is not supported"));
    if (sflag(s, "uniqueItems"))
        c_at(c, path, "uniqueItems", "FieldValueForbidden",
             slu_strdup("Forbidden: uniqueItems cannot be set to true since the runtime "
                        "complexity becomes quadratic"));
    const char *pattern = sstr(s, "pattern");
    if (pattern) {
        char rxerr[160] = "";
        if (rx_match(pattern, "", rxerr, sizeof(rxerr)) < 0) {
            struct slu_buf b = {0};
            slu_buf_puts(&b, "Invalid value: ");
            put_quoted(&b, pattern);
            slu_buf_printf(&b, ": must be a valid regular expression, but isn't: %s", rxerr);
            c_at(c, path, "pattern", "FieldValueInvalid", body_from(&b));
        }
    }
    const char *lt = sstr(s, "x-kubernetes-list-type");
    if (lt) {
        if (strcmp(lt, "atomic") != 0 && strcmp(lt, "set") != 0 && strcmp(lt, "map") != 0) {
            struct slu_buf b = {0};
            slu_buf_puts(&b, "Unsupported value: ");
            put_quoted(&b, lt);
            slu_buf_puts(&b, ": supported values: \"atomic\", \"map\", \"set\"");
            c_at(c, path, "x-kubernetes-list-type", "FieldValueNotSupported", body_from(&b));
        } else if (strcmp(lt, "map") == 0 &&
                   !json_is_array(sget(s, "x-kubernetes-list-map-keys"))) {
            c_at(c, path, "x-kubernetes-list-map-keys", "FieldValueRequired",
                 slu_strdup("Required value: must not be empty if x-kubernetes-list-type is map"));
        }
    }
    if (lvl != LVL_JUNCTOR && lvl != LVL_JUNCTOR_IOS)
        check_default(c, s, path);
    check_children(c, s, path, lvl == LVL_JUNCTOR_IOS);
    c->depth--;
}

int sim_schema_check(const json_t *schema, struct slu_err *err)
{
    struct cctx c = {.err = err};
    struct slu_buf path = {0};
    slu_buf_puts(&path, "openAPIV3Schema");
    check_node(&c, schema, &path, LVL_ROOT);
    slu_buf_release(&path);
    if (c.n == 0) {
        slu_buf_release(&c.msgs);
        return 0;
    }
    if (c.n == 1)
        slu_err_set(err, SLU_EINVAL, "%s", c.msgs.data);
    else
        slu_err_set(err, SLU_EINVAL, "[%s]", c.msgs.data);
    slu_err_set_reason(err, "Invalid");
    slu_buf_release(&c.msgs);
    return SLU_EINVAL;
}
