/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * Responder-filled SSRCs (RFC 3830 §6.1.1) through the C API, with libsrtp carrying media both
 * ways. Alice offers her stream and an SSRC 0 placeholder for Bob's (in a SIP call the offerer
 * cannot know the answerer's SSRC); Bob declares his own stream before he processes the
 * I_MESSAGE, his R_MESSAGE fills the placeholder in, and both export the same SSRCs. Alice's
 * packets go to Bob on CS 1, Bob's to Alice on CS 2. Without an R_MESSAGE Alice learns no SSRC:
 * her export says MIKEY_SSRC_ANY_INBOUND, which libsrtp takes as ssrc_any_inbound.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "srtp_glue.h"

#define ALICE_SSRC 0xA11CE001u
#define BOB_SSRC 0xB0B00002u
#define BOB_ROC 3u /* a stream that has run a while; 0 when nobody would learn it */
#define N_PACKETS 20
#define PAYLOAD_LEN 40
#define RTP_HEADER_LEN 12

/* N_PACKETS RTP packets from `ssrc`, protected by a session of the `tx` keys and unprotected by
   one of the `rx` keys; returns how many came through intact. */
static unsigned carry_media(const mikey_srtp_keys *tx, const mikey_srtp_keys *rx, uint32_t ssrc, const char *what)
{
    srtp_t sender = NULL, receiver = NULL;
    uint8_t packet[RTP_HEADER_LEN + PAYLOAD_LEN + SRTP_MAX_TRAILER_LEN];
    unsigned i, intact = 0;
    int len;

    if (!CHECK(mikey_srtp_create(&sender, tx, MIKEY_SRTP_OUTBOUND) == srtp_err_status_ok, "%s: sender", what) ||
        !CHECK(mikey_srtp_create(&receiver, rx, MIKEY_SRTP_INBOUND) == srtp_err_status_ok, "%s: receiver", what)) {
        goto out;
    }
    for (i = 0; i < N_PACKETS; i++) {
        len = mikey_rtp_write_header(packet, 96, (uint16_t)(100 + i), i * 160u, ssrc);
        memset(packet + len, (int)(0x40 + i), PAYLOAD_LEN);
        len += PAYLOAD_LEN;
        if (srtp_protect(sender, packet, &len) != srtp_err_status_ok) {
            continue;
        }
        if (srtp_unprotect(receiver, packet, &len) == srtp_err_status_ok && len == RTP_HEADER_LEN + PAYLOAD_LEN &&
            mikey_rtp_ssrc(packet, (size_t)len) == ssrc && packet[RTP_HEADER_LEN] == (uint8_t)(0x40 + i)) {
            intact++;
        }
    }
    CHECK(intact == N_PACKETS, "%s: %u of %d packets came through", what, intact, N_PACKETS);
    printf("  %s: %u/%d packets, ssrc 0x%08lx\n", what, intact, N_PACKETS, (unsigned long)ssrc);
out:
    if (sender != NULL) {
        srtp_dealloc(sender);
    }
    if (receiver != NULL) {
        srtp_dealloc(receiver);
    }
    return intact;
}

/* Alice (initiator of `init_cfg`) with her stream and a placeholder; Bob (responder of
   `resp_cfg`) with `bob_streams` of his own (0 or 1, rollover counter `bob_roc`). Runs the
   exchange; 1 on success. */
