/*
 * smp.c - strategic merge patch (application/strategic-merge-patch+json) for the built-in
 * kinds, as the real API server applies it.
 *
 * How it works: like a JSON merge patch (maps merge recursively, null deletes a key), except
 * for lists. A list whose field has a patch merge key in the Kubernetes types (containers by
 * name, env by name, volumeMounts by mountPath, ports by containerPort/port, conditions by type,
 * ...) is merged element by element on that key; metadata.finalizers merges as a set; every
 * other list is replaced. The field -> key table below stands in for the Go struct tags. The
 * directives kubectl sends are honoured: `$patch: replace|delete|merge` in a map or list
 * element, `$retainKeys`, `$deleteFromPrimitiveList/<field>`, `$setElementOrder/<field>`
 * (accepted; order of existing elements is kept and new ones are appended).
 */
#include <string.h>

#include "sim/sim_int.h"

struct mkey {
    const char *field;
    const char *key;
};

static const struct mkey merge_keys[] = {
    {"containers", "name"},
    {"initContainers", "name"},
    {"ephemeralContainers", "name"},
    {"env", "name"},
    {"volumes", "name"},
    {"volumeMounts", "mountPath"},
    {"volumeDevices", "devicePath"},
    {"imagePullSecrets", "name"},
    {"hostAliases", "ip"},
    {"conditions", "type"},
    {"ownerReferences", "uid"},
    {"topologySpreadConstraints", "topologyKey"},
    {"resourceClaims", "name"},
    {"schedulingGates", "name"},
    {"podIPs", "ip"},
    {"hostIPs", "ip"},
    {"addresses", "type"},
    {"secrets", "name"},
    {"ports", NULL}, /* containerPort for container ports, port for service ports */
};

static int smp_map(json_t *dst, const json_t *patch, const char *path, bool *delete_me,
                   struct slu_err *err);

static bool find_mkey(const char *field, const char **key)
{
    for (size_t i = 0; i < SLU_ARRAY_LEN(merge_keys); i++) {
        if (strcmp(merge_keys[i].field, field) == 0) {
            *key = merge_keys[i].key;
            return true;
        }
    }
    return false;
}

static const char *ports_key(const json_t *a, const json_t *b)
{
    const json_t *lists[2] = {a, b};
    for (size_t l = 0; l < 2; l++) {
        size_t i;
        const json_t *e;
        json_array_foreach(lists[l], i, e)
        {
            if (json_object_get(e, "containerPort"))
                return "containerPort";
            if (json_object_get(e, "port"))
                return "port";
        }
    }
    return "port";
}

/* A copy of v with directives stripped (for values inserted where nothing was). */
static json_t *strip_directives(const json_t *v)
{
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *k;
        const json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            if (k[0] == '$')
                continue;
            if (json_is_null(x))
                continue;
            json_object_set_new(o, k, strip_directives(x));
        }
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        const json_t *x;
        json_array_foreach(v, i, x)
        {
            if (json_is_object(x) && json_object_get(x, "$patch"))
                continue;
            json_array_append_new(a, strip_directives(x));
        }
        return a;
    }
    return slu_json_copy(v);
}

static int bad(struct slu_err *err, const char *path, const char *what)
{
    slu_err_set(err, SLU_EINVAL, "strategic merge patch: %s at %s", what,
                path && *path ? path : "(root)");
    return SLU_EINVAL;
}

