/*
 * cmd_apply.c - `sluice apply -f FILE|-`: creates or updates the objects of a multi-document
 * YAML/JSON file, of any kind, as `kubectl apply` does, and prints one line per object
 * ("sparkapplication.sparkoperator.k8s.io/spark-pi created|configured|unchanged").
 *
 * How: each document (a `kind: List` is expanded into its items) is mapped to its resource
 * through discovery: GET /api/v1 or /apis/GROUP/VERSION gives an APIResourceList, whose entry of
 * that kind (not a subresource) names the plural and whether it is namespaced; answers are
 * cached per group/version, so CRDs work like built-in kinds. A kind that is unknown right
 * after this run applied a CRD is looked up again for a few seconds (a CRD's kinds appear once
 * it is Established). Then: GET the object; absent -> POST ("created"); present -> server-side
 * apply (PATCH application/apply-patch+yaml, fieldManager=sluice, force=true) and compare
 * resourceVersions: the same -> "unchanged", else "configured". Server-side apply was chosen
 * over GET+PUT because it needs no read-modify-write loop on conflicts and keeps fields that
 * other managers own (status written by the operator, defaults written by the server).
 *
 * Errors on one object are reported and the others still applied; the exit code is 1 when any
 * object failed.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "json/json.h"

static void apply_usage(FILE *f)
{
    fprintf(f, "Usage: sluice apply -f FILE|- [-n NAMESPACE] [--kubeconfig PATH] [--context "
               "NAME]\n\n"
               "Creates or updates the objects of a YAML or JSON file (several documents\n"
               "separated by ---, or a kind: List) of any kind, custom resources included, by\n"
               "server-side apply (field manager \"sluice\", conflicts forced).\n\n"
               "Options:\n"
               "  -f, --filename FILE   the file to apply, or - for standard input\n"
               "  -n, --namespace NS    namespace for objects that do not set one\n"
               "  --kubeconfig PATH     kubeconfig file\n"
               "  --context NAME        kubeconfig context\n\n"
               "Examples:\n"
               "  sluice apply -f sparkoperator.k8s.io_sparkapplications.yaml\n"
               "  sluice apply -f spark-pi.yaml -n spark-jobs\n");
}

/* A discovered resource type; strings owned. */
struct res_info {
    struct kube_resource r;
    char *group, *version, *plural, *kind;
};

static void res_info_free(void *p)
{
    struct res_info *ri = p;
    if (!ri)
        return;
    free(ri->group);
    free(ri->version);
    free(ri->plural);
    free(ri->kind);
    free(ri);
}

struct apply_ctx {
    struct kube_client *cl;
    const char *ns;       /* default namespace */
    const char *flag_ns;  /* -n as given, or NULL */
    struct slu_map lists; /* groupVersion -> json_t* APIResourceList (or NULL: not served) */
    bool applied_crd;
};

static void decref_value(void *p)
{
    json_decref(p);
}

/* GET the APIResourceList of api_version; NULL when the server does not serve it. */
static json_t *discovery(struct apply_ctx *ctx, const char *api_version, bool refresh,
                         struct slu_err *err)
{
    if (!refresh && slu_map_has(&ctx->lists, api_version))
        return slu_map_get(&ctx->lists, api_version);
    char *path = strchr(api_version, '/') ? slu_asprintf("/apis/%s", api_version)
                                          : slu_asprintf("/api/%s", api_version);
    struct slu_buf body = {0};
    int status = 0;
    json_t *list = NULL;
    int rc = kube_request(ctx->cl, "GET", path, NULL, NULL, 0, &status, &body, err);
    if (rc == 0)
        rc = slu_json_parse(body.data ? body.data : "", body.len, 0, &list, err);
    free(path);
    slu_buf_release(&body);
    if (rc == SLU_ENOTFOUND) {
        slu_err_release(err);
        rc = 0;
    }
    if (rc != 0)
        return NULL;
    slu_map_put(&ctx->lists, api_version, list);
    return list;
}

