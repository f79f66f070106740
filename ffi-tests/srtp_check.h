/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * For the C tests that use libsrtp: CHECK_SRTP(call, expected status) reports a libsrtp result
 * other than the expected one (as the checks of common.h do) and evaluates to 1 when it matched.
 */
#ifndef MIKEY_FFI_TESTS_SRTP_CHECK_H
#define MIKEY_FFI_TESTS_SRTP_CHECK_H

#include "common.h"
#include "srtp_glue.h"

#define CHECK_SRTP(expr, expected) check_srtp(__FILE__, __LINE__, #expr, (expr), (expected))

static inline int check_srtp(const char *file, int line, const char *expr, srtp_err_status_t actual,
                             srtp_err_status_t expected)
{
    if (actual == expected) {
        return 1;
    }
    check_fail(file, line, expr, "libsrtp returned %s (%d), expected %s", mikey_srtp_status_name(actual), (int)actual,
               mikey_srtp_status_name(expected));
    return 0;
}

#endif /* MIKEY_FFI_TESTS_SRTP_CHECK_H */
