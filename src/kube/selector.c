/*
 * selector.c - Kubernetes label selectors (k8s.io/apimachinery/pkg/labels) and field selectors
 * (k8s.io/apimachinery/pkg/fields): parse, match, print. Shared by the client and the simulated
 * API server, so it follows Kubernetes' grammar, validation and messages.
 *
 * Label selectors: a lexer turns the string into tokens (identifiers, "in", "notin", "=", "==",
 * "!=", "!", "(", ")", ",", ">", "<"; white space separates), remembering where each token
 * starts; a recursive-descent parser builds requirements (key, operator, values), validating keys
 * as qualified names and values as label values, exactly as labels.Parse does. Requirements are
 * then sorted by key (stable), values of set operators sorted and de-duplicated, which gives the
 * canonical String(). A selector is immutable after parse.
 *
 * Field selectors: terms split on unescaped commas, sorted, each split at the first "!=", "=="
 * or "=" (no escapes on the left), the right side unescaped (\\ \, \=). Matching resolves the
 * dotted field path in the object JSON; a missing field compares as "".
 *
 * Errors carry Kubernetes' message plus where it happened: "(at character N)", 1-based.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube.h"
#include "kube/pure_priv.h"

#define SELECTOR_MAX_LEN (256 * 1024) /* hard cap on a selector string */

/* ================================================================ label selectors */

enum lop { OP_IN, OP_NOTIN, OP_EQ, OP_DEQ, OP_NEQ, OP_EXISTS, OP_NOTEXISTS, OP_GT, OP_LT };

struct lreq {
    char *key;
    enum lop op;
    char **vals; /* sorted */
    size_t nvals;
};

struct kube_label_selector {
    struct lreq *reqs; /* sorted by key */
    size_t n;
};

enum tok {
    T_ERR,
    T_EOS,
    T_CPAR,
    T_COMMA,
    T_NOT,
    T_DEQ,
    T_EQ,
    T_GT,
    T_ID,
    T_IN,
    T_LT,
    T_NEQ,
    T_NOTIN,
    T_OPAR,
};

struct item {
    enum tok tok;
    char *lit;
    size_t pos; /* offset in the input */
};