static struct res_info *find_kind(const json_t *list, const char *api_version, const char *kind)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(list, "resources"), i, r)
    {
        const char *name = slu_json_str(r, "name");
        if (!name || strchr(name, '/') || !slu_streq(slu_json_str(r, "kind"), kind))
            continue;
        struct res_info *ri = slu_calloc(1, sizeof *ri);
        const char *slash = strchr(api_version, '/');
        ri->group =
            slash ? slu_strndup(api_version, (size_t)(slash - api_version)) : slu_strdup("");
        ri->version = slu_strdup(slash ? slash + 1 : api_version);
        ri->plural = slu_strdup(name);
        ri->kind = slu_strdup(kind);
        ri->r = (struct kube_resource){ri->group, ri->version, ri->plural, ri->kind,
                                       slu_json_bool(r, "namespaced", false)};
        return ri;
    }
    return NULL;
}

/* Maps apiVersion+kind to a resource (returned owned) or NULL with err set. */
static struct res_info *resolve(struct apply_ctx *ctx, const char *api_version, const char *kind,
                                struct slu_err *err)
{
    int64_t deadline = slu_now_mono_ns() + 10 * 1000000000LL;
    for (int attempt = 0;; attempt++) {
        json_t *list = discovery(ctx, api_version, attempt > 0, err);
        if (!list && err && err->code)
            return NULL;
        struct res_info *ri = list ? find_kind(list, api_version, kind) : NULL;
        if (ri)
            return ri;
        if (!ctx->applied_crd || slu_now_mono_ns() > deadline)
            break;
        slu_sleep_ms(200);
    }
    slu_err_set(err, SLU_ENOTFOUND,
                "no matches for kind \"%s\" in version \"%s\"; ensure CRDs are installed first",
                kind, api_version);
    return NULL;
}

/* "sparkapplication.sparkoperator.k8s.io" or "configmap". */
static char *type_name(const struct res_info *ri)
{
    char *k = slu_strdup(ri->kind);
    slu_str_lower(k);
    if (!*ri->group)
        return k;
    char *s = slu_asprintf("%s.%s", k, ri->group);
    free(k);
    return s;
}

/* Server-side apply of obj; *out returned owned. */
static int ssa(struct apply_ctx *ctx, const struct res_info *ri, const char *ns, const json_t *obj,
               json_t **out, struct slu_err *err)
{
    char *base =
        kube_resource_path(&ri->r, ri->r.namespaced ? ns : NULL, kube_object_name(obj), NULL);
    char *path = slu_asprintf("%s?fieldManager=sluice&force=true", base);
    char *body = slu_json_dumps(obj);
    struct slu_buf resp = {0};
    int status = 0;
    int rc = kube_request(ctx->cl, "PATCH", path, "application/apply-patch+yaml", body,
                          strlen(body), &status, &resp, err);
    if (rc == 0)
        rc = slu_json_parse(resp.data ? resp.data : "", resp.len, 0, out, err);
    slu_buf_release(&resp);
    free(body);
    free(path);
    free(base);
    return rc;
}

static int apply_one(struct apply_ctx *ctx, json_t *obj, const char *file)
{
    struct slu_err err = {0};
    const char *api = slu_json_str(obj, "apiVersion"), *kind = slu_json_str(obj, "kind");
    const char *name = kube_object_name(obj);
    if (!json_is_object(obj) || !api || !*api || !kind || !*kind)
        return cli_error("error validating \"%s\": error validating data: %s%s%s", file,
                         !api || !*api ? "apiVersion not set" : "",
                         (!api || !*api) && (!kind || !*kind) ? ", " : "",
                         !kind || !*kind ? "kind not set" : "");
    if (!name && slu_json_path(obj, "metadata.name"))
        return cli_error("error validating \"%s\": %s: metadata.name must be a string (YAML "
                         "reads y, no, true, 1 as other types: quote it)",
                         file, kind);
    if (!name || !*name)
        return cli_error("error validating \"%s\": %s: metadata.name is required", file, kind);
    struct res_info *ri = resolve(ctx, api, kind, &err);
    if (!ri) {
        cli_error("resource mapping not found for name: \"%s\" from \"%s\": %s", name, file,
                  err.msg);
        slu_err_release(&err);
        return 1;
    }
    const char *ons = kube_object_namespace(obj), *ns = NULL;
    if (ri->r.namespaced) {
        if (ons && *ons && ctx->flag_ns && strcmp(ons, ctx->flag_ns)) {
            res_info_free(ri);
            return cli_error("the namespace from the provided object \"%s\" does not match the "
                             "namespace \"%s\". You must pass '--namespace=%s' to perform this "
                             "operation.",
                             ons, ctx->flag_ns, ons);
        }
        if (!ons || !*ons)
            slu_json_set_str(obj, "metadata.namespace", ctx->ns);
        ns = kube_object_namespace(obj); /* borrowed from obj, which outlives its use */
    }
    char *tn = type_name(ri);
    json_t *cur = NULL, *out = NULL;
    int code = 0;
    int rc = kube_get(ctx->cl, &ri->r, ns, name, &cur, &err);
    const char *verb = NULL;
    if (rc == SLU_ENOTFOUND) {
        slu_err_release(&err);
        rc = kube_create(ctx->cl, &ri->r, ns, obj, &out, &err);
        verb = "created";
    } else if (rc == 0) {
        rc = ssa(ctx, ri, ns, obj, &out, &err);
        verb = slu_streq(kube_object_rv(cur), kube_object_rv(out)) ? "unchanged" : "configured";
    }
    if (rc != 0) {
        char what[512];
        snprintf(what, sizeof what, "applying %s/%s from \"%s\"", tn, name, file);
        code = cli_api_error(&err, what);
    } else {
        printf("%s/%s %s\n", tn, name, verb);
        fflush(stdout);
        if (strcmp(kind, "CustomResourceDefinition") == 0)
            ctx->applied_crd = true;
    }
    json_decref(cur);
    json_decref(out);
    free(tn);
    res_info_free(ri);
    slu_err_release(&err);
    return code;
}