static int exchange(const mikey_config *init_cfg, const mikey_config *resp_cfg, int bob_streams, uint32_t bob_roc,
                    mikey_session **alice_out, mikey_session **bob_out)
{
    mikey_session *alice = NULL, *bob = NULL;
    uint8_t cs_id = 0, position = 0;
    int ok = CHECK_OK(mikey_session_new(init_cfg, MIKEY_ROLE_INITIATOR, &alice)) &&
             CHECK_OK(mikey_session_new(resp_cfg, MIKEY_ROLE_RESPONDER, &bob));
    ok = ok && CHECK_SESSION_OK(alice, mikey_session_add_srtp_stream(alice, ALICE_SSRC, 0, &cs_id)) && cs_id == 1;
    ok = ok && CHECK_SESSION_OK(alice, mikey_session_add_srtp_stream(alice, 0, 0, &cs_id)) &&
         CHECK(cs_id == 2, "the placeholder got CS ID %u", (unsigned)cs_id);
    if (ok && bob_streams > 0) {
        ok = CHECK_SESSION_OK(bob, mikey_session_add_srtp_stream(bob, BOB_SSRC, bob_roc, &position)) &&
             CHECK(position == 1, "Bob's stream is his %u.", (unsigned)position);
    }
    ok = ok && deliver_i_message(alice, bob);
    if (!ok) {
        mikey_session_free(alice);
        mikey_session_free(bob);
        return 0;
    }
    *alice_out = alice;
    *bob_out = bob;
    return 1;
}

/* Both ends know both SSRCs; media flows both ways. */
static void filled_in(const char *method, const mikey_config *init_cfg, const mikey_config *resp_cfg)
{
    mikey_session *alice, *bob;
    mikey_srtp_keys alice_keys[2], bob_keys[2];

    printf("%s, Bob fills in his SSRC:\n", method);
    if (!exchange(init_cfg, resp_cfg, 1, BOB_ROC, &alice, &bob)) {
        CHECK(0, "%s: no exchange", method);
        return;
    }
    if (export_all(alice, alice_keys, 2) && export_all(bob, bob_keys, 2)) {
        keys_equal(&alice_keys[0], &bob_keys[0], "CS 1");
        keys_equal(&alice_keys[1], &bob_keys[1], "CS 2");
        CHECK(alice_keys[1].ssrc == BOB_SSRC && alice_keys[1].roc == BOB_ROC &&
                  alice_keys[1].ssrc_type == MIKEY_SSRC_SPECIFIC,
              "%s: Alice exports CS 2 as ssrc 0x%08lx roc %lu type %u", method, (unsigned long)alice_keys[1].ssrc,
              (unsigned long)alice_keys[1].roc, (unsigned)alice_keys[1].ssrc_type);
        carry_media(&alice_keys[0], &bob_keys[0], ALICE_SSRC, "Alice -> Bob, CS 1");
        carry_media(&bob_keys[1], &alice_keys[1], BOB_SSRC, "Bob -> Alice, CS 2");
        mikey_srtp_keys_clear(&alice_keys[0]);
        mikey_srtp_keys_clear(&alice_keys[1]);
        mikey_srtp_keys_clear(&bob_keys[0]);
        mikey_srtp_keys_clear(&bob_keys[1]);
    }
    mikey_session_free(alice);
    mikey_session_free(bob);
}

/* No R_MESSAGE: Alice receives Bob's stream from an SSRC she was never told, at ROC 0 (she
   cannot learn another, so Bob's stream must start there). */
static void left_open(void)
{
    test_config_params params = test_psk_params();
    mikey_config *config;
    mikey_session *alice, *bob;
    mikey_srtp_keys alice_keys, bob_keys;

    printf("PSK without a verification message:\n");
    params.request_verification = 0;
    config = test_config_new(&params);
    if (config == NULL || !exchange(config, config, 1, 0, &alice, &bob)) {
        CHECK(0, "no exchange");
        mikey_config_free(config);
        return;
    }
    if (CHECK_SESSION_OK(alice, mikey_session_export_srtp(alice, 2, &alice_keys)) &&
        CHECK_SESSION_OK(bob, mikey_session_export_srtp(bob, 2, &bob_keys))) {
        CHECK(alice_keys.ssrc == 0 && alice_keys.ssrc_type == MIKEY_SSRC_ANY_INBOUND,
              "Alice exports ssrc 0x%08lx type %u", (unsigned long)alice_keys.ssrc, (unsigned)alice_keys.ssrc_type);
        CHECK(bob_keys.ssrc == BOB_SSRC && bob_keys.ssrc_type == MIKEY_SSRC_SPECIFIC, "Bob exports type %u",
              (unsigned)bob_keys.ssrc_type);
        /* The receiver's wildcard is for receiving only. */
        {
            srtp_t wrong = NULL;
            CHECK(mikey_srtp_create(&wrong, &alice_keys, MIKEY_SRTP_OUTBOUND) == srtp_err_status_bad_param,
                  "an any-inbound export made an outbound session");
        }
        carry_media(&bob_keys, &alice_keys, BOB_SSRC, "Bob -> Alice (ssrc_any_inbound), CS 2");
        mikey_srtp_keys_clear(&alice_keys);
        mikey_srtp_keys_clear(&bob_keys);
    }
    mikey_session_free(alice);
    mikey_session_free(bob);
    mikey_config_free(config);
}

