/*
 * json.h - the public contract of src/json: helpers over jansson (path get/set, canonical dump and
 * compare, bounded parsing), JSON merge patch (RFC 7386) and JSON patch (RFC 6902), and a YAML
 * loader on libyaml that produces json_t (multi-document, with caps on size, depth, aliases and
 * nodes) plus a YAML emitter in kubectl's block style.
 *
 * Paths are dotted: "metadata.name", "spec.containers[0].image"; a key holding a dot is written
 * with a backslash ("metadata.labels.app\.kubernetes\.io/name").
 */
#ifndef SLU_JSON_H
#define SLU_JSON_H

#include <jansson.h>

#include "base/base.h"

/* ---------------------------------------------------------------- path access */

/* Returns the value at path (borrowed), or NULL when any step is absent or of the wrong type. */
json_t *slu_json_path(const json_t *root, const char *path);
/* String at path (borrowed), or NULL when absent or not a string. */
const char *slu_json_str(const json_t *root, const char *path);
/* Integer at path; dflt when absent or not an integer (a real with an integral value counts). */
int64_t slu_json_int(const json_t *root, const char *path, int64_t dflt);
double slu_json_num(const json_t *root, const char *path, double dflt);
bool slu_json_bool(const json_t *root, const char *path, bool dflt);
/* Sets value (taken, even on failure) at path, creating intermediate objects (an array when the
 * next step is "[0]"). Array indices must exist (or be == size to append). SLU_EINVAL when an
 * intermediate is not an object/array, an index is out of range or the path is malformed; on
 * failure root is unchanged. */
int slu_json_set(json_t *root, const char *path, json_t *value);
int slu_json_set_str(json_t *root, const char *path, const char *s); /* s copied */
int slu_json_set_int(json_t *root, const char *path, int64_t v);
/* Deletes the key/element at path; 0 when deleted, SLU_ENOTFOUND when absent. */
int slu_json_del(json_t *root, const char *path);

/* ---------------------------------------------------------------- parse, dump, compare */

/* Parses one JSON value (any type) from buf, refusing input over max_bytes (0: 64 MiB) with
 * SLU_ETOOBIG. On error err->msg names line and column. *out returned owned. */
int slu_json_parse(const char *buf, size_t len, size_t max_bytes, json_t **out,
                   struct slu_err *err);
/* Compact JSON with sorted keys (canonical); returned owned (free with free()). NULL -> "null". */
char *slu_json_dumps_canonical(const json_t *v);
/* Appends s[0..n) to b as a JSON string literal: quotes added, '"', '\\' and control
 * characters escaped, other bytes (UTF-8) as they are. For writers that print JSON text without
 * building a json_t. */
void slu_json_put_string(struct slu_buf *b, const char *s, size_t n);
/* Compact JSON in insertion order; returned owned (free with free()). */
char *slu_json_dumps(const json_t *v);
/* Semantic equality: object key order ignored, 1 == 1.0. */
bool slu_json_equal(const json_t *a, const json_t *b);
/* Deep copy (jansson's json_deep_copy, but aborts on OOM); returned owned. */
json_t *slu_json_copy(const json_t *v);

/* ---------------------------------------------------------------- patches */

/* RFC 7386: applies patch to *target in place (*target may be replaced, e.g. when patch is not an
 * object). *target owned by caller before and after. */
void slu_json_merge_patch(json_t **target, const json_t *patch);
/* RFC 7386 diff: the merge patch that turns from into to; returned owned. */
json_t *slu_json_merge_diff(const json_t *from, const json_t *to);
/* RFC 6902: applies ops (an array) to *doc in place; on any failure *doc is unchanged and err
 * names the failing operation index and path (a failed "test" gives SLU_ECONFLICT). */
int slu_json_patch(json_t **doc, const json_t *ops, struct slu_err *err);

/* ---------------------------------------------------------------- YAML */

struct slu_yaml_limits {
    size_t max_bytes;     /* input size, default 16 MiB */
    unsigned max_depth;   /* nesting depth, default 256 */
    unsigned max_aliases; /* alias expansions, default 10,000 (billion-laughs guard) */
    size_t max_nodes;     /* total nodes produced incl. alias expansion, default 5,000,000 */
    size_t max_documents; /* default 10,000 */
};

/* Loads a YAML stream (JSON is YAML too) into a JSON array of its documents (returned owned);
 * empty documents ("---" alone, or only comments) are skipped. Scalars resolve as Kubernetes'
 * sigs.k8s.io/yaml (go-yaml v2) does: plain true/false, yes/no, on/off, y/n (each as lower,
 * Title or UPPER case) booleans, null/Null/NULL/~/empty null, integers (decimal, 0x hex, 0o or
 * leading-0 octal, 0b binary, `_` ignored), floats, everything else and every quoted or block
 * scalar a string; timestamps stay strings; .inf/.nan are an error (JSON has no such numbers);
 * integers beyond int64 become reals, or strings when not even a double holds them. Tags !!str,
 * !!int, !!float, !!bool, !!null are honoured; other tags give the text as a string. Non-string
 * mapping keys become their string form ("1", "true"); merge keys (<<) are supported. Duplicate
 * keys are an error. lim may be NULL, and 0 fields take the defaults; besides them, alias copies
 * may not exceed 100 times the nodes written out (floor 100,000), so alias bombs fail fast. All
 * caps give SLU_ETOOBIG, syntax errors SLU_EPARSE; messages name line and column ("line 3,
 * column 5: mapping values are not allowed in this context"). */
