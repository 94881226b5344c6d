/*
 * json_internal.h - helpers shared between the files of src/json (not part of the public API).
 */
#ifndef SLU_JSON_INTERNAL_H
#define SLU_JSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* True when the n bytes at s, written as an untagged plain YAML scalar, would load back as a
 * string (and not as null, a boolean, a number or infinity/NaN). */
bool slu_yaml_plain_is_string(const char *s, size_t n);

#endif
