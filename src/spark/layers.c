/*
 * layers.c - precedence layers of Spark configuration for the platform service, and extraction
 * of `SET key=value` statements from SQL text.
 *
 * How it works:
 * - struct spark_layers holds one spark_conf per layer (task < template < SQL SET < history <
 *   platform). The effective conf merges them lowest first with overwrite, so a key keeps the
 *   position of its first appearance and the value of the highest layer that sets it.
 * - spark_sql_extract_set lexes the SQL once into statements: it tracks string literals ('...'
 *   and "..." with backslash escapes, `...` identifiers with `` doubling), line comments (-- to
 *   end of line) and bracketed comments (/ * ... * /, nested as Spark allows); ';' outside those
 *   ends a statement. For each statement whose first word (after blanks and comments) is SET, the
 *   text after SET, with comments dropped, is split on the first '=' outside quotes into a key
 *   and a value; a valid assignment is recorded and the statement (from SET to its ';' and the
 *   blanks and one line break after it) is cut out of the returned text.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "spark/spark.h"

/* slu_buf_reserve that also leaves the buffer NUL-terminated (so an empty result is ""). */
static void buf_reserve0(struct slu_buf *b, size_t extra)
{
    slu_buf_reserve(b, extra);
    b->data[b->len] = '\0';
}

#define SQL_MAX_BYTES (16u * 1024u * 1024u)

/* ---------------------------------------------------------------- layers */

void spark_layers_init(struct spark_layers *l)
{
    memset(l, 0, sizeof(*l));
}

void spark_layers_release(struct spark_layers *l)
{
    if (!l)
        return;
    for (int i = 0; i < SPARK_LAYER_COUNT; i++)
        spark_conf_free(l->layer[i]);
    memset(l, 0, sizeof(*l));
}

static bool layer_ok(enum spark_layer layer)
{
    return (int)layer >= 0 && layer < SPARK_LAYER_COUNT;
}

void spark_layers_set(struct spark_layers *l, enum spark_layer layer, const char *key,
                      const char *value)
{
    if (!l || !layer_ok(layer))
        return;
    if (!l->layer[layer])
        l->layer[layer] = spark_conf_new();
    spark_conf_set(l->layer[layer], key, value);
}

void spark_layers_put(struct spark_layers *l, enum spark_layer layer, struct spark_conf *conf)
{
    if (!l || !layer_ok(layer)) {
        spark_conf_free(conf);
        return;
    }
    spark_conf_free(l->layer[layer]);
    l->layer[layer] = conf;
}

struct spark_conf *spark_layers_effective(const struct spark_layers *l)
{
    struct spark_conf *c = spark_conf_new();
    for (int i = 0; l && i < SPARK_LAYER_COUNT; i++)
        if (l->layer[i])
            spark_conf_merge(c, l->layer[i], true);
    return c;
}

int spark_layers_source(const struct spark_layers *l, const char *key)
{
    for (int i = SPARK_LAYER_COUNT - 1; l && i >= 0; i--)
        if (l->layer[i] && spark_conf_get(l->layer[i], key))
            return i;
    return -1;
}

const char *spark_layer_name(enum spark_layer layer)
{
    static const char *const names[SPARK_LAYER_COUNT] = {"task", "template", "sql", "history",
                                                         "platform"};
    return layer_ok(layer) ? names[layer] : "unknown";
}

/* ---------------------------------------------------------------- SQL lexing */

/* Returns the position just after the literal/comment starting at p, or 0 when p does not start
 * one. Sets *bad when it is not terminated. */
