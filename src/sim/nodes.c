/*
 * nodes.c - the simulated cluster's nodes and the resource arithmetic the scheduler uses.
 *
 * sim_nodes_parse() turns a `--nodes` spec into Node objects (see docs/internals/sim.md,
 * "Cluster model"):
 *
 *   spec  := pool { (';' | ',') pool }
 *   pool  := [COUNT 'x'] CPU 'c' MEMORY { ':' field }        e.g. 20x32c128Gi
 *   field := name=POOL | pods=N | disk=QUANTITY | gpu=N | type=INSTANCE-TYPE
 *          | taint=KEY[=VALUE]:EFFECT | KEY=VALUE (a node label)
 *
 * Nodes are named sim-node-<pool>-<i> (i from 0); <pool> is name=, else the value of a "pool"
 * label, else the pool's index in the spec. Every node is Ready, with capacity == allocatable,
 * addresses (InternalIP 10.0.x.y, Hostname), podCIDR 10.(128+k/256).(k%256).0/24, nodeInfo and
 * the usual well-known labels. Nothing is ever contacted at those addresses.
 *
 * The sim_resources helpers compute a pod's effective requests exactly as the scheduler counts
 * them (init containers' max rule, sidecars, limits standing for missing requests, overhead).
 * sim_condition_* and sim_list_rv are the object helpers both the scheduler and the kubelet use.
 */
#include <string.h>

#include "sim/parts.h"

#define NODES_MAX 10000
#define NODES_SPEC_MAX 65536
#define SIM_KUBELET_VERSION "v1.31.0"
#define DEFAULT_MEM_REQUEST (200LL * 1024 * 1024)
#define DEFAULT_CPU_REQUEST_M 100

/* ---------------------------------------------------------------- object helpers */

json_t *sim_condition_find(const json_t *conds, const char *type, size_t *idx)
{
    for (size_t i = 0; i < json_array_size(conds); i++) {
        json_t *c = json_array_get(conds, i);
        if (slu_streq(json_string_value(json_object_get(c, "type")), type)) {
            *idx = i;
            return c;
        }
    }
    return NULL;
}

void sim_condition_put(json_t *st, const char *type, const char *status, const char *reason,
                       const char *message, const char *now)
{
    json_t *conds = json_object_get(st, "conditions");
    if (!json_is_array(conds)) {
        conds = json_array();
        json_object_set_new(st, "conditions", conds);
    }
    size_t i = 0;
    json_t *c = sim_condition_find(conds, type, &i);
    const char *ltt = NULL;
    if (c && slu_streq(json_string_value(json_object_get(c, "status")), status))
        ltt = json_string_value(json_object_get(c, "lastTransitionTime"));
    json_t *nc = json_object();
    json_object_set_new(nc, "type", json_string(type));
    json_object_set_new(nc, "status", json_string(status));
    json_object_set_new(nc, "lastProbeTime", json_null());
    json_object_set_new(nc, "lastTransitionTime", json_string(ltt ? ltt : now));
    if (reason)
        json_object_set_new(nc, "reason", json_string(reason));
    if (message)
        json_object_set_new(nc, "message", json_string(message));
    if (c)
        json_array_set_new(conds, i, nc);
    else
        json_array_append_new(conds, nc);
}

uint64_t sim_list_rv(const json_t *list)
{
    uint64_t rv = 0;
    const char *s = slu_json_str(list, "metadata.resourceVersion");
    if (s)
        slu_parse_u64(s, &rv);
    return rv;
}

/* ---------------------------------------------------------------- resources */

void sim_resources_release(struct sim_resources *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nscalar; i++)
        free(r->scalar[i].name);
    free(r->scalar);
    memset(r, 0, sizeof(*r));
}

static struct sim_scalar *scalar_slot(struct sim_resources *r, const char *name, bool create)
{
    for (size_t i = 0; i < r->nscalar; i++)
        if (strcmp(r->scalar[i].name, name) == 0)
            return &r->scalar[i];
    if (!create)
        return NULL;
    r->scalar = slu_realloc(r->scalar, (r->nscalar + 1) * sizeof(*r->scalar));
    r->scalar[r->nscalar].name = slu_strdup(name);
    r->scalar[r->nscalar].value = 0;
    return &r->scalar[r->nscalar++];
}

