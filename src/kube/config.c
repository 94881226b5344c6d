/*
 * config.c - where the client finds its cluster and credentials: kubeconfig files and the
 * in-cluster service account, plus the exec credential plugin runner.
 *
 * kubeconfig: every file is loaded with the YAML loader into JSON. With several files ($KUBECONFIG
 * "a:b:c") the named clusters, contexts and users are merged by name, the first file that defines
 * a name wins, and current-context comes from the first file that sets it (what kubectl does).
 * Missing files in $KUBECONFIG are skipped; an explicit path must exist. Relative file paths in an
 * entry (certificate-authority, client-certificate, client-key, tokenFile, an exec command with a
 * slash) are resolved against the directory of the file that defined the entry.
 *
 * Nothing is ever written to disk: certificate and key files are read into memory here and the
 * transport hands them to libcurl as blobs. Tokens from a tokenFile are re-read by the client when
 * the file changes (service-account token rotation). Exec plugins are run by the client on demand
 * (kube__exec_run) and their credentials cached there until expirationTimestamp.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube/client_priv.h"

extern char **environ;

#define KCFG_MAX_FILE (16u << 20)  /* a kubeconfig file */
#define KCFG_MAX_PEM (4u << 20)    /* a certificate or key file */
#define KCFG_MAX_TOKEN (1u << 20)  /* a token file */
#define EXEC_MAX_STDOUT (1u << 20) /* an exec plugin's answer */
#define EXEC_MAX_STDERR 2048       /* what we keep of its stderr for the error message */
#define EXEC_TIMEOUT_MS 60000      /* a plugin that hangs longer is killed */
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

void kube_config_free(struct kube_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->server);
    free(cfg->ca_pem);
    free(cfg->client_cert_pem);
    free(cfg->client_key_pem);
    free(cfg->token);
    free(cfg->token_file);
    free(cfg->username);
    free(cfg->password);
    free(cfg->tls_server_name);
    free(cfg->namespace);
    free(cfg->context_name);
    free(cfg->exec_command);
    slu_strv_free(cfg->exec_args);
    slu_strv_free(cfg->exec_env);
    free(cfg->exec_api_version);
    free(cfg);
}

static struct kube_config *config_new(void)
{
    struct kube_config *cfg = slu_calloc(1, sizeof(*cfg));
    cfg->qps = 50;
    cfg->burst = 100;
    cfg->timeout_ms = 30000;
    return cfg;
}

/* ---------------------------------------------------------------- small helpers */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return slu_strdup(".");
    if (slash == path)
        return slu_strdup("/");
    return slu_strndup(path, (size_t)(slash - path));
}

/* path relative to dir unless absolute (returned owned). */
static char *resolve_path(const char *dir, const char *p)
{
    if (p[0] == '/' || !dir)
        return slu_strdup(p);
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    if (p[0] == '~' && p[1] == '/' && getenv("HOME"))
        return slu_asprintf("%s%s", getenv("HOME"), p + 1);
    return slu_asprintf("%s/%s", dir, p);
}

static bool looks_like_pem(const char *s)
{
    return strstr(s, "-----BEGIN ") != NULL;
}

/* Reads a PEM file into *out (owned); what names the field for the message. */
static int read_pem_file(const char *path, const char *what, char **out, struct slu_err *err)
{
    struct slu_buf b = {0};
    int rc = slu_read_file(path, KCFG_MAX_PEM, &b, err);
    if (rc < 0) {
        slu_err_prefix(err, "%s", what);
        slu_buf_release(&b);
        return rc;
    }
    char *s = slu_buf_steal(&b);
    if (strlen(s) == 0 || !looks_like_pem(s)) {
        free(s);
        return slu_err_set(err, SLU_EINVAL, "%s: %s does not hold PEM data", what, path);
    }
    *out = s;
    return 0;
}

static int decode_pem_data(const char *b64, const char *what, char **out, struct slu_err *err)
{
    size_t n = 0;
    unsigned char *d = slu_base64_decode(b64, &n);
    if (!d)
        return slu_err_set(err, SLU_EINVAL, "%s: not valid base64", what);
    if (n == 0 || memchr(d, '\0', n) || !looks_like_pem((char *)d)) {
        free(d);
        return slu_err_set(err, SLU_EINVAL, "%s: decoded data is not PEM", what);
    }
    *out = (char *)d;
    return 0;
}

