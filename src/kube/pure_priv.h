/*
 * pure_priv.h - private to src/kube (the pure-logic half: quantity.c, selector.c, ratelimit.c,
 * workqueue.c, object.c). Seams between those files, and helpers exposed for unit tests
 * (`kube__name`). Not part of the public contract.
 */
#ifndef SLU_KUBE_PURE_PRIV_H
#define SLU_KUBE_PURE_PRIV_H

#include "kube/kube.h"

/* object.c: every Kubernetes validation message for a label key / value (IsQualifiedName,
 * IsValidLabelValue), appended to out joined by "; ". Returns how many there were (0: valid). */
int kube__label_key_errors(const char *key, struct slu_buf *out);
int kube__label_value_errors(const char *value, struct slu_buf *out);

/* workqueue.c: the per-item exponential backoff, base * 2^failures capped at max (ns). */
int64_t kube__rate_limit_delay_ns(int64_t base_ns, int64_t max_ns, int failures);

#endif
