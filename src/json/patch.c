/*
 * patch.c - JSON merge patch (RFC 7386) apply and diff, and JSON patch (RFC 6902).
 *
 * How it works: the merge patch is the RFC's recursive MergePatch() over jansson values (patch
 * values are copied, never shared). The merge diff walks both objects: removed keys become null,
 * changed non-object values are copied whole, objects on both sides recurse. JSON patch works on
 * a deep copy of the document and swaps it in only when every operation succeeded, so a failing
 * patch leaves the caller's document untouched. JSON pointers (RFC 6901) are parsed per
 * operation with ~0/~1 unescaping; array indices are strict (digits, no leading zeros, "-" only
 * where appending makes sense).
 */
#include "json/json.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- merge patch */

/* MergePatch(target, patch): target taken (may be NULL), result returned owned. */
static json_t *merge(json_t *target, const json_t *patch)
{
    if (!json_is_object(patch)) {
        json_decref(target);
        return slu_json_copy(patch);
    }
    if (!json_is_object(target)) {
        json_decref(target);
        target = json_object();
    }
    const char *k;
    size_t klen;
    json_t *pv;
    json_object_keylen_foreach((json_t *)patch, k, klen, pv)
    {
        if (json_is_null(pv)) {
            json_object_deln(target, k, klen);
            continue;
        }
        json_t *cur = json_object_getn(target, k, klen);
        json_t *merged = merge(json_incref(cur), pv);
        json_object_setn_new(target, k, klen, merged);
    }
    return target;
}

void slu_json_merge_patch(json_t **target, const json_t *patch)
{
    *target = merge(*target, patch);
}

json_t *slu_json_merge_diff(const json_t *from, const json_t *to)
{
    if (!json_is_object(from) || !json_is_object(to))
        return slu_json_copy(to ? to : json_null());
    json_t *d = json_object();
    const char *k;
    size_t klen;
    json_t *fv;
    json_object_keylen_foreach((json_t *)from, k, klen, fv)
    {
        if (json_object_getn(to, k, klen) == NULL)
            json_object_setn_new(d, k, klen, json_null());
    }
    json_t *tv;
    json_object_keylen_foreach((json_t *)to, k, klen, tv)
    {
        fv = json_object_getn(from, k, klen);
        if (fv != NULL && json_is_object(fv) && json_is_object(tv)) {
            json_t *sub = slu_json_merge_diff(fv, tv);
            if (json_object_size(sub) > 0)
                json_object_setn_new(d, k, klen, sub);
            else
                json_decref(sub);
        } else if (fv == NULL || !slu_json_equal(fv, tv)) {
            json_object_setn_new(d, k, klen, slu_json_copy(tv));
        }
    }
    return d;
}

/* ---------------------------------------------------------------- JSON pointer */

struct pointer {
    char **tok; /* unescaped reference tokens, owned */
    size_t *len;
    size_t n;
};

static void pointer_release(struct pointer *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->tok[i]);
    free(p->tok);
    free(p->len);
    memset(p, 0, sizeof(*p));
}

/* Parses an RFC 6901 pointer; -1 when malformed (no leading '/', bad ~ escape). */
static int pointer_parse(const char *s, size_t slen, struct pointer *p)
{
    memset(p, 0, sizeof(*p));
    if (slen == 0)
        return 0;
    if (s[0] != '/')
        return -1;
    size_t ntok = 0;
    for (size_t i = 0; i < slen; i++)
        if (s[i] == '/')
            ntok++;
    p->tok = slu_calloc(ntok, sizeof(*p->tok));
    p->len = slu_calloc(ntok, sizeof(*p->len));
    size_t i = 1;
    while (p->n < ntok) {
        char *t = slu_malloc(slen + 1);
        size_t n = 0;
        p->tok[p->n++] = t;
        for (; i < slen && s[i] != '/'; i++) {
            if (s[i] == '~') {
                if (i + 1 < slen && s[i + 1] == '0')
                    t[n++] = '~';
                else if (i + 1 < slen && s[i + 1] == '1')
                    t[n++] = '/';
                else {
                    pointer_release(p);
                    return -1;
                }
                i++;
            } else {
                t[n++] = s[i];
            }
        }
        t[n] = '\0';
        p->len[p->n - 1] = n;
        i++; /* past the '/' */
    }
    return 0;
}

