/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * DH-HMAC method (RFC 4650) through the C API: an exchange in each OAKLEY group with two SRTP
 * streams, keys compared on both sides, a re-keying exchange with fresh DH values, and the
 * errors a module author meets (wrong PSK, tampering, replay, no peer identity, unknown group).
 */
#include <string.h>

#include "common.h"

#define N_STREAMS 2
#define SSRC_BASE 0x0D0D0000u

static void exchange_and_rekey(mikey_dh_group group)
{
    test_config_params ip = test_dh_hmac_params("sip:alice@example.com", "sip:bob@example.com", group);
    test_config_params rp = test_dh_hmac_params("sip:bob@example.com", "sip:alice@example.com", group);
    mikey_config *init_cfg = test_config_new(&ip);
    mikey_config *resp_cfg = test_config_new(&rp);
    mikey_session *init = NULL, *resp = NULL;
    mikey_srtp_keys first[N_STREAMS], second[N_STREAMS];

    if (init_cfg == NULL || resp_cfg == NULL || !run_exchange(init_cfg, resp_cfg, N_STREAMS, SSRC_BASE, &init, &resp)) {
        goto out;
    }
    if (sessions_agree(init, resp, N_STREAMS, first)) {
        CHECK(keys_match_profile(&first[0], 1), "group %u: profile", (unsigned)group);
    }
    /* Re-keying: a new I_MESSAGE with a fresh DHi; the responder answers with a fresh DHr. */
    if (deliver_i_message(init, resp) && sessions_agree(init, resp, N_STREAMS, second)) {
        CHECK(memcmp(first[0].master_key, second[0].master_key, first[0].master_key_len) != 0,
              "group %u: re-keying kept the old master key", (unsigned)group);
    }
    mikey_srtp_keys_clear(&first[0]);
    mikey_srtp_keys_clear(&second[0]);
out:
    free_exchange(init, resp, init_cfg, resp_cfg);
}

static void errors(void)
{
    test_config_params ip = test_dh_hmac_params("sip:alice@example.com", "sip:bob@example.com", MIKEY_DH_GROUP_OAKLEY2);
    test_config_params rp = test_dh_hmac_params("sip:bob@example.com", "sip:alice@example.com", MIKEY_DH_GROUP_OAKLEY2);
    test_config_params wp = rp;
    test_config_params anonymous = test_dh_hmac_params("sip:alice@example.com", NULL, MIKEY_DH_GROUP_OAKLEY2);
    mikey_config *init_cfg, *resp_cfg, *wrong_cfg, *anon_cfg;
    mikey_session *init = NULL, *resp = NULL, *resp2 = NULL, *wrong = NULL, *anon = NULL;
    uint8_t msg[TEST_MSG_CAP], tampered[TEST_MSG_CAP], reply[TEST_MSG_CAP];
    size_t msg_len = 0, reply_len = 0;
    uint8_t cs_id = 0;

    wp.psk = TEST_PSK_OTHER;
    wp.psk_len = sizeof TEST_PSK_OTHER;
    init_cfg = test_config_new(&ip);
    resp_cfg = test_config_new(&rp);
    wrong_cfg = test_config_new(&wp);
    anon_cfg = test_config_new(&anonymous);
    if (init_cfg == NULL || resp_cfg == NULL || wrong_cfg == NULL || anon_cfg == NULL) {
        goto out;
    }
    CHECK_RESULT(mikey_config_set_dh_group(init_cfg, 3), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_dh_group(NULL, MIKEY_DH_GROUP_OAKLEY5), MIKEY_ERR_INVALID_ARGUMENT);

    /* RFC 4650 §3: the initiator always names the responder. */
    if (CHECK_OK(mikey_session_new(anon_cfg, MIKEY_ROLE_INITIATOR, &anon)) &&
        CHECK_SESSION_OK(anon, mikey_session_add_srtp_stream(anon, 1, 0, &cs_id))) {
        CHECK_SESSION_RESULT(anon, mikey_session_create_message(anon, msg, sizeof msg, &msg_len),
                             MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_STATE(anon, MIKEY_STATE_IDLE);
    }

    if (!CHECK_OK(mikey_session_new(init_cfg, MIKEY_ROLE_INITIATOR, &init)) ||
        !CHECK_OK(mikey_session_new(resp_cfg, MIKEY_ROLE_RESPONDER, &resp)) ||
        !CHECK_OK(mikey_session_new(resp_cfg, MIKEY_ROLE_RESPONDER, &resp2)) ||
        !CHECK_OK(mikey_session_new(wrong_cfg, MIKEY_ROLE_RESPONDER, &wrong)) ||
        !CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0x1234u, 0, &cs_id)) ||
        !CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len))) {
        goto out;
    }
    /* Another PSK: the HMAC fails; an unauthenticated error message goes back. */
    CHECK_SESSION_RESULT(wrong, mikey_session_process_message(wrong, msg, msg_len, reply, sizeof reply, &reply_len),
                         MIKEY_ERR_AUTH_FAILED);
    CHECK(reply_len > 0, "no error message for a wrong PSK");
    CHECK_STATE(wrong, MIKEY_STATE_IDLE);
    /* A flipped bit in the middle (the DH value or the SP) breaks the HMAC. */
    memcpy(tampered, msg, msg_len);
    tampered[msg_len / 2] ^= 0x10;
    CHECK(mikey_session_process_message(resp, tampered, msg_len, reply, sizeof reply, &reply_len) != MIKEY_OK,
          "a tampered DH-HMAC I_MESSAGE was accepted");
    CHECK_STATE(resp, MIKEY_STATE_IDLE);
    /* The genuine message is accepted once; a second session of the config sees a replay. */
    CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len));
    CHECK(reply_len > 0, "DH-HMAC must answer with an R_MESSAGE");
    CHECK_SESSION_RESULT(resp2, mikey_session_process_message(resp2, msg, msg_len, tampered, sizeof tampered,
                                                              &msg_len),
                         MIKEY_ERR_REPLAY);
    CHECK_SESSION_OK(init, mikey_session_process_message(init, reply, reply_len, tampered, sizeof tampered, &msg_len));
    CHECK_STATE(init, MIKEY_STATE_ESTABLISHED);
out:
    free_exchange(init, resp, init_cfg, resp_cfg);
    free_exchange(wrong, anon, wrong_cfg, anon_cfg);
    mikey_session_free(resp2);
}

int main(void)
{
    exchange_and_rekey(MIKEY_DH_GROUP_OAKLEY5);
    exchange_and_rekey(MIKEY_DH_GROUP_OAKLEY1);
    exchange_and_rekey(MIKEY_DH_GROUP_OAKLEY2);
    errors();
    return test_finish("dh_hmac_exchange");
}