int64_t sim_resources_scalar(const struct sim_resources *r, const char *name)
{
    for (size_t i = 0; i < r->nscalar; i++)
        if (strcmp(r->scalar[i].name, name) == 0)
            return r->scalar[i].value;
    return 0;
}

void sim_resources_add(struct sim_resources *acc, const struct sim_resources *r)
{
    acc->cpu_m += r->cpu_m;
    acc->mem += r->mem;
    acc->eph += r->eph;
    acc->pods += r->pods;
    acc->nz_cpu_m += r->nz_cpu_m;
    acc->nz_mem += r->nz_mem;
    for (size_t i = 0; i < r->nscalar; i++)
        scalar_slot(acc, r->scalar[i].name, true)->value += r->scalar[i].value;
}

void sim_resources_sub(struct sim_resources *acc, const struct sim_resources *r)
{
    acc->cpu_m -= r->cpu_m;
    acc->mem -= r->mem;
    acc->eph -= r->eph;
    acc->pods -= r->pods;
    acc->nz_cpu_m -= r->nz_cpu_m;
    acc->nz_mem -= r->nz_mem;
    for (size_t i = 0; i < r->nscalar; i++)
        scalar_slot(acc, r->scalar[i].name, true)->value -= r->scalar[i].value;
}

/* acc = max(acc, r) per resource. */
static void resources_max(struct sim_resources *acc, const struct sim_resources *r)
{
    acc->cpu_m = SLU_MAX(acc->cpu_m, r->cpu_m);
    acc->mem = SLU_MAX(acc->mem, r->mem);
    acc->eph = SLU_MAX(acc->eph, r->eph);
    acc->nz_cpu_m = SLU_MAX(acc->nz_cpu_m, r->nz_cpu_m);
    acc->nz_mem = SLU_MAX(acc->nz_mem, r->nz_mem);
    for (size_t i = 0; i < r->nscalar; i++) {
        struct sim_scalar *s = scalar_slot(acc, r->scalar[i].name, true);
        s->value = SLU_MAX(s->value, r->scalar[i].value);
    }
}

static void resources_copy(struct sim_resources *dst, const struct sim_resources *src)
{
    memset(dst, 0, sizeof(*dst));
    sim_resources_add(dst, src);
}

/* Adds one resource list entry (name, quantity) to r. */
static void resources_add_entry(struct sim_resources *r, const char *name, const json_t *v)
{
    struct kube_quantity q;
    if (kube_quantity_from_json(v, &q, NULL) != 0 || q.nanos < 0)
        return;
    if (strcmp(name, "cpu") == 0)
        r->cpu_m += kube_quantity_milli(&q);
    else if (strcmp(name, "memory") == 0)
        r->mem += kube_quantity_value(&q);
    else if (strcmp(name, "ephemeral-storage") == 0)
        r->eph += kube_quantity_value(&q);
    else if (strcmp(name, "pods") == 0)
        r->pods += kube_quantity_value(&q);
    else
        scalar_slot(r, name, true)->value += kube_quantity_value(&q);
}

/* One container's requests: requests, with limits standing in for missing requests. */
static void container_requests(const json_t *c, struct sim_resources *out)
{
    memset(out, 0, sizeof(*out));
    const json_t *req = json_object_get(json_object_get(c, "resources"), "requests");
    const json_t *lim = json_object_get(json_object_get(c, "resources"), "limits");
    const char *k;
    const json_t *v;
    if (json_is_object(req))
        json_object_foreach((json_t *)req, k, v) resources_add_entry(out, k, v);
    if (json_is_object(lim))
        json_object_foreach((json_t *)lim, k, v)
        {
            if (!json_is_object(req) || !json_object_get(req, k))
                resources_add_entry(out, k, v);
        }
    out->pods = 0;
    out->nz_cpu_m = out->cpu_m ? out->cpu_m : DEFAULT_CPU_REQUEST_M;
    out->nz_mem = out->mem ? out->mem : DEFAULT_MEM_REQUEST;
}

