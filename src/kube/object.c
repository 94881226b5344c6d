/*
 * object.c - small helpers over Kubernetes object JSON: cache keys ("ns/name"), metadata
 * accessors, owner references, status conditions, and the name / label syntax checks the API
 * server applies (DNS-1123 label and subdomain, qualified-name label keys, label values).
 *
 * How it works: accessors read jansson objects directly and return borrowed pointers into them.
 * The syntax checks are hand-written matchers equivalent to Kubernetes' regular expressions
 * (k8s.io/apimachinery/pkg/util/validation); their messages are Kubernetes' own, word for word,
 * so the simulated API server can answer exactly as the real one does.
 */
#include <string.h>

#include "kube/kube.h"
#include "kube/pure_priv.h"

/* ---------------------------------------------------------------- accessors */

static const char *meta_str(const json_t *obj, const char *field)
{
    json_t *meta = json_is_object(obj) ? json_object_get(obj, "metadata") : NULL;
    json_t *v = json_is_object(meta) ? json_object_get(meta, field) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *kube_object_name(const json_t *obj)
{
    return meta_str(obj, "name");
}

const char *kube_object_namespace(const json_t *obj)
{
    return meta_str(obj, "namespace");
}

const char *kube_object_uid(const json_t *obj)
{
    return meta_str(obj, "uid");
}

const char *kube_object_rv(const json_t *obj)
{
    return meta_str(obj, "resourceVersion");
}

char *kube_object_key(const json_t *obj)
{
    const char *ns = kube_object_namespace(obj);
    const char *name = kube_object_name(obj);
    if (!name)
        name = "";
    if (ns && *ns)
        return slu_asprintf("%s/%s", ns, name);
    return slu_strdup(name);
}

const json_t *kube_object_controller_ref(const json_t *obj)
{
    json_t *meta = json_is_object(obj) ? json_object_get(obj, "metadata") : NULL;
    json_t *refs = json_is_object(meta) ? json_object_get(meta, "ownerReferences") : NULL;
    if (!json_is_array(refs))
        return NULL;
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        if (json_is_object(ref) && json_is_true(json_object_get(ref, "controller")))
            return ref;
    }
    return NULL;
}

json_t *kube_owner_ref(const json_t *owner, bool controller, bool block_owner_deletion)
{
    json_t *ref = json_object();
    const char *api = json_string_value(json_object_get(owner, "apiVersion"));
    const char *kind = json_string_value(json_object_get(owner, "kind"));
    const char *name = kube_object_name(owner);
    const char *uid = kube_object_uid(owner);
    json_object_set_new(ref, "apiVersion", json_string(api ? api : ""));
    json_object_set_new(ref, "kind", json_string(kind ? kind : ""));
    json_object_set_new(ref, "name", json_string(name ? name : ""));
    json_object_set_new(ref, "uid", json_string(uid ? uid : ""));
    if (controller)
        json_object_set_new(ref, "controller", json_true());
    if (block_owner_deletion)
        json_object_set_new(ref, "blockOwnerDeletion", json_true());
    return ref;
}

const json_t *kube_condition_find(const json_t *obj, const char *type)
{
    json_t *status = json_is_object(obj) ? json_object_get(obj, "status") : NULL;
    json_t *conds = json_is_object(status) ? json_object_get(status, "conditions") : NULL;
    if (!json_is_array(conds) || !type)
        return NULL;
    size_t i;
    json_t *c;
    json_array_foreach(conds, i, c)
    {
        const char *t = json_string_value(json_object_get(c, "type"));
        if (t && strcmp(t, type) == 0)
            return c;
    }
    return NULL;
}

/* ---------------------------------------------------------------- syntax checks */

static bool lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool alnum(char c)
{
    return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool dns_label_n(const char *s, size_t n)
{
    if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

/* label(\.label)* over s[0..n) */
static bool dns_subdomain_n(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (!dns_label_n(s + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

bool kube_is_dns1123_label(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n <= 63 && dns_label_n(s, n);
}

bool kube_is_dns1123_subdomain(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return n <= 253 && dns_subdomain_n(s, n);
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] over s[0..n) */
static bool qualified_name_n(const char *s, size_t n)
{
    if (n == 0 || !alnum(s[0]) || !alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

#define NAME_MSG                                                                                   \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "    \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "         \
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define SUBDOMAIN_MSG                                                                              \
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "   \
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "  \
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

static const char MSG_KEY_SLASHES[] =
    "a qualified name " NAME_MSG " with an optional DNS subdomain prefix and '/' (e.g. "
    "'example.com/MyName')";
static const char MSG_PREFIX_EMPTY[] = "prefix part must be non-empty";
static const char MSG_PREFIX_LONG[] = "prefix part must be no more than 253 characters";
static const char MSG_PREFIX_REGEX[] = "prefix part " SUBDOMAIN_MSG;
static const char MSG_NAME_EMPTY[] = "name part must be non-empty";
static const char MSG_NAME_LONG[] = "name part must be no more than 63 characters";
static const char MSG_NAME_REGEX[] = "name part " NAME_MSG;
static const char MSG_VALUE_LONG[] = "must be no more than 63 characters";
static const char MSG_VALUE_REGEX[] =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/* IsQualifiedName: fills msgs (static strings) in Kubernetes' order; returns the count. */
static int key_errors(const char *key, const char *msgs[4])
{
    int n = 0;
    if (!key)
        key = "";
    const char *slash = strchr(key, '/');
    const char *name = key;
    if (slash) {
        if (strchr(slash + 1, '/')) {
            msgs[n++] = MSG_KEY_SLASHES;
            return n;
        }
        size_t plen = (size_t)(slash - key);
        if (plen == 0) {
            msgs[n++] = MSG_PREFIX_EMPTY;
        } else {
            if (plen > 253)
                msgs[n++] = MSG_PREFIX_LONG;
            if (!dns_subdomain_n(key, plen))
                msgs[n++] = MSG_PREFIX_REGEX;
        }
        name = slash + 1;
    }
    size_t nlen = strlen(name);
    if (nlen == 0)
        msgs[n++] = MSG_NAME_EMPTY;
    else if (nlen > 63)
        msgs[n++] = MSG_NAME_LONG;
    if (!qualified_name_n(name, nlen))
        msgs[n++] = MSG_NAME_REGEX;
    return n;
}

static int value_errors(const char *value, const char *msgs[2])
{
    int n = 0;
    if (!value)
        value = "";
    size_t len = strlen(value);
    if (len > 63)
        msgs[n++] = MSG_VALUE_LONG;
    if (len > 0 && !qualified_name_n(value, len))
        msgs[n++] = MSG_VALUE_REGEX;
    return n;
}

static void join(struct slu_buf *out, const char **msgs, int n)
{
    for (int i = 0; out && i < n; i++) {
        if (i)
            slu_buf_puts(out, "; ");
        slu_buf_puts(out, msgs[i]);
    }
}

int kube__label_key_errors(const char *key, struct slu_buf *out)
{
    const char *msgs[4];
    int n = key_errors(key, msgs);
    join(out, msgs, n);
    return n;
}

int kube__label_value_errors(const char *value, struct slu_buf *out)
{
    const char *msgs[2];
    int n = value_errors(value, msgs);
    join(out, msgs, n);
    return n;
}

const char *kube_label_key_invalid(const char *key)
{
    const char *msgs[4];
    return key_errors(key, msgs) ? msgs[0] : NULL;
}

const char *kube_label_value_invalid(const char *value)
{
    const char *msgs[2];
    return value_errors(value, msgs) ? msgs[0] : NULL;
}
