/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * MIKEY-TICKET (RFC 6043) through the C API among three parties: an initiator (alice), a
 * responder (bob) and a KMS.
 * - Mode 1: Ticket Request (alice <-> KMS), Ticket Transfer (alice <-> bob) and Ticket Resolve
 *   (bob <-> KMS), then both ends export the same SRTP keys; the same with key forking.
 * - The public-key form of the Ticket Request: the initiator signs with its certificate.
 * - Mode 4: Transfer alone between holders of one TPK, then a CSB update by the responder.
 * - The KMS's policy function refusing a resolve: bob gets an authenticated refusal and fails.
 * - A replayed REQUEST_INIT and a KMS that was never given a TPK are refused.
 */
#include <string.h>

#include "common.h"

#define KMS_ID "kms.example.org"
#define ALICE "sip:alice@example.org"
#define BOB "sip:bob@example.org"

static const uint8_t ALICE_PSK[] = "alice shares this with the KMS..";
static const uint8_t BOB_PSK[] = "bob shares this one with the KMS";
static const uint8_t KMS_TPK[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                    17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t SHARED_TPK[32] = {0x44};

/* A KMS knowing alice and bob, with one TPK (unless `with_tpk` is 0). NULL on failure. */
static mikey_kms *new_kms(int with_tpk)
{
    mikey_kms *kms = NULL;
    if (!CHECK_OK(mikey_kms_new(KMS_ID, &kms))) {
        return NULL;
    }
    if ((with_tpk && !CHECK_OK(mikey_kms_add_tpk(kms, (const uint8_t *)"tpk-1", 5, KMS_TPK, sizeof KMS_TPK))) ||
        !CHECK_OK(mikey_kms_add_client(kms, ALICE, ALICE_PSK, 32)) ||
        !CHECK_OK(mikey_kms_add_client(kms, BOB, BOB_PSK, 32))) {
        mikey_kms_free(kms);
        return NULL;
    }
    return kms;
}

/* A party: our identity, the peer we address (NULL for a responder), our PSK with the KMS
 * (NULL: none) or a TPK (NULL: none). */
static mikey_config *new_party(const char *own, const char *peer, const uint8_t *psk, const uint8_t *tpk, int forking)
{
    mikey_config *config = NULL;
    if (!CHECK_OK(mikey_config_new(MIKEY_METHOD_TICKET, &config))) {
        return NULL;
    }
    int ok = CHECK_OK(mikey_config_set_identities(config, own, peer));
    if (psk != NULL) {
        ok &= CHECK_OK(mikey_config_set_psk(config, psk, 32));
        ok &= CHECK_OK(mikey_config_set_ticket_kms(config, KMS_ID));
    }
    if (tpk != NULL) {
        ok &= CHECK_OK(mikey_config_add_ticket_protection_key(config, (const uint8_t *)"a-b", 3, tpk, 32));
    }
    ok &= CHECK_OK(mikey_config_set_ticket_key_forking(config, forking));
    if (!ok) {
        mikey_config_free(config);
        return NULL;
    }
    return config;
}

/* The KMS answers `in`; 1 when it did with MIKEY_OK. */
static int kms_answers(mikey_kms *kms, const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
    mikey_result result = mikey_kms_process_message(kms, in, in_len, out, MIKEY_MAX_MESSAGE_LEN, out_len);
    return CHECK(result == MIKEY_OK && *out_len > 0, "the KMS answered %s (%s), %zu bytes", result_name(result),
                 mikey_kms_last_error(), *out_len);
}

/* A whole mode-1 exchange between the initiator `alice_id` and the responder `bob_id`; the
 * sessions are left established in *alice_out, *bob_out. */
static int mode_1(mikey_kms *kms, const mikey_config *alice_cfg, const mikey_config *bob_cfg, const char *alice_id,
                  const char *bob_id, mikey_session **alice_out, mikey_session **bob_out)
{
    static uint8_t a[MIKEY_MAX_MESSAGE_LEN], b[MIKEY_MAX_MESSAGE_LEN];
    size_t a_len = 0, b_len = 0;
    mikey_session *alice = NULL, *bob = NULL;
    uint8_t cs_id = 0;
    int ok = CHECK_OK(mikey_session_new(alice_cfg, MIKEY_ROLE_INITIATOR, &alice)) &&
             CHECK_OK(mikey_session_new(bob_cfg, MIKEY_ROLE_RESPONDER, &bob)) &&
             CHECK_SESSION_OK(alice, mikey_session_add_srtp_stream(alice, 0x11111111u, 0, &cs_id)) &&
             CHECK_SESSION_OK(alice, mikey_session_add_srtp_stream(alice, 0, 0, &cs_id)) &&
             CHECK_SESSION_OK(bob, mikey_session_add_srtp_stream(bob, 0x22222222u, 0, &cs_id));
    /* Ticket Request: REQUEST_INIT goes to the KMS (state WAIT_KMS), its answer back. */
    ok = ok && CHECK_SESSION_OK(alice, mikey_session_create_message(alice, a, sizeof a, &a_len)) &&
         CHECK_STATE(alice, MIKEY_STATE_WAIT_KMS) && kms_answers(kms, a, a_len, b, &b_len) &&
         CHECK_SESSION_OK(alice, mikey_session_process_message(alice, b, b_len, a, sizeof a, &a_len)) &&
         CHECK(a_len == 0, "nothing to send after REQUEST_RESP") && CHECK_STATE(alice, MIKEY_STATE_IDLE);
    /* Ticket Transfer: TRANSFER_INIT to bob, who asks the KMS (RESOLVE_INIT, WAIT_KMS). */
    ok = ok && CHECK_SESSION_OK(alice, mikey_session_create_message(alice, a, sizeof a, &a_len)) &&
         CHECK_STATE(alice, MIKEY_STATE_WAIT_RESPONSE) &&
         CHECK_SESSION_OK(bob, mikey_session_process_message(bob, a, a_len, b, sizeof b, &b_len)) &&
         CHECK_STATE(bob, MIKEY_STATE_WAIT_KMS) && kms_answers(kms, b, b_len, a, &a_len) &&
         CHECK_SESSION_OK(bob, mikey_session_process_message(bob, a, a_len, b, sizeof b, &b_len)) &&
         CHECK_STATE(bob, MIKEY_STATE_ESTABLISHED) &&
         CHECK_SESSION_OK(alice, mikey_session_process_message(alice, b, b_len, a, sizeof a, &a_len)) &&
         CHECK_STATE(alice, MIKEY_STATE_ESTABLISHED) && sessions_agree(alice, bob, 2, NULL) &&
         peers_are(bob, alice_id, 0, alice) && peers_are(alice, bob_id, 0, bob);
    if (!ok) {
        free_exchange(alice, bob, NULL, NULL);
        return 0;
    }
    *alice_out = alice;
    *bob_out = bob;
    return 1;
}

static void test_mode_1(int forking)
{
    mikey_kms *kms = new_kms(1);
    mikey_config *alice_cfg = new_party(ALICE, BOB, ALICE_PSK, NULL, forking);
    mikey_config *bob_cfg = new_party(BOB, NULL, BOB_PSK, NULL, 0);
    mikey_session *alice = NULL, *bob = NULL;
    mikey_srtp_keys keys;
    if (kms != NULL && alice_cfg != NULL && bob_cfg != NULL && mode_1(kms, alice_cfg, bob_cfg, ALICE, BOB, &alice, &bob)) {
        /* Bob's stream filled alice's placeholder (CS 2). */
        if (CHECK_SESSION_OK(bob, mikey_session_export_srtp(bob, 2, &keys))) {
            CHECK(keys.ssrc == 0x22222222u, "CS 2 SSRC 0x%08lx", (unsigned long)keys.ssrc);
            mikey_srtp_keys_clear(&keys);
        }
    }
    free_exchange(alice, bob, alice_cfg, bob_cfg);
    mikey_kms_free(kms);
}

/* The public-key form: alice authenticates to the KMS with her certificate (tests/pki; the KMS
 * holds Carol's key, whose certificate alice pins), bob with a PSK. */
static void test_public_key_form(void)
{
    const char *alice_id = "sip:alice@example.com", *bob_id = "sip:bob@example.com";
    mikey_kms *kms = new_kms(1);
    mikey_config *alice_cfg = NULL, *bob_cfg = new_party(bob_id, NULL, BOB_PSK, NULL, 0);
    mikey_session *alice = NULL, *bob = NULL;
    int ok = kms != NULL && bob_cfg != NULL && CHECK_OK(mikey_kms_add_client(kms, bob_id, BOB_PSK, 32)) &&
             CHECK_OK(test_kms_set_from_pki(kms, mikey_kms_set_private_key, "carol.key.pem")) &&
             CHECK_OK(test_kms_set_from_pki(kms, mikey_kms_add_trust_anchor, "root.crt.pem")) &&
             CHECK_OK(mikey_config_new(MIKEY_METHOD_TICKET, &alice_cfg)) &&
             CHECK_OK(mikey_config_set_identities(alice_cfg, alice_id, bob_id)) &&
             CHECK_OK(test_set_from_pki(alice_cfg, mikey_config_set_certificate_chain, "alice-chain.pem")) &&
             CHECK_OK(test_set_from_pki(alice_cfg, mikey_config_set_private_key, "alice.key.pem")) &&
             CHECK_OK(test_set_from_pki(alice_cfg, mikey_config_set_peer_certificate, "carol.crt.pem")) &&
             CHECK_OK(mikey_config_set_ticket_kms(alice_cfg, KMS_ID));
    if (ok && mode_1(kms, alice_cfg, bob_cfg, alice_id, bob_id, &alice, &bob)) {
        CHECK(1, "mode 1 with REQUEST_INIT_PK");
    }
    free_exchange(alice, bob, alice_cfg, bob_cfg);
    mikey_kms_free(kms);
}

static void test_mode_4(void)
{
    mikey_config *alice_cfg = new_party(ALICE, BOB, NULL, SHARED_TPK, 0);
    mikey_config *bob_cfg = new_party(BOB, NULL, NULL, SHARED_TPK, 0);
    mikey_session *alice = NULL, *bob = NULL;
    static uint8_t update[MIKEY_MAX_MESSAGE_LEN], answer[MIKEY_MAX_MESSAGE_LEN];
    size_t update_len = 0, answer_len = 0;
    if (alice_cfg != NULL && bob_cfg != NULL &&
        run_exchange(alice_cfg, bob_cfg, 2, 0x51525354u, &alice, &bob)) {
        sessions_agree(alice, bob, 2, NULL);
        /* RFC 6043 §5.2: the responder updates the CSB, the initiator answers. */
        if (CHECK_SESSION_OK(bob, mikey_session_create_message(bob, update, sizeof update, &update_len)) &&
            CHECK_STATE(bob, MIKEY_STATE_WAIT_RESPONSE) &&
            CHECK_SESSION_OK(alice, mikey_session_process_message(alice, update, update_len, answer, sizeof answer,
                                                                 &answer_len)) &&
            CHECK(answer_len > 0, "the initiator answers the update") &&
            CHECK_SESSION_OK(bob, mikey_session_process_message(bob, answer, answer_len, update, sizeof update,
                                                               &update_len))) {
            CHECK_STATE(bob, MIKEY_STATE_ESTABLISHED);
            sessions_agree(alice, bob, 2, NULL);
        }
    }
    free_exchange(alice, bob, alice_cfg, bob_cfg);
}

/* Refuses every resolve by carol... and bob: the policy says no. */
static int refuse_resolves(void *user_data, mikey_kms_exchange exchange, const uint8_t *client, size_t client_len,
                           const uint8_t *initiator, size_t initiator_len, const uint8_t *responder,
                           size_t responder_len)
{
    (void)client;
    (void)client_len;
    (void)initiator;
    (void)initiator_len;
    (void)responder;
    (void)responder_len;
    ++*(int *)user_data;
    return exchange == MIKEY_KMS_REQUEST;
}

static void test_policy_refusal_and_errors(void)
{
    static uint8_t a[MIKEY_MAX_MESSAGE_LEN], b[MIKEY_MAX_MESSAGE_LEN];
    size_t a_len = 0, b_len = 0;
    int calls = 0;
    uint8_t cs_id = 0;
    mikey_kms *kms = new_kms(1);
    mikey_kms *empty = new_kms(0);
    mikey_config *alice_cfg = new_party(ALICE, BOB, ALICE_PSK, NULL, 0);
    mikey_config *bob_cfg = new_party(BOB, NULL, BOB_PSK, NULL, 0);
    mikey_session *alice = NULL, *bob = NULL;
    if (kms == NULL || empty == NULL || alice_cfg == NULL || bob_cfg == NULL ||
        !CHECK_OK(mikey_kms_set_authorize(kms, refuse_resolves, &calls)) ||
        !CHECK_OK(mikey_session_new(alice_cfg, MIKEY_ROLE_INITIATOR, &alice)) ||
        !CHECK_OK(mikey_session_new(bob_cfg, MIKEY_ROLE_RESPONDER, &bob)) ||
        !CHECK_SESSION_OK(alice, mikey_session_add_srtp_stream(alice, 0x11111111u, 0, &cs_id)) ||
        !CHECK_SESSION_OK(alice, mikey_session_create_message(alice, a, sizeof a, &a_len))) {
        goto out;
    }
    /* A KMS without a TPK cannot start; a short output buffer is refused before reading. */
    CHECK_RESULT(mikey_kms_process_message(empty, a, a_len, b, sizeof b, &b_len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK(strstr(mikey_kms_last_error(), "TPK") != NULL, "last error: %s", mikey_kms_last_error());
    CHECK_RESULT(mikey_kms_process_message(kms, a, a_len, b, 100, &b_len), MIKEY_ERR_BUFFER_TOO_SMALL);
    CHECK(b_len == MIKEY_MAX_MESSAGE_LEN, "*out_len %zu", b_len);
    if (!kms_answers(kms, a, a_len, b, &b_len)) {
        goto out;
    }
    /* Started: configuring is over, and a replay gets no answer. */
    CHECK_RESULT(mikey_kms_add_client(kms, "sip:carol@example.org", BOB_PSK, 32), MIKEY_ERR_STATE);
    CHECK_RESULT(mikey_kms_process_message(kms, a, a_len, a, sizeof a, &a_len), MIKEY_ERR_REPLAY);
    CHECK(a_len == 0, "a replay got an answer of %zu bytes", a_len);
    if (!CHECK_SESSION_OK(alice, mikey_session_process_message(alice, b, b_len, a, sizeof a, &a_len)) ||
        !CHECK_SESSION_OK(alice, mikey_session_create_message(alice, a, sizeof a, &a_len)) ||
        !CHECK_SESSION_OK(bob, mikey_session_process_message(bob, a, a_len, b, sizeof b, &b_len))) {
        goto out;
    }
    /* The policy refuses bob's resolve: an authenticated error message, and bob fails. */
    CHECK_RESULT(mikey_kms_process_message(kms, b, b_len, a, sizeof a, &a_len), MIKEY_ERR_AUTH_FAILED);
    CHECK(a_len > 0, "the refusal carries an error message");
    CHECK(calls >= 2, "the policy was asked %d times", calls);
    CHECK_FAILS(bob, mikey_session_process_message(bob, a, a_len, b, sizeof b, &b_len), MIKEY_ERR_PEER_ERROR);
    CHECK_STATE(bob, MIKEY_STATE_FAILED);
out:
    free_exchange(alice, bob, alice_cfg, bob_cfg);
    mikey_kms_free(kms);
    mikey_kms_free(empty);
}

int main(void)
{
    test_mode_1(0);
    test_mode_1(1);
    test_public_key_form();
    test_mode_4();
    test_policy_refusal_and_errors();
    return test_finish("ticket_exchange");
}