void sim_pod_requests(const json_t *pod, struct sim_resources *out)
{
    memset(out, 0, sizeof(*out));
    const json_t *spec = json_object_get(pod, "spec");
    size_t i;
    const json_t *c;
    struct sim_resources cr;
    json_array_foreach(json_object_get(spec, "containers"), i, c)
    {
        container_requests(c, &cr);
        sim_resources_add(out, &cr);
        sim_resources_release(&cr);
    }
    struct sim_resources sidecars = {0}, init_max = {0};
    json_array_foreach(json_object_get(spec, "initContainers"), i, c)
    {
        container_requests(c, &cr);
        const char *rp = json_string_value(json_object_get(c, "restartPolicy"));
        struct sim_resources this_one;
        if (rp && strcmp(rp, "Always") == 0) {
            sim_resources_add(&sidecars, &cr);
            resources_copy(&this_one, &sidecars);
        } else {
            resources_copy(&this_one, &cr);
            sim_resources_add(&this_one, &sidecars);
        }
        resources_max(&init_max, &this_one);
        sim_resources_release(&this_one);
        sim_resources_release(&cr);
    }
    sim_resources_add(out, &sidecars);
    resources_max(out, &init_max);
    sim_resources_release(&sidecars);
    sim_resources_release(&init_max);
    const json_t *ovh = json_object_get(spec, "overhead");
    if (json_is_object(ovh)) {
        struct sim_resources o = {0};
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)ovh, k, v) resources_add_entry(&o, k, v);
        o.nz_cpu_m = o.cpu_m;
        o.nz_mem = o.mem;
        sim_resources_add(out, &o);
        sim_resources_release(&o);
    }
    out->pods = 1;
}

void sim_node_allocatable(const json_t *node, struct sim_resources *out)
{
    memset(out, 0, sizeof(*out));
    const json_t *st = json_object_get(node, "status");
    const json_t *a = json_object_get(st, "allocatable");
    if (!json_is_object(a))
        a = json_object_get(st, "capacity");
    const char *k;
    const json_t *v;
    if (json_is_object(a))
        json_object_foreach((json_t *)a, k, v) resources_add_entry(out, k, v);
    out->nz_cpu_m = out->cpu_m;
    out->nz_mem = out->mem;
}

/* ---------------------------------------------------------------- nodes spec */

struct pool {
    int64_t count;
    char cpu[64], mem[64], disk[64];
    int64_t pods, gpus;
    char name[64];
    char type[160];
    json_t *labels; /* owned */
    json_t *taints; /* owned array */
};

static bool is_effect(const char *s)
{
    return strcmp(s, "NoSchedule") == 0 || strcmp(s, "PreferNoSchedule") == 0 ||
           strcmp(s, "NoExecute") == 0;
}

static int parse_size_head(struct pool *p, const char *head, size_t idx, struct slu_err *err)
{
    const char *x = strchr(head, 'x');
    const char *rest = head;
    p->count = 1;
    if (x) {
        char num[32];
        size_t n = (size_t)(x - head);
        if (n == 0 || n >= sizeof(num))
            return slu_err_set(err, SLU_EINVAL, "nodes: pool %zu \"%s\": bad node count", idx,
                               head);
        memcpy(num, head, n);
        num[n] = '\0';
        if (slu_parse_i64(num, &p->count) != 0 || p->count < 1 || p->count > NODES_MAX)
            return slu_err_set(err, SLU_EINVAL, "nodes: pool %zu \"%s\": node count must be 1..%d",
                               idx, head, NODES_MAX);
        rest = x + 1;
    }
    const char *c = strchr(rest, 'c');
    if (!c || c == rest || (size_t)(c - rest) >= sizeof(p->cpu) || !c[1] ||
        strlen(c + 1) >= sizeof(p->mem))
        return slu_err_set(err, SLU_EINVAL,
                           "nodes: pool %zu \"%s\": expected COUNTxCPUcMEMORY, e.g. 3x8c32Gi", idx,
                           head);
    memcpy(p->cpu, rest, (size_t)(c - rest));
    p->cpu[c - rest] = '\0';
    slu_strlcpy(p->mem, c + 1, sizeof(p->mem));
    struct kube_quantity q;
    if (kube_quantity_parse(p->cpu, &q, NULL) != 0 || q.nanos <= 0)
        return slu_err_set(err, SLU_EINVAL, "nodes: pool %zu \"%s\": bad CPU \"%s\"", idx, head,
                           p->cpu);
    if (kube_quantity_parse(p->mem, &q, NULL) != 0 || q.nanos <= 0)
        return slu_err_set(err, SLU_EINVAL, "nodes: pool %zu \"%s\": bad memory \"%s\"", idx, head,
                           p->mem);
    return 0;
}

