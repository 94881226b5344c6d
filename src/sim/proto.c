/*
 * proto.c - just enough of the Kubernetes protobuf encoding for the sim to accept the bodies
 * kubectl's typed clients send (`kubectl create namespace|configmap|secret|serviceaccount|
 * service|priorityclass` POST `application/vnd.kubernetes.protobuf`).
 *
 * How it works: the body is the magic "k8s\0" and a runtime.Unknown {typeMeta{apiVersion,kind},
 * raw}; raw is the object's message. A small table per message type (field number -> JSON name
 * and type, taken from the field numbers of k8s.io/api generated.proto) drives one generic
 * decoder that produces the same json_t the JSON body would have. Unknown fields are skipped;
 * kinds without a table are refused with 415 so the client can tell.
 */
#include <string.h>

#include "sim/sim_int.h"

enum ptype {
    P_STR,
    P_BYTES,
    P_INT,
    P_BOOL,
    P_MSG,
    P_MAP_SS,
    P_MAP_SB,
    P_REP_STR,
    P_REP_MSG,
    P_TIME,
    P_INTSTR
};

struct pmsg;
struct pfield {
    unsigned num;
    const char *name;
    enum ptype t;
    const struct pmsg *sub;
};
struct pmsg {
    const struct pfield *f;
    size_t n;
};
#define MSG(arr)                                                                                   \
    {                                                                                              \
        arr, sizeof(arr) / sizeof(arr[0])                                                          \
    }

static const struct pfield owner_ref_f[] = {
    {1, "kind", P_STR, NULL},        {3, "name", P_STR, NULL},
    {4, "uid", P_STR, NULL},         {5, "apiVersion", P_STR, NULL},
    {6, "controller", P_BOOL, NULL}, {7, "blockOwnerDeletion", P_BOOL, NULL},
};
static const struct pmsg owner_ref = MSG(owner_ref_f);
static const struct pfield meta_f[] = {
    {1, "name", P_STR, NULL},
    {2, "generateName", P_STR, NULL},
    {3, "namespace", P_STR, NULL},
    {5, "uid", P_STR, NULL},
    {6, "resourceVersion", P_STR, NULL},
    {7, "generation", P_INT, NULL},
    {8, "creationTimestamp", P_TIME, NULL},
    {11, "labels", P_MAP_SS, NULL},
    {12, "annotations", P_MAP_SS, NULL},
    {13, "ownerReferences", P_REP_MSG, &owner_ref},
    {14, "finalizers", P_REP_STR, NULL},
};
static const struct pmsg meta = MSG(meta_f);
static const struct pfield configmap_f[] = {
    {1, "metadata", P_MSG, &meta},
    {2, "data", P_MAP_SS, NULL},
    {3, "binaryData", P_MAP_SB, NULL},
    {4, "immutable", P_BOOL, NULL},
};
static const struct pfield secret_f[] = {
    {1, "metadata", P_MSG, &meta},     {2, "data", P_MAP_SB, NULL},    {3, "type", P_STR, NULL},
    {4, "stringData", P_MAP_SS, NULL}, {5, "immutable", P_BOOL, NULL},
};
static const struct pfield ns_spec_f[] = {{1, "finalizers", P_REP_STR, NULL}};
static const struct pmsg ns_spec = MSG(ns_spec_f);
static const struct pfield namespace_f[] = {
    {1, "metadata", P_MSG, &meta},
    {2, "spec", P_MSG, &ns_spec},
};
static const struct pfield objref_f[] = {
    {1, "kind", P_STR, NULL},       {2, "namespace", P_STR, NULL},
    {3, "name", P_STR, NULL},       {4, "uid", P_STR, NULL},
    {5, "apiVersion", P_STR, NULL}, {6, "resourceVersion", P_STR, NULL},
    {7, "fieldPath", P_STR, NULL},
};
static const struct pmsg objref = MSG(objref_f);
static const struct pfield localref_f[] = {{1, "name", P_STR, NULL}};
static const struct pmsg localref = MSG(localref_f);
static const struct pfield sa_f[] = {
    {1, "metadata", P_MSG, &meta},
    {2, "secrets", P_REP_MSG, &objref},
    {3, "imagePullSecrets", P_REP_MSG, &localref},
    {4, "automountServiceAccountToken", P_BOOL, NULL},
};
static const struct pfield svc_port_f[] = {
    {1, "name", P_STR, NULL},          {2, "protocol", P_STR, NULL}, {3, "port", P_INT, NULL},
    {4, "targetPort", P_INTSTR, NULL}, {5, "nodePort", P_INT, NULL},
};
static const struct pmsg svc_port = MSG(svc_port_f);
static const struct pfield svc_spec_f[] = {
    {1, "ports", P_REP_MSG, &svc_port}, {2, "selector", P_MAP_SS, NULL},
    {3, "clusterIP", P_STR, NULL},      {4, "type", P_STR, NULL},
    {10, "externalName", P_STR, NULL},
};
static const struct pmsg svc_spec = MSG(svc_spec_f);
static const struct pfield service_f[] = {
    {1, "metadata", P_MSG, &meta},
    {2, "spec", P_MSG, &svc_spec},
};
static const struct pfield pc_f[] = {
    {1, "metadata", P_MSG, &meta},        {2, "value", P_INT, NULL},
    {3, "globalDefault", P_BOOL, NULL},   {4, "description", P_STR, NULL},
    {5, "preemptionPolicy", P_STR, NULL},
};

