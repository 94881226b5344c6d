/*
 * crd.c - CustomResourceDefinition (apiextensions.k8s.io/v1) objects turned into served types.
 *
 * sim_crd_types() validates a CRD the way the real apiextensions-apiserver does for the fields a
 * client can get wrong (group, names, scope, versions, storage version, schemas, printer columns,
 * scale paths), with the real field paths ("spec.versions[0].schema.openAPIV3Schema...") and
 * messages, and returns one heap sim_rtype per served version. Schema problems come from
 * sim_schema_check() (schema.c), re-rooted under spec.versions[i].schema.
 * sim_crd_set_established() writes the status the real server writes once names are accepted.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/parts.h"

struct crd_errs {
    struct slu_err *err;
    struct slu_buf msgs;
    size_t n;
};

/* Adds a violation; body taken. */
static void ce_add(struct crd_errs *e, const char *reason, const char *field, char *body)
{
    e->n++;
    if (e->err)
        slu_err_add_cause(e->err, reason, field, body);
    if (e->msgs.len > 0)
        slu_buf_puts(&e->msgs, ", ");
    slu_buf_printf(&e->msgs, "%s: %s", field, body);
    free(body);
}

static void ce_required(struct crd_errs *e, const char *field, const char *detail)
{
    ce_add(e, "FieldValueRequired", field,
           detail ? slu_asprintf("Required value: %s", detail) : slu_strdup("Required value"));
}

static void ce_invalid(struct crd_errs *e, const char *field, const char *value, const char *detail)
{
    ce_add(e, "FieldValueInvalid", field,
           slu_asprintf("Invalid value: \"%s\": %s", value ? value : "", detail));
}

/* RFC 1123 label: lowercase alphanumerics and '-', starting and ending alphanumeric, <= 63. */
static bool is_dns_label(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i > 0 && i + 1 < n))
            return false;
    }
    return true;
}

static bool is_dns_subdomain(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    char **parts = slu_str_split(s, '.', false, NULL);
    bool ok = true;
    for (size_t i = 0; parts[i]; i++)
        ok = ok && is_dns_label(parts[i]);
    slu_strv_free(parts);
    return ok;
}