int slu_yaml_load(const char *buf, size_t len, const struct slu_yaml_limits *lim, json_t **docs,
                  struct slu_err *err);
/* Loads exactly one document; SLU_EINVAL when the stream holds zero or several. */
int slu_yaml_load_one(const char *buf, size_t len, const struct slu_yaml_limits *lim, json_t **doc,
                      struct slu_err *err);
/* Loads documents from a file ("-" for stdin), refusing more than lim->max_bytes; errors are
 * prefixed with the file name. */
int slu_yaml_load_file(const char *path, const struct slu_yaml_limits *lim, json_t **docs,
                       struct slu_err *err);
/* Emits v as YAML in block style (as `kubectl get -o yaml`: 2-space indent, lists not indented
 * under their key, strings quoted only when they would otherwise read back as another type or
 * contain special characters, multi-line strings as |- blocks). Appends to out. Keys keep their
 * insertion order. slu_yaml_load of the output gives back v exactly. */
void slu_yaml_dump(const json_t *v, struct slu_buf *out);

/* ---------------------------------------------------------------- scan.c: scanning JSON text */

/* Fast access to a few fields of JSON text without building the whole jansson tree (watch events
 * and API responses of which only some fields are wanted). Paths are dotted object keys
 * ("metadata.resourceVersion"); unlike slu_json_path there is no escaping and no [index]: a key
 * that contains '.' cannot be addressed. Keys are compared after unescaping ("\u0061" matches
 * "a"). No hidden size limit: the caller's len is the input. Nesting deeper than 512
 * objects/arrays is malformed (SLU_EINVAL). */

/* "Does not fit": the output buffer is too small, or an integer overflows int64. The base error
 * enum has no such code; it is the size-cap code. */
#define SLU_ERANGE SLU_ETOOBIG

/* Finds the value at path in buf[0..len) without allocating: *val and *vlen get its raw text (a
 * string includes its quotes; *val points into buf). path "" (or NULL) means the whole document,
 * which is then validated to the end (trailing garbage is SLU_EINVAL). Otherwise scanning stops
 * right after the value is found: the text after it is not validated (but the value must be
 * followed by ',' or '}', so a truncated document does not yield a cut number). Duplicate keys:
 * the first wins. Returns 0; SLU_ENOTFOUND when a key on the path is absent or a non-object is
 * met on the path; SLU_EINVAL when the text read is not well-formed JSON (unterminated string,
 * bad escape, invalid UTF-8 or lone surrogate, bad number or literal, bad nesting, too deep). */
int slu_json_span(const char *buf, size_t len, const char *path, const char **val, size_t *vlen);
/* The string at path, unescaped (all JSON escapes, surrogate pairs to UTF-8) into out and
 * NUL-terminated. 0; SLU_ENOTFOUND; SLU_EINVAL (malformed as slu_json_span, the value is not a
 * string, or it holds \u0000); SLU_ERANGE when it does not fit in cap bytes with its NUL (out is
 * then ""). */
int slu_json_scan_str(const char *buf, size_t len, const char *path, char *out, size_t cap);
/* The integer at path (no fraction or exponent: 1.0 and 1e2 are SLU_EINVAL, as are non-numbers).
 * 0; SLU_ENOTFOUND; SLU_EINVAL; SLU_ERANGE when it does not fit int64 (*out unchanged on error). */
int slu_json_scan_i64(const char *buf, size_t len, const char *path, int64_t *out);

/* Parses buf[0..len) but builds jansson values only for the subtrees selected by paths[0..npaths)
 * (dotted components; "*" matches any key of an object and every element of an array; "" selects
 * the whole document; other components never match array elements). A value whose path equals a
 * selector is kept whole. Containers on the way are created when something inside them is kept
 * (arrays keep the order of their kept elements and drop the others); the root is always
 * returned: an empty object/array when nothing in an object/array document is selected, JSON null
 * for an unselected scalar document. The result equals (slu_json_equal) a full jansson parse
 * followed by extraction of the same paths, and the input is validated exactly as strictly as
 * json_loadb (JSON_DECODE_ANY) does: whole document, no trailing garbage, valid UTF-8, no lone
 * surrogates, no \u0000, integers within json_int_t; duplicate keys: the last wins. Differences:
 * nesting deeper than 512 is rejected (jansson allows 2048). Example: {"type", "object.metadata"}
 * on a watch event line. *out returned owned. Errors: SLU_EINVAL (malformed; err->msg "at byte
 * 123: unterminated string"), SLU_ERANGE (an integer too big for json_int_t or a real overflow,
 * "at byte 45: integer too big"). */
int slu_json_parse_select(const char *buf, size_t len, const char *const *paths, size_t npaths,
                          json_t **out, struct slu_err *err);

#endif