/* Optional string field: absent/null -> *out NULL; a non-string is an error. */
static int get_str(const json_t *obj, const char *key, const char *where, const char **out,
                   struct slu_err *err)
{
    *out = NULL;
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return slu_err_set(err, SLU_EINVAL, "%s.%s: expected a string", where, key);
    *out = json_string_value(v);
    if (!**out)
        *out = NULL;
    return 0;
}

static int get_bool(const json_t *obj, const char *key, const char *where, bool *out,
                    struct slu_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 0;
    }
    if (json_is_string(v)) { /* "true" quoted in YAML */
        if (strcmp(json_string_value(v), "true") == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(json_string_value(v), "false") == 0) {
            *out = false;
            return 0;
        }
    }
    return slu_err_set(err, SLU_EINVAL, "%s.%s: expected true or false", where, key);
}

/* ---------------------------------------------------------------- loading and merging */

/* The merged view: for each section a JSON object name -> {"v": entry, "dir": "..."}. */
struct merged {
    json_t *clusters, *contexts, *users;
    char *current_context;
    int nfiles;
};

static int merge_section(struct merged *m, const json_t *doc, const char *file, const char *dir,
                         const char *section, const char *inner, json_t *into, struct slu_err *err)
{
    json_t *arr = json_object_get(doc, section);
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return slu_err_set(err, SLU_EINVAL, "kubeconfig %s: %s: expected a list", file, section);
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        if (!json_is_object(e))
            return slu_err_set(err, SLU_EINVAL, "kubeconfig %s: %s[%zu]: expected a mapping", file,
                               section, i);
        json_t *name = json_object_get(e, "name");
        if (!json_is_string(name) || !*json_string_value(name))
            return slu_err_set(err, SLU_EINVAL, "kubeconfig %s: %s[%zu]: missing \"name\"", file,
                               section, i);
        json_t *v = json_object_get(e, inner);
        if (v && !json_is_null(v) && !json_is_object(v))
            return slu_err_set(err, SLU_EINVAL, "kubeconfig %s: %s[%zu].%s: expected a mapping",
                               file, section, i, inner);
        const char *n = json_string_value(name);
        if (json_object_get(into, n))
            continue; /* first file wins */
        json_t *ent = json_object();
        json_object_set_new(ent, "v", v && json_is_object(v) ? json_incref(v) : json_object());
        json_object_set_new(ent, "dir", json_string(dir));
        json_object_set_new(ent, "file", json_string(file));
        json_object_set_new(into, n, ent);
    }
    (void)m;
    return 0;
}