struct parser {
    const char *s;
    size_t len;
    struct item *items;
    size_t nitems, cap, cur;
    struct slu_err *err;
};

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_special(char c)
{
    return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

static enum tok tok_of(const char *s, size_t n)
{
    static const struct {
        const char *s;
        enum tok t;
    } map[] = {{")", T_CPAR}, {",", T_COMMA},     {"!", T_NOT}, {"==", T_DEQ},
               {"=", T_EQ},   {">", T_GT},        {"in", T_IN}, {"<", T_LT},
               {"!=", T_NEQ}, {"notin", T_NOTIN}, {"(", T_OPAR}};
    for (size_t i = 0; i < SLU_ARRAY_LEN(map); i++)
        if (strlen(map[i].s) == n && memcmp(map[i].s, s, n) == 0)
            return map[i].t;
    return T_ID;
}

static void push_item(struct parser *p, enum tok t, const char *lit, size_t n, size_t pos)
{
    if (p->nitems == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->items = slu_realloc(p->items, p->cap * sizeof(*p->items));
    }
    p->items[p->nitems].tok = t;
    p->items[p->nitems].lit = slu_strndup(lit, n);
    p->items[p->nitems].pos = pos;
    p->nitems++;
}

/* The lexer (labels.Lexer): identifiers run until a special symbol or white space; special
 * symbols take the longest run that is still a token. */
static void lex_all(struct parser *p)
{
    size_t i = 0;
    for (;;) {
        while (i < p->len && is_ws(p->s[i]))
            i++;
        if (i >= p->len) {
            push_item(p, T_EOS, "", 0, i);
            return;
        }
        size_t start = i;
        if (is_special(p->s[i])) {
            enum tok last = T_ERR;
            size_t last_len = 0;
            while (i < p->len && is_special(p->s[i])) {
                enum tok t = tok_of(p->s + start, i - start + 1);
                if (t != T_ID) {
                    last = t;
                    last_len = i - start + 1;
                } else if (last != T_ERR) {
                    break;
                }
                i++;
            }
            /* every single special symbol is a token, so last is set */
            i = start + last_len;
            push_item(p, last, p->s + start, last_len, start);
        } else {
            while (i < p->len && !is_special(p->s[i]) && !is_ws(p->s[i]))
                i++;
            push_item(p, tok_of(p->s + start, i - start), p->s + start, i - start, start);
        }
    }
}

/* In a values context "in" and "notin" are plain identifiers. */
static enum tok look(struct parser *p, bool values)
{
    enum tok t = p->items[p->cur].tok;
    if (values && (t == T_IN || t == T_NOTIN))
        t = T_ID;
    return t;
}

static struct item *consume(struct parser *p, bool values, enum tok *t)
{
    struct item *it = &p->items[p->cur];
    if (p->cur + 1 < p->nitems)
        p->cur++;
    *t = it->tok;
    if (values && (*t == T_IN || *t == T_NOTIN))
        *t = T_ID;
    return it;
}

static int perr(struct parser *p, bool in_req, size_t pos, const char *fmt, ...) SLU_PRINTF(4, 5);
static int perr(struct parser *p, bool in_req, size_t pos, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return slu_err_set(p->err, SLU_EPARSE, "%s%s (at character %zu)",
                       in_req ? "unable to parse requirement: " : "", msg, pos + 1);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void req_release(struct lreq *r)
{
    free(r->key);
    for (size_t i = 0; i < r->nvals; i++)
        free(r->vals[i]);
    free(r->vals);
    memset(r, 0, sizeof(*r));
}

static void req_add_value(struct lreq *r, const char *v)
{
    r->vals = slu_realloc(r->vals, (r->nvals + 1) * sizeof(char *));
    r->vals[r->nvals++] = slu_strdup(v);
}

static void req_sort_values(struct lreq *r, bool dedupe)
{
    if (r->nvals > 1)
        qsort(r->vals, r->nvals, sizeof(char *), cmp_str);
    if (!dedupe)
        return;
    size_t w = 0;
    for (size_t i = 0; i < r->nvals; i++) {
        if (w > 0 && strcmp(r->vals[w - 1], r->vals[i]) == 0) {
            free(r->vals[i]);
            continue;
        }
        r->vals[w++] = r->vals[i];
    }
    r->nvals = w;
}

/* Go's strconv.ParseInt(s, 10, 64). */
static bool parse_int64_strict(const char *s, int64_t *out)
{
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!*p)
        return false;
    unsigned __int128 v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (unsigned)(*p - '0');
        if (v > (unsigned __int128)INT64_MAX + 1)
            return false;
    }
    if (!neg && v > INT64_MAX)
        return false;
    *out = neg ? (int64_t)(0 - (uint64_t)v) : (int64_t)v;
    return true;
}

/* NewRequirement's checks (key, value count per operator, values). msg_prefix locates the
 * requirement for from_json; parser errors are located by position instead. */
static int validate_req(const struct lreq *r, struct slu_buf *msg)
{
    struct slu_buf e = {0};
    if (kube__label_key_errors(r->key, &e)) {
        slu_buf_printf(msg, "Invalid value: \"%s\": %s", r->key, e.data);
        slu_buf_release(&e);
        return SLU_EPARSE;
    }
    switch (r->op) {
    case OP_IN:
    case OP_NOTIN:
        if (r->nvals == 0) {
            slu_buf_puts(msg, "values: Invalid value: []: for 'in', 'notin' operators, values "
                              "set can't be empty");
            return SLU_EPARSE;
        }
        break;
    case OP_EQ:
    case OP_DEQ:
    case OP_NEQ:
        if (r->nvals != 1) {
            slu_buf_puts(msg, "values: Invalid value: exact-match compatibility requires one "
                              "single value");
            return SLU_EPARSE;
        }
        break;
    case OP_EXISTS:
    case OP_NOTEXISTS:
        if (r->nvals != 0) {
            slu_buf_puts(msg, "values: Invalid value: values set must be empty for exists and "
                              "does not exist");
            return SLU_EPARSE;
        }
        break;
    case OP_GT:
    case OP_LT:
        for (size_t i = 0; i < r->nvals; i++) {
            int64_t v;
            if (!parse_int64_strict(r->vals[i], &v)) {
                slu_buf_printf(msg,
                               "values[%zu]: Invalid value: \"%s\": for 'Gt', 'Lt' operators, "
                               "the value must be an integer",
                               i, r->vals[i]);
                return SLU_EPARSE;
            }
        }
        break;
    }
    for (size_t i = 0; i < r->nvals; i++) {
        if (kube__label_value_errors(r->vals[i], &e)) {
            slu_buf_printf(msg, "values[%zu][%s]: Invalid value: \"%s\": %s", i, r->key, r->vals[i],
                           e.data);
            slu_buf_release(&e);
            return SLU_EPARSE;
        }
    }
    return 0;
}

