/* The CHECK macro of the C test programs: counts a failed condition and
 * prints where it failed, without stopping the program. */
#ifndef EL_TEST_CHECK_H
#define EL_TEST_CHECK_H

#include <stdio.h>

/* Failed checks so far, in this program. */
static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            failures++;                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#endif
