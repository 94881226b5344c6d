/*
 * yaml_dump.c - jansson value -> YAML text in kubectl's block style.
 *
 * How it works: a direct recursive walk (depth bounded by the value, itself bounded by the
 * parsers' caps) that writes into a slu_buf. Layout is `kubectl get -o yaml`'s: mappings as
 * `key: value` indented by 2 under their parent key, sequences as `- item` at the SAME column as
 * their key, `{}`/`[]` for empty containers. Each string gets the lightest style that reads back
 * as exactly the same string with slu_yaml_load: plain when it cannot be taken for another type
 * or for YAML syntax, then a literal block (`|`, `|-`, `|+`) for multi-line text, then single
 * quotes, then double quotes with escapes for anything non-printable. The invariant, tested as a
 * property: slu_yaml_load(slu_yaml_dump(v)) equals v for every value.
 */
#include "json/json.h"
#include "json/json_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keys longer than this are written as explicit keys ("? key"), since YAML limits implicit keys
 * to 1024 characters. */
#define MAX_IMPLICIT_KEY 512

/* Decodes one UTF-8 sequence at s[*i] (jansson strings are valid UTF-8); returns the code point
 * and advances *i. An invalid byte gives U+FFFD and advances by one. */
static unsigned utf8_next(const unsigned char *s, size_t n, size_t *i)
{
    unsigned c = s[*i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || *i + len > n) {
        (*i)++;
        return 0xFFFD;
    }
    unsigned cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < len; k++) {
        if ((s[*i + k] & 0xC0) != 0x80) {
            (*i)++;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[*i + k] & 0x3F);
    }
    *i += len;
    return cp;
}

/* Printable in YAML (and not a line break or BOM, which libyaml treats specially). Tab and
 * newline are handled by the callers. */
static bool cp_printable(unsigned cp)
{
    if (cp < 0x20 || cp == 0x7F)
        return false;
    if (cp >= 0x80 && cp <= 0x9F) /* C1 controls, incl. NEL (0x85) */
        return false;
    if (cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)
        return false;
    if (cp >= 0xD800 && cp <= 0xDFFF)
        return false;
    return cp <= 0x10FFFF;
}

/* What a string contains, for choosing its style. */
struct str_info {
    bool unprintable; /* something that needs a double-quoted escape */
    bool has_tab;
    bool has_newline;
    bool space_before_newline; /* " \n" or "\t\n" */
};

static void analyze(const char *s, size_t n, struct str_info *in)
{
    memset(in, 0, sizeof(*in));
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t at = i;
        unsigned cp = utf8_next(u, n, &i);
        if (cp == '\n') {
            in->has_newline = true;
            if (at > 0 && (s[at - 1] == ' ' || s[at - 1] == '\t'))
                in->space_before_newline = true;
        } else if (cp == '\t') {
            in->has_tab = true;
        } else if (!cp_printable(cp) || (cp == 0xFFFD && !(u[at] == 0xEF))) {
            in->unprintable = true;
        }
    }
}

static bool ieq(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* True when s can be written as a plain scalar and read back as the same string. */
static bool plain_ok(const char *s, size_t n, const struct str_info *in)
{
    if (n == 0 || in->unprintable || in->has_tab || in->has_newline)
        return false;
    if (memchr(s, '\r', n))
        return false;
    if (!slu_yaml_plain_is_string(s, n))
        return false;
    /* other YAML versions' booleans/nulls, in any case */
    static const char *const words[] = {"y",     "n",    "yes", "no",   "on",    "off",   "true",
                                        "false", "null", "~",   ".inf", "-.inf", "+.inf", ".nan"};
    for (size_t i = 0; i < SLU_ARRAY_LEN(words); i++)
        if (ieq(s, n, words[i]))
            return false;
    /* number-like text (sexagesimal, dates, exotic number forms other parsers may take) */
    if (is_digit(s[0]) ||
        ((s[0] == '+' || s[0] == '-' || s[0] == '.') && n > 1 && (is_digit(s[1]) || s[1] == '.'))) {
        if (strspn(s, "0123456789abcdefABCDEFxXoO_+-.:") >= n)
            return false;
        if (n >= 5 && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && s[4] == '-')
            return false; /* timestamp-like: 2024-01-02... */
    }
    if (s[0] == ' ' || s[n - 1] == ' ')
        return false;
    if (strchr("?:,[]{}#&*!|>'\"%@`", s[0]) != NULL)
        return false;
    if (s[0] == '-' && (n == 1 || s[1] == ' '))
        return false;
    if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0))
        return false;
    if (s[n - 1] == ':')
        return false;
    if (n == 2 && s[0] == '<' && s[1] == '<')
        return false; /* the merge key */
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] == ':' && s[i + 1] == ' ')
            return false;
        if (s[i] == ' ' && s[i + 1] == '#')
            return false;
    }
    return true;
}