static int merge_file(struct merged *m, const char *path, bool must_exist, struct slu_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (!must_exist)
            return 0;
        return slu_err_set(err, SLU_EIO, "kubeconfig %s: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode))
        return slu_err_set(err, SLU_EINVAL, "kubeconfig %s: is a directory", path);
    struct slu_buf b = {0};
    int rc = slu_read_file(path, KCFG_MAX_FILE, &b, err);
    if (rc < 0) {
        slu_buf_release(&b);
        slu_err_prefix(err, "kubeconfig %s", path);
        return rc;
    }
    json_t *docs = NULL;
    struct slu_yaml_limits lim = {.max_bytes = KCFG_MAX_FILE,
                                  .max_depth = 64,
                                  .max_aliases = 1000,
                                  .max_nodes = 1000000,
                                  .max_documents = 2};
    rc = slu_yaml_load(b.data ? b.data : "", b.len, &lim, &docs, err);
    slu_buf_release(&b);
    if (rc < 0) {
        slu_err_prefix(err, "kubeconfig %s", path);
        return rc == SLU_EPARSE ? SLU_EPARSE : rc;
    }
    m->nfiles++;
    if (json_array_size(docs) > 1) {
        json_decref(docs);
        return slu_err_set(err, SLU_EINVAL, "kubeconfig %s: holds more than one YAML document",
                           path);
    }
    json_t *doc = json_array_get(docs, 0);
    if (!doc || json_is_null(doc)) {
        json_decref(docs);
        return 0; /* an empty file is an empty config */
    }
    if (!json_is_object(doc)) {
        json_decref(docs);
        return slu_err_set(err, SLU_EINVAL, "kubeconfig %s: expected a mapping at the top", path);
    }
    const char *kind = json_string_value(json_object_get(doc, "kind"));
    if (kind && strcmp(kind, "Config") != 0) {
        rc = slu_err_set(err, SLU_EINVAL, "kubeconfig %s: kind is %.64s, expected Config", path,
                         kind);
        json_decref(docs);
        return rc;
    }
    char *dir = dir_of(path);
    rc = merge_section(m, doc, path, dir, "clusters", "cluster", m->clusters, err);
    if (rc == 0)
        rc = merge_section(m, doc, path, dir, "contexts", "context", m->contexts, err);
    if (rc == 0)
        rc = merge_section(m, doc, path, dir, "users", "user", m->users, err);
    if (rc == 0) {
        json_t *cc = json_object_get(doc, "current-context");
        if (cc && !json_is_null(cc) && !json_is_string(cc))
            rc = slu_err_set(err, SLU_EINVAL, "kubeconfig %s: current-context: expected a string",
                             path);
        else if (!m->current_context && json_is_string(cc) && *json_string_value(cc))
            m->current_context = slu_strdup(json_string_value(cc));
    }
    free(dir);
    json_decref(docs);
    return rc;
}

/* ---------------------------------------------------------------- resolving one context */

static int apply_cluster(struct kube_config *cfg, const char *name, const json_t *ent,
                         struct slu_err *err)
{
    const json_t *c = json_object_get(ent, "v");
    const char *dir = json_string_value(json_object_get(ent, "dir"));
    char where[320];
    snprintf(where, sizeof(where), "clusters[\"%s\"]", name);
    const char *server, *ca, *ca_data, *tls_name;
    int rc;
    if ((rc = get_str(c, "server", where, &server, err)) < 0 ||
        (rc = get_str(c, "certificate-authority", where, &ca, err)) < 0 ||
        (rc = get_str(c, "certificate-authority-data", where, &ca_data, err)) < 0 ||
        (rc = get_str(c, "tls-server-name", where, &tls_name, err)) < 0 ||
        (rc = get_bool(c, "insecure-skip-tls-verify", where, &cfg->insecure_skip_tls_verify, err)) <
            0)
        return rc;
    if (!server)
        return slu_err_set(err, SLU_EINVAL, "%s: no server", where);
    if (!slu_str_has_prefix(server, "https://") && !slu_str_has_prefix(server, "http://"))
        return slu_err_set(err, SLU_EINVAL, "%s.server: \"%s\" is not an http(s) URL", where,
                           server);
    cfg->server = slu_strdup(server);
    size_t sl = strlen(cfg->server);
    while (sl > 0 && cfg->server[sl - 1] == '/')
        cfg->server[--sl] = '\0';
    if (ca && ca_data)
        return slu_err_set(err, SLU_EINVAL,
                           "%s: certificate-authority and certificate-authority-data are both "
                           "set; keep one",
                           where);
    char what[400];
    if (ca_data) {
        snprintf(what, sizeof(what), "%s.certificate-authority-data", where);
        if ((rc = decode_pem_data(ca_data, what, &cfg->ca_pem, err)) < 0)
            return rc;
    } else if (ca) {
        char *p = resolve_path(dir, ca);
        snprintf(what, sizeof(what), "%s.certificate-authority", where);
        rc = read_pem_file(p, what, &cfg->ca_pem, err);
        free(p);
        if (rc < 0)
            return rc;
    }
    if (cfg->insecure_skip_tls_verify && cfg->ca_pem)
        return slu_err_set(err, SLU_EINVAL,
                           "%s: insecure-skip-tls-verify cannot be combined with a "
                           "certificate authority",
                           where);
    cfg->tls_server_name = slu_strdup(tls_name);
    return 0;
}

static int apply_exec(struct kube_config *cfg, const char *where, const char *dir, const json_t *ex,
                      struct slu_err *err)
{
    if (!json_is_object(ex))
        return slu_err_set(err, SLU_EINVAL, "%s.exec: expected a mapping", where);
    char w[400];
    snprintf(w, sizeof(w), "%s.exec", where);
    const char *cmd, *apiv;
    int rc;
    if ((rc = get_str(ex, "command", w, &cmd, err)) < 0 ||
        (rc = get_str(ex, "apiVersion", w, &apiv, err)) < 0)
        return rc;
    if (!cmd)
        return slu_err_set(err, SLU_EINVAL, "%s: no command", w);
    if (!apiv)
        return slu_err_set(err, SLU_EINVAL, "%s: no apiVersion", w);
    if (strcmp(apiv, "client.authentication.k8s.io/v1") != 0 &&
        strcmp(apiv, "client.authentication.k8s.io/v1beta1") != 0)
        return slu_err_set(err, SLU_EINVAL,
                           "%s.apiVersion: \"%s\" is not supported (use "
                           "client.authentication.k8s.io/v1 or v1beta1)",
                           w, apiv);
    cfg->exec_command = strchr(cmd, '/') ? resolve_path(dir, cmd) : slu_strdup(cmd);
    cfg->exec_api_version = slu_strdup(apiv);
    json_t *args = json_object_get(ex, "args");
    size_t i;
    json_t *a;
    if (args && !json_is_null(args)) {
        if (!json_is_array(args))
            return slu_err_set(err, SLU_EINVAL, "%s.args: expected a list", w);
        cfg->exec_args = slu_calloc(json_array_size(args) + 1, sizeof(char *));
        json_array_foreach(args, i, a)
        {
            if (!json_is_string(a))
                return slu_err_set(err, SLU_EINVAL, "%s.args[%zu]: expected a string", w, i);
            cfg->exec_args[i] = slu_strdup(json_string_value(a));
        }
    }
    json_t *env = json_object_get(ex, "env");
    if (env && !json_is_null(env)) {
        if (!json_is_array(env))
            return slu_err_set(err, SLU_EINVAL, "%s.env: expected a list", w);
        cfg->exec_env = slu_calloc(json_array_size(env) + 1, sizeof(char *));
        json_array_foreach(env, i, a)
        {
            const char *n = json_string_value(json_object_get(a, "name"));
            const char *v = json_string_value(json_object_get(a, "value"));
            if (!n || !*n || strchr(n, '=') || !v)
                return slu_err_set(err, SLU_EINVAL,
                                   "%s.env[%zu]: expected {name: string, value: string}", w, i);
            cfg->exec_env[i] = slu_asprintf("%s=%s", n, v);
        }
    }
    return 0;
}

static int apply_user(struct kube_config *cfg, const char *name, const json_t *ent,
                      struct slu_err *err)
{
    const json_t *u = json_object_get(ent, "v");
    const char *dir = json_string_value(json_object_get(ent, "dir"));
    char where[320];
    snprintf(where, sizeof(where), "users[\"%s\"]", name);
    const char *cc, *ccd, *ck, *ckd, *tok, *tokf, *user, *pass;
    int rc;
    if ((rc = get_str(u, "client-certificate", where, &cc, err)) < 0 ||
        (rc = get_str(u, "client-certificate-data", where, &ccd, err)) < 0 ||
        (rc = get_str(u, "client-key", where, &ck, err)) < 0 ||
        (rc = get_str(u, "client-key-data", where, &ckd, err)) < 0 ||
        (rc = get_str(u, "token", where, &tok, err)) < 0 ||
        (rc = get_str(u, "tokenFile", where, &tokf, err)) < 0 ||
        (rc = get_str(u, "username", where, &user, err)) < 0 ||
        (rc = get_str(u, "password", where, &pass, err)) < 0)
        return rc;
    if (cc && ccd)
        return slu_err_set(err, SLU_EINVAL,
                           "%s: client-certificate and client-certificate-data are both set",
                           where);
    if (ck && ckd)
        return slu_err_set(err, SLU_EINVAL, "%s: client-key and client-key-data are both set",
                           where);
    if ((tok || tokf) && (user || pass))
        return slu_err_set(err, SLU_EINVAL,
                           "%s: more than one authentication method (token and basic auth); only "
                           "one is allowed",
                           where);
    char what[400];
    if (ccd) {
        snprintf(what, sizeof(what), "%s.client-certificate-data", where);
        rc = decode_pem_data(ccd, what, &cfg->client_cert_pem, err);
    } else if (cc) {
        char *p = resolve_path(dir, cc);
        snprintf(what, sizeof(what), "%s.client-certificate", where);
        rc = read_pem_file(p, what, &cfg->client_cert_pem, err);
        free(p);
    }
    if (rc < 0)
        return rc;
    if (ckd) {
        snprintf(what, sizeof(what), "%s.client-key-data", where);
        rc = decode_pem_data(ckd, what, &cfg->client_key_pem, err);
    } else if (ck) {
        char *p = resolve_path(dir, ck);
        snprintf(what, sizeof(what), "%s.client-key", where);
        rc = read_pem_file(p, what, &cfg->client_key_pem, err);
        free(p);
    }
    if (rc < 0)
        return rc;
    if (!!cfg->client_cert_pem != !!cfg->client_key_pem)
        return slu_err_set(err, SLU_EINVAL,
                           "%s: a client certificate needs a client key and "
                           "the other way round",
                           where);
    cfg->token = slu_strdup(tok);
    if (tokf && !tok) {
        /* Read now so a bad path fails at load time; the client re-reads it as it rotates. */
        cfg->token_file = resolve_path(dir, tokf);
        struct slu_buf b = {0};
        rc = slu_read_file(cfg->token_file, KCFG_MAX_TOKEN, &b, err);
        if (rc < 0) {
            slu_buf_release(&b);
            slu_err_prefix(err, "%s.tokenFile", where);
            return rc;
        }
        char *t = slu_buf_steal(&b);
        cfg->token = slu_strdup(slu_str_trim(t));
        free(t);
    }
    if (user && !pass)
        return slu_err_set(err, SLU_EINVAL, "%s: username without password", where);
    cfg->username = slu_strdup(user);
    cfg->password = slu_strdup(pass);
    json_t *ex = json_object_get(u, "exec");
    if (ex && !json_is_null(ex) && (rc = apply_exec(cfg, where, dir, ex, err)) < 0)
        return rc;
    json_t *ap = json_object_get(u, "auth-provider");
    if (ap && !json_is_null(ap) && !cfg->exec_command && !cfg->token && !cfg->client_cert_pem &&
        !cfg->username) {
        const char *apn = json_string_value(json_object_get(ap, "name"));
        return slu_err_set(err, SLU_EUNSUPPORTED,
                           "%s.auth-provider: \"%s\" is not supported; use an exec credential "
                           "plugin",
                           where, apn ? apn : "?");
    }
    return 0;
}

static int resolve(struct merged *m, const char *context, struct kube_config **out,
                   struct slu_err *err)
{
    const char *ctx_name = context && *context ? context : m->current_context;
    if (!ctx_name)
        return slu_err_set(err, SLU_EINVAL,
                           "kubeconfig: no current-context is set and no context was given");
    json_t *ctx_ent = json_object_get(m->contexts, ctx_name);
    if (!ctx_ent)
        return slu_err_set(err, SLU_EINVAL, "kubeconfig: context \"%s\" not found", ctx_name);
    const json_t *ctx = json_object_get(ctx_ent, "v");
    char where[320];
    snprintf(where, sizeof(where), "contexts[\"%s\"]", ctx_name);
    const char *cluster, *user, *ns;
    int rc;
    if ((rc = get_str(ctx, "cluster", where, &cluster, err)) < 0 ||
        (rc = get_str(ctx, "user", where, &user, err)) < 0 ||
        (rc = get_str(ctx, "namespace", where, &ns, err)) < 0)
        return rc;
    if (!cluster)
        return slu_err_set(err, SLU_EINVAL, "kubeconfig: %s: no cluster", where);
    json_t *cl_ent = json_object_get(m->clusters, cluster);
    if (!cl_ent)
        return slu_err_set(err, SLU_EINVAL, "kubeconfig: %s: cluster \"%s\" not found", where,
                           cluster);
    struct kube_config *cfg = config_new();
    cfg->context_name = slu_strdup(ctx_name);
    cfg->namespace = slu_strdup(ns ? ns : "default");
    rc = apply_cluster(cfg, cluster, cl_ent, err);
    if (rc == 0 && user) {
        json_t *u_ent = json_object_get(m->users, user);
        if (!u_ent)
            rc = slu_err_set(err, SLU_EINVAL, "kubeconfig: %s: user \"%s\" not found", where, user);
        else
            rc = apply_user(cfg, user, u_ent, err);
    }
    if (rc < 0) {
        if (!slu_str_has_prefix(err ? err->msg : "", "kubeconfig"))
            slu_err_prefix(err, "kubeconfig");
        kube_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int kube_config_load(const char *path, const char *context, struct kube_config **out,
                     struct slu_err *err)
{
    *out = NULL;
    struct merged m = {
        .clusters = json_object(), .contexts = json_object(), .users = json_object()};
    int rc = 0;
    if (path && *path) {
        rc = merge_file(&m, path, true, err);
    } else {
        const char *env = getenv("KUBECONFIG");
        if (env && *env) {
            size_t n = 0;
            char **parts = slu_str_split(env, ':', true, &n);
            for (size_t i = 0; i < n && rc == 0; i++) {
                if (!*parts[i])
                    continue;
                bool dup = false; /* a file listed twice counts once */
                for (size_t j = 0; j < i; j++)
                    dup = dup || strcmp(parts[i], parts[j]) == 0;
                if (!dup)
                    rc = merge_file(&m, parts[i], false, err);
            }
            slu_strv_free(parts);
            if (rc == 0 && m.nfiles == 0)
                rc = slu_err_set(err, SLU_EIO,
                                 "kubeconfig: none of the files in $KUBECONFIG "
                                 "(%s) exists",
                                 env);
        } else {
            const char *home = getenv("HOME");
            if (!home || !*home) {
                rc = slu_err_set(err, SLU_EIO, "kubeconfig: $HOME is not set");
            } else {
                char *p = slu_asprintf("%s/.kube/config", home);
                rc = merge_file(&m, p, true, err);
                free(p);
            }
        }
    }
    if (rc == 0)
        rc = resolve(&m, context, out, err);
    json_decref(m.clusters);
    json_decref(m.contexts);
    json_decref(m.users);
    free(m.current_context);
    return rc;
}

/* ---------------------------------------------------------------- in-cluster */

int kube__config_in_cluster_dir(const char *sa_dir, struct kube_config **out, struct slu_err *err)
{
    *out = NULL;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !*host || !port || !*port)
        return slu_err_set(err, SLU_EINVAL,
                           "in-cluster config: KUBERNETES_SERVICE_HOST and "
                           "KUBERNETES_SERVICE_PORT must be set");
    int64_t p;
    if (slu_parse_i64(port, &p) < 0 || p <= 0 || p > 65535)
        return slu_err_set(err, SLU_EINVAL,
                           "in-cluster config: KUBERNETES_SERVICE_PORT \"%s\" "
                           "is not a port",
                           port);
    struct kube_config *cfg = config_new();
    cfg->server = strchr(host, ':') ? slu_asprintf("https://[%s]:%s", host, port)
                                    : slu_asprintf("https://%s:%s", host, port);
    cfg->context_name = slu_strdup("in-cluster");
    cfg->token_file = slu_asprintf("%s/token", sa_dir);
    struct slu_buf b = {0};
    int rc = slu_read_file(cfg->token_file, KCFG_MAX_TOKEN, &b, err);
    if (rc < 0) {
        slu_err_prefix(err, "in-cluster config: service account token");
        goto out;
    }
    char *t = slu_buf_steal(&b);
    cfg->token = slu_strdup(slu_str_trim(t));
    free(t);
    char *ca = slu_asprintf("%s/ca.crt", sa_dir);
    rc = read_pem_file(ca, "in-cluster config: ca.crt", &cfg->ca_pem, err);
    free(ca);
    if (rc < 0)
        goto out;
    char *nsf = slu_asprintf("%s/namespace", sa_dir);
    if (slu_read_file(nsf, 4096, &b, NULL) == 0 && b.len > 0) {
        char *n = slu_buf_steal(&b);
        cfg->namespace = slu_strdup(slu_str_trim(n));
        free(n);
    }
    free(nsf);
    if (!cfg->namespace || !*cfg->namespace) {
        free(cfg->namespace);
        cfg->namespace = slu_strdup("default");
    }
out:
    slu_buf_release(&b);
    if (rc < 0) {
        kube_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int kube_config_in_cluster(struct kube_config **out, struct slu_err *err)
{
    return kube__config_in_cluster_dir(SA_DIR, out, err);
}

int kube_config_auto(const char *path, const char *context, struct kube_config **out,
                     struct slu_err *err)
{
    if (path && *path)
        return kube_config_load(path, context, out, err);
    const char *env = getenv("KUBECONFIG");
    if (env && *env)
        return kube_config_load(NULL, context, out, err);
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    if (host && *host && (!context || !*context))
        return kube_config_in_cluster(out, err);
    return kube_config_load(NULL, context, out, err);
}

/* ---------------------------------------------------------------- exec plugins */

void kube__exec_cred_release(struct kube__exec_cred *cred)
{
    if (!cred)
        return;
    free(cred->token);
    free(cred->cert_pem);
    free(cred->key_pem);
    memset(cred, 0, sizeof(*cred));
}

int kube__exec_parse(const char *api_version, const char *json, size_t len,
                     struct kube__exec_cred *cred, struct slu_err *err)
{
    memset(cred, 0, sizeof(*cred));
    json_t *doc = NULL;
    int rc = slu_json_parse(json, len, EXEC_MAX_STDOUT, &doc, err);
    if (rc < 0) {
        slu_err_prefix(err, "exec plugin output is not JSON");
        return rc;
    }
    const char *kind = slu_json_str(doc, "kind");
    const char *av = slu_json_str(doc, "apiVersion");
    json_t *status = json_object_get(doc, "status");
    if (!json_is_object(doc) || !kind || strcmp(kind, "ExecCredential") != 0) {
        rc = slu_err_set(err, SLU_EINVAL, "exec plugin output: kind is not ExecCredential");
        goto out;
    }
    if (api_version && (!av || strcmp(av, api_version) != 0)) {
        rc = slu_err_set(err, SLU_EINVAL,
                         "exec plugin output: apiVersion \"%s\" does not match the requested %s",
                         av ? av : "", api_version);
        goto out;
    }
    if (!json_is_object(status)) {
        rc = slu_err_set(err, SLU_EINVAL, "exec plugin output: no status");
        goto out;
    }
    const char *tok = slu_json_str(status, "token");
    const char *cert = slu_json_str(status, "clientCertificateData");
    const char *key = slu_json_str(status, "clientKeyData");
    const char *exp = slu_json_str(status, "expirationTimestamp");
    if (tok && !*tok)
        tok = NULL;
    if (!tok && !(cert && key)) {
        rc = slu_err_set(err, SLU_EINVAL,
                         "exec plugin output: status has neither a token nor "
                         "clientCertificateData and clientKeyData");
        goto out;
    }
    if (!!cert != !!key) {
        rc = slu_err_set(err, SLU_EINVAL,
                         "exec plugin output: clientCertificateData and "
                         "clientKeyData must come together");
        goto out;
    }
    if (exp && slu_time_parse_rfc3339(exp, &cred->expiry_ns) < 0) {
        rc = slu_err_set(err, SLU_EINVAL,
                         "exec plugin output: expirationTimestamp \"%s\" is not RFC 3339", exp);
        goto out;
    }
    cred->token = slu_strdup(tok);
    cred->cert_pem = slu_strdup(cert);
    cred->key_pem = slu_strdup(key);
out:
    json_decref(doc);
    return rc;
}

/* Reads both pipes until EOF (or timeout); stdout capped (SLU_ETOOBIG), stderr truncated. */
static int drain_pipes(int ofd, int efd, struct slu_buf *out, struct slu_buf *errb)
{
    int64_t deadline = slu_now_mono_ns() + (int64_t)EXEC_TIMEOUT_MS * 1000000;
    bool oopen = true, eopen = true;
    char chunk[4096];
    while (oopen || eopen) {
        struct pollfd p[2] = {{.fd = oopen ? ofd : -1, .events = POLLIN},
                              {.fd = eopen ? efd : -1, .events = POLLIN}};
        int64_t left = (deadline - slu_now_mono_ns()) / 1000000;
        if (left <= 0)
            return SLU_ETIMEDOUT;
        int n = poll(p, 2, (int)SLU_MIN(left, 1000));
        if (n < 0 && errno != EINTR)
            return SLU_EIO;
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t r = read(p[i].fd, chunk, sizeof(chunk));
            if (r < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (r <= 0) {
                if (i == 0)
                    oopen = false;
                else
                    eopen = false;
                continue;
            }
            if (i == 0) {
                if (out->len + (size_t)r > EXEC_MAX_STDOUT)
                    return SLU_ETOOBIG;
                slu_buf_append(out, chunk, (size_t)r);
            } else if (errb->len < EXEC_MAX_STDERR) {
                slu_buf_append(errb, chunk, SLU_MIN((size_t)r, EXEC_MAX_STDERR - errb->len));
            }
        }
    }
    return 0;
}

int kube__exec_run(const struct kube_config *cfg, struct kube__exec_cred *cred, struct slu_err *err)
{
    memset(cred, 0, sizeof(*cred));
    if (!cfg->exec_command)
        return slu_err_set(err, SLU_EINVAL, "no exec plugin configured");
    /* argv and envp are built before spawning (nothing allocates in the child). */
    struct slu_vec argv = {0}, envp = {0};
    slu_vec_push(&argv, cfg->exec_command);
    for (char **a = cfg->exec_args; a && *a; a++)
        slu_vec_push(&argv, *a);
    slu_vec_push(&argv, NULL);
    char *info = slu_asprintf("KUBERNETES_EXEC_INFO={\"apiVersion\":\"%s\",\"kind\":"
                              "\"ExecCredential\",\"spec\":{\"interactive\":false}}",
                              cfg->exec_api_version ? cfg->exec_api_version : "");
    for (char **e = environ; e && *e; e++) {
        bool overridden = slu_str_has_prefix(*e, "KUBERNETES_EXEC_INFO=");
        for (char **x = cfg->exec_env; x && *x && !overridden; x++) {
            size_t k = (size_t)(strchr(*x, '=') - *x);
            overridden = strncmp(*e, *x, k + 1) == 0;
        }
        if (!overridden)
            slu_vec_push(&envp, *e);
    }
    for (char **x = cfg->exec_env; x && *x; x++)
        slu_vec_push(&envp, *x);
    slu_vec_push(&envp, info);
    slu_vec_push(&envp, NULL);

    int op[2] = {-1, -1}, ep[2] = {-1, -1};
    struct slu_buf out = {0}, errb = {0};
    int rc = 0;
    pid_t pid = -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
        rc = slu_err_set(err, SLU_EIO, "exec plugin: pipe: %s", strerror(errno));
        goto out;
    }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, op[1], 1);
    posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
    int e =
        posix_spawnp(&pid, cfg->exec_command, &fa, NULL, (char **)argv.items, (char **)envp.items);
    close(op[1]);
    close(ep[1]);
    op[1] = ep[1] = -1;
    if (e != 0) {
        pid = -1;
        rc = slu_err_set(err, SLU_EIO, "exec plugin \"%s\": %s", cfg->exec_command, strerror(e));
        goto out;
    }
    int drc = drain_pipes(op[0], ep[0], &out, &errb);
    if (drc < 0)
        kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    if (drc == SLU_ETIMEDOUT) {
        rc = slu_err_set(err, SLU_ETIMEDOUT, "exec plugin \"%s\" did not finish within %d s",
                         cfg->exec_command, EXEC_TIMEOUT_MS / 1000);
        goto out;
    }
    if (drc < 0) {
        rc = slu_err_set(err, drc, "exec plugin \"%s\": %s", cfg->exec_command,
                         drc == SLU_ETOOBIG ? "output larger than 1 MiB" : "reading its output");
        goto out;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char *msg = slu_strdup(errb.data ? errb.data : "");
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        rc =
            slu_err_set(err, SLU_EIO, "exec plugin \"%s\" failed with exit status %d%s%s",
                        cfg->exec_command, code, *slu_str_trim(msg) ? ": " : "", slu_str_trim(msg));
        free(msg);
        if (code == 127 && !errb.len)
            slu_err_prefix(err, "command not found?");
        goto out;
    }
    rc = kube__exec_parse(cfg->exec_api_version, out.data ? out.data : "", out.len, cred, err);
    if (rc < 0)
        slu_err_prefix(err, "exec plugin \"%s\"", cfg->exec_command);
out:
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++) {
        if (op[i] >= 0)
            close(op[i]);
        if (ep[i] >= 0)
            close(ep[i]);
    }
    slu_buf_release(&out);
    slu_buf_release(&errb);
    slu_vec_release(&argv, NULL);
    slu_vec_release(&envp, NULL);
    free(info);
    return rc;
}