static const char label_msg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/* DNS-1035 style: a kind is CamelCase starting with a letter; we accept [A-Za-z][A-Za-z0-9]*. */
static bool is_kind_name(const char *s)
{
    if (!s || !isalpha((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p))
            return false;
    return true;
}

static char **strv_from_array(const json_t *arr)
{
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        return NULL;
    char **v = slu_calloc(json_array_size(arr) + 1, sizeof(char *));
    size_t n = 0, i;
    const json_t *el;
    json_array_foreach(arr, i, el)
    {
        if (json_is_string(el))
            v[n++] = slu_strdup(json_string_value(el));
    }
    return v;
}

static char **strv_of(const char *const *src)
{
    size_t n = 0;
    while (src[n])
        n++;
    char **v = slu_calloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        v[i] = slu_strdup(src[i]);
    return v;
}

void sim_rtype_free(struct sim_rtype *rt)
{
    if (!rt)
        return;
    free(rt->group);
    free(rt->version);
    free(rt->plural);
    free(rt->singular);
    free(rt->kind);
    free(rt->list_kind);
    slu_strv_free(rt->short_names);
    slu_strv_free(rt->categories);
    slu_strv_free(rt->verbs);
    slu_strv_free(rt->subresources);
    json_decref(rt->schema);
    json_decref(rt->printer_columns);
    free(rt);
}

static void check_names(struct crd_errs *e, const json_t *crd, const char *group)
{
    const json_t *names = slu_json_path(crd, "spec.names");
    const char *plural = slu_json_str(names, "plural");
    const char *singular = slu_json_str(names, "singular");
    const char *kind = slu_json_str(names, "kind");
    const char *list_kind = slu_json_str(names, "listKind");
    if (!plural || !*plural)
        ce_required(e, "spec.names.plural", NULL);
    else if (!is_dns_label(plural))
        ce_invalid(e, "spec.names.plural", plural, label_msg);
    if (singular && *singular && !is_dns_label(singular))
        ce_invalid(e, "spec.names.singular", singular, label_msg);
    if (!kind || !*kind)
        ce_required(e, "spec.names.kind", NULL);
    else if (!is_kind_name(kind))
        ce_invalid(e, "spec.names.kind", kind,
                   "may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?");
    if (list_kind && *list_kind && !is_kind_name(list_kind))
        ce_invalid(e, "spec.names.listKind", list_kind,
                   "may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?");
    if (kind && list_kind && strcmp(kind, list_kind) == 0)
        ce_invalid(e, "spec.names.listKind", list_kind, "kind and listKind cannot be the same");
    const json_t *sn = json_object_get(names, "shortNames");
    size_t i;
    const json_t *el;
    json_array_foreach(sn, i, el)
    {
        const char *s = json_string_value(el);
        if (!s || !is_dns_label(s)) {
            char *f = slu_asprintf("spec.names.shortNames[%zu]", i);
            ce_invalid(e, f, s, label_msg);
            free(f);
        }
    }
    const char *name = slu_json_str(crd, "metadata.name");
    if (plural && group && *plural && *group) {
        char *want = slu_asprintf("%s.%s", plural, group);
        if (!name || strcmp(name, want) != 0)
            ce_invalid(e, "metadata.name", name ? name : "",
                       "must be spec.names.plural+\".\"+spec.group");
        free(want);
    }
}

static void check_columns(struct crd_errs *e, const json_t *cols, size_t vi)
{
    if (!cols)
        return;
    if (!json_is_array(cols)) {
        char *f = slu_asprintf("spec.versions[%zu].additionalPrinterColumns", vi);
        ce_invalid(e, f, "", "must be a list");
        free(f);
        return;
    }
    size_t i;
    const json_t *col;
    json_array_foreach(cols, i, col)
    {
        char *base = slu_asprintf("spec.versions[%zu].additionalPrinterColumns[%zu]", vi, i);
        const char *name = slu_json_str(col, "name");
        const char *type = slu_json_str(col, "type");
        const char *jp = slu_json_str(col, "jsonPath");
        char *f;
        if (!name || !*name) {
            f = slu_asprintf("%s.name", base);
            ce_required(e, f, NULL);
            free(f);
        }
        if (!type || !*type) {
            f = slu_asprintf("%s.type", base);
            ce_required(e, f, NULL);
            free(f);
        } else if (strcmp(type, "integer") && strcmp(type, "number") && strcmp(type, "string") &&
                   strcmp(type, "boolean") && strcmp(type, "date")) {
            f = slu_asprintf("%s.type", base);
            ce_add(e, "FieldValueNotSupported", f,
                   slu_asprintf("Unsupported value: \"%s\": supported values: \"boolean\", "
                                "\"date\", \"integer\", \"number\", \"string\"",
                                type));
            free(f);
        }
        if (!jp || !*jp) {
            f = slu_asprintf("%s.jsonPath", base);
            ce_required(e, f, NULL);
            free(f);
        } else if (jp[0] != '.' && jp[0] != '{' && jp[0] != '$') {
            f = slu_asprintf("%s.jsonPath", base);
            ce_invalid(e, f, jp, "must be a simple json path starting with .");
            free(f);
        }
        free(base);
    }
}

/* Builds the type of one served version. */
static struct sim_rtype *make_rtype(const json_t *crd, const json_t *ver)
{
    static const char *const verbs[] = {"delete", "deletecollection", "get",   "list", "patch",
                                        "create", "update",           "watch", NULL};
    const json_t *names = slu_json_path(crd, "spec.names");
    struct sim_rtype *rt = slu_calloc(1, sizeof(*rt));
    rt->group = slu_strdup(slu_json_str(crd, "spec.group"));
    rt->version = slu_strdup(slu_json_str(ver, "name"));
    rt->plural = slu_strdup(slu_json_str(names, "plural"));
    rt->kind = slu_strdup(slu_json_str(names, "kind"));
    const char *singular = slu_json_str(names, "singular");
    if (singular && *singular) {
        rt->singular = slu_strdup(singular);
    } else {
        rt->singular = slu_strdup(rt->kind);
        slu_str_lower(rt->singular);
    }
    const char *lk = slu_json_str(names, "listKind");
    rt->list_kind = lk && *lk ? slu_strdup(lk) : slu_asprintf("%sList", rt->kind);
    rt->short_names = strv_from_array(json_object_get(names, "shortNames"));
    rt->categories = strv_from_array(json_object_get(names, "categories"));
    const char *scope = slu_json_str(crd, "spec.scope");
    rt->namespaced = scope && strcmp(scope, "Namespaced") == 0;
    const json_t *sub = json_object_get(ver, "subresources");
    rt->has_status = json_is_object(json_object_get(sub, "status"));
    rt->has_scale = json_is_object(json_object_get(sub, "scale"));
    rt->is_crd = true;
    const json_t *schema = slu_json_path(ver, "schema.openAPIV3Schema");
    rt->schema = schema ? slu_json_copy(schema) : NULL;
    const json_t *cols = json_object_get(ver, "additionalPrinterColumns");
    rt->printer_columns = json_is_array(cols) ? slu_json_copy(cols) : NULL;
    rt->field_labels = NULL;
    rt->verbs = strv_of(verbs);
    const char *subs[3] = {NULL, NULL, NULL};
    size_t ns = 0;
    if (rt->has_status)
        subs[ns++] = "status";
    if (rt->has_scale)
        subs[ns++] = "scale";
    rt->subresources = strv_of(subs);
    return rt;
}

int sim_crd_types(const json_t *crd, struct slu_vec *out, struct slu_err *err)
{
    if (!json_is_object(crd))
        return slu_err_set(err, SLU_EINVAL, "CustomResourceDefinition must be an object");
    struct crd_errs e = {.err = err};
    const char *group = slu_json_str(crd, "spec.group");
    if (!group || !*group)
        ce_required(&e, "spec.group", NULL);
    else if (!is_dns_subdomain(group))
        ce_invalid(&e, "spec.group", group,
                   "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                   "characters, '-' or '.', and must start and end with an alphanumeric character");
    else if (!strchr(group, '.'))
        ce_invalid(&e, "spec.group", group, "should be a domain with at least one dot");
    check_names(&e, crd, group);
    const char *scope = slu_json_str(crd, "spec.scope");
    if (!scope || !*scope)
        ce_required(&e, "spec.scope", NULL);
    else if (strcmp(scope, "Namespaced") != 0 && strcmp(scope, "Cluster") != 0)
        ce_add(&e, "FieldValueNotSupported", "spec.scope",
               slu_asprintf("Unsupported value: \"%s\": supported values: \"Cluster\", "
                            "\"Namespaced\"",
                            scope));

    const json_t *versions = slu_json_path(crd, "spec.versions");
    size_t nstorage = 0, nserved = 0;
    if (!json_is_array(versions) || json_array_size(versions) == 0) {
        ce_required(&e, "spec.versions", "must have exactly one version marked as storage version");
    } else {
        struct slu_map seen;
        slu_map_init(&seen, NULL);
        size_t i;
        const json_t *v;
        json_array_foreach(versions, i, v)
        {
            char *f;
            const char *vn = slu_json_str(v, "name");
            if (!vn || !*vn) {
                f = slu_asprintf("spec.versions[%zu].name", i);
                ce_required(&e, f, NULL);
                free(f);
            } else if (!is_dns_label(vn)) {
                f = slu_asprintf("spec.versions[%zu].name", i);
                ce_invalid(&e, f, vn, label_msg);
                free(f);
            } else if (slu_map_has(&seen, vn)) {
                f = slu_asprintf("spec.versions[%zu].name", i);
                ce_add(&e, "FieldValueDuplicate", f, slu_asprintf("Duplicate value: \"%s\"", vn));
                free(f);
            } else {
                slu_map_put(&seen, vn, NULL);
            }
            if (slu_json_bool(v, "storage", false))
                nstorage++;
            if (slu_json_bool(v, "served", false))
                nserved++;
            const json_t *schema = slu_json_path(v, "schema.openAPIV3Schema");
            if (!schema) {
                f = slu_asprintf("spec.versions[%zu].schema.openAPIV3Schema", i);
                ce_required(&e, f, "schemas are required");
                free(f);
            } else {
                struct slu_err se = {0};
                if (sim_schema_check(schema, &se) != 0) {
                    for (size_t k = 0; k < se.ncauses; k++) {
                        f = slu_asprintf("spec.versions[%zu].schema.%s", i,
                                         se.causes[k].field ? se.causes[k].field : "");
                        ce_add(&e, se.causes[k].reason, f, slu_strdup(se.causes[k].message));
                        free(f);
                    }
                }
                slu_err_release(&se);
            }
            check_columns(&e, json_object_get(v, "additionalPrinterColumns"), i);
            const json_t *scale = slu_json_path(v, "subresources.scale");
            if (scale) {
                const char *sp = slu_json_str(scale, "specReplicasPath");
                const char *stp = slu_json_str(scale, "statusReplicasPath");
                if (!sp || !*sp) {
                    f = slu_asprintf("spec.versions[%zu].subresources.scale.specReplicasPath", i);
                    ce_required(&e, f, NULL);
                    free(f);
                } else if (!slu_str_has_prefix(sp, ".spec.")) {
                    f = slu_asprintf("spec.versions[%zu].subresources.scale.specReplicasPath", i);
                    ce_invalid(&e, f, sp, "should be a json path under .spec");
                    free(f);
                }
                if (!stp || !*stp) {
                    f = slu_asprintf("spec.versions[%zu].subresources.scale.statusReplicasPath", i);
                    ce_required(&e, f, NULL);
                    free(f);
                } else if (!slu_str_has_prefix(stp, ".status.")) {
                    f = slu_asprintf("spec.versions[%zu].subresources.scale.statusReplicasPath", i);
                    ce_invalid(&e, f, stp, "should be a json path under .status");
                    free(f);
                }
            }
        }
        slu_map_release(&seen);
        if (nstorage != 1) {
            ce_add(&e, "FieldValueInvalid", "spec.versions",
                   slu_strdup("Invalid value: \"\": must have exactly one version marked as "
                              "storage version"));
        }
    }
    if (e.n > 0) {
        const char *name = slu_json_str(crd, "metadata.name");
        /* The field-error aggregate, as for sim_schema_apply; the HTTP layer prefixes
         * `CustomResourceDefinition.apiextensions.k8s.io "NAME" is invalid: `. */
        slu_err_set(err, SLU_EINVAL, "%s%s%s", e.n > 1 ? "[" : "", e.msgs.data, e.n > 1 ? "]" : "");
        slu_err_set_reason(err, "Invalid");
        if (err) {
            slu_strlcpy(err->kind, "CustomResourceDefinition", sizeof(err->kind));
            slu_strlcpy(err->name, name ? name : "", sizeof(err->name));
        }
        slu_buf_release(&e.msgs);
        return SLU_EINVAL;
    }
    slu_buf_release(&e.msgs);
    size_t i;
    const json_t *v;
    json_array_foreach(versions, i, v)
    {
        if (slu_json_bool(v, "served", false))
            slu_vec_push(out, make_rtype(crd, v));
    }
    return 0;
}

/* Finds or appends the condition of that type in conditions; returns it (borrowed). */
static json_t *condition(json_t *conds, const char *type)
{
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        if (slu_streq(slu_json_str(c, "type"), type))
            return c;
    }
    c = json_object();
    json_object_set_new(c, "type", json_string(type));
    json_array_append_new(conds, c);
    return c;
}

static void set_condition(json_t *conds, const char *type, const char *reason, const char *message,
                          const char *now)
{
    json_t *c = condition(conds, type);
    bool was_true = slu_streq(slu_json_str(c, "status"), "True");
    json_object_set_new(c, "status", json_string("True"));
    if (!was_true || !json_is_string(json_object_get(c, "lastTransitionTime")))
        json_object_set_new(c, "lastTransitionTime", json_string(now));
    json_object_set_new(c, "reason", json_string(reason));
    json_object_set_new(c, "message", json_string(message));
}

void sim_crd_set_established(json_t *crd)
{
    if (!json_is_object(crd))
        return;
    const json_t *names = slu_json_path(crd, "spec.names");
    json_t *status = json_object_get(crd, "status");
    if (!json_is_object(status)) {
        status = json_object();
        json_object_set_new(crd, "status", status);
    }
    json_t *acc = json_object();
    const char *plural = slu_json_str(names, "plural");
    const char *kind = slu_json_str(names, "kind");
    const char *singular = slu_json_str(names, "singular");
    const char *list_kind = slu_json_str(names, "listKind");
    json_object_set_new(acc, "plural", json_string(plural ? plural : ""));
    if (singular && *singular) {
        json_object_set_new(acc, "singular", json_string(singular));
    } else if (kind) {
        char *s = slu_strdup(kind);
        slu_str_lower(s);
        json_object_set_new(acc, "singular", json_string(s));
        free(s);
    }
    if (json_is_array(json_object_get(names, "shortNames")))
        json_object_set(acc, "shortNames", json_object_get(names, "shortNames"));
    json_object_set_new(acc, "kind", json_string(kind ? kind : ""));
    if (list_kind && *list_kind) {
        json_object_set_new(acc, "listKind", json_string(list_kind));
    } else {
        char *lk = slu_asprintf("%sList", kind ? kind : "");
        json_object_set_new(acc, "listKind", json_string(lk));
        free(lk);
    }
    if (json_is_array(json_object_get(names, "categories")))
        json_object_set(acc, "categories", json_object_get(names, "categories"));
    json_object_set_new(status, "acceptedNames", acc);

    json_t *conds = json_object_get(status, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(status, "conditions", conds);
    }
    char now[40];
    slu_time_format_rfc3339(slu_now_unix(), now, sizeof(now));
    set_condition(conds, "NamesAccepted", "NoConflicts", "no conflicts found", now);
    set_condition(conds, "Established", "InitialNamesAccepted",
                  "the initial names have been accepted", now);

    /* storedVersions: keep what is there, add the current storage version. */
    json_t *stored = json_object_get(status, "storedVersions");
    if (!json_is_array(stored)) {
        stored = json_array();
        json_object_set_new(status, "storedVersions", stored);
    }
    size_t i;
    const json_t *v;
    json_array_foreach(slu_json_path(crd, "spec.versions"), i, v)
    {
        if (!slu_json_bool(v, "storage", false))
            continue;
        const char *vn = slu_json_str(v, "name");
        bool have = false;
        size_t j;
        const json_t *sv;
        json_array_foreach(stored, j, sv) have = have || slu_streq(json_string_value(sv), vn);
        if (vn && !have)
            json_array_append_new(stored, json_string(vn));
    }
}
