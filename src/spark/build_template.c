/*
 * build_template.c - reads a pod template file the way KubernetesUtils.loadPodFromTemplate does
 * (one YAML or JSON document holding a Pod), with a 1 MiB cap. Kept apart from the builder, which
 * never does I/O, so that callers choose when files are read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spark/build_int.h"

int spark_pod_template_load(const char *path, json_t **pod, char **text, struct slu_err *err)
{
    *pod = NULL;
    if (text)
        *text = NULL;
    const char *p = path;
    if (slu_str_has_prefix(p, "file://"))
        p += strlen("file://");
    else if (slu_str_has_prefix(p, "file:"))
        p += strlen("file:");
    else if (strstr(p, "://"))
        return slu_err_set(err, SLU_EUNSUPPORTED,
                           "pod template %s: only local files can be read (no Hadoop "
                           "filesystems)",
                           path);
    struct slu_buf b = {0};
    int rc = slu_read_file(p, 1024 * 1024, &b, err);
    if (rc) {
        slu_err_prefix(err, "pod template %s", path);
        return rc;
    }
    json_t *doc = NULL;
    rc = slu_yaml_load_one(b.data ? b.data : "", b.len, NULL, &doc, err);
    if (rc) {
        slu_err_prefix(err, "pod template %s", path);
        slu_buf_release(&b);
        return rc;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        slu_buf_release(&b);
        return slu_err_set(err, SLU_EINVAL, "pod template %s: not a Pod object", path);
    }
    *pod = doc;
    if (text)
        *text = slu_buf_steal(&b);
    slu_buf_release(&b);
    return 0;
}