static int parse_values_list(struct parser *p, struct lreq *r)
{
    enum tok t;
    struct item *it = consume(p, true, &t);
    if (t != T_OPAR)
        return perr(p, true, it->pos, "found '%s' expected: '('", it->lit);
    struct item *la = &p->items[p->cur];
    t = look(p, true);
    if (t == T_CPAR) { /* "()" */
        consume(p, true, &t);
        req_add_value(r, "");
        return 0;
    }
    if (t != T_ID && t != T_COMMA)
        return perr(p, true, la->pos, "found '%s', expected: ',', ')' or identifier", la->lit);
    for (;;) {
        it = consume(p, true, &t);
        if (t == T_ID) {
            req_add_value(r, it->lit);
            struct item *n2 = &p->items[p->cur];
            enum tok t2 = look(p, true);
            if (t2 == T_COMMA)
                continue;
            if (t2 == T_CPAR)
                break;
            return perr(p, true, n2->pos, "found '%s', expected: ',' or ')'", n2->lit);
        } else if (t == T_COMMA) {
            if (r->nvals == 0)
                req_add_value(r, ""); /* "(," */
            enum tok t2 = look(p, true);
            if (t2 == T_CPAR) {
                req_add_value(r, ""); /* ",)" */
                break;
            }
            if (t2 == T_COMMA)
                req_add_value(r, ""); /* ",," */
        } else {
            return perr(p, true, it->pos, "found '%s', expected: ',', or identifier", it->lit);
        }
    }
    it = consume(p, true, &t);
    if (t != T_CPAR)
        return perr(p, true, it->pos, "found '%s', expected: ')'", it->lit);
    return 0;
}

static int parse_requirement(struct parser *p, struct lreq *r)
{
    enum tok t;
    size_t start = p->items[p->cur].pos;
    struct item *it = consume(p, true, &t);
    bool not = false;
    if (t == T_NOT) {
        not = true;
        it = consume(p, true, &t);
    }
    if (t != T_ID)
        return perr(p, true, it->pos, "found '%s', expected: identifier", it->lit);
    r->key = slu_strdup(it->lit);
    size_t key_pos = it->pos;
    struct slu_buf msg = {0};
    struct slu_buf e = {0};
    if (kube__label_key_errors(r->key, &e)) {
        int rc = perr(p, true, key_pos, "Invalid value: \"%s\": %s", r->key, e.data);
        slu_buf_release(&e);
        return rc;
    }
    /* "!key" is complete here; whatever follows is the caller's problem (as labels.Parse). */
    if (not ) {
        r->op = OP_NOTEXISTS;
        return 0;
    }
    enum tok la = look(p, true);
    if (la == T_EOS || la == T_COMMA) {
        r->op = OP_EXISTS;
        return 0;
    }
    struct item *opit = consume(p, false, &t);
    switch (t) {
    case T_IN:
        r->op = OP_IN;
        break;
    case T_NOTIN:
        r->op = OP_NOTIN;
        break;
    case T_EQ:
        r->op = OP_EQ;
        break;
    case T_DEQ:
        r->op = OP_DEQ;
        break;
    case T_NEQ:
        r->op = OP_NEQ;
        break;
    case T_GT:
        r->op = OP_GT;
        break;
    case T_LT:
        r->op = OP_LT;
        break;
    default:
        return perr(p, true, opit->pos, "found '%s', expected: in, notin, =, ==, !=, gt, lt",
                    opit->lit);
    }
    int rc;
    if (r->op == OP_IN || r->op == OP_NOTIN) {
        rc = parse_values_list(p, r);
    } else {
        la = look(p, true);
        if (la == T_EOS || la == T_COMMA) {
            req_add_value(r, "");
            rc = 0;
        } else {
            it = consume(p, true, &t);
            if (t == T_ID) {
                req_add_value(r, it->lit);
                rc = 0;
            } else {
                rc = perr(p, true, it->pos, "found '%s', expected: identifier", it->lit);
            }
        }
    }
    if (rc)
        return rc;
    req_sort_values(r, true);
    if (validate_req(r, &msg)) {
        rc = perr(p, true, start, "%s", msg.data);
        slu_buf_release(&msg);
        return rc;
    }
    return 0;
}

