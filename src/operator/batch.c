/*
 * batch.c - spec.batchScheduler integration (op_int.h): the objects and pod settings a batch
 * scheduler needs before the driver pod is created, and their cleanup.
 *
 * Without spec.batchScheduler (or with the default scheduler) nothing is done. The pods'
 * schedulerName already comes from spark_app_to_submission (src/spark/app.c).
 */
#include "operator/op_int.h"

int op__batch_prepare(struct op_controller *ctl, const json_t *app, json_t *objects,
                      struct slu_err *err)
{
    (void)ctl;
    (void)app;
    (void)objects;
    (void)err;
    return 0;
}

int op__batch_cleanup(struct op_controller *ctl, const json_t *app, struct slu_err *err)
{
    (void)ctl;
    (void)app;
    (void)err;
    return 0;
}