static void put_indent(struct slu_buf *out, unsigned indent)
{
    for (unsigned i = 0; i < indent; i++)
        slu_buf_putc(out, ' ');
}

static void put_single(struct slu_buf *out, const char *s, size_t n)
{
    slu_buf_putc(out, '\'');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\'')
            slu_buf_putc(out, '\'');
        slu_buf_putc(out, s[i]);
    }
    slu_buf_putc(out, '\'');
}

static void put_double(struct slu_buf *out, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    slu_buf_putc(out, '"');
    size_t i = 0;
    while (i < n) {
        size_t at = i;
        unsigned cp = utf8_next(u, n, &i);
        switch (cp) {
        case '"':
            slu_buf_puts(out, "\\\"");
            continue;
        case '\\':
            slu_buf_puts(out, "\\\\");
            continue;
        case 0:
            slu_buf_puts(out, "\\0");
            continue;
        case '\t':
            slu_buf_puts(out, "\\t");
            continue;
        case '\n':
            slu_buf_puts(out, "\\n");
            continue;
        case '\r':
            slu_buf_puts(out, "\\r");
            continue;
        default:
            break;
        }
        if (cp == 0xFFFD && u[at] != 0xEF) { /* an invalid byte: not representable */
            slu_buf_puts(out, "\\uFFFD");
        } else if (cp_printable(cp)) {
            slu_buf_append(out, s + at, i - at);
        } else if (cp <= 0xFF) {
            slu_buf_printf(out, "\\x%02X", cp);
        } else if (cp <= 0xFFFF) {
            slu_buf_printf(out, "\\u%04X", cp);
        } else {
            slu_buf_printf(out, "\\U%08X", cp);
        }
    }
    slu_buf_putc(out, '"');
}

/* A flow (one-line) form of a string: plain, single- or double-quoted. */
static void put_flow_string(struct slu_buf *out, const char *s, size_t n, const struct str_info *in)
{
    if (plain_ok(s, n, in))
        slu_buf_append(out, s, n);
    else if (!in->unprintable && !in->has_newline && !in->has_tab && !memchr(s, '\r', n))
        put_single(out, s, n);
    else
        put_double(out, s, n);
}

/* Literal block style works for multi-line printable text without trailing blanks on a line. */
static bool block_ok(const char *s, size_t n, const struct str_info *in)
{
    if (!in->has_newline || in->unprintable || in->space_before_newline || memchr(s, '\r', n))
        return false;
    if (s[n - 1] == ' ' || s[n - 1] == '\t')
        return false;
    return strspn(s, "\n") < n; /* not only newlines */
}

/* Writes a literal block scalar (header, newline, lines); content_indent = column of the text. */
static void put_block(struct slu_buf *out, const char *s, size_t n, unsigned content_indent)
{
    size_t trailing = 0;
    while (trailing < n && s[n - 1 - trailing] == '\n')
        trailing++;
    size_t first = strspn(s, "\n");
    slu_buf_putc(out, '|');
    if (s[first] == ' ' || s[first] == '\t')
        slu_buf_putc(out, '2'); /* explicit indentation: content starts with a blank */
    if (trailing == 0)
        slu_buf_putc(out, '-');
    else if (trailing > 1)
        slu_buf_putc(out, '+');
    slu_buf_putc(out, '\n');
    size_t body = n - trailing;
    size_t start = 0;
    while (start < body) {
        const char *nl = memchr(s + start, '\n', body - start);
        size_t end = nl ? (size_t)(nl - s) : body;
        if (end > start) {
            put_indent(out, content_indent);
            slu_buf_append(out, s + start, end - start);
        }
        slu_buf_putc(out, '\n');
        start = end + 1;
    }
    for (size_t k = 1; k < trailing; k++)
        slu_buf_putc(out, '\n');
}

