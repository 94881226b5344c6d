/*
 * err.c - struct slu_err: an error code, a message, and the Kubernetes Status details (reason,
 * HTTP code, causes, Retry-After) when the error came from or goes to the API. Messages are
 * bounded (truncated, never overflowing); causes are a small owned array.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

int slu_err_vset(struct slu_err *err, int code, const char *fmt, va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return code;
}

int slu_err_set(struct slu_err *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slu_err_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void slu_err_prefix(struct slu_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    struct slu_buf b = {0};
    slu_buf_printf(&b, "%s: %s", prefix, err->msg);
    slu_strlcpy(err->msg, b.data, sizeof(err->msg));
    slu_buf_release(&b);
}

void slu_err_set_reason(struct slu_err *err, const char *reason)
{
    if (!err)
        return;
    slu_strlcpy(err->reason, reason ? reason : "", sizeof(err->reason));
}

void slu_err_add_cause(struct slu_err *err, const char *reason, const char *field,
                       const char *message)
{
    if (!err)
        return;
    err->causes = slu_realloc(err->causes, (err->ncauses + 1) * sizeof(*err->causes));
    struct slu_err_cause *c = &err->causes[err->ncauses++];
    c->reason = slu_strdup(reason);
    c->field = slu_strdup(field);
    c->message = slu_strdup(message ? message : "");
}

void slu_err_release(struct slu_err *err)
{
    if (!err)
        return;
    for (size_t i = 0; i < err->ncauses; i++) {
        free(err->causes[i].reason);
        free(err->causes[i].field);
        free(err->causes[i].message);
    }
    free(err->causes);
    memset(err, 0, sizeof(*err));
}

void slu_err_move(struct slu_err *dst, struct slu_err *src)
{
    if (!dst) {
        slu_err_release(src);
        return;
    }
    slu_err_release(dst);
    if (!src)
        return;
    *dst = *src;
    memset(src, 0, sizeof(*src));
}

const char *slu_strerror(int code)
{
    switch (code) {
    case SLU_OK:
        return "ok";
    case SLU_EINVAL:
        return "invalid";
    case SLU_ENOMEM:
        return "out of memory";
    case SLU_ENOTFOUND:
        return "not found";
    case SLU_EEXIST:
        return "already exists";
    case SLU_ECONFLICT:
        return "conflict";
    case SLU_EGONE:
        return "gone";
    case SLU_EIO:
        return "I/O error";
    case SLU_ETIMEDOUT:
        return "timed out";
    case SLU_EFORBIDDEN:
        return "forbidden";
    case SLU_EUNAUTH:
        return "unauthorized";
    case SLU_ETOOMANY:
        return "too many requests";
    case SLU_ESERVER:
        return "server error";
    case SLU_ETOOBIG:
        return "too large";
    case SLU_EPARSE:
        return "parse error";
    case SLU_ECANCELED:
        return "canceled";
    case SLU_EUNSUPPORTED:
        return "unsupported";
    case SLU_EBADREQUEST:
        return "bad request";
    case SLU_ESTATE:
        return "invalid state";
    default:
        return "unknown error";
    }
}

int slu_err_code_from_http(int http_status, const char *reason)
{
    if (reason && *reason) {
        static const struct {
            const char *reason;
            int code;
        } map[] = {
            {"NotFound", SLU_ENOTFOUND},
            {"AlreadyExists", SLU_EEXIST},
            {"Conflict", SLU_ECONFLICT},
            {"Invalid", SLU_EINVAL},
            {"BadRequest", SLU_EBADREQUEST},
            {"Gone", SLU_EGONE},
            {"Expired", SLU_EGONE},
            {"TooManyRequests", SLU_ETOOMANY},
            {"InternalError", SLU_ESERVER},
            {"ServiceUnavailable", SLU_ESERVER},
            {"Timeout", SLU_ETIMEDOUT},
            {"ServerTimeout", SLU_ESERVER},
            {"Forbidden", SLU_EFORBIDDEN},
            {"Unauthorized", SLU_EUNAUTH},
            {"MethodNotAllowed", SLU_EUNSUPPORTED},
            {"UnsupportedMediaType", SLU_EUNSUPPORTED},
            {"RequestEntityTooLarge", SLU_ETOOBIG},
        };
        for (size_t i = 0; i < SLU_ARRAY_LEN(map); i++)
            if (strcmp(map[i].reason, reason) == 0)
                return map[i].code;
    }
    switch (http_status) {
    case 400:
        return SLU_EBADREQUEST;
    case 401:
        return SLU_EUNAUTH;
    case 403:
        return SLU_EFORBIDDEN;
    case 404:
        return SLU_ENOTFOUND;
    case 405:
        return SLU_EUNSUPPORTED;
    case 409:
        return SLU_ECONFLICT;
    case 410:
        return SLU_EGONE;
    case 413:
        return SLU_ETOOBIG;
    case 415:
        return SLU_EUNSUPPORTED;
    case 422:
        return SLU_EINVAL;
    case 429:
        return SLU_ETOOMANY;
    case 504:
        return SLU_ETIMEDOUT;
    default:
        return http_status >= 500 ? SLU_ESERVER : SLU_EIO;
    }
}

int slu_err_http_from_code(int code)
{
    switch (code) {
    case SLU_OK:
        return 200;
    case SLU_EINVAL:
        return 422;
    case SLU_ENOTFOUND:
        return 404;
    case SLU_EEXIST:
        return 409;
    case SLU_ECONFLICT:
        return 409;
    case SLU_EGONE:
        return 410;
    case SLU_ETIMEDOUT:
        return 504;
    case SLU_EFORBIDDEN:
        return 403;
    case SLU_EUNAUTH:
        return 401;
    case SLU_ETOOMANY:
        return 429;
    case SLU_ETOOBIG:
        return 413;
    case SLU_EPARSE:
        return 400;
    case SLU_EBADREQUEST:
        return 400;
    case SLU_EUNSUPPORTED:
        return 415;
    default:
        return 500;
    }
}

const char *slu_err_reason_from_code(int code)
{
    switch (code) {
    case SLU_EINVAL:
        return "Invalid";
    case SLU_ENOTFOUND:
        return "NotFound";
    case SLU_EEXIST:
        return "AlreadyExists";
    case SLU_ECONFLICT:
        return "Conflict";
    case SLU_EGONE:
        return "Expired";
    case SLU_ETIMEDOUT:
        return "Timeout";
    case SLU_EFORBIDDEN:
        return "Forbidden";
    case SLU_EUNAUTH:
        return "Unauthorized";
    case SLU_ETOOMANY:
        return "TooManyRequests";
    case SLU_ETOOBIG:
        return "RequestEntityTooLarge";
    case SLU_EPARSE:
    case SLU_EBADREQUEST:
        return "BadRequest";
    case SLU_EUNSUPPORTED:
        return "UnsupportedMediaType";
    default:
        return "InternalError";
    }
}