struct pkind {
    const char *api_version, *kind;
    struct pmsg msg;
};
static const struct pkind kinds[] = {
    {"v1", "ConfigMap", MSG(configmap_f)}, {"v1", "Secret", MSG(secret_f)},
    {"v1", "Namespace", MSG(namespace_f)}, {"v1", "ServiceAccount", MSG(sa_f)},
    {"v1", "Service", MSG(service_f)},     {"scheduling.k8s.io/v1", "PriorityClass", MSG(pc_f)},
};

/* ---------------------------------------------------------------- wire format */

struct rd {
    const unsigned char *p, *end;
};

static int varint(struct rd *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return -1;
        unsigned char b = *r->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

/* Reads one field header and, for length-delimited fields, the payload bounds. */
static int field(struct rd *r, unsigned *num, unsigned *wt, uint64_t *val, struct rd *sub)
{
    uint64_t key;
    if (varint(r, &key))
        return -1;
    *num = (unsigned)(key >> 3);
    *wt = (unsigned)(key & 7);
    switch (*wt) {
    case 0:
        return varint(r, val);
    case 1:
        if (r->end - r->p < 8)
            return -1;
        r->p += 8;
        return 0;
    case 5:
        if (r->end - r->p < 4)
            return -1;
        r->p += 4;
        return 0;
    case 2: {
        uint64_t n;
        if (varint(r, &n) || n > (uint64_t)(r->end - r->p))
            return -1;
        sub->p = r->p;
        sub->end = r->p + n;
        r->p += n;
        return 0;
    }
    default:
        return -1;
    }
}

static json_t *decode_msg(struct rd r, const struct pmsg *m, int depth);

static json_t *str_of(struct rd s)
{
    return json_stringn((const char *)s.p, (size_t)(s.end - s.p));
}

/* map entries: key = 1, value = 2 */
static int map_entry(struct rd s, bool b64, json_t *obj)
{
    json_t *k = NULL, *v = NULL;
    while (s.p < s.end) {
        unsigned num, wt;
        uint64_t val;
        struct rd sub;
        if (field(&s, &num, &wt, &val, &sub))
            goto bad;
        if (wt != 2)
            continue;
        if (num == 1) {
            json_decref(k);
            k = str_of(sub);
        } else if (num == 2) {
            json_decref(v);
            if (b64) {
                char *e = slu_base64_encode(sub.p, (size_t)(sub.end - sub.p));
                v = json_string(e);
                free(e);
            } else {
                v = str_of(sub);
            }
        }
    }
    if (!k)
        goto bad;
    json_object_set_new(obj, json_string_value(k), v ? v : json_string(""));
    json_decref(k);
    return 0;
bad:
    json_decref(k);
    json_decref(v);
    return -1;
}

static json_t *time_of(struct rd s)
{
    int64_t secs = 0;
    while (s.p < s.end) {
        unsigned num, wt;
        uint64_t val;
        struct rd sub;
        if (field(&s, &num, &wt, &val, &sub))
            return NULL;
        if (num == 1 && wt == 0)
            secs = (int64_t)val;
    }
    char b[40];
    slu_time_format_rfc3339(secs, b, sizeof b);
    return json_string(b);
}

static json_t *intstr_of(struct rd s)
{
    int64_t type = 0, iv = 0;
    json_t *sv = NULL;
    while (s.p < s.end) {
        unsigned num, wt;
        uint64_t val;
        struct rd sub;
        if (field(&s, &num, &wt, &val, &sub)) {
            json_decref(sv);
            return NULL;
        }
        if (num == 1 && wt == 0)
            type = (int64_t)val;
        else if (num == 2 && wt == 0)
            iv = (int32_t)val;
        else if (num == 3 && wt == 2) {
            json_decref(sv);
            sv = str_of(sub);
        }
    }
    if (type == 1)
        return sv ? sv : json_string("");
    json_decref(sv);
    return json_integer(iv);
}

static json_t *decode_msg(struct rd r, const struct pmsg *m, int depth)
{
    if (depth > 16)
        return NULL;
    json_t *o = json_object();
    while (r.p < r.end) {
        unsigned num, wt;
        uint64_t val = 0;
        struct rd sub = {0};
        if (field(&r, &num, &wt, &val, &sub)) {
            json_decref(o);
            return NULL;
        }
        const struct pfield *f = NULL;
        for (size_t i = 0; i < m->n; i++)
            if (m->f[i].num == num)
                f = &m->f[i];
        if (!f)
            continue;
        json_t *v = NULL;
        switch (f->t) {
        case P_STR:
            /* gogo-protobuf writes optional empty strings; JSON (omitempty) has none */
            if (wt == 2 && sub.p < sub.end)
                json_object_set_new(o, f->name, str_of(sub));
            break;
        case P_BYTES:
            if (wt == 2) {
                char *e = slu_base64_encode(sub.p, (size_t)(sub.end - sub.p));
                json_object_set_new(o, f->name, json_string(e));
                free(e);
            }
            break;
        case P_INT:
            if (wt == 0 && !(val == 0 && !strcmp(f->name, "nodePort")))
                json_object_set_new(o, f->name, json_integer((json_int_t)val));
            break;
        case P_BOOL:
            if (wt == 0)
                json_object_set_new(o, f->name, json_boolean(val != 0));
            break;
        case P_MSG:
            if (wt == 2 && (v = decode_msg(sub, f->sub, depth + 1)))
                json_object_set_new(o, f->name, v);
            break;
        case P_TIME:
            if (wt == 2 && sub.p < sub.end && (v = time_of(sub)))
                json_object_set_new(o, f->name, v);
            break;
        case P_INTSTR:
            if (wt == 2 && (v = intstr_of(sub)))
                json_object_set_new(o, f->name, v);
            break;
        case P_MAP_SS:
        case P_MAP_SB: {
            json_t *mp = json_object_get(o, f->name);
            if (!mp) {
                mp = json_object();
                json_object_set_new(o, f->name, mp);
            }
            if (wt == 2 && map_entry(sub, f->t == P_MAP_SB, mp)) {
                json_decref(o);
                return NULL;
            }
            break;
        }
        case P_REP_STR:
        case P_REP_MSG: {
            json_t *a = json_object_get(o, f->name);
            if (!a) {
                a = json_array();
                json_object_set_new(o, f->name, a);
            }
            if (wt != 2)
                break;
            v = f->t == P_REP_STR ? str_of(sub) : decode_msg(sub, f->sub, depth + 1);
            if (!v) {
                json_decref(o);
                return NULL;
            }
            json_array_append_new(a, v);
            break;
        }
        }
    }
    return o;
}

int sim_proto_decode(const char *body, size_t len, json_t **out, struct slu_err *err)
{
    *out = NULL;
    if (len < 4 || memcmp(body, "k8s\0", 4) != 0)
        return slu_err_set(err, SLU_EBADREQUEST, "protobuf body without the k8s envelope");
    struct rd r = {(const unsigned char *)body + 4, (const unsigned char *)body + len};
    char api[128] = "", kind[128] = "";
    struct rd raw = {0};
    bool have_raw = false;
    while (r.p < r.end) {
        unsigned num, wt;
        uint64_t val;
        struct rd sub;
        if (field(&r, &num, &wt, &val, &sub))
            return slu_err_set(err, SLU_EBADREQUEST, "malformed protobuf envelope");
        if (num == 1 && wt == 2) {
            struct rd t = sub;
            while (t.p < t.end) {
                unsigned n2, w2;
                uint64_t v2;
                struct rd s2;
                if (field(&t, &n2, &w2, &v2, &s2))
                    return slu_err_set(err, SLU_EBADREQUEST, "malformed protobuf type meta");
                size_t sl = (size_t)(s2.end - s2.p);
                if (w2 == 2 && n2 == 1 && sl < sizeof api) {
                    memcpy(api, s2.p, sl);
                    api[sl] = 0;
                } else if (w2 == 2 && n2 == 2 && sl < sizeof kind) {
                    memcpy(kind, s2.p, sl);
                    kind[sl] = 0;
                }
            }
        } else if (num == 2 && wt == 2) {
            raw = sub;
            have_raw = true;
        }
    }
    for (size_t i = 0; i < SLU_ARRAY_LEN(kinds); i++) {
        if (strcmp(kinds[i].api_version, api) || strcmp(kinds[i].kind, kind))
            continue;
        json_t *o = have_raw ? decode_msg(raw, &kinds[i].msg, 0) : json_object();
        if (!o)
            return slu_err_set(err, SLU_EBADREQUEST, "malformed protobuf %s", kind);
        json_object_set_new(o, "apiVersion", json_string(api));
        json_object_set_new(o, "kind", json_string(kind));
        *out = o;
        return 0;
    }
    return slu_err_set(err, SLU_EUNSUPPORTED,
                       "the sim does not decode protobuf bodies of %s %s; send "
                       "application/json",
                       api, kind);
}
