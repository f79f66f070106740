/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * Which libmikey did the build link: the shared library (libmikey.so.0) or the static one
 * (mikey_* inside the executable)? Built by the ffi-tests project and by the config-package
 * consumer; MIKEY_EXPECT_STATIC (0 or 1) says what the build asked for.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <mikey.h>

#ifndef MIKEY_EXPECT_STATIC
#error "define MIKEY_EXPECT_STATIC to 0 or 1"
#endif

int main(void)
{
    const char *(*function)(void) = mikey_version;
    void *address;
    Dl_info info;
    char expected[64];
    int in_shared_library;
    mikey_config *config = NULL;
    int failed = 0;

    memcpy(&address, &function, sizeof address); /* ISO C has no function-to-object cast */
    if (dladdr(address, &info) == 0 || info.dli_fname == NULL) {
        fprintf(stderr, "linkage: dladdr(mikey_version) failed\n");
        return 1;
    }
    in_shared_library = strstr(info.dli_fname, "libmikey.so") != NULL;
    printf("linkage: mikey_version is in \"%s\" (%s)\n", info.dli_fname, in_shared_library ? "shared" : "static");
    if (in_shared_library == MIKEY_EXPECT_STATIC) {
        fprintf(stderr, "linkage: expected the %s library\n", MIKEY_EXPECT_STATIC ? "static" : "shared");
        failed = 1;
    }
    snprintf(expected, sizeof expected, "%d.%d.%d", MIKEY_VERSION_MAJOR, MIKEY_VERSION_MINOR, MIKEY_VERSION_PATCH);
    if (strcmp(mikey_version(), expected) != 0) {
        fprintf(stderr, "linkage: library version %s, header %s\n", mikey_version(), expected);
        failed = 1;
    }
    if (mikey_config_new(MIKEY_METHOD_NULL, &config) != MIKEY_OK || config == NULL) {
        fprintf(stderr, "linkage: mikey_config_new failed\n");
        failed = 1;
    }
    mikey_config_free(config);
    printf("linkage: %s\n", failed ? "FAIL" : "PASS");
    return failed;
}
