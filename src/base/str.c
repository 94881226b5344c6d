/*
 * str.c - allocation that aborts on out-of-memory (for small objects), growable buffers, string
 * helpers, whole-number parsing that rejects trailing garbage, base64, and whole-file I/O with a
 * size cap.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/base.h"

static void oom(size_t n)
{
    fprintf(stderr, "sluice: out of memory allocating %zu bytes\n", n);
    abort();
}

void *slu_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *slu_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *slu_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *slu_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s);
    char *d = slu_malloc(n + 1);
    memcpy(d, s, n + 1);
    return d;
}

char *slu_strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *d = slu_malloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *slu_vasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *s = slu_malloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *slu_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = slu_vasprintf(fmt, ap);
    va_end(ap);
    return s;
}

/* ---------------------------------------------------------------- buffers */

void slu_buf_init(struct slu_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void slu_buf_release(struct slu_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void slu_buf_reset(struct slu_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void slu_buf_reserve(struct slu_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256; /* fewer realloc steps for the usual texts */
        while (cap < need)
            cap *= 2;
        b->data = slu_realloc(b->data, cap);
        b->cap = cap;
    }
    b->data[b->len] = '\0'; /* a reserved buffer is always a valid string */
}

void slu_buf_append(struct slu_buf *b, const void *data, size_t n)
{
    slu_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void slu_buf_puts(struct slu_buf *b, const char *s)
{
    slu_buf_append(b, s, strlen(s));
}

void slu_buf_putc(struct slu_buf *b, char c)
{
    slu_buf_append(b, &c, 1);
}

void slu_buf_vprintf(struct slu_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0) {
        slu_buf_reserve(b, 0);
        return;
    }
    slu_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void slu_buf_printf(struct slu_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    slu_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *slu_buf_steal(struct slu_buf *b)
{
    if (!b->data)
        return slu_strdup("");
    char *d = b->data;
    memset(b, 0, sizeof(*b));
    return d;
}

int slu_read_file(const char *path, size_t max_bytes, struct slu_buf *out, struct slu_err *err)
{
    int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return slu_err_set(err, errno == ENOENT ? SLU_ENOTFOUND : SLU_EIO, "%s: %s", path,
                           strerror(errno));
    int rc = 0;
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = slu_err_set(err, SLU_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > max_bytes) {
            rc = slu_err_set(err, SLU_ETOOBIG, "%s: larger than the limit of %zu bytes", path,
                             max_bytes);
            break;
        }
        slu_buf_append(out, chunk, (size_t)n);
    }
    close(fd);
    if (rc == 0)
        slu_buf_reserve(out, 0);
    return rc;
}

int slu_write_file(const char *path, const void *data, size_t n, int mode, struct slu_err *err)
{
    char *tmp = slu_asprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        int rc = slu_err_set(err, SLU_EIO, "%s: %s", path, strerror(errno));
        free(tmp);
        return rc;
    }
    const char *p = data;
    size_t left = n;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int rc = slu_err_set(err, SLU_EIO, "%s: %s", path, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return rc;
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int rc = slu_err_set(err, SLU_EIO, "%s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    return 0;
}

/* ---------------------------------------------------------------- strings */

bool slu_str_has_prefix(const char *s, const char *prefix)
{
    return s && prefix && strncmp(s, prefix, strlen(prefix)) == 0;
}

bool slu_str_has_suffix(const char *s, const char *suffix)
{
    if (!s || !suffix)
        return false;
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

bool slu_streq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

int slu_parse_i64(const char *s, int64_t *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return SLU_EINVAL;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return SLU_EINVAL;
    *out = v;
    return 0;
}

int slu_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || !isdigit((unsigned char)*s))
        return SLU_EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return SLU_EINVAL;
    *out = v;
    return 0;
}

int slu_parse_double(const char *s, double *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return SLU_EINVAL;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end)
        return SLU_EINVAL;
    *out = v;
    return 0;
}

size_t slu_strlcpy(char *dst, const char *src, size_t dstsize)
{
    size_t n = strlen(src);
    if (dstsize) {
        size_t c = n < dstsize - 1 ? n : dstsize - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

char *slu_str_trim(char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

char **slu_str_split(const char *s, char sep, bool trim, size_t *count)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        if (*p == sep)
            n++;
    char **v = slu_calloc(n + 1, sizeof(char *));
    size_t i = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == sep || *p == '\0') {
            char *f = slu_strndup(start, (size_t)(p - start));
            if (trim) {
                char *t = slu_str_trim(f);
                if (t != f)
                    memmove(f, t, strlen(t) + 1);
            }
            v[i++] = f;
            if (*p == '\0')
                break;
            start = p + 1;
        }
    }
    if (count)
        *count = i;
    return v;
}

void slu_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

void slu_str_lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *slu_base64_encode(const void *data, size_t n)
{
    const unsigned char *p = data;
    char *out = slu_malloc(4 * ((n + 2) / 3) + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

unsigned char *slu_base64_decode(const char *s, size_t *out_len)
{
    size_t n = strlen(s);
    unsigned char *out = slu_malloc(n / 4 * 3 + 4);
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        if (pad) { /* data after padding */
            free(out);
            return NULL;
        }
        int v = b64val(c);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    if (pad > 2 || bits >= 6) {
        free(out);
        return NULL;
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return out;
}
