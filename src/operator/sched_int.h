/* sched_int.h - private to src/operator (owner: engineer "scheduled"): the pieces of cron.c and
 * scheduled.c exposed for their unit tests only. */
#ifndef SLU_SCHED_INT_H
#define SLU_SCHED_INT_H

#include "operator/operator.h"

/* Parses a TZif file image (data, n bytes; borrowed) into a zone named name. *out returned owned
 * (free with op__tz_free); such zones are not cached. */
int op__tz_parse(const char *name, const void *data, size_t n, struct op_tz **out,
                 struct slu_err *err);
void op__tz_free(struct op_tz *z);

/* What one reconcile of a ScheduledSparkApplication decides, computed without I/O from the
 * parent object, its children and the time. */
struct op__sched_plan {
    json_t *status;       /* the new status (owned), or NULL when it does not change */
    json_t *child;        /* the SparkApplication to create (owned), or NULL */
    char *run_name;       /* name of the due run's child (owned) when a run was due, else NULL */
    struct slu_vec kill;  /* char * (owned): unfinished children to delete first (Replace) */
    struct slu_vec prune; /* char * (owned): finished children beyond the history limits */
    int64_t wake;         /* unix seconds at which to reconcile again, 0: only on events */
    bool due;             /* a run time was reached: the children must be read live */
    bool skipped;         /* the due run was skipped (Forbid and the newest child runs) */
    bool invalid;         /* the spec failed validation (status says why) */
};

/* parent: the ScheduledSparkApplication (borrowed); children: array of SparkApplications
 * (borrowed; those not labelled for parent, owned by another controller, or being deleted are
 * ignored); now: unix seconds. Fills *p (release with op__sched_plan_release). */
void op__sched_plan(const json_t *parent, const json_t *children, int64_t now,
                    struct op__sched_plan *p);
void op__sched_plan_release(struct op__sched_plan *p);

#endif
