/* The CHECK macros of the C test programs: each counts a check and, when it
 * fails, a failure, printing where; none stops the program. */
#ifndef EL_TEST_CHECK_H
#define EL_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <engagelab_push.h>

/* Checks made and checks failed so far, in this program. */
static int checks, failures;

#define CHECK(cond)                                                              \
    do {                                                                         \
        checks++;                                                                \
        if (!(cond)) {                                                           \
            failures++;                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                        \
    } while (0)

#define CHECK_STATUS(got, want)                                                   \
    do {                                                                          \
        uint32_t got_ = (got);                                                    \
        checks++;                                                                 \
        if (got_ != (uint32_t)(want)) {                                           \
            failures++;                                                           \
            fprintf(stderr, "%s:%d: %s gave %s, expected %s\n", __FILE__, __LINE__, \
                    #got, el_status_name(got_), el_status_name(want));            \
        }                                                                         \
    } while (0)

#define CHECK_CONTAINS(text, part)                                                   \
    do {                                                                             \
        checks++;                                                                    \
        if (strstr((text), (part)) == NULL) {                                        \
            failures++;                                                              \
            fprintf(stderr, "%s:%d: \"%s\" lacks \"%s\"\n", __FILE__, __LINE__, (text), \
                    (part));                                                         \
        }                                                                            \
    } while (0)

#endif