/* Array index token: "0" or digits without a leading zero; SIZE_MAX for "-". -1 if invalid. */
static int parse_index(const char *t, size_t n, size_t *out)
{
    if (n == 1 && t[0] == '-') {
        *out = SIZE_MAX;
        return 0;
    }
    if (n == 0 || n > 15 || (t[0] == '0' && n > 1))
        return -1;
    size_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] < '0' || t[i] > '9')
            return -1;
        v = v * 10 + (size_t)(t[i] - '0');
    }
    *out = v;
    return 0;
}

/* Resolves the first `depth` tokens of p from root; NULL when absent. */
static json_t *pointer_get(json_t *root, const struct pointer *p, size_t depth)
{
    json_t *cur = root;
    for (size_t i = 0; i < depth && cur != NULL; i++) {
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, p->tok[i], p->len[i]);
        } else if (json_is_array(cur)) {
            size_t idx;
            if (parse_index(p->tok[i], p->len[i], &idx) != 0 || idx >= json_array_size(cur))
                return NULL;
            cur = json_array_get(cur, idx);
        } else {
            return NULL;
        }
    }
    return cur;
}

/* ---------------------------------------------------------------- JSON patch */

struct op_ctx {
    size_t index;
    const char *op;
    const char *path;
    struct slu_err *err;
};

static int op_fail(const struct op_ctx *c, int code, const char *what)
{
    return slu_err_set(c->err, code, "JSON patch operation %zu (%s \"%s\"): %s", c->index,
                       c->op ? c->op : "?", c->path ? c->path : "", what);
}

/* Adds value (taken) at pointer p in *doc. */
static int do_add(json_t **doc, const struct pointer *p, json_t *value, const struct op_ctx *c)
{
    if (p->n == 0) {
        json_decref(*doc);
        *doc = value;
        return 0;
    }
    json_t *parent = pointer_get(*doc, p, p->n - 1);
    const char *last = p->tok[p->n - 1];
    size_t lastn = p->len[p->n - 1];
    if (json_is_object(parent)) {
        if (json_object_setn_new(parent, last, lastn, value) != 0)
            return op_fail(c, SLU_EINVAL, "cannot set the key");
        return 0;
    }
    if (json_is_array(parent)) {
        size_t idx;
        if (parse_index(last, lastn, &idx) != 0) {
            json_decref(value);
            return op_fail(c, SLU_EINVAL, "invalid array index");
        }
        if (idx == SIZE_MAX)
            idx = json_array_size(parent);
        if (idx > json_array_size(parent)) {
            json_decref(value);
            return op_fail(c, SLU_EINVAL, "array index out of range");
        }
        json_array_insert_new(parent, idx, value);
        return 0;
    }
    json_decref(value);
    return op_fail(c, SLU_EINVAL, parent ? "parent is not an object or array" : "parent not found");
}

/* Removes the value at p; when out is not NULL the removed value is returned there (owned). */
static int do_remove(json_t **doc, const struct pointer *p, json_t **out, const struct op_ctx *c)
{
    if (p->n == 0)
        return op_fail(c, SLU_EINVAL, "cannot remove the whole document");
    json_t *parent = pointer_get(*doc, p, p->n - 1);
    const char *last = p->tok[p->n - 1];
    size_t lastn = p->len[p->n - 1];
    json_t *v = NULL;
    if (json_is_object(parent)) {
        v = json_object_getn(parent, last, lastn);
        if (v != NULL) {
            if (out)
                *out = json_incref(v);
            json_object_deln(parent, last, lastn);
            return 0;
        }
    } else if (json_is_array(parent)) {
        size_t idx;
        if (parse_index(last, lastn, &idx) == 0 && idx < json_array_size(parent)) {
            if (out)
                *out = json_incref(json_array_get(parent, idx));
            json_array_remove(parent, idx);
            return 0;
        }
    }
    return op_fail(c, SLU_EINVAL, "path not found");
}

static const json_t *op_member(const json_t *op, const char *name)
{
    return json_object_get(op, name);
}

/* True when pointer a is a proper prefix of b (moving a value into its own child). */
static bool pointer_is_proper_prefix(const struct pointer *a, const struct pointer *b)
{
    if (a->n >= b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->len[i] != b->len[i] || memcmp(a->tok[i], b->tok[i], a->len[i]) != 0)
            return false;
    return true;
}