static size_t skip_special(const char *s, size_t n, size_t p, bool *bad)
{
    char c = s[p];
    if (c == '\'' || c == '"') {
        for (size_t i = p + 1; i < n; i++) {
            if (s[i] == '\\') {
                i++;
                continue;
            }
            if (s[i] == c)
                return i + 1;
        }
        *bad = true;
        return n;
    }
    if (c == '`') {
        for (size_t i = p + 1; i < n; i++) {
            if (s[i] == '`') {
                if (i + 1 < n && s[i + 1] == '`') {
                    i++;
                    continue;
                }
                return i + 1;
            }
        }
        *bad = true;
        return n;
    }
    if (c == '-' && p + 1 < n && s[p + 1] == '-') {
        size_t i = p + 2;
        while (i < n && s[i] != '\n' && s[i] != '\r')
            i++;
        return i;
    }
    if (c == '/' && p + 1 < n && s[p + 1] == '*') {
        int depth = 1;
        size_t i = p + 2;
        while (i < n) {
            if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
                depth++;
                i += 2;
            } else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
                depth--;
                i += 2;
                if (depth == 0)
                    return i;
            } else {
                i++;
            }
        }
        *bad = true;
        return n;
    }
    return 0;
}

static bool is_comment_at(const char *s, size_t n, size_t p)
{
    return p + 1 < n && ((s[p] == '-' && s[p + 1] == '-') || (s[p] == '/' && s[p + 1] == '*'));
}

static size_t line_of(const char *s, size_t p)
{
    size_t line = 1;
    for (size_t i = 0; i < p; i++)
        if (s[i] == '\n')
            line++;
    return line;
}

/* Copies s[a..b) without comments into out (a comment becomes one space). */
static void strip_comments(const char *s, size_t a, size_t b, struct slu_buf *out)
{
    slu_buf_reset(out);
    buf_reserve0(out, b - a + 1);
    size_t p = a;
    while (p < b) {
        bool bad = false;
        size_t q = skip_special(s, b, p, &bad);
        if (q) {
            if (is_comment_at(s, b, p))
                slu_buf_putc(out, ' ');
            else
                slu_buf_append(out, s + p, q - p);
            p = q;
            continue;
        }
        slu_buf_putc(out, s[p]);
        p++;
    }
}

static bool sql_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims blanks in place: returns the start, *len the new length. */
static const char *trim(const char *s, size_t *len)
{
    size_t b = 0, e = *len;
    while (b < e && sql_blank(s[b]))
        b++;
    while (e > b && sql_blank(s[e - 1]))
        e--;
    *len = e - b;
    return s + b;
}

/* Unquotes a value that is exactly one '...' or "..." literal; else copies it. Returned owned. */
static char *unquote_value(const char *v, size_t n)
{
    if (n >= 2 && (v[0] == '\'' || v[0] == '"')) {
        bool bad = false;
        size_t end = skip_special(v, n, 0, &bad);
        if (!bad && end == n) {
            struct slu_buf b = {0};
            buf_reserve0(&b, n);
            for (size_t i = 1; i + 1 < n; i++) {
                char c = v[i];
                if (c == '\\' && i + 2 < n) {
                    c = v[++i];
                    if (c == 'n')
                        c = '\n';
                    else if (c == 't')
                        c = '\t';
                    else if (c == 'r')
                        c = '\r';
                }
                slu_buf_putc(&b, c);
            }
            return slu_buf_steal(&b);
        }
    }
    return slu_strndup(v, n);
}

/* Parses the body of a SET statement (comments already removed). Returns true for an assignment
 * and sets *key, *value (owned). */