static void sort_reqs(struct kube_label_selector *sel)
{
    /* stable insertion sort by key (selectors are short) */
    for (size_t i = 1; i < sel->n; i++) {
        struct lreq tmp = sel->reqs[i];
        size_t j = i;
        while (j > 0 && strcmp(sel->reqs[j - 1].key, tmp.key) > 0) {
            sel->reqs[j] = sel->reqs[j - 1];
            j--;
        }
        sel->reqs[j] = tmp;
    }
}

static void sel_push(struct kube_label_selector *sel, struct lreq *r)
{
    sel->reqs = slu_realloc(sel->reqs, (sel->n + 1) * sizeof(*sel->reqs));
    sel->reqs[sel->n++] = *r;
    memset(r, 0, sizeof(*r));
}

void kube_label_selector_free(struct kube_label_selector *sel)
{
    if (!sel)
        return;
    for (size_t i = 0; i < sel->n; i++)
        req_release(&sel->reqs[i]);
    free(sel->reqs);
    free(sel);
}

int kube_label_selector_parse(const char *s, struct kube_label_selector **out, struct slu_err *err)
{
    *out = NULL;
    if (!s)
        s = "";
    size_t len = strnlen(s, SELECTOR_MAX_LEN + 1);
    if (len > SELECTOR_MAX_LEN)
        return slu_err_set(err, SLU_ETOOBIG, "label selector longer than %d bytes",
                           SELECTOR_MAX_LEN);
    struct parser p = {.s = s, .len = len, .err = err};
    struct kube_label_selector *sel = slu_calloc(1, sizeof(*sel));
    lex_all(&p);
    int rc = 0;
    for (;;) {
        enum tok t = look(&p, true);
        struct item *la = &p.items[p.cur];
        if (t == T_EOS)
            break;
        if (t != T_ID && t != T_NOT) {
            rc = perr(&p, false, la->pos, "found '%s', expected: !, identifier, or 'end of string'",
                      la->lit);
            break;
        }
        struct lreq r = {0};
        rc = parse_requirement(&p, &r);
        if (rc) {
            req_release(&r);
            break;
        }
        sel_push(sel, &r);
        struct item *it = consume(&p, true, &t);
        if (t == T_EOS)
            break;
        if (t != T_COMMA) {
            rc = perr(&p, false, it->pos, "found '%s', expected: ',' or 'end of string'", it->lit);
            break;
        }
        struct item *n2 = &p.items[p.cur];
        enum tok t2 = look(&p, true);
        if (t2 != T_ID && t2 != T_NOT) {
            rc = perr(&p, false, n2->pos, "found '%s', expected: identifier after ','", n2->lit);
            break;
        }
    }
    for (size_t i = 0; i < p.nitems; i++)
        free(p.items[i].lit);
    free(p.items);
    if (rc) {
        kube_label_selector_free(sel);
        return rc;
    }
    sort_reqs(sel);
    *out = sel;
    return 0;
}

