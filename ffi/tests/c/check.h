/* Tiny assertion helpers shared by the C tests (no framework: C99 and libc only). */
#ifndef MCX_TEST_CHECK_H
#define MCX_TEST_CHECK_H

#include <stdio.h>
#include <string.h>
#include <valgrind/memcheck.h>

#include "mcx_migrate.h"

static int checks_passed;
static int checks_failed;

/* Records one check; prints the failing expression with its line. */
#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) {                                                                    \
            checks_passed++;                                                           \
        } else {                                                                       \
            checks_failed++;                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

/* Checks that `call` returns exactly status `want`. */
#define CHECK_RC(want, call)                                                           \
    do {                                                                               \
        mcx_status rc_ = (call);                                                       \
        if (rc_ == (want)) {                                                           \
            checks_passed++;                                                           \
        } else {                                                                       \
            checks_failed++;                                                           \
            fprintf(stderr, "%s:%d: %s returned %d (%s), want %d (%s)\n", __FILE__,    \
                    __LINE__, #call, (int)rc_, mcx_status_str(rc_), (int)(want),       \
                    mcx_status_str(want));                                             \
        }                                                                              \
    } while (0)

/* Checks that `call` returns `want` and leaves the bytes of object `obj` exactly as before.
 * Some tests hand a refused call storage they never initialised, on purpose: tell valgrind
 * the bytes are defined so the byte comparison itself is not an error (a no-op outside
 * valgrind). Objects the library wrote need no such help: test_api.c compares them under
 * valgrind as they are. */
#define CHECK_RC_UNCHANGED(want, obj, call)                                            \
    do {                                                                               \
        static unsigned char before_[sizeof(obj)];                                     \
        (void)VALGRIND_MAKE_MEM_DEFINED(&(obj), sizeof(obj));                          \
        memcpy(before_, &(obj), sizeof(obj));                                          \
        CHECK_RC(want, call);                                                          \
        CHECK(memcmp(before_, &(obj), sizeof(obj)) == 0);                              \
    } while (0)

/* Prints the closing line and returns the exit code. */
static int check_report(const char *name) {
    printf("%s: %d passed, %d failed\n", name, checks_passed, checks_failed);
    return checks_failed == 0 && checks_passed > 0 ? 0 : 1;
}

#endif
