/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * The MCPTT identity and key-ID helpers (TS 33.180) through the C API, against published
 * values: the UID of TS 33.180's own example (F.2.1) and a GUK-ID of an Etherstack interop run
 * (F.1.3, from Streamwide's tests; tests/vectors/mcptt_uid_guk_srtp_vectors.json has both).
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

static int hex_equal(const uint8_t *bytes, size_t len, const char *hex)
{
    size_t i;
    unsigned value;
    for (i = 0; i < len; i++) {
        if (sscanf(hex + 2 * i, "%2x", &value) != 1 || bytes[i] != (uint8_t)value) {
            return 0;
        }
    }
    return hex[2 * len] == '\0';
}

int main(void)
{
    uint8_t uid[MIKEY_MCPTT_UID_LEN];
    static const uint8_t gmk[16] = {0xFC, 0xFE, 0x65, 0xCD, 0x96, 0x7C, 0x58, 0xD2,
                                    0x60, 0xB6, 0x03, 0xCC, 0xB9, 0xA8, 0x87, 0xA9};
    const char *receiver = "sip:p25user01@etherstack.com";
    uint32_t guk_id = 0, gmk_id = 0;
    uint64_t period = 0;

    /* TS 33.180's example: sip:user@example.org at kms.example.org, 30-day periods, period 1388. */
    if (CHECK_OK(mikey_mcptt_uid("sip:user@example.org", "kms.example.org", 2592000, 0, 1388, uid))) {
        CHECK(hex_equal(uid, sizeof uid, "3A81FB14C3B1D0FE43C9C577104D55A6D81788BFD2F09743C4557746A5A0353B"),
              "the UID of the TS 33.180 example differs");
    }
    /* The period of a T: NTP seconds 0xEC898DA8 with 16777215-second periods is period 236. */
    if (CHECK_OK(mikey_mcptt_key_period_number((uint64_t)0xEC898DA8u << 32, 16777215, 0, &period))) {
        CHECK(period == 236, "key period %llu", (unsigned long long)period);
    }
    CHECK_RESULT(mikey_mcptt_key_period_number(0, 0, 0, &period), MIKEY_ERR_INVALID_ARGUMENT);

    if (CHECK_OK(mikey_mcptt_guk_id(gmk, sizeof gmk, 0x09BF9D37u, receiver, &guk_id))) {
        CHECK(guk_id == 0x01C8DE7Bu, "GUK-ID %08lx", (unsigned long)guk_id);
    }
    if (CHECK_OK(mikey_mcptt_gmk_id(gmk, sizeof gmk, guk_id, receiver, &gmk_id))) {
        CHECK(gmk_id == 0x09BF9D37u, "GMK-ID %08lx back from the GUK-ID", (unsigned long)gmk_id);
    }
    CHECK_RESULT(mikey_mcptt_guk_id(NULL, 0, 1, receiver, &guk_id), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_mcptt_uid(NULL, "kms", 1, 0, 1, uid), MIKEY_ERR_INVALID_ARGUMENT);
    return test_finish("mcptt_helpers");
}