static int parse_taint(struct pool *p, const char *kv, const char *effect, size_t idx,
                       struct slu_err *err)
{
    char key[320];
    const char *eq = strchr(kv, '=');
    size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
    if (kl == 0 || kl >= sizeof(key))
        return slu_err_set(err, SLU_EINVAL, "nodes: pool %zu: taint \"%s\" has no key", idx, kv);
    memcpy(key, kv, kl);
    key[kl] = '\0';
    const char *bad = kube_label_key_invalid(key);
    if (bad)
        return slu_err_set(err, SLU_EINVAL, "nodes: pool %zu: taint key \"%s\": %s", idx, key, bad);
    const char *value = eq ? eq + 1 : "";
    if (*value && (bad = kube_label_value_invalid(value)))
        return slu_err_set(err, SLU_EINVAL, "nodes: pool %zu: taint value \"%s\": %s", idx, value,
                           bad);
    json_t *t = json_object();
    json_object_set_new(t, "key", json_string(key));
    if (*value)
        json_object_set_new(t, "value", json_string(value));
    json_object_set_new(t, "effect", json_string(effect));
    json_array_append_new(p->taints, t);
    return 0;
}

static int parse_pool(struct pool *p, const char *text, size_t idx, struct slu_err *err)
{
    size_t nf = 0;
    char **f = slu_str_split(text, ':', true, &nf);
    int rc = 0;
    p->labels = json_object();
    p->taints = json_array();
    p->pods = 110;
    slu_strlcpy(p->disk, "100Gi", sizeof(p->disk));
    if (nf == 0 || !f[0][0]) {
        rc = slu_err_set(err, SLU_EINVAL, "nodes: pool %zu is empty", idx);
        goto out;
    }
    if ((rc = parse_size_head(p, f[0], idx, err)) != 0)
        goto out;
    for (size_t i = 1; i < nf; i++) {
        const char *fld = f[i];
        const char *eq = strchr(fld, '=');
        if (!eq) {
            rc = slu_err_set(err, SLU_EINVAL,
                             is_effect(fld) ? "nodes: pool %zu: effect \"%s\" without a taint"
                                            : "nodes: pool %zu: bad field \"%s\" (expected "
                                              "key=value)",
                             idx, fld);
            goto out;
        }
        size_t kl = (size_t)(eq - fld);
        const char *val = eq + 1;
#define IS(k) (kl == strlen(k) && strncmp(fld, k, kl) == 0)
        if (IS("taint")) {
            if (i + 1 >= nf || !is_effect(f[i + 1])) {
                rc = slu_err_set(err, SLU_EINVAL,
                                 "nodes: pool %zu: taint \"%s\" needs an effect: "
                                 "taint=KEY[=VALUE]:NoSchedule|PreferNoSchedule|NoExecute",
                                 idx, val);
                goto out;
            }
            if ((rc = parse_taint(p, val, f[i + 1], idx, err)) != 0)
                goto out;
            i++;
        } else if (IS("name")) {
            if (!kube_is_dns1123_label(val) || strlen(val) > 40) {
                rc = slu_err_set(err, SLU_EINVAL,
                                 "nodes: pool %zu: name \"%s\" must be a DNS-1123 label of at "
                                 "most 40 characters",
                                 idx, val);
                goto out;
            }
            slu_strlcpy(p->name, val, sizeof(p->name));
        } else if (IS("pods") || IS("gpu")) {
            int64_t n;
            if (slu_parse_i64(val, &n) != 0 || n < 0 || n > 100000) {
                rc =
                    slu_err_set(err, SLU_EINVAL, "nodes: pool %zu: bad number in \"%s\"", idx, fld);
                goto out;
            }
            if (IS("pods"))
                p->pods = n;
            else
                p->gpus = n;
        } else if (IS("disk")) {
            struct kube_quantity q;
            if (strlen(val) >= sizeof(p->disk) || kube_quantity_parse(val, &q, NULL) != 0 ||
                q.nanos <= 0) {
                rc = slu_err_set(err, SLU_EINVAL, "nodes: pool %zu: bad quantity in \"%s\"", idx,
                                 fld);
                goto out;
            }
            slu_strlcpy(p->disk, val, sizeof(p->disk));
        } else if (IS("type")) {
            const char *bad = kube_label_value_invalid(val);
            if (bad || strlen(val) > 63) {
                rc = slu_err_set(err, SLU_EINVAL, "nodes: pool %zu: bad instance type \"%s\"%s%s",
                                 idx, val, bad ? ": " : "", bad ? bad : "");
                goto out;
            }
            slu_strlcpy(p->type, val, sizeof(p->type));
        } else {
            char key[320];
            if (kl == 0 || kl >= sizeof(key)) {
                rc = slu_err_set(err, SLU_EINVAL, "nodes: pool %zu: bad label \"%s\"", idx, fld);
                goto out;
            }
            memcpy(key, fld, kl);
            key[kl] = '\0';
            const char *bad = kube_label_key_invalid(key);
            if (!bad)
                bad = kube_label_value_invalid(val);
            if (bad) {
                rc = slu_err_set(err, SLU_EINVAL, "nodes: pool %zu: label \"%s\": %s", idx, fld,
                                 bad);
                goto out;
            }
            json_object_set_new(p->labels, key, json_string(val));
        }
#undef IS
    }
    if (!p->name[0]) {
        const char *lp = json_string_value(json_object_get(p->labels, "pool"));
        if (lp && kube_is_dns1123_label(lp) && strlen(lp) <= 40)
            slu_strlcpy(p->name, lp, sizeof(p->name));
        else
            snprintf(p->name, sizeof(p->name), "%zu", idx);
    }
    if (!p->type[0]) {
        snprintf(p->type, sizeof(p->type), "sim-%sc%s", p->cpu, p->mem);
        if (kube_label_value_invalid(p->type))
            slu_strlcpy(p->type, "sim", sizeof(p->type));
    }
out:
    slu_strv_free(f);
    return rc;
}

