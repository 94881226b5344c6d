/*
 * build_names.c - the naming rules of Spark on Kubernetes (KubernetesUtils.uniqueID, the resource
 * name prefix, the spark-app-name label, executor hostnames) and the small string and JSON
 * helpers every builder file uses (Java split/toBoolean/Double.toString semantics, {{APP_ID}}
 * substitution, image and pull-policy lookup).
 *
 * The sanitising rules are applied with plain loops that reproduce the Java regexes of
 * spec spark-objects.md 2.2 and 2.4 character by character (ASCII; other bytes are "offending"
 * characters, as they are for [^a-z0-9\-]; a multi-byte UTF-8 character is replaced per byte and
 * the run of '-' is then collapsed, which gives the same result as Java's per-char replace).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spark/build_int.h"

int sb__version(const char *v)
{
    if (!v || !*v)
        return 40;
    char *end = NULL;
    long major = strtol(v, &end, 10);
    if (end == v)
        return 40;
    return major >= 4 ? 40 : 35;
}

/* Length of s when it is UTF-8 as jansson accepts it (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), else (size_t)-1. One pass, ASCII bytes on a fast path;
 * it replaces building a jansson string just to see whether jansson takes it. */
static size_t utf8_len(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t len = strlen(str), i = 0;
    /* ASCII eight bytes at a time (most of what the builder writes) */
    for (uint64_t w; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            break;
    }
    for (;;) {
        unsigned char c = s[i];
        if (c == 0)
            return i;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            cp = c & 0x1Fu;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            cp = c & 0x0Fu;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            cp = c & 0x07u;
            min = 0x10000;
        } else {
            return (size_t)-1; /* a continuation byte, 0xC0/0xC1 or 0xF5.. as a first byte */
        }
        for (size_t k = 1; k < n; k++) {
            unsigned char t = s[i + k]; /* a NUL ends the loop here: it is no continuation */
            if ((t & 0xC0u) != 0x80u)
                return (size_t)-1;
            cp = (cp << 6) | (t & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return (size_t)-1;
        i += n;
    }
}

bool sb__utf8_ok(const char *s)
{
    return !s || utf8_len(s) != (size_t)-1;
}

json_t *sb__str(const char *s)
{
    size_t n = s ? utf8_len(s) : 0;
    if (n == (size_t)-1)
        return json_stringn_nocheck("", 0);
    return json_stringn_nocheck(s ? s : "", n);
}

void sb__set_str(json_t *obj, const char *key, const char *s)
{
    if (!key || utf8_len(key) == (size_t)-1)
        return; /* as json_object_set_new, which refuses such a key */
    json_object_set_new_nocheck(obj, key, sb__str(s));
}

json_t *sb__obj(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_object(v)) {
        v = json_object();
        json_object_set_new(obj, key, v);
    }
    return v;
}

json_t *sb__arr(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_array(v)) {
        v = json_array();
        json_object_set_new(obj, key, v);
    }
    return v;
}

json_t *sb__env(const char *name, const char *value)
{
    json_t *e = json_object();
    sb__set_str(e, "name", name);
    sb__set_str(e, "value", value);
    return e;
}

json_t *sb__env_field(const char *name, const char *field_path)
{
    json_t *e = json_object();
    sb__set_str(e, "name", name);
    json_t *ref = json_object();
    sb__set_str(ref, "apiVersion", "v1");
    sb__set_str(ref, "fieldPath", field_path);
    json_t *from = json_object();
    json_object_set_new(from, "fieldRef", ref);
    json_object_set_new(e, "valueFrom", from);
    return e;
}

char **sb__java_split(const char *s, char sep, size_t *count)
{
    size_t n = 0;
    char **v = slu_str_split(s ? s : "", sep, false, &n);
    while (n > 0 && v[n - 1][0] == '\0') {
        free(v[n - 1]);
        v[--n] = NULL;
    }
    if (count)
        *count = n;
    return v;
}

int sb__to_bool(const char *key, const char *v, bool *out, struct slu_err *err)
{
    if (v && strcasecmp(v, "true") == 0) {
        *out = true;
        return 0;
    }
    if (v && strcasecmp(v, "false") == 0) {
        *out = false;
        return 0;
    }
    return slu_err_set(err, SLU_EINVAL, "%s: For input string: \"%s\" (expected true or false)",
                       key, v ? v : "null");
}

char *sb__replace_all(const char *s, const char *pat, const char *rep)
{
    struct slu_buf b = {0};
    size_t pl = strlen(pat);
    slu_buf_puts(&b, "");
    while (*s) {
        if (pl && strncmp(s, pat, pl) == 0) {
            slu_buf_puts(&b, rep);
            s += pl;
        } else {
            slu_buf_putc(&b, *s++);
        }
    }
    return slu_buf_steal(&b);
}