/* Formats a real so that it reads back as the same double, and as a real. */
static void put_real(struct slu_buf *out, double d)
{
    char tmp[64];
    if (!isfinite(d)) { /* jansson never holds these; be safe */
        slu_buf_puts(out, isnan(d) ? ".nan" : d > 0 ? ".inf" : "-.inf");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    slu_buf_puts(out, tmp);
    if (strpbrk(tmp, ".eE") == NULL)
        slu_buf_puts(out, ".0");
}

/* Writes a scalar (or an empty container) and the end of line. indent = column of the key or
 * dash that owns it (block scalar text goes 2 further). */
static void put_scalar_line(struct slu_buf *out, const json_t *v, unsigned indent)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        struct str_info in;
        analyze(s, n, &in);
        if (block_ok(s, n, &in)) {
            put_block(out, s, n, indent + 2);
            return;
        }
        put_flow_string(out, s, n, &in);
        break;
    }
    case JSON_INTEGER:
        slu_buf_printf(out, "%lld", (long long)json_integer_value(v));
        break;
    case JSON_REAL:
        put_real(out, json_real_value(v));
        break;
    case JSON_TRUE:
        slu_buf_puts(out, "true");
        break;
    case JSON_FALSE:
        slu_buf_puts(out, "false");
        break;
    case JSON_NULL:
        slu_buf_puts(out, "null");
        break;
    case JSON_OBJECT:
        slu_buf_puts(out, "{}");
        break;
    case JSON_ARRAY:
        slu_buf_puts(out, "[]");
        break;
    }
    slu_buf_putc(out, '\n');
}

static bool is_block_container(const json_t *v)
{
    return (json_is_object(v) && json_object_size(v) > 0) ||
           (json_is_array(v) && json_array_size(v) > 0);
}

static void put_map(struct slu_buf *out, const json_t *m, unsigned indent, bool inline_first);
static void put_seq(struct slu_buf *out, const json_t *a, unsigned indent, bool inline_first);

/* Writes what follows "key:" (or "? key\n:") for a key at column indent. */
static void put_after_key(struct slu_buf *out, const json_t *v, unsigned indent)
{
    if (json_is_object(v) && json_object_size(v) > 0) {
        slu_buf_putc(out, '\n');
        put_map(out, v, indent + 2, false);
    } else if (json_is_array(v) && json_array_size(v) > 0) {
        slu_buf_putc(out, '\n');
        put_seq(out, v, indent, false);
    } else {
        slu_buf_putc(out, ' ');
        put_scalar_line(out, v, indent);
    }
}

static void put_map(struct slu_buf *out, const json_t *m, unsigned indent, bool inline_first)
{
    const char *k;
    size_t klen;
    json_t *v;
    bool first = true;
    json_object_keylen_foreach((json_t *)m, k, klen, v)
    {
        if (!(first && inline_first))
            put_indent(out, indent);
        first = false;
        struct str_info in;
        analyze(k, klen, &in);
        size_t mark = out->len;
        put_flow_string(out, k, klen, &in);
        if (out->len - mark > MAX_IMPLICIT_KEY) {
            /* explicit key: "? key" then ":" on its own line */
            struct slu_buf tmp = {0};
            slu_buf_append(&tmp, out->data + mark, out->len - mark);
            out->len = mark;
            slu_buf_puts(out, "? ");
            slu_buf_append(out, tmp.data, tmp.len);
            slu_buf_putc(out, '\n');
            put_indent(out, indent);
            slu_buf_release(&tmp);
        }
        slu_buf_putc(out, ':');
        put_after_key(out, v, indent);
    }
}

static void put_seq(struct slu_buf *out, const json_t *a, unsigned indent, bool inline_first)
{
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!(i == 0 && inline_first))
            put_indent(out, indent);
        slu_buf_puts(out, "- ");
        if (json_is_object(v) && is_block_container(v))
            put_map(out, v, indent + 2, true);
        else if (is_block_container(v))
            put_seq(out, v, indent + 2, true);
        else
            put_scalar_line(out, v, indent);
    }
}

void slu_yaml_dump(const json_t *v, struct slu_buf *out)
{
    if (v == NULL) {
        slu_buf_puts(out, "null\n");
        return;
    }
    if (json_is_object(v) && json_object_size(v) > 0)
        put_map(out, v, 0, false);
    else if (json_is_array(v) && json_array_size(v) > 0)
        put_seq(out, v, 0, false);
    else
        put_scalar_line(out, v, 0);
}