static int apply_op(json_t **doc, const json_t *op, struct op_ctx *c)
{
    if (!json_is_object(op))
        return op_fail(c, SLU_EINVAL, "operation is not an object");
    const json_t *jop = op_member(op, "op");
    const json_t *jpath = op_member(op, "path");
    c->op = json_string_value(jop);
    c->path = json_string_value(jpath);
    if (c->op == NULL)
        return op_fail(c, SLU_EINVAL, "missing \"op\"");
    if (c->path == NULL)
        return op_fail(c, SLU_EINVAL, "missing \"path\"");
    struct pointer p, from = {0};
    if (pointer_parse(c->path, json_string_length(jpath), &p) != 0)
        return op_fail(c, SLU_EINVAL, "malformed JSON pointer");
    int rc = 0;
    const json_t *value = op_member(op, "value");
    const char *op_name = c->op;
    if (strcmp(op_name, "add") == 0 || strcmp(op_name, "replace") == 0 ||
        strcmp(op_name, "test") == 0) {
        if (value == NULL) {
            rc = op_fail(c, SLU_EINVAL, "missing \"value\"");
            goto out;
        }
    }
    if (strcmp(op_name, "move") == 0 || strcmp(op_name, "copy") == 0) {
        const json_t *jfrom = op_member(op, "from");
        if (!json_is_string(jfrom)) {
            rc = op_fail(c, SLU_EINVAL, "missing \"from\"");
            goto out;
        }
        if (pointer_parse(json_string_value(jfrom), json_string_length(jfrom), &from) != 0) {
            rc = op_fail(c, SLU_EINVAL, "malformed \"from\" pointer");
            goto out;
        }
    }
    if (strcmp(op_name, "add") == 0) {
        rc = do_add(doc, &p, slu_json_copy(value), c);
    } else if (strcmp(op_name, "remove") == 0) {
        rc = do_remove(doc, &p, NULL, c);
    } else if (strcmp(op_name, "replace") == 0) {
        json_t *parent = p.n ? pointer_get(*doc, &p, p.n - 1) : NULL;
        if (pointer_get(*doc, &p, p.n) == NULL) {
            rc = op_fail(c, SLU_EINVAL, "path not found");
        } else if (json_is_array(parent)) { /* replace in place, keeping the position */
            size_t idx = 0;
            parse_index(p.tok[p.n - 1], p.len[p.n - 1], &idx);
            json_array_set_new(parent, idx, slu_json_copy(value));
        } else {
            rc = do_add(doc, &p, slu_json_copy(value), c); /* object key or root: add replaces */
        }
    } else if (strcmp(op_name, "move") == 0) {
        if (pointer_is_proper_prefix(&from, &p)) {
            rc = op_fail(c, SLU_EINVAL, "cannot move a value into one of its children");
        } else if (p.n == 0 && from.n == 0) {
            rc = 0;
        } else if (from.n == 0) {
            rc = op_fail(c, SLU_EINVAL, "cannot move the whole document");
        } else {
            json_t *v = NULL;
            if ((rc = do_remove(doc, &from, &v, c)) == 0)
                rc = do_add(doc, &p, v, c);
        }
    } else if (strcmp(op_name, "copy") == 0) {
        json_t *v = pointer_get(*doc, &from, from.n);
        if (v == NULL)
            rc = op_fail(c, SLU_EINVAL, "\"from\" path not found");
        else
            rc = do_add(doc, &p, slu_json_copy(v), c);
    } else if (strcmp(op_name, "test") == 0) {
        json_t *v = pointer_get(*doc, &p, p.n);
        if (v == NULL)
            rc = op_fail(c, SLU_ECONFLICT, "test failed: path not found");
        else if (!slu_json_equal(v, value))
            rc = op_fail(c, SLU_ECONFLICT, "test failed: value differs");
    } else {
        rc = op_fail(c, SLU_EINVAL, "unknown operation");
    }
out:
    pointer_release(&p);
    pointer_release(&from);
    return rc;
}

int slu_json_patch(json_t **doc, const json_t *ops, struct slu_err *err)
{
    if (!json_is_array(ops))
        return slu_err_set(err, SLU_EINVAL, "JSON patch must be an array of operations");
    json_t *work = slu_json_copy(*doc ? *doc : json_null());
    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op)
    {
        struct op_ctx c = {.index = i, .err = err};
        int rc = apply_op(&work, op, &c);
        if (rc != 0) {
            json_decref(work);
            return rc;
        }
    }
    json_decref(*doc);
    *doc = work;
    return 0;
}