int kube_label_selector_from_json(const json_t *js, struct kube_label_selector **out,
                                  struct slu_err *err)
{
    *out = NULL;
    struct kube_label_selector *sel = slu_calloc(1, sizeof(*sel));
    if (!js || json_is_null(js)) {
        *out = sel;
        return 0;
    }
    if (!json_is_object(js)) {
        kube_label_selector_free(sel);
        return slu_err_set(err, SLU_EPARSE, "label selector must be an object");
    }
    struct slu_buf msg = {0};
    int rc = 0;
    json_t *ml = json_object_get(js, "matchLabels");
    if (ml && !json_is_null(ml)) {
        if (!json_is_object(ml)) {
            rc = slu_err_set(err, SLU_EPARSE, "matchLabels: must be an object");
            goto out;
        }
        const char *k;
        json_t *v;
        json_object_foreach(ml, k, v)
        {
            if (!json_is_string(v)) {
                rc = slu_err_set(err, SLU_EPARSE, "matchLabels[%s]: must be a string", k);
                goto out;
            }
            struct lreq r = {.key = slu_strdup(k), .op = OP_EQ};
            req_add_value(&r, json_string_value(v));
            if (validate_req(&r, &msg)) {
                rc = slu_err_set(err, SLU_EPARSE, "matchLabels: %s", msg.data);
                req_release(&r);
                goto out;
            }
            sel_push(sel, &r);
        }
    }
    json_t *me = json_object_get(js, "matchExpressions");
    if (me && !json_is_null(me)) {
        if (!json_is_array(me)) {
            rc = slu_err_set(err, SLU_EPARSE, "matchExpressions: must be an array");
            goto out;
        }
        size_t i;
        json_t *e;
        json_array_foreach(me, i, e)
        {
            const char *key = json_string_value(json_object_get(e, "key"));
            const char *op = json_string_value(json_object_get(e, "operator"));
            json_t *vals = json_object_get(e, "values");
            if (!json_is_object(e) || !key || !op) {
                rc = slu_err_set(err, SLU_EPARSE,
                                 "matchExpressions[%zu]: must be an object with key and operator",
                                 i);
                goto out;
            }
            struct lreq r = {.key = slu_strdup(key)};
            if (strcmp(op, "In") == 0)
                r.op = OP_IN;
            else if (strcmp(op, "NotIn") == 0)
                r.op = OP_NOTIN;
            else if (strcmp(op, "Exists") == 0)
                r.op = OP_EXISTS;
            else if (strcmp(op, "DoesNotExist") == 0)
                r.op = OP_NOTEXISTS;
            else {
                req_release(&r);
                rc = slu_err_set(err, SLU_EPARSE,
                                 "matchExpressions[%zu]: \"%s\" is not a valid label selector "
                                 "operator",
                                 i, op);
                goto out;
            }
            if (vals && !json_is_null(vals)) {
                if (!json_is_array(vals)) {
                    req_release(&r);
                    rc = slu_err_set(err, SLU_EPARSE,
                                     "matchExpressions[%zu].values: must be an "
                                     "array of strings",
                                     i);
                    goto out;
                }
                size_t j;
                json_t *v;
                json_array_foreach(vals, j, v)
                {
                    if (!json_is_string(v)) {
                        req_release(&r);
                        rc = slu_err_set(err, SLU_EPARSE,
                                         "matchExpressions[%zu].values[%zu]: must be a string", i,
                                         j);
                        goto out;
                    }
                    req_add_value(&r, json_string_value(v));
                }
            }
            req_sort_values(&r, false);
            if (validate_req(&r, &msg)) {
                rc = slu_err_set(err, SLU_EPARSE, "matchExpressions[%zu]: %s", i, msg.data);
                req_release(&r);
                goto out;
            }
            sel_push(sel, &r);
        }
    }
out:
    slu_buf_release(&msg);
    if (rc) {
        kube_label_selector_free(sel);
        return rc;
    }
    sort_reqs(sel);
    *out = sel;
    return 0;
}

static bool has_value(const struct lreq *r, const char *v)
{
    for (size_t i = 0; i < r->nvals; i++)
        if (strcmp(r->vals[i], v) == 0)
            return true;
    return false;
}

