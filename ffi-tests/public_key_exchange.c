/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * The public-key methods through the C API, with the test PKI of tests/pki: alice and bob sign
 * with certificates issued by an intermediate under the test root. DH-SIGN (RFC 3830 §3.3), PK
 * (§3.2, the envelope key under the responder's certificate) and RSA-R (RFC 4738, the responder's
 * TGK under the initiator's certificate): an exchange with two SRTP streams and a re-keying
 * exchange each, and PK re-keying under a cached envelope key; RSA-PSS signatures; SIP forking
 * (one RSA-R offer, two answers, two forks); an RSA-R group key server with two members; then the errors a module author meets: credentials
 * that do not parse, a key that is not the certificate's, an untrusted peer, a tampered or
 * foreign RSA-R answer.
 */
#include <string.h>

#include "common.h"

#define N_STREAMS 2
#define SSRC_BASE 0x5E5E0000u

static mikey_config *signer_config(const char *who, const char *key_of, const char *peer_id, int trust)
{
    return test_signing_config(MIKEY_METHOD_DH_SIGN, who, key_of, peer_id, NULL, trust);
}

/* An exchange with two streams, then a re-keying exchange whose I_MESSAGE has data type
   `update_type` (RFC 3830 Table 6.1a: the method's own, or 0, PSK, under a cached PK envelope key). */
static void exchange_and_rekey(mikey_method method, int cache_envelope_key, uint8_t update_type)
{
    mikey_config *alice = test_signing_config(method, "alice", "alice", "sip:bob@example.com", "bob.crt.pem", 1);
    mikey_config *bob = test_signing_config(method, "bob", "bob", "sip:alice@example.com", "alice.crt.pem", 1);
    mikey_session *init = NULL, *resp = NULL;
    mikey_srtp_keys first[N_STREAMS], second[N_STREAMS];
    uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP], none[1];
    size_t msg_len = 0, reply_len = 0, none_len = 0;

    if (alice == NULL || bob == NULL || !CHECK_OK(mikey_config_set_envelope_key_cache(alice, cache_envelope_key)) ||
        !run_exchange(alice, bob, N_STREAMS, SSRC_BASE, &init, &resp) ||
        !sessions_agree(init, resp, N_STREAMS, first) ||
        /* Each side learns who authenticated the CSB. */
        !peers_are(init, "sip:bob@example.com", 1, resp) || !peers_are(resp, "sip:alice@example.com", 1, init) ||
        !CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len)) ||
        !CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len)) ||
        !CHECK_SESSION_OK(init, mikey_session_process_message(init, reply, reply_len, none, sizeof none, &none_len))) {
        goto out;
    }
    CHECK(msg[1] == update_type, "method %u: the update has data type %u, expected %u", (unsigned)method,
          (unsigned)msg[1], (unsigned)update_type);
    if (sessions_agree(init, resp, N_STREAMS, second)) {
        CHECK(memcmp(first[1].master_key, second[1].master_key, first[1].master_key_len) != 0,
              "re-keying kept the old master key");
    }
    mikey_srtp_keys_clear(&first[0]);
    mikey_srtp_keys_clear(&second[0]);
out:
    free_exchange(init, resp, alice, bob);
}

