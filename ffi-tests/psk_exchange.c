/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * PSK method (RFC 3830 §3.1) through the C API: three SRTP streams, verification requested,
 * keys exported on both sides and compared, then a re-keying message on the established CSB.
 */
#include <string.h>

#include "common.h"

#define N_STREAMS 3
#define SSRC_BASE 0x11223344u

static int check_stream_params(const mikey_srtp_keys *keys, size_t n)
{
    size_t i, j;
    int ok = 1;
    for (i = 0; i < n; i++) {
        ok &= CHECK(keys[i].ssrc == TEST_SSRC(SSRC_BASE, i), "CS %zu: ssrc 0x%08lx, expected 0x%08lx", i + 1,
                    (unsigned long)keys[i].ssrc, (unsigned long)TEST_SSRC(SSRC_BASE, i));
        ok &= CHECK(keys[i].roc == TEST_ROC(i), "CS %zu: roc %lu, expected %lu", i + 1, (unsigned long)keys[i].roc,
                    (unsigned long)TEST_ROC(i));
        ok &= keys_match_profile(&keys[i], 1); /* profile 0 offered = the default, 1 */
        ok &= CHECK(keys[i].key_derivation_rate == 0, "CS %zu: key derivation rate %lu", i + 1,
                    (unsigned long)keys[i].key_derivation_rate);
        /* Every crypto session has its own TEK (RFC 3830 §4.1.3: derived with the CS ID). */
        for (j = 0; j < i; j++) {
            ok &= CHECK(memcmp(keys[i].master_key, keys[j].master_key, keys[i].master_key_len) != 0,
                        "CS %zu and CS %zu have the same master key", j + 1, i + 1);
        }
    }
    return ok;
}

/* V requested: the responder answers with an R_MESSAGE; the initiator waits for it. */
static void test_with_verification(void)
{
    test_config_params params = test_psk_params();
    mikey_config *config;
    mikey_session *init = NULL;
    mikey_session *resp = NULL;
    mikey_srtp_keys before[N_STREAMS];
    mikey_srtp_keys after[N_STREAMS];
    uint8_t msg[TEST_MSG_CAP];
    uint8_t reply[TEST_MSG_CAP];
    uint8_t back[TEST_MSG_CAP];
    size_t msg_len = 0, reply_len = 0, back_len = 1;
    size_t i;
    uint8_t cs_id = 0;

    params.request_verification = 1;
    config = test_config_new(&params);
    if (config == NULL) {
        return;
    }
    if (!CHECK_OK(mikey_session_new(config, MIKEY_ROLE_INITIATOR, &init)) ||
        !CHECK_OK(mikey_session_new(config, MIKEY_ROLE_RESPONDER, &resp))) {
        goto out;
    }

    /* Step by step, checking each state on the way (run_exchange does the same in one call). */
    for (i = 0; i < N_STREAMS; i++) {
        if (!CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, TEST_SSRC(SSRC_BASE, i), TEST_ROC(i), &cs_id)) ||
            !CHECK(cs_id == i + 1, "stream %zu: CS ID %u", i, (unsigned)cs_id)) {
            goto out;
        }
    }
    CHECK(mikey_session_cs_count(init) == N_STREAMS, "initiator cs_count %zu", mikey_session_cs_count(init));
    CHECK(mikey_session_cs_count(resp) == 0, "responder cs_count %zu before the I_MESSAGE", mikey_session_cs_count(resp));

    if (!CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len))) {
        goto out;
    }
    CHECK(msg_len > 0, "empty I_MESSAGE");
    CHECK_STATE(init, MIKEY_STATE_WAIT_RESPONSE);
    CHECK_STATE(resp, MIKEY_STATE_IDLE);

    if (!CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len))) {
        goto out;
    }
    CHECK_STATE(resp, MIKEY_STATE_ESTABLISHED);
    CHECK(mikey_session_cs_count(resp) == N_STREAMS, "responder cs_count %zu", mikey_session_cs_count(resp));
    if (!CHECK(reply_len > 0, "no R_MESSAGE although V was set")) {
        goto out;
    }
    CHECK(strcmp(mikey_session_last_error(resp), "") == 0, "last_error after success: \"%s\"",
          mikey_session_last_error(resp));

    if (!CHECK_SESSION_OK(init, mikey_session_process_message(init, reply, reply_len, back, sizeof back, &back_len))) {
        goto out;
    }
    CHECK(back_len == 0, "the initiator answers the R_MESSAGE with %zu bytes", back_len);
    CHECK_STATE(init, MIKEY_STATE_ESTABLISHED);

    if (!sessions_agree(init, resp, N_STREAMS, before)) {
        goto out;
    }
    check_stream_params(before, N_STREAMS);

    /* Re-keying: create_message on the established initiator starts a new exchange on the
       same CSB. New keys, same streams, both sides agree again. */
    if (!deliver_i_message(init, resp) || !sessions_agree(init, resp, N_STREAMS, after)) {
        goto clear;
    }
    check_stream_params(after, N_STREAMS);
    for (i = 0; i < N_STREAMS; i++) {
        CHECK(memcmp(before[i].master_key, after[i].master_key, before[i].master_key_len) != 0,
              "CS %zu: the master key did not change on re-keying", i + 1);
        CHECK(memcmp(before[i].master_salt, after[i].master_salt, before[i].master_salt_len) != 0,
              "CS %zu: the master salt did not change on re-keying", i + 1);
    }
    /* And a second re-key, to be sure it is not a one-off. */
    if (deliver_i_message(init, resp)) {
        mikey_srtp_keys third[N_STREAMS];
        if (sessions_agree(init, resp, N_STREAMS, third)) {
            CHECK(memcmp(third[0].master_key, after[0].master_key, after[0].master_key_len) != 0,
                  "CS 1: the second re-key kept the key");
        }
        for (i = 0; i < N_STREAMS; i++) {
            mikey_srtp_keys_clear(&third[i]);
        }
    }