static json_t *make_condition(const char *type, const char *status, const char *reason,
                              const char *message, const char *now)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", type, "status", status, "reason",
                     reason, "message", message, "lastHeartbeatTime", now, "lastTransitionTime",
                     now);
}

static json_t *make_node(const struct pool *p, int64_t i, size_t k, const char *now)
{
    char name[128], ip[32], cidr[40], gpus[32], pods[32], uid[40];
    snprintf(name, sizeof(name), "sim-node-%s-%lld", p->name, (long long)i);
    snprintf(ip, sizeof(ip), "10.0.%zu.%zu", k / 250, k % 250 + 2);
    snprintf(cidr, sizeof(cidr), "10.%zu.%zu.0/24", 128 + k / 256, k % 256);
    snprintf(pods, sizeof(pods), "%lld", (long long)p->pods);
    snprintf(gpus, sizeof(gpus), "%lld", (long long)p->gpus);

    json_t *labels =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "kubernetes.io/hostname", name,
                  "kubernetes.io/os", "linux", "kubernetes.io/arch", "amd64",
                  "beta.kubernetes.io/os", "linux", "beta.kubernetes.io/arch", "amd64",
                  "node.kubernetes.io/instance-type", p->type, "sim.sluice.dev/pool", p->name);
    json_object_update(labels, p->labels);

    json_t *cap = json_pack("{s:s, s:s, s:s, s:s}", "cpu", p->cpu, "memory", p->mem, "pods", pods,
                            "ephemeral-storage", p->disk);
    if (p->gpus > 0)
        json_object_set_new(cap, "nvidia.com/gpu", json_string(gpus));

    json_t *conds = json_array();
    json_array_append_new(conds,
                          make_condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                                         "kubelet has sufficient memory available", now));
    json_array_append_new(conds, make_condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                                                "kubelet has no disk pressure", now));
    json_array_append_new(conds, make_condition("PIDPressure", "False", "KubeletHasSufficientPID",
                                                "kubelet has sufficient PID available", now));
    json_array_append_new(conds, make_condition("Ready", "True", "KubeletReady",
                                                "kubelet is posting ready status", now));

    slu_uuid4(uid);
    json_t *info =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "machineID", uid,
                  "systemUUID", uid, "bootID", uid, "kernelVersion", "6.1.0-sim", "osImage",
                  "Sluice sim node", "containerRuntimeVersion", "containerd://1.7.22",
                  "kubeletVersion", SIM_KUBELET_VERSION, "kubeProxyVersion", SIM_KUBELET_VERSION,
                  "operatingSystem", "linux", "architecture", "amd64");

    json_t *addrs = json_pack("[{s:s, s:s}, {s:s, s:s}]", "type", "InternalIP", "address", ip,
                              "type", "Hostname", "address", name);

    json_t *spec = json_pack("{s:s, s:[s]}", "podCIDR", cidr, "podCIDRs", cidr);
    if (json_array_size(p->taints) > 0)
        json_object_set_new(spec, "taints", json_deep_copy(p->taints));

    json_t *status = json_object();
    json_object_set_new(status, "capacity", cap);
    json_object_set_new(status, "allocatable", json_deep_copy(cap));
    json_object_set_new(status, "conditions", conds);
    json_object_set_new(status, "addresses", addrs);
    json_object_set_new(status, "nodeInfo", info);
    json_object_set_new(status, "daemonEndpoints",
                        json_pack("{s:{s:i}}", "kubeletEndpoint", "Port", 10250));
    json_object_set_new(status, "phase", json_string("Running"));

    return json_pack("{s:s, s:s, s:{s:s, s:o, s:{}}, s:o, s:o}", "apiVersion", "v1", "kind", "Node",
                     "metadata", "name", name, "labels", labels, "annotations", "spec", spec,
                     "status", status);
}