static int smp_list(json_t *dst, const char *field, const json_t *plist, const char *path,
                    struct slu_err *err)
{
    /* {"$patch": "replace"} as an element: the list is replaced by the other elements */
    size_t i;
    const json_t *pe;
    json_array_foreach(plist, i, pe)
    {
        if (json_is_object(pe) &&
            slu_streq(json_string_value(json_object_get(pe, "$patch")), "replace")) {
            json_object_set_new(dst, field, strip_directives(plist));
            return 0;
        }
    }
    const char *key = NULL;
    bool keyed = find_mkey(field, &key);
    json_t *cur = json_object_get(dst, field);
    if (keyed && !key)
        key = ports_key(cur, plist);
    bool primitive_merge = strcmp(field, "finalizers") == 0 && slu_str_has_suffix(path, "metadata");
    if (primitive_merge) {
        json_t *res = json_is_array(cur) ? slu_json_copy(cur) : json_array();
        json_array_foreach(plist, i, pe)
        {
            bool have = false;
            size_t j;
            json_t *x;
            json_array_foreach(res, j, x)
            {
                if (slu_json_equal(x, pe))
                    have = true;
            }
            if (!have)
                json_array_append(res, (json_t *)pe);
        }
        json_object_set_new(dst, field, res);
        return 0;
    }
    if (!keyed) {
        json_object_set_new(dst, field, strip_directives(plist));
        return 0;
    }
    json_t *res = json_is_array(cur) ? slu_json_copy(cur) : json_array();
    json_array_foreach(plist, i, pe)
    {
        if (!json_is_object(pe)) {
            json_decref(res);
            return bad(err, path, "list element is not an object in a merged list");
        }
        const json_t *kv = json_object_get(pe, key);
        size_t j;
        json_t *x;
        ssize_t found = -1;
        json_array_foreach(res, j, x)
        {
            if (kv && slu_json_equal(json_object_get(x, key), kv)) {
                found = (ssize_t)j;
                break;
            }
        }
        const char *dir = json_string_value(json_object_get(pe, "$patch"));
        if (slu_streq(dir, "delete")) {
            if (found >= 0)
                json_array_remove(res, (size_t)found);
            continue;
        }
        if (found >= 0) {
            bool del = false;
            char sub[512];
            snprintf(sub, sizeof sub, "%s.%s[%zd]", path, field, found);
            int rc = smp_map(json_array_get(res, (size_t)found), pe, sub, &del, err);
            if (rc) {
                json_decref(res);
                return rc;
            }
            if (del)
                json_array_remove(res, (size_t)found);
        } else {
            json_array_append_new(res, strip_directives(pe));
        }
    }
    json_object_set_new(dst, field, res);
    return 0;
}

static int smp_map(json_t *dst, const json_t *patch, const char *path, bool *delete_me,
                   struct slu_err *err)
{
    *delete_me = false;
    if (!json_is_object(patch))
        return bad(err, path, "patch is not an object");
    const char *dir = json_string_value(json_object_get(patch, "$patch"));
    if (dir) {
        if (strcmp(dir, "delete") == 0) {
            *delete_me = true;
            return 0;
        }
        if (strcmp(dir, "replace") == 0) {
            json_object_clear(dst);
            json_t *s = strip_directives(patch);
            json_object_update(dst, s);
            json_decref(s);
            return 0;
        }
        if (strcmp(dir, "merge") != 0)
            return bad(err, path, "unknown $patch directive");
    }
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)patch, k, v)
    {
        if (strcmp(k, "$patch") == 0 || strcmp(k, "$retainKeys") == 0 ||
            slu_str_has_prefix(k, "$setElementOrder/"))
            continue;
        if (slu_str_has_prefix(k, "$deleteFromPrimitiveList/")) {
            const char *field = k + strlen("$deleteFromPrimitiveList/");
            json_t *cur = json_object_get(dst, field);
            if (!json_is_array(cur) || !json_is_array(v))
                continue;
            json_t *res = json_array();
            size_t i;
            json_t *x;
            json_array_foreach(cur, i, x)
            {
                bool drop = false;
                size_t j;
                const json_t *y;
                json_array_foreach(v, j, y)
                {
                    if (slu_json_equal(x, y))
                        drop = true;
                }
                if (!drop)
                    json_array_append(res, x);
            }
            json_object_set_new(dst, field, res);
            continue;
        }
        if (k[0] == '$')
            return bad(err, path, "unknown directive");
        char sub[512];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
        if (json_is_null(v)) {
            json_object_del(dst, k);
        } else if (json_is_object(v)) {
            json_t *cur = json_object_get(dst, k);
            if (!json_is_object(cur)) {
                cur = json_object();
                json_object_set_new(dst, k, cur);
            }
            bool del = false;
            int rc = smp_map(cur, v, sub, &del, err);
            if (rc)
                return rc;
            if (del)
                json_object_del(dst, k);
        } else if (json_is_array(v)) {
            int rc = smp_list(dst, k, v, path, err);
            if (rc)
                return rc;
        } else {
            json_object_set_new(dst, k, slu_json_copy(v));
        }
    }
    const json_t *retain = json_object_get(patch, "$retainKeys");
    if (json_is_array(retain)) {
        void *tmp;
        json_t *x;
        json_object_foreach_safe(dst, tmp, k, x)
        {
            bool keep = false;
            size_t i;
            const json_t *r;
            json_array_foreach(retain, i, r)
            {
                if (slu_streq(json_string_value(r), k))
                    keep = true;
            }
            if (!keep)
                json_object_del(dst, k);
        }
    }
    return 0;
}

int sim_smp_apply(json_t **target, const json_t *patch, struct slu_err *err)
{
    if (!json_is_object(patch))
        return bad(err, "", "patch is not a JSON object");
    if (!json_is_object(*target)) {
        json_decref(*target);
        *target = json_object();
    }
    bool del = false;
    int rc = smp_map(*target, patch, "", &del, err);
    if (rc == 0 && del)
        json_object_clear(*target);
    return rc;
}