clear:
    for (i = 0; i < N_STREAMS; i++) {
        mikey_srtp_keys_clear(&before[i]);
        mikey_srtp_keys_clear(&after[i]);
    }
    CHECK(all_zero(before[0].master_key, sizeof before[0].master_key) &&
              all_zero(before[0].master_salt, sizeof before[0].master_salt) && before[0].master_key_len == 0 &&
              before[0].ssrc == 0 && before[0].profile == 0,
          "mikey_srtp_keys_clear left key material or fields");
out:
    free_exchange(init, resp, config, NULL);
}

/* No V: the initiator is established as soon as it built the I_MESSAGE; nothing comes back. */
static void test_without_verification(void)
{
    test_config_params params = test_psk_params();
    mikey_config *init_cfg, *resp_cfg;
    mikey_session *init = NULL, *resp = NULL;
    uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP];
    size_t msg_len = 0, reply_len = 1;
    uint8_t cs_id = 0;

    params.request_verification = 0;
    init_cfg = test_config_new(&params);
    resp_cfg = test_config_new(&params); /* separate endpoints, as in real life */
    if (init_cfg == NULL || resp_cfg == NULL) {
        goto out;
    }
    if (!CHECK_OK(mikey_session_new(init_cfg, MIKEY_ROLE_INITIATOR, &init)) ||
        !CHECK_OK(mikey_session_new(resp_cfg, MIKEY_ROLE_RESPONDER, &resp)) ||
        !CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0xcafe0001u, 0, &cs_id)) ||
        !CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len))) {
        goto out;
    }
    CHECK_STATE(init, MIKEY_STATE_ESTABLISHED);
    if (!CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len))) {
        goto out;
    }
    CHECK(reply_len == 0, "R_MESSAGE of %zu bytes without V", reply_len);
    CHECK_STATE(resp, MIKEY_STATE_ESTABLISHED);
    sessions_agree(init, resp, 1, NULL);
    /* Re-key without V as well. */
    if (deliver_i_message(init, resp)) {
        sessions_agree(init, resp, 1, NULL);
    }
out:
    free_exchange(init, resp, init_cfg, resp_cfg);
}