/* Bob declared nothing: he refuses the placeholder (POLICY), and answers with an error message. */
static void refused_without_a_stream(void)
{
    test_config_params params = test_psk_params();
    mikey_config *config = test_config_new(&params);
    mikey_session *alice = NULL, *bob = NULL;
    uint8_t cs_id, message[TEST_MSG_CAP], reply[TEST_MSG_CAP];
    size_t message_len = 0, reply_len = 0;

    if (config == NULL || !CHECK_OK(mikey_session_new(config, MIKEY_ROLE_INITIATOR, &alice)) ||
        !CHECK_OK(mikey_session_new(config, MIKEY_ROLE_RESPONDER, &bob))) {
        goto out;
    }
    CHECK_SESSION_OK(alice, mikey_session_add_srtp_stream(alice, 0, 0, &cs_id));
    CHECK_SESSION_OK(alice, mikey_session_create_message(alice, message, sizeof message, &message_len));
    CHECK_REFUSED(bob, message, message_len, reply, sizeof reply, &reply_len, MIKEY_ERR_POLICY, MIKEY_STATE_IDLE);
    CHECK(reply_len > 0, "no error message answers the refused placeholder");
    CHECK(strstr(mikey_session_last_error(bob), "placeholder") != NULL, "last_error: %s",
          mikey_session_last_error(bob));
out:
    mikey_session_free(alice);
    mikey_session_free(bob);
    mikey_config_free(config);
}

int main(void)
{
    test_config_params psk = test_psk_params();
    test_config_params dh_init =
        test_dh_hmac_params("sip:alice@example.com", "sip:bob@example.com", MIKEY_DH_GROUP_OAKLEY2);
    test_config_params dh_resp =
        test_dh_hmac_params("sip:bob@example.com", "sip:alice@example.com", MIKEY_DH_GROUP_OAKLEY2);
    mikey_config *init_cfg, *resp_cfg;

    if (srtp_init() != srtp_err_status_ok) {
        fprintf(stderr, "srtp_init failed\n");
        return 1;
    }
    init_cfg = test_config_new(&psk);
    filled_in("PSK with verification", init_cfg, init_cfg);
    mikey_config_free(init_cfg);

    init_cfg = test_config_new(&dh_init);
    resp_cfg = test_config_new(&dh_resp);
    filled_in("DH-HMAC", init_cfg, resp_cfg);
    mikey_config_free(init_cfg);
    mikey_config_free(resp_cfg);

    init_cfg = test_signing_config(MIKEY_METHOD_RSA_R, "alice", "alice", "sip:bob@example.com", NULL, 1);
    resp_cfg = test_signing_config(MIKEY_METHOD_RSA_R, "bob", "bob", "sip:alice@example.com", NULL, 1);
    filled_in("RSA-R", init_cfg, resp_cfg);
    mikey_config_free(init_cfg);
    mikey_config_free(resp_cfg);

    left_open();
    refused_without_a_stream();
    srtp_shutdown();
    return test_finish("responder_ssrcs");
}