int sim_nodes_parse(const char *spec, json_t **nodes, struct slu_err *err)
{
    *nodes = NULL;
    if (!spec || !*spec)
        spec = "3x8c32Gi";
    if (strlen(spec) > NODES_SPEC_MAX)
        return slu_err_set(err, SLU_ETOOBIG, "nodes: spec longer than %d bytes", NODES_SPEC_MAX);
    /* Pools are separated by ';' or ','. */
    char *copy = slu_strdup(spec);
    for (char *q = copy; *q; q++)
        if (*q == ',')
            *q = ';';
    size_t np = 0;
    char **pools = slu_str_split(copy, ';', true, &np);
    free(copy);
    json_t *arr = json_array();
    struct slu_map names;
    slu_map_init(&names, NULL);
    int rc = 0;
    int64_t total = 0;
    char now[40];
    slu_time_format_rfc3339(slu_now_unix(), now, sizeof(now));
    size_t k = 0;
    for (size_t i = 0; i < np && rc == 0; i++) {
        if (!pools[i][0]) {
            if (i + 1 == np && i > 0)
                break; /* trailing separator */
            rc = slu_err_set(err, SLU_EINVAL, "nodes: pool %zu is empty", i);
            break;
        }
        struct pool p;
        memset(&p, 0, sizeof(p));
        rc = parse_pool(&p, pools[i], i, err);
        if (rc == 0) {
            total += p.count;
            if (total > NODES_MAX)
                rc = slu_err_set(err, SLU_EINVAL, "nodes: more than %d nodes in total", NODES_MAX);
            else if (slu_map_has(&names, p.name))
                rc = slu_err_set(err, SLU_EINVAL,
                                 "nodes: pool %zu: pool name \"%s\" is used twice (set name=)", i,
                                 p.name);
        }
        if (rc == 0) {
            slu_map_put(&names, p.name, NULL);
            for (int64_t n = 0; n < p.count; n++)
                json_array_append_new(arr, make_node(&p, n, k++, now));
        }
        json_decref(p.labels);
        json_decref(p.taints);
    }
    slu_strv_free(pools);
    slu_map_release(&names);
    if (rc == 0 && json_array_size(arr) == 0)
        rc = slu_err_set(err, SLU_EINVAL, "nodes: no pool in \"%s\"", spec);
    if (rc != 0) {
        json_decref(arr);
        return rc;
    }
    *nodes = arr;
    return 0;
}