static void errors(void)
{
    static const uint8_t garbage[] = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
    mikey_config *config = NULL;
    mikey_config *mismatched = signer_config("alice", "bob", "sip:bob@example.com", 1);
    mikey_config *alice = signer_config("alice", "alice", "sip:bob@example.com", 1);
    mikey_config *untrusting = signer_config("bob", "bob", "sip:alice@example.com", 0);
    mikey_session *session = NULL, *init = NULL, *resp = NULL;
    uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP];
    size_t msg_len = 0, reply_len = 0;
    uint8_t cs_id = 0;

    if (CHECK_OK(mikey_config_new(MIKEY_METHOD_DH_SIGN, &config))) {
        CHECK_RESULT(mikey_config_set_certificate_chain(config, garbage, sizeof garbage - 1), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_RESULT(mikey_config_set_private_key(config, garbage, sizeof garbage - 1), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_RESULT(mikey_config_add_trust_anchor(config, garbage, 3), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_RESULT(mikey_config_set_peer_certificate(config, NULL, 5), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_RESULT(mikey_config_set_certificate_chain(NULL, garbage, 3), MIKEY_ERR_INVALID_ARGUMENT);
        /* The config says why a setter refused, and forgets it after a success. */
        CHECK_RESULT(test_set_from_pki(config, mikey_config_set_private_key, "weak-1024.key.pem"),
                     MIKEY_ERR_UNSUPPORTED);
        CHECK(strstr(mikey_config_last_error(config), "1024") != NULL, "last_error: \"%s\"",
              mikey_config_last_error(config));
        CHECK_RESULT(mikey_config_set_certificate_chain(config, garbage, sizeof garbage - 1),
                     MIKEY_ERR_INVALID_ARGUMENT);
        CHECK(mikey_config_last_error(config)[0] != '\0', "no detail for a refused certificate");
        CHECK_OK(mikey_config_set_request_verification(config, 1));
        CHECK(strcmp(mikey_config_last_error(config), "") == 0, "last_error after a success: \"%s\"",
              mikey_config_last_error(config));
        CHECK(strcmp(mikey_config_last_error(NULL), "invalid config") == 0, "mikey_config_last_error(NULL)");
        /* No credentials: no session. */
        CHECK_RESULT(mikey_session_new(config, MIKEY_ROLE_INITIATOR, &session), MIKEY_ERR_INVALID_ARGUMENT);
    }
    /* Bob's key under alice's certificate. */
    if (mismatched != NULL) {
        CHECK_RESULT(mikey_session_new(mismatched, MIKEY_ROLE_INITIATOR, &session), MIKEY_ERR_INVALID_ARGUMENT);
    }
    /* A responder without trust anchors cannot authenticate alice. */
    if (alice != NULL && untrusting != NULL && CHECK_OK(mikey_session_new(alice, MIKEY_ROLE_INITIATOR, &init)) &&
        CHECK_OK(mikey_session_new(untrusting, MIKEY_ROLE_RESPONDER, &resp)) &&
        CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 1, 0, &cs_id)) &&
        CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len))) {
        CHECK_REFUSED(resp, msg, msg_len, reply, sizeof reply, &reply_len, MIKEY_ERR_AUTH_FAILED, MIKEY_STATE_IDLE);
    }
    free_exchange(init, resp, alice, untrusting);
    mikey_session_free(session);
    mikey_config_free(config);
    mikey_config_free(mismatched);
}

/* SIP forking with RSA-R: alice, who does not know who will answer, accepts any peer under her
   anchors (without saying so, she refuses to start) and forks her waiting session; bob's answer
   goes to the fork, carol's to the original, each pair agrees on its own keys, and each fork
   knows who answered. */
