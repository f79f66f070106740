/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * The public-key methods through the C API, with the test PKI of tests/pki: alice and bob sign
 * with certificates issued by an intermediate under the test root. DH-SIGN (RFC 3830 §3.3) and PK
 * (§3.2, the envelope key under the responder's certificate): an exchange with two SRTP streams
 * and a re-keying exchange each, then the errors a module author meets: credentials that do not
 * parse, a key that is not the certificate's, an untrusted peer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#ifndef MIKEY_TEST_PKI_DIR
#error "MIKEY_TEST_PKI_DIR must name tests/pki"
#endif

#define N_STREAMS 2
#define SSRC_BASE 0x5E5E0000u

typedef struct file_bytes {
    uint8_t *data;
    size_t len;
} file_bytes;

/* Reads tests/pki/<name>, appending to `out` (so a chain is two reads). */
static int read_pki(const char *name, file_bytes *out)
{
    char path[512];
    FILE *file;
    long size;
    uint8_t *grown;

    snprintf(path, sizeof path, "%s/%s", MIKEY_TEST_PKI_DIR, name);
    file = fopen(path, "rb");
    if (!CHECK(file != NULL, "cannot open %s", path)) {
        return 0;
    }
    fseek(file, 0, SEEK_END);
    size = ftell(file);
    fseek(file, 0, SEEK_SET);
    grown = realloc(out->data, out->len + (size_t)size);
    if (!CHECK(size > 0 && grown != NULL, "cannot read %s", path)) {
        fclose(file);
        return 0;
    }
    out->data = grown;
    out->len += fread(out->data + out->len, 1, (size_t)size, file);
    fclose(file);
    return 1;
}

/* A `method` config for `who` ("alice", "bob") with `key_of`'s key, trusting the test root (if
   `trust`), naming `peer_id`; for PK also pinning the peer's certificate `peer_cert`. */
static mikey_config *method_config(mikey_method method, const char *who, const char *key_of, const char *peer_id,
                                   const char *peer_cert, int trust)
{
    test_config_params params = test_psk_params();
    file_bytes chain = {NULL, 0}, key = {NULL, 0}, root = {NULL, 0}, peer = {NULL, 0};
    char name[64];
    mikey_config *config;
    int ok = 1;

    params.method = method;
    params.peer_id = peer_id;
    config = test_config_new(&params);
    if (config == NULL) {
        return NULL;
    }
    snprintf(name, sizeof name, "%s.crt.pem", who);
    ok &= read_pki(name, &chain) && read_pki("intermediate.crt.pem", &chain);
    snprintf(name, sizeof name, "%s.key.pem", key_of);
    ok &= read_pki(name, &key) && read_pki("root.crt.pem", &root);
    ok = ok && CHECK_OK(mikey_config_set_certificate_chain(config, chain.data, chain.len)) &&
         CHECK_OK(mikey_config_set_private_key(config, key.data, key.len)) &&
         (!trust || CHECK_OK(mikey_config_add_trust_anchor(config, root.data, root.len)));
    if (ok && peer_cert != NULL) {
        ok = read_pki(peer_cert, &peer) && CHECK_OK(mikey_config_set_peer_certificate(config, peer.data, peer.len));
    }
    free(peer.data);
    free(chain.data);
    free(key.data);
    free(root.data);
    if (!ok) {
        mikey_config_free(config);
        return NULL;
    }
    return config;
}

static mikey_config *signer_config(const char *who, const char *key_of, const char *peer_id, int trust)
{
    return method_config(MIKEY_METHOD_DH_SIGN, who, key_of, peer_id, NULL, trust);
}

static void exchange_and_rekey(mikey_method method)
{
    mikey_config *alice = method_config(method, "alice", "alice", "sip:bob@example.com", "bob.crt.pem", 1);
    mikey_config *bob = method_config(method, "bob", "bob", "sip:alice@example.com", "alice.crt.pem", 1);
    mikey_session *init = NULL, *resp = NULL;
    mikey_srtp_keys first[N_STREAMS], second[N_STREAMS];

    if (alice == NULL || bob == NULL || !run_exchange(alice, bob, N_STREAMS, SSRC_BASE, &init, &resp)) {
        goto out;
    }
    sessions_agree(init, resp, N_STREAMS, first);
    if (deliver_i_message(init, resp) && sessions_agree(init, resp, N_STREAMS, second)) {
        CHECK(memcmp(first[1].master_key, second[1].master_key, first[1].master_key_len) != 0,
              "re-keying kept the old master key");
    }
    mikey_srtp_keys_clear(&first[0]);
    mikey_srtp_keys_clear(&second[0]);
out:
    mikey_session_free(init);
    mikey_session_free(resp);
    mikey_config_free(alice);
    mikey_config_free(bob);
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
        CHECK_SESSION_RESULT(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len),
                             MIKEY_ERR_AUTH_FAILED);
        CHECK_STATE(resp, MIKEY_STATE_IDLE);
    }
    mikey_session_free(session);
    mikey_session_free(init);
    mikey_session_free(resp);
    mikey_config_free(config);
    mikey_config_free(mismatched);
    mikey_config_free(alice);
    mikey_config_free(untrusting);
}

int main(void)
{
    exchange_and_rekey(MIKEY_METHOD_DH_SIGN);
    exchange_and_rekey(MIKEY_METHOD_PK);
    errors();
    return test_finish("public_key_exchange");
}