int cmd_apply(int argc, char **argv)
{
    struct cli_common com = {0};
    const char *file = NULL;
    struct cli_flag flags[] = {{"filename", 'f', &file, NULL}, {NULL, 0, NULL, NULL}};
    struct slu_vec pos = {0};
    int code = cli_parse(argc, argv, "apply", CLI_F_NAMESPACE, flags, &com, &pos);
    if (code)
        goto out;
    if (com.help) {
        apply_usage(stdout);
        goto out;
    }
    if (pos.len) {
        code = cli_error("unexpected argument \"%s\" (use -f FILE)\nSee 'sluice apply --help' "
                         "for usage.",
                         (const char *)pos.items[0]);
        goto out;
    }
    if (!file || !*file) {
        code = cli_error("must specify -f FILE (or -f - for standard input)\nSee 'sluice apply "
                         "--help' for usage.");
        goto out;
    }
    struct stat st;
    if (strcmp(file, "-") != 0 && stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
        code = cli_error("%s: is a directory; sluice apply -f takes one file (or -): apply the "
                         "files in it one by one",
                         file);
        goto out;
    }
    struct slu_err err = {0};
    json_t *docs = NULL;
    if (slu_yaml_load_file(file, NULL, &docs, &err) != 0) {
        code = cli_error("%s", err.msg);
        slu_err_release(&err);
        goto out;
    }
    /* expand v1 Lists */
    json_t *objs = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(docs, i, d)
    {
        if (json_is_object(d) && slu_streq(slu_json_str(d, "kind"), "List") &&
            json_is_array(json_object_get(d, "items"))) {
            size_t j;
            json_t *it;
            json_array_foreach(json_object_get(d, "items"), j, it) json_array_append(objs, it);
        } else if (!json_is_null(d)) {
            json_array_append(objs, d);
        }
    }
    json_decref(docs);
    if (json_array_size(objs) == 0) {
        json_decref(objs);
        code = cli_error("%s: no objects passed to apply (the file holds no YAML/JSON object)",
                         strcmp(file, "-") == 0 ? "<stdin>" : file);
        goto out;
    }
    struct apply_ctx ctx = {.flag_ns = com.namespace_};
    if (cli_connect(&com, NULL, &ctx.cl, &ctx.ns)) {
        json_decref(objs);
        code = 1;
        goto out;
    }
    slu_map_init(&ctx.lists, decref_value);
    json_array_foreach(objs, i, d)
    {
        if (apply_one(&ctx, d, strcmp(file, "-") == 0 ? "STDIN" : file)) /* kubectl's word */
            code = 1;
    }
    slu_map_release(&ctx.lists);
    kube_client_free(ctx.cl);
    json_decref(objs);
out:
    slu_vec_release(&pos, NULL);
    return code;
}