static void rsa_r_forking(void)
{
    mikey_config *unnamed = test_signing_config(MIKEY_METHOD_RSA_R, "alice", "alice", NULL, NULL, 1);
    mikey_config *alice = test_signing_config(MIKEY_METHOD_RSA_R, "alice", "alice", NULL, NULL, 1);
    mikey_config *bob = test_signing_config(MIKEY_METHOD_RSA_R, "bob", "bob", "sip:alice@example.com", NULL, 1);
    mikey_config *carol = test_signing_config(MIKEY_METHOD_RSA_R, "carol", "carol", "sip:alice@example.com", NULL, 1);
    mikey_session *init = NULL, *fork = NULL, *resp_bob = NULL, *resp_carol = NULL;
    uint8_t msg[TEST_MSG_CAP], from_bob[TEST_MSG_CAP], from_carol[TEST_MSG_CAP], none[1];
    size_t msg_len = 0, bob_len = 0, carol_len = 0, none_len = 0;
    uint8_t cs_id = 0;
    uint32_t csb_id = 0;
    mikey_srtp_keys with_bob[1], with_carol[1];

    if (unnamed == NULL || alice == NULL || bob == NULL || carol == NULL ||
        !CHECK_OK(mikey_session_new(unnamed, MIKEY_ROLE_INITIATOR, &init)) ||
        !CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0xF0F0F0F0u, 0, &cs_id))) {
        goto out;
    }
    CHECK_SESSION_RESULT(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len),
                         MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_SESSION_RESULT(init, mikey_session_csb_id(init, &csb_id), MIKEY_ERR_STATE);
    mikey_session_free(init);
    init = NULL;
    if (!CHECK_OK(mikey_config_set_accept_any_peer(alice, 1)) ||
        !CHECK_OK(mikey_session_new(alice, MIKEY_ROLE_INITIATOR, &init)) ||
        !CHECK_OK(mikey_session_new(bob, MIKEY_ROLE_RESPONDER, &resp_bob)) ||
        !CHECK_OK(mikey_session_new(carol, MIKEY_ROLE_RESPONDER, &resp_carol)) ||
        !CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0xF0F0F0F0u, 0, &cs_id))) {
        goto out;
    }
    CHECK_SESSION_RESULT(init, mikey_session_fork(init, &fork), MIKEY_ERR_STATE);
    if (!CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len)) ||
        !CHECK_SESSION_OK(init, mikey_session_fork(init, &fork)) ||
        !CHECK_SESSION_OK(resp_bob, mikey_session_process_message(resp_bob, msg, msg_len, from_bob, sizeof from_bob,
                                                                  &bob_len)) ||
        !CHECK_SESSION_OK(resp_carol, mikey_session_process_message(resp_carol, msg, msg_len, from_carol,
                                                                    sizeof from_carol, &carol_len)) ||
        !CHECK_SESSION_OK(fork, mikey_session_process_message(fork, from_bob, bob_len, none, sizeof none, &none_len)) ||
        !CHECK_SESSION_OK(init, mikey_session_process_message(init, from_carol, carol_len, none, sizeof none,
                                                              &none_len))) {
        goto out;
    }
    /* Carol's certificate names her by e-mail address only. */
    peers_are(fork, "sip:bob@example.com", 1, resp_bob);
    peers_are(init, "carol@example.com", 1, resp_carol);
    if (sessions_agree(fork, resp_bob, 1, with_bob) && sessions_agree(init, resp_carol, 1, with_carol)) {
        CHECK(memcmp(with_bob[0].master_key, with_carol[0].master_key, with_bob[0].master_key_len) != 0,
              "two responders gave the same key");
    }
    mikey_srtp_keys_clear(&with_bob[0]);
    mikey_srtp_keys_clear(&with_carol[0]);
out:
    free_exchange(init, resp_bob, alice, bob);
    free_exchange(fork, resp_carol, unnamed, carol);
}

/* RSA-R group key server (RFC 4738 §3.2): bob serves group 0x0600D5E with one stream; alice and
   carol each join and get the same keys, for the group's stream. */
static void rsa_r_group(void)
{
    static const mikey_stream group_streams[] = {{0x9A9A9A9Au, 3}};
    mikey_config *server = test_signing_config(MIKEY_METHOD_RSA_R, "bob", "bob", NULL, NULL, 1);
    const char *members[] = {"alice", "carol"};
    mikey_srtp_keys keys[2];
    int joined = 0;
    size_t i;

    if (server == NULL) {
        return;
    }
    CHECK_RESULT(mikey_config_set_rsa_r_group(server, 1, NULL, 1), MIKEY_ERR_INVALID_ARGUMENT);
    if (!CHECK_OK(mikey_config_set_rsa_r_group(server, 0x0600D5Eu, group_streams, 1))) {
        goto out;
    }
    for (i = 0; i < 2; i++) {
        mikey_config *member = test_signing_config(MIKEY_METHOD_RSA_R, members[i], members[i], "sip:bob@example.com",
                                                   NULL, 1);
        mikey_session *init = NULL, *resp = NULL;

        if (member != NULL && run_exchange(member, server, 1, SSRC_BASE, &init, &resp) &&
            sessions_agree(init, resp, 1, &keys[i])) {
            CHECK(keys[i].ssrc == group_streams[0].ssrc && keys[i].roc == group_streams[0].roc,
                  "%s got stream 0x%08lx/%lu", members[i], (unsigned long)keys[i].ssrc, (unsigned long)keys[i].roc);
            joined++;
        }
        free_exchange(init, resp, member, NULL);
    }
    if (CHECK(joined == 2, "%d of 2 members joined", joined)) {
        keys_equal(&keys[0], &keys[1], "the two members' group keys");
        mikey_srtp_keys_clear(&keys[0]);
        mikey_srtp_keys_clear(&keys[1]);
    }
out:
    mikey_config_free(server);
}