static bool req_matches(const struct lreq *r, const json_t *labels)
{
    json_t *jv = json_is_object(labels) ? json_object_get(labels, r->key) : NULL;
    const char *v = json_is_string(jv) ? json_string_value(jv) : NULL;
    switch (r->op) {
    case OP_IN:
    case OP_EQ:
    case OP_DEQ:
        return v && has_value(r, v);
    case OP_NOTIN:
    case OP_NEQ:
        return !v || !has_value(r, v);
    case OP_EXISTS:
        return v != NULL;
    case OP_NOTEXISTS:
        return v == NULL;
    case OP_GT:
    case OP_LT: {
        int64_t lv, rv;
        if (!v || r->nvals != 1 || !parse_int64_strict(v, &lv) ||
            !parse_int64_strict(r->vals[0], &rv))
            return false;
        return r->op == OP_GT ? lv > rv : lv < rv;
    }
    }
    return false;
}

bool kube_label_selector_matches(const struct kube_label_selector *sel, const json_t *labels)
{
    if (!sel)
        return true;
    for (size_t i = 0; i < sel->n; i++)
        if (!req_matches(&sel->reqs[i], labels))
            return false;
    return true;
}

bool kube_label_selector_is_empty(const struct kube_label_selector *sel)
{
    return !sel || sel->n == 0;
}

char *kube_label_selector_string(const struct kube_label_selector *sel)
{
    struct slu_buf b = {0};
    slu_buf_puts(&b, "");
    for (size_t i = 0; sel && i < sel->n; i++) {
        const struct lreq *r = &sel->reqs[i];
        if (i)
            slu_buf_putc(&b, ',');
        if (r->op == OP_NOTEXISTS)
            slu_buf_putc(&b, '!');
        slu_buf_puts(&b, r->key);
        static const char *const ops[] = {
            [OP_IN] = " in (", [OP_NOTIN] = " notin (", [OP_EQ] = "=", [OP_DEQ] = "==",
            [OP_NEQ] = "!=",   [OP_GT] = ">",           [OP_LT] = "<",
        };
        if (r->op == OP_EXISTS || r->op == OP_NOTEXISTS)
            continue;
        slu_buf_puts(&b, ops[r->op]);
        for (size_t j = 0; j < r->nvals; j++) {
            if (j)
                slu_buf_putc(&b, ',');
            slu_buf_puts(&b, r->vals[j]);
        }
        if (r->op == OP_IN || r->op == OP_NOTIN)
            slu_buf_putc(&b, ')');
    }
    return slu_buf_steal(&b);
}

/* ================================================================ field selectors */

struct fterm {
    char *field;
    char *value;
    bool neq;
};

struct kube_field_selector {
    struct fterm *t;
    size_t n;
};

void kube_field_selector_free(struct kube_field_selector *sel)
{
    if (!sel)
        return;
    for (size_t i = 0; i < sel->n; i++) {
        free(sel->t[i].field);
        free(sel->t[i].value);
    }
    free(sel->t);
    free(sel);
}

/* fields.UnescapeValue: \\ \, \= are the only escapes; a bare , or = is an error. */
static int unescape_value(const char *s, size_t n, char **out, const char *term,
                          struct slu_err *err)
{
    char *v = slu_malloc(n + 1);
    size_t w = 0;
    bool slash = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (slash) {
            if (c != '\\' && c != ',' && c != '=') {
                free(v);
                return slu_err_set(err, SLU_EPARSE,
                                   "invalid field selector: invalid escape sequence: \\%c (in "
                                   "'%s')",
                                   c, term);
            }
            v[w++] = c;
            slash = false;
            continue;
        }
        if (c == '\\') {
            slash = true;
        } else if (c == ',' || c == '=') {
            free(v);
            return slu_err_set(err, SLU_EPARSE,
                               "invalid field selector: unescaped character in value: '%c' (in "
                               "'%s')",
                               c, term);
        } else {
            v[w++] = c;
        }
    }
    if (slash) {
        free(v);
        return slu_err_set(err, SLU_EPARSE,
                           "invalid field selector: invalid escape sequence: \\ (in '%s')", term);
    }
    v[w] = '\0';
    *out = v;
    return 0;
}