void sb__double_str(double v, char *buf, size_t n)
{
    /* Shortest representation that reads back as v, as Java's Double.toString (for values in
     * [1e-3, 1e7); outside that range Java switches to "1.0E-4" notation, which we mimic). */
    if (isnan(v) || isinf(v)) {
        snprintf(buf, n, "%s", isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity"));
        return;
    }
    double a = fabs(v);
    if (a != 0 && (a < 1e-3 || a >= 1e7)) {
        char tmp[40];
        for (int p = 0; p < 17; p++) {
            snprintf(tmp, sizeof(tmp), "%.*e", p, v);
            if (strtod(tmp, NULL) == v)
                break;
        }
        /* "1.5e-04" -> "1.5E-4"; a mantissa without '.' gets ".0". */
        char *e = strchr(tmp, 'e');
        if (!e) {
            snprintf(buf, n, "%s", tmp);
            return;
        }
        *e = '\0';
        long ex = strtol(e + 1, NULL, 10);
        snprintf(buf, n, "%s%sE%ld", tmp, strchr(tmp, '.') ? "" : ".0", ex);
        return;
    }
    char tmp[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(tmp, sizeof(tmp), "%.*g", p, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    if (!strchr(tmp, '.'))
        snprintf(buf, n, "%s.0", tmp);
    else
        snprintf(buf, n, "%s", tmp);
}

char *sb__subst_ids(const char *s, const char *app_id, const char *exec_id)
{
    if (!strstr(s, "{{"))
        return slu_strdup(s); /* nothing to substitute (label and annotation values, mostly) */
    char *a = sb__replace_all(s, "{{APP_ID}}", app_id ? app_id : "");
    if (!exec_id)
        return a;
    char *b = sb__replace_all(a, "{{EXECUTOR_ID}}", exec_id);
    free(a);
    return b;
}

const char *sb__image(const struct spark_conf *c, const char *role)
{
    char key[96];
    snprintf(key, sizeof(key), "spark.kubernetes.%s.container.image", role);
    const char *v = spark_conf_get(c, key);
    if (!v)
        v = spark_conf_get(c, "spark.kubernetes.container.image");
    return v;
}

int sb__pull_policy(const struct spark_conf *c, const char **out, struct slu_err *err)
{
    const char *v = spark_conf_get(c, "spark.kubernetes.container.image.pullPolicy");
    if (!v) {
        *out = "IfNotPresent";
        return 0;
    }
    if (strcmp(v, "Always") && strcmp(v, "Never") && strcmp(v, "IfNotPresent"))
        return slu_err_set(err, SLU_EINVAL,
                           "spark.kubernetes.container.image.pullPolicy should be one of Always, "
                           "Never, IfNotPresent, but was %s",
                           v);
    *out = v;
    return 0;
}

/* ---------------------------------------------------------------- names */

void spark_unique_id(const unsigned char *bytes3, int64_t now_ms, char *buf, size_t n)
{
    unsigned char r[3];
    if (bytes3)
        memcpy(r, bytes3, 3);
    else
        slu_random_bytes(r, 3);
    snprintf(buf, n, "%02x%02x%02x%llx", r[0], r[1], r[2],
             (unsigned long long)((uint64_t)now_ms & 0xFFFFFFFFFFULL));
}

/* s.trim.toLowerCase.replaceAll("[^a-z0-9\\-]", "-").replaceAll("-+", "-") into a new string. */
static char *sanitise(const char *in)
{
    size_t len = strlen(in);
    size_t a = 0, b = len;
    while (a < b && (unsigned char)in[a] <= 0x20)
        a++;
    while (b > a && (unsigned char)in[b - 1] <= 0x20)
        b--;
    char *out = slu_malloc(b - a + 1);
    size_t o = 0;
    for (size_t i = a; i < b; i++) {
        unsigned char ch = (unsigned char)in[i];
        char c;
        if (ch >= 'A' && ch <= 'Z')
            c = (char)(ch - 'A' + 'a');
        else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')
            c = (char)ch;
        else
            c = '-';
        if (c == '-' && o > 0 && out[o - 1] == '-')
            continue;
        out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

char *spark_resource_name_prefix(const char *app_name, const char *unique_id)
{
    char *joined = slu_asprintf("%s-%s", app_name ? app_name : "spark", unique_id ? unique_id : "");
    char *s = sanitise(joined);
    free(joined);
    if (s[0] == '-')
        memmove(s, s + 1, strlen(s));
    if (s[0] >= '0' && s[0] <= '9')
        s[0] = 'x';
    return s;
}

char *spark_app_name_label(const char *app_name)
{
    char *s = sanitise(app_name ? app_name : "spark");
    if (strlen(s) > 63)
        s[63] = '\0';
    if (s[0] == '-')
        memmove(s, s + 1, strlen(s));
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '-')
        s[n - 1] = '\0';
    return s;
}

static bool is_word(unsigned char c)
{
    return isalnum(c) || c == '_';
}

char *spark_executor_hostname(const char *pod_name)
{
    size_t len = strlen(pod_name);
    const char *p = len > 63 ? pod_name + len - 63 : pod_name;
    while (*p && !is_word((unsigned char)*p))
        p++;
    struct slu_buf b = {0};
    slu_buf_puts(&b, "");
    bool in_run = false;
    for (; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (is_word(c) || c == '-') {
            slu_buf_putc(&b, (char)c);
            in_run = false;
        } else if (!in_run) {
            slu_buf_putc(&b, '_');
            in_run = true;
        }
    }
    return slu_buf_steal(&b);
}