/* RSA-PSS signatures both ways (RSA-R, whose two messages are signed). */
static void pss_signatures(void)
{
    mikey_config *alice = test_signing_config(MIKEY_METHOD_RSA_R, "alice", "alice", "sip:bob@example.com", NULL, 1);
    mikey_config *bob = test_signing_config(MIKEY_METHOD_RSA_R, "bob", "bob", "sip:alice@example.com", NULL, 1);
    mikey_session *init = NULL, *resp = NULL;

    if (alice != NULL && bob != NULL) {
        CHECK_RESULT(mikey_config_set_signature_scheme(alice, 9), MIKEY_ERR_INVALID_ARGUMENT);
        if (CHECK_OK(mikey_config_set_signature_scheme(alice, MIKEY_SIGNATURE_PSS_SHA256)) &&
            CHECK_OK(mikey_config_set_signature_scheme(bob, MIKEY_SIGNATURE_PSS_SHA256)) &&
            run_exchange(alice, bob, 1, SSRC_BASE, &init, &resp)) {
            sessions_agree(init, resp, 1, NULL);
        }
    }
    free_exchange(init, resp, alice, bob);
}

/* RSA-R: an answer with one SIGNr byte changed, then carol's valid answer when alice expects bob,
   are refused and leave alice waiting; bob's genuine answer then completes the exchange. */
static void rsa_r_answers(void)
{
    mikey_config *alice = test_signing_config(MIKEY_METHOD_RSA_R, "alice", "alice", "sip:bob@example.com", NULL, 1);
    mikey_config *bob = test_signing_config(MIKEY_METHOD_RSA_R, "bob", "bob", "sip:alice@example.com", NULL, 1);
    mikey_config *carol = test_signing_config(MIKEY_METHOD_RSA_R, "carol", "carol", "sip:alice@example.com", NULL, 1);
    mikey_session *init = NULL, *resp = NULL, *impostor = NULL;
    uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP], forged[TEST_MSG_CAP], none[1];
    size_t msg_len = 0, reply_len = 0, forged_len = 0, none_len = 0;
    uint8_t cs_id = 0;
    mikey_srtp_keys keys[1];

    if (alice == NULL || bob == NULL || carol == NULL ||
        !CHECK_OK(mikey_session_new(alice, MIKEY_ROLE_INITIATOR, &init)) ||
        !CHECK_OK(mikey_session_new(bob, MIKEY_ROLE_RESPONDER, &resp)) ||
        !CHECK_OK(mikey_session_new(carol, MIKEY_ROLE_RESPONDER, &impostor)) ||
        !CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0x4A4A4A4Au, 0, &cs_id)) ||
        !CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len)) ||
        !CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len)) ||
        !CHECK_SESSION_OK(impostor, mikey_session_process_message(impostor, msg, msg_len, forged, sizeof forged,
                                                                  &forged_len))) {
        goto out;
    }
    CHECK_STATE(init, MIKEY_STATE_WAIT_RESPONSE);
    reply[reply_len - 1] ^= 0x01;
    CHECK_REFUSED(init, reply, reply_len, none, sizeof none, &none_len, MIKEY_ERR_AUTH_FAILED,
                  MIKEY_STATE_WAIT_RESPONSE);
    CHECK_REFUSED(init, forged, forged_len, none, sizeof none, &none_len, MIKEY_ERR_AUTH_FAILED,
                  MIKEY_STATE_WAIT_RESPONSE);
    reply[reply_len - 1] ^= 0x01;
    if (CHECK_SESSION_OK(init, mikey_session_process_message(init, reply, reply_len, none, sizeof none, &none_len))) {
        CHECK(none_len == 0, "the initiator answered an R_MESSAGE");
        sessions_agree(init, resp, 1, keys);
        mikey_srtp_keys_clear(&keys[0]);
    }
out:
    free_exchange(init, resp, alice, bob);
    mikey_session_free(impostor);
    mikey_config_free(carol);
}

int main(void)
{
    exchange_and_rekey(MIKEY_METHOD_DH_SIGN, 0, 4);
    exchange_and_rekey(MIKEY_METHOD_PK, 0, 2);
    exchange_and_rekey(MIKEY_METHOD_RSA_R, 0, 9);
    exchange_and_rekey(MIKEY_METHOD_PK, 1, 0);
    rsa_r_answers();
    pss_signatures();
    rsa_r_forking();
    rsa_r_group();
    errors();
    return test_finish("public_key_exchange");
}
