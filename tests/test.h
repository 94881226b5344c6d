/* test.h - what every cmocka test includes. */
#ifndef SLU_TEST_H
#define SLU_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Path of the source tree and of ../shared (set by CTest), with fallbacks for running by hand. */
static inline const char *slu_test_source_dir(void)
{
    const char *s = getenv("SLU_SOURCE_DIR");
    return s ? s : ".";
}
static inline const char *slu_test_shared_dir(void)
{
    const char *s = getenv("SLU_SHARED_DIR");
    return s ? s : "../shared";
}

#endif