static bool parse_set_body(const char *body, size_t n, char **key, char **value)
{
    const char *b = trim(body, &n);
    if (n == 0 || b[0] == '-')
        return false; /* "SET" alone, "SET -v" */
    size_t eq;
    char *k = NULL;
    if (b[0] == '`') {
        bool bad = false;
        size_t end = skip_special(b, n, 0, &bad);
        if (bad)
            return false;
        struct slu_buf kb = {0};
        buf_reserve0(&kb, end);
        for (size_t i = 1; i + 1 < end; i++) {
            if (b[i] == '`')
                i++; /* `` -> ` */
            slu_buf_putc(&kb, b[i]);
        }
        k = slu_buf_steal(&kb);
        eq = end;
        while (eq < n && sql_blank(b[eq]))
            eq++;
        if (eq >= n || b[eq] != '=') {
            free(k);
            return false;
        }
    } else {
        const char *e = memchr(b, '=', n);
        if (!e)
            return false;
        size_t klen = (size_t)(e - b);
        const char *kt = trim(b, &klen);
        if (klen == 0)
            return false;
        for (size_t i = 0; i < klen; i++)
            if (sql_blank(kt[i]) || kt[i] == '\'' || kt[i] == '"' || kt[i] == '`')
                return false;
        k = slu_strndup(kt, klen);
        eq = (size_t)(e - b);
    }
    if (k[0] == '\0') {
        free(k);
        return false;
    }
    size_t vlen = n - eq - 1;
    const char *v = trim(b + eq + 1, &vlen);
    *key = k;
    *value = unquote_value(v, vlen);
    return true;
}

int spark_sql_extract_set(const char *sql, struct spark_conf *set, char **rest, struct slu_err *err)
{
    if (rest)
        *rest = NULL;
    if (!sql)
        sql = "";
    size_t n = strnlen(sql, SQL_MAX_BYTES + 1);
    if (n > SQL_MAX_BYTES)
        return slu_err_set(err, SLU_ETOOBIG, "SQL text is larger than %u bytes", SQL_MAX_BYTES);
    struct slu_buf out = {0}, body = {0};
    buf_reserve0(&out, n + 1);
    size_t copied = 0; /* sql[0..copied) has been emitted or dropped */
    size_t stmt = 0;   /* start of the current statement */
    size_t p = 0;
    int rc = 0;
    while (p <= n) {
        if (p < n) {
            bool bad = false;
            size_t q = skip_special(sql, n, p, &bad);
            if (bad) {
                const char *what = sql[p] == '/'   ? "bracketed comment"
                                   : sql[p] == '`' ? "quoted identifier"
                                                   : "string literal";
                rc = slu_err_set(err, SLU_EPARSE, "SQL: unterminated %s starting at line %zu", what,
                                 line_of(sql, p));
                goto out;
            }
            if (q) {
                p = q;
                continue;
            }
            if (sql[p] != ';') {
                p++;
                continue;
            }
        }
        /* statement sql[stmt..p), terminated by ';' at p (or the end) */
        size_t first = stmt;
        for (;;) {
            while (first < p && sql_blank(sql[first]))
                first++;
            bool bad = false;
            if (first < p && is_comment_at(sql, p, first)) {
                first = skip_special(sql, p, first, &bad);
                continue;
            }
            break;
        }
        if (p - first >= 3 && strncasecmp(sql + first, "set", 3) == 0 &&
            (first + 3 == p || sql_blank(sql[first + 3]) || is_comment_at(sql, p, first + 3))) {
            char *k = NULL, *v = NULL;
            strip_comments(sql, first + 3, p, &body);
            if (parse_set_body(body.data ? body.data : "", body.len, &k, &v)) {
                if (set)
                    spark_conf_set(set, k, v);
                free(k);
                free(v);
                /* cut sql[first .. ';'] plus blanks and one line break after it */
                slu_buf_append(&out, sql + copied, first - copied);
                size_t e = p < n ? p + 1 : n;
                while (e < n && (sql[e] == ' ' || sql[e] == '\t'))
                    e++;
                if (e < n && sql[e] == '\r')
                    e++;
                if (e < n && sql[e] == '\n')
                    e++;
                copied = e;
            }
        }
        if (p >= n)
            break;
        p++;
        stmt = p;
        if (stmt < copied)
            stmt = p = copied;
    }
    if (copied < n)
        slu_buf_append(&out, sql + copied, n - copied);
    if (rest)
        *rest = slu_buf_steal(&out);
out:
    slu_buf_release(&out);
    slu_buf_release(&body);
    return rc;
}