int kube_field_selector_parse(const char *s, struct kube_field_selector **out, struct slu_err *err)
{
    *out = NULL;
    if (!s)
        s = "";
    size_t len = strnlen(s, SELECTOR_MAX_LEN + 1);
    if (len > SELECTOR_MAX_LEN)
        return slu_err_set(err, SLU_ETOOBIG, "field selector longer than %d bytes",
                           SELECTOR_MAX_LEN);
    /* split on unescaped commas (the escape stays in the term) */
    struct slu_vec terms = {0};
    size_t start = 0;
    bool slash = false;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && slash) {
            slash = false;
        } else if (i < len && s[i] == '\\') {
            slash = true;
        } else if (i == len || s[i] == ',') {
            if (len > 0)
                slu_vec_push(&terms, slu_strndup(s + start, i - start));
            start = i + 1;
        }
    }
    if (terms.len > 1)
        qsort(terms.items, terms.len, sizeof(void *), cmp_str);
    struct kube_field_selector *sel = slu_calloc(1, sizeof(*sel));
    int rc = 0;
    for (size_t i = 0; i < terms.len; i++) {
        const char *term = terms.items[i];
        if (!*term)
            continue;
        size_t k = 0, oplen = 0;
        bool neq = false;
        for (k = 0; term[k]; k++) {
            if (strncmp(term + k, "!=", 2) == 0) {
                oplen = 2;
                neq = true;
            } else if (strncmp(term + k, "==", 2) == 0) {
                oplen = 2;
            } else if (term[k] == '=') {
                oplen = 1;
            }
            if (oplen)
                break;
        }
        if (!oplen) {
            rc = slu_err_set(err, SLU_EPARSE, "invalid selector: '%s'; can't understand '%s'", s,
                             term);
            break;
        }
        char *value = NULL;
        const char *rhs = term + k + oplen;
        rc = unescape_value(rhs, strlen(rhs), &value, term, err);
        if (rc)
            break;
        sel->t = slu_realloc(sel->t, (sel->n + 1) * sizeof(*sel->t));
        sel->t[sel->n].field = slu_strndup(term, k);
        sel->t[sel->n].value = value;
        sel->t[sel->n].neq = neq;
        sel->n++;
    }
    slu_vec_release(&terms, free);
    if (rc) {
        kube_field_selector_free(sel);
        return rc;
    }
    *out = sel;
    return 0;
}

int kube_field_selector_check(const struct kube_field_selector *sel, const char *const *allowed,
                              struct slu_err *err)
{
    for (size_t i = 0; sel && i < sel->n; i++) {
        bool ok = false;
        for (size_t j = 0; allowed && allowed[j] && !ok; j++)
            ok = strcmp(allowed[j], sel->t[i].field) == 0;
        if (!ok) {
            slu_err_set(err, SLU_EBADREQUEST, "field label not supported: %s", sel->t[i].field);
            slu_err_set_reason(err, "BadRequest");
            return SLU_EBADREQUEST;
        }
    }
    return 0;
}

/* The field's value as the API server's field set renders it; "" when absent. */
static const char *field_value(const json_t *obj, const char *path, char *buf, size_t n)
{
    const json_t *cur = obj;
    const char *p = path;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!json_is_object(cur))
            return "";
        cur = json_object_getn(cur, p, len);
        p = dot ? dot + 1 : p + len;
        if (dot && !*p)
            return ""; /* trailing dot */
    }
    if (!cur)
        return "";
    if (json_is_string(cur))
        return json_string_value(cur);
    if (json_is_true(cur))
        return "true";
    if (json_is_false(cur))
        return "false";
    if (json_is_integer(cur)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(cur));
        return buf;
    }
    return "";
}

bool kube_field_selector_matches(const struct kube_field_selector *sel, const json_t *obj)
{
    char buf[32];
    for (size_t i = 0; sel && i < sel->n; i++) {
        const char *v = field_value(obj, sel->t[i].field, buf, sizeof(buf));
        bool eq = strcmp(v, sel->t[i].value) == 0;
        if (eq == sel->t[i].neq)
            return false;
    }
    return true;
}

bool kube_field_selector_is_empty(const struct kube_field_selector *sel)
{
    return !sel || sel->n == 0;
}
