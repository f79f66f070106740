/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * The NULL method (PSK exchange with NULL encryption and NULL MAC, RFC 3830 §4.2.3) as RTSP
 * servers and cameras use it, with and without the GStreamer interop switches.
 */
#include "common.h"

#define GSTREAMER_FLAGS (MIKEY_INTEROP_GSTREAMER_SP_LAYOUT | MIKEY_INTEROP_TEK_WITH_CONCATENATED_SALT)

static test_config_params null_params(uint32_t interop, int request_verification)
{
    test_config_params params = test_psk_params();
    params.method = MIKEY_METHOD_NULL;
    params.psk = NULL;
    params.psk_len = 0;
    params.interop = interop;
    params.request_verification = request_verification;
    return params;
}

/* An initiator with `init_flags`, a responder with `resp_flags`: keys agree, lengths right. */
static void exchange(const char *name, uint32_t init_flags, uint32_t resp_flags, int request_verification,
                     uint32_t profile)
{
    test_config_params ip = null_params(init_flags, request_verification);
    test_config_params rp = null_params(resp_flags, 0);
    mikey_config *init_cfg, *resp_cfg;
    mikey_session *init = NULL, *resp = NULL;
    mikey_srtp_keys keys[2];
    size_t i;

    ip.profile = profile;
    init_cfg = test_config_new(&ip);
    resp_cfg = test_config_new(&rp);
    if (init_cfg != NULL && resp_cfg != NULL && run_exchange(init_cfg, resp_cfg, 2, 0x5eed0000u, &init, &resp)) {
        if (sessions_agree(init, resp, 2, keys)) {
            for (i = 0; i < 2; i++) {
                if (!keys_match_profile(&keys[i], profile == 0 ? 1 : profile)) {
                    CHECK(0, "%s: CS %zu has the wrong lengths", name, i + 1);
                }
                mikey_srtp_keys_clear(&keys[i]);
            }
        } else {
            CHECK(0, "%s: the keys differ", name);
        }
        /* Re-keying works with the NULL method too. */
        if (!deliver_i_message(init, resp) || !sessions_agree(init, resp, 2, NULL)) {
            CHECK(0, "%s: re-keying failed", name);
        }
    } else {
        CHECK(0, "%s: the exchange failed", name);
    }
    free_exchange(init, resp, init_cfg, resp_cfg);
}

/* README, "NULL method": a PSK responder never accepts a NULL-protected message. */
static void psk_responder_refuses_null(void)
{
    test_config_params ip = null_params(0, 0);
    test_config_params rp = test_psk_params();
    mikey_config *init_cfg = test_config_new(&ip);
    mikey_config *resp_cfg = test_config_new(&rp);
    mikey_session *init = NULL, *resp = NULL;
    uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP];
    size_t msg_len = 0, reply_len = 0;
    uint8_t cs_id = 0;
    mikey_result result;

    if (init_cfg == NULL || resp_cfg == NULL || !CHECK_OK(mikey_session_new(init_cfg, MIKEY_ROLE_INITIATOR, &init)) ||
        !CHECK_OK(mikey_session_new(resp_cfg, MIKEY_ROLE_RESPONDER, &resp)) ||
        !CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0x1234u, 0, &cs_id)) ||
        !CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len))) {
        goto out;
    }
    result = mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len);
    CHECK(result != MIKEY_OK, "a PSK responder accepted a NULL-protected I_MESSAGE");
    CHECK(result == MIKEY_ERR_AUTH_FAILED || result == MIKEY_ERR_POLICY || result == MIKEY_ERR_UNSUPPORTED,
          "a NULL-protected I_MESSAGE to a PSK responder gave %s (\"%s\")", result_name(result),
          mikey_session_last_error(resp));
    CHECK(mikey_session_state(resp) != MIKEY_STATE_ESTABLISHED, "the PSK responder is established");
out:
    free_exchange(init, resp, init_cfg, resp_cfg);
}

int main(void)
{
    /* Strict RFC on both sides. */
    exchange("plain", 0, 0, 0, 0);
    exchange("plain, V", 0, 0, 1, 0);
    /* GStreamer's layout (SP tag length in the auth-key-length parameter, key||salt as one
       TEK) on both sides. */
    exchange("gstreamer flags both sides", GSTREAMER_FLAGS, GSTREAMER_FLAGS, 0, 0);
    exchange("gstreamer flags both sides, HMAC_SHA1_32", GSTREAMER_FLAGS, GSTREAMER_FLAGS, 0, 2);
    exchange("gstreamer flags both sides, V", GSTREAMER_FLAGS, GSTREAMER_FLAGS, 1, 0);
    /* Default interop (README): a responder without flags accepts what GStreamer sends. */
    exchange("gstreamer initiator, default responder", GSTREAMER_FLAGS, 0, 0, 0);
    exchange("gstreamer initiator, default responder, HMAC_SHA1_32", GSTREAMER_FLAGS, 0, 0, 2);
    psk_responder_refuses_null();
    return test_finish("null_exchange");
}