/* Identities: IDi/IDr carried and checked; a responder expecting another initiator refuses. */
static void test_identities(void)
{
    test_config_params params = test_psk_params();
    mikey_config *alice = test_config_new(&params);
    mikey_config *bob = test_config_new(&params);
    mikey_session *init = NULL, *resp = NULL;

    if (alice == NULL || bob == NULL) {
        goto out;
    }
    CHECK_OK(mikey_config_set_identities(alice, "sip:alice@example.com", "sip:bob@example.com"));
    CHECK_OK(mikey_config_set_identities(bob, "sip:bob@example.com", "sip:alice@example.com"));
    if (run_exchange(alice, bob, 2, 0x0a0b0c00u, &init, &resp)) {
        sessions_agree(init, resp, 2, NULL);
        /* The identities the MACs covered; no certificates. */
        peers_are(init, "sip:bob@example.com", 0, resp);
        peers_are(resp, "sip:alice@example.com", 0, init);
    }
    mikey_session_free(init);
    mikey_session_free(resp);
    init = resp = NULL;

    /* Bob now expects Carol (a new config: bob's has sessions): Alice's I_MESSAGE is refused. */
    mikey_config_free(bob);
    bob = test_config_new(&params);
    if (bob == NULL) {
        goto out;
    }
    CHECK_OK(mikey_config_set_identities(bob, "sip:bob@example.com", "sip:carol@example.com"));
    if (CHECK_OK(mikey_session_new(alice, MIKEY_ROLE_INITIATOR, &init)) &&
        CHECK_OK(mikey_session_new(bob, MIKEY_ROLE_RESPONDER, &resp))) {
        uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP];
        size_t msg_len = 0, reply_len = 0;
        uint8_t cs_id = 0;
        if (CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0x0a0b0c00u, 0, &cs_id)) &&
            CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len))) {
            CHECK_SESSION_RESULT(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len),
                                 MIKEY_ERR_AUTH_FAILED);
            CHECK(mikey_session_state(resp) != MIKEY_STATE_ESTABLISHED, "established with the wrong peer");
        }
    }
out:
    free_exchange(init, resp, alice, bob);
}

/* ARCHITECTURE.md, "Threads": the first session freezes its config (setters then return
   MIKEY_ERR_STATE, so every session of a config has the same settings and replay cache), and
   freeing the config does not affect its sessions. */
static void test_config_lifetime(void)
{
    test_config_params params = test_psk_params();
    mikey_config *init_cfg = test_config_new(&params);
    mikey_config *resp_cfg = test_config_new(&params);
    mikey_session *init = NULL, *resp = NULL;
    uint8_t cs_id = 0;

    if (init_cfg == NULL || resp_cfg == NULL || !CHECK_OK(mikey_session_new(init_cfg, MIKEY_ROLE_INITIATOR, &init)) ||
        !CHECK_OK(mikey_session_new(resp_cfg, MIKEY_ROLE_RESPONDER, &resp))) {
        goto out;
    }
    /* The configs have sessions: their setters refuse, and say why. Then free them. */
    CHECK_RESULT(mikey_config_set_psk(init_cfg, TEST_PSK_OTHER, sizeof TEST_PSK_OTHER), MIKEY_ERR_STATE);
    CHECK(strstr(mikey_config_last_error(init_cfg), "sessions") != NULL, "last_error: %s",
          mikey_config_last_error(init_cfg));
    CHECK_RESULT(mikey_config_set_request_verification(init_cfg, 0), MIKEY_ERR_STATE);
    CHECK_RESULT(mikey_config_set_replay_window(resp_cfg, 120), MIKEY_ERR_STATE);
    mikey_config_free(init_cfg);
    mikey_config_free(resp_cfg);
    init_cfg = resp_cfg = NULL;

    if (CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0x0badcafeu, 1, &cs_id)) &&
        deliver_i_message(init, resp)) {
        sessions_agree(init, resp, 1, NULL);
    }
out:
    free_exchange(init, resp, init_cfg, resp_cfg);
}

int main(void)
{
    test_with_verification();
    test_config_lifetime();
    test_without_verification();
    test_identities();
    return test_finish("psk_exchange");
}
