/*
 * metrics.c - the controller's Prometheus metrics: the reference's spark_application_* and
 * spark_executor_* names (spec §4.1; summaries are exposed as _sum/_count, the two latency
 * histograms with the reference's buckets), plus work-queue depth and reconcile counts/latency.
 * Counters are kept under one mutex (increments are rare next to the API calls they follow); the
 * text is produced on each scrape. No labels: one operator, one set of series.
 */
#include <string.h>

#include "operator/op_int.h"

static void hist_init(struct op_hist *h, const double *b, size_t n)
{
    memset(h, 0, sizeof *h);
    h->nb = SLU_MIN(n, (size_t)OP_HIST_MAX);
    memcpy(h->bounds, b, h->nb * sizeof(double));
}

void op__metrics_init(struct op_metrics *m)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    static const double sub[] = {0.5, 1, 2, 4, 8, 16, 32, 64, 128, 256};
    static const double start[] = {30, 60, 90, 120, 150, 180, 210, 240, 270, 300};
    static const double rec[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    5};
    hist_init(&m->submit_latency, sub, SLU_ARRAY_LEN(sub));
    hist_init(&m->start_latency, start, SLU_ARRAY_LEN(start));
    hist_init(&m->reconcile_seconds, rec, SLU_ARRAY_LEN(rec));
}

void op__metrics_release(struct op_metrics *m)
{
    pthread_mutex_destroy(&m->mu);
}

void op__hist_observe(struct op_hist *h, double v)
{
    h->count++;
    h->sum += v;
    for (size_t i = 0; i < h->nb; i++)
        if (v <= h->bounds[i]) {
            h->counts[i]++;
            break;
        }
}

static void counter(struct slu_buf *o, const char *name, const char *help, uint64_t v)
{
    slu_buf_printf(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
                   (unsigned long long)v);
}

static void gauge(struct slu_buf *o, const char *name, const char *help, double v)
{
    slu_buf_printf(o, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
}

static void summary(struct slu_buf *o, const char *name, const char *help, double sum, uint64_t n)
{
    slu_buf_printf(o, "# HELP %s %s\n# TYPE %s summary\n%s_sum %.17g\n%s_count %llu\n", name, help,
                   name, name, sum, name, (unsigned long long)n);
}

static void histogram(struct slu_buf *o, const char *name, const char *help,
                      const struct op_hist *h)
{
    slu_buf_printf(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cum = 0;
    for (size_t i = 0; i < h->nb; i++) {
        cum += h->counts[i];
        slu_buf_printf(o, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i],
                       (unsigned long long)cum);
    }
    slu_buf_printf(o, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.17g\n%s_count %llu\n", name,
                   (unsigned long long)h->count, name, h->sum, name, (unsigned long long)h->count);
}

void op_controller_metrics(struct op_controller *ctl, struct slu_buf *o)
{
    struct op_metrics *m = &ctl->m;
    size_t depth = kube_workqueue_len(ctl->q);
    pthread_mutex_lock(&m->mu);
    struct op_metrics s = *m; /* snapshot (the mutex copy is not used) */
    pthread_mutex_unlock(&m->mu);
    counter(o, "spark_application_count", "Total number of SparkApplications observed",
            s.app_count);
    counter(o, "spark_application_submit_count", "SparkApplications submitted", s.submit_count);
    counter(o, "spark_application_failed_submission_count",
            "SparkApplications that failed to submit", s.failed_submission_count);
    gauge(o, "spark_application_running_count", "SparkApplications running",
          (double)s.running_apps);
    counter(o, "spark_application_success_count", "SparkApplications completed", s.success_count);
    counter(o, "spark_application_failure_count", "SparkApplications failed", s.failure_count);
    summary(o, "spark_application_success_execution_time_seconds",
            "Run time of successful SparkApplications", s.success_time_sum, s.success_time_n);
    summary(o, "spark_application_failure_execution_time_seconds",
            "Run time of failed SparkApplications", s.failure_time_sum, s.failure_time_n);
    summary(o, "spark_application_submit_latency_seconds",
            "Creation to first submission of SparkApplications", s.submit_latency.sum,
            s.submit_latency.count);
    histogram(o, "spark_application_submit_latency_seconds_histogram",
              "Creation to first submission of SparkApplications", &s.submit_latency);
    summary(o, "spark_application_start_latency_seconds",
            "Creation to running of SparkApplications", s.start_latency.sum, s.start_latency.count);
    histogram(o, "spark_application_start_latency_seconds_histogram",
              "Creation to running of SparkApplications", &s.start_latency);
    gauge(o, "spark_executor_running_count", "Spark executors running",
          (double)s.running_executors);
    counter(o, "spark_executor_success_count", "Spark executors completed", s.executor_success);
    counter(o, "spark_executor_failure_count", "Spark executors failed", s.executor_failure);
    gauge(o, "workqueue_depth", "Keys waiting in the SparkApplication work queue", (double)depth);
    counter(o, "sluice_operator_reconcile_total", "Reconciles run", s.reconcile_total);
    counter(o, "sluice_operator_api_requests_total",
            "Kubernetes API requests made by reconciles and the event recorder (watches and lists "
            "of the informers excluded)",
            (uint64_t)atomic_load(&ctl->api_calls));
    counter(o, "sluice_operator_status_writes_total", "SparkApplication status updates sent",
            (uint64_t)atomic_load(&ctl->status_writes));
    counter(o, "sluice_operator_reconcile_errors_total", "Reconciles that returned an error",
            s.reconcile_errors);
    histogram(o, "sluice_operator_reconcile_duration_seconds", "Time spent in one reconcile",
              &s.reconcile_seconds);
    counter(o, "sluice_operator_status_conflicts_total", "Status writes that hit a conflict",
            s.status_conflicts);
    counter(o, "sluice_operator_driver_pods_created_total", "Driver pods created",
            s.submissions_created);
    counter(o, "sluice_operator_events_dropped_total", "Events dropped (recorder queue full)",
            s.events_dropped);
    uint64_t relists = 0;
    for (size_t i = 0; i < ctl->nnsw; i++) {
        if (ctl->nsw[i].apps)
            relists += kube_informer_relists(ctl->nsw[i].apps);
        if (ctl->nsw[i].pods)
            relists += kube_informer_relists(ctl->nsw[i].pods);
    }
    counter(o, "sluice_operator_informer_relists_total",
            "Lists the SparkApplication and pod informers made after their first (a watch that "
            "fell behind the server's window, or could not resume)",
            relists);
    counter(o, "sluice_operator_own_writes_skipped_total",
            "SparkApplication watch events that were the echo of this operator's own status "
            "write (not reconciled again)",
            s.echoes_skipped);
}
