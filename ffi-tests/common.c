/* SPDX-License-Identifier: Apache-2.0 OR MIT */
#include "common.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long failures;

static void report(const char *file, int line, const char *expr, const char *fmt, va_list args)
{
    pthread_mutex_lock(&report_lock);
    failures++;
    fprintf(stderr, "%s:%d: CHECK FAILED: %s: ", file, line, expr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    fflush(stderr);
    pthread_mutex_unlock(&report_lock);
}

void check_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    report(file, line, expr, fmt, args);
    va_end(args);
}

int check_true(const char *file, int line, const char *expr, int passed, const char *fmt, ...)
{
    va_list args;
    if (passed) {
        return 1;
    }
    va_start(args, fmt);
    report(file, line, expr, fmt, args);
    va_end(args);
    return 0;
}

int check_result(const char *file, int line, const char *expr, mikey_result actual, mikey_result expected,
                 const mikey_session *session)
{
    if (actual == expected) {
        return 1;
    }
    if (session != NULL) {
        /* Copy the text at once: it is valid until the next call on the session. */
        check_fail(file, line, expr, "returned %s (%s), expected %s; last_error: \"%s\"", result_name(actual),
                   mikey_result_str(actual), result_name(expected), mikey_session_last_error(session));
    } else {
        check_fail(file, line, expr, "returned %s (%s), expected %s", result_name(actual),
                   mikey_result_str(actual), result_name(expected));
    }
    return 0;
}

int check_state(const char *file, int line, const char *expr, const mikey_session *session, mikey_state expected)
{
    mikey_state actual = mikey_session_state(session);
    if (actual == expected) {
        return 1;
    }
    check_fail(file, line, expr, "state is %s, expected %s", state_name(actual), state_name(expected));
    return 0;
}

int check_fails(const char *file, int line, const char *expr, mikey_result actual, mikey_result expected,
                const mikey_session *session)
{
    const char *text;
    if (!check_result(file, line, expr, actual, expected, session)) {
        return 0;
    }
    text = mikey_session_last_error(session);
    if (text == NULL || text[0] == '\0') {
        check_fail(file, line, expr, "failed with %s but mikey_session_last_error is empty", result_name(actual));
        return 0;
    }
    return 1;
}

int check_refused(const char *file, int line, const char *what, mikey_session *session, const uint8_t *in,
                  size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len, mikey_result expected,
                  mikey_state state)
{
    int refused = check_fails(file, line, what,
                              mikey_session_process_message(session, in, in_len, out, out_cap, out_len), expected,
                              session);
    return check_state(file, line, what, session, state) && refused;
}

unsigned long test_failures(void)
{
    unsigned long n;
    pthread_mutex_lock(&report_lock);
    n = failures;
    pthread_mutex_unlock(&report_lock);
    return n;
}

int test_finish(const char *name)
{
    unsigned long n = test_failures();
    if (n == 0) {
        printf("%s: PASS\n", name);
        return 0;
    }
    printf("%s: FAIL (%lu failed check%s)\n", name, n, n == 1 ? "" : "s");
    return 1;
}

const char *result_name(mikey_result result)
{
    switch (result) {
    case MIKEY_OK: return "MIKEY_OK";
    case MIKEY_ERR_INVALID_ARGUMENT: return "MIKEY_ERR_INVALID_ARGUMENT";
    case MIKEY_ERR_BUFFER_TOO_SMALL: return "MIKEY_ERR_BUFFER_TOO_SMALL";
    case MIKEY_ERR_MALFORMED: return "MIKEY_ERR_MALFORMED";
    case MIKEY_ERR_UNSUPPORTED: return "MIKEY_ERR_UNSUPPORTED";
    case MIKEY_ERR_AUTH_FAILED: return "MIKEY_ERR_AUTH_FAILED";
    case MIKEY_ERR_REPLAY: return "MIKEY_ERR_REPLAY";
    case MIKEY_ERR_TIMESTAMP: return "MIKEY_ERR_TIMESTAMP";
    case MIKEY_ERR_POLICY: return "MIKEY_ERR_POLICY";
    case MIKEY_ERR_STATE: return "MIKEY_ERR_STATE";
    case MIKEY_ERR_PEER_ERROR: return "MIKEY_ERR_PEER_ERROR";
    case MIKEY_ERR_CRYPTO: return "MIKEY_ERR_CRYPTO";
    case MIKEY_ERR_PANIC: return "MIKEY_ERR_PANIC";
    default: return "unknown";
    }
}

const char *state_name(mikey_state state)
{
    switch (state) {
    case MIKEY_STATE_IDLE: return "IDLE";
    case MIKEY_STATE_WAIT_RESPONSE: return "WAIT_RESPONSE";
    case MIKEY_STATE_ESTABLISHED: return "ESTABLISHED";
    case MIKEY_STATE_FAILED: return "FAILED";
    case MIKEY_STATE_WAIT_KMS: return "WAIT_KMS";
    case MIKEY_STATE_INVALID: return "INVALID";
    default: return "unknown";
    }
}

const uint8_t TEST_PSK[32] = {
    0x6d, 0x69, 0x6b, 0x65, 0x79, 0x2d, 0x66, 0x66, 0x69, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x2d, 0x70,
    0x73, 0x6b, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
};

const uint8_t TEST_PSK_OTHER[32] = {
    0x6d, 0x69, 0x6b, 0x65, 0x79, 0x2d, 0x66, 0x66, 0x69, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x2d, 0x70,
    0x73, 0x6b, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0xd0,
};

test_config_params test_psk_params(void)
{
    test_config_params params;
    memset(&params, 0, sizeof params);
    params.method = MIKEY_METHOD_PSK;
    params.psk = TEST_PSK;
    params.psk_len = sizeof TEST_PSK;
    params.profile = 0;
    params.request_verification = 1;
    params.interop = 0;
    return params;
}

test_config_params test_dh_hmac_params(const char *own_id, const char *peer_id, mikey_dh_group group)
{
    test_config_params params = test_psk_params();
    params.method = MIKEY_METHOD_DH_HMAC;
    params.own_id = own_id;
    params.peer_id = peer_id;
    params.dh_group = group;
    return params;
}

mikey_config *test_config_new(const test_config_params *params)
{
    mikey_config *config = NULL;
    mikey_srtp_policy policy;
    int ok = 1;

    if (!CHECK_OK(mikey_config_new(params->method, &config)) || !CHECK(config != NULL, "no config")) {
        return NULL;
    }
    if (params->method == MIKEY_METHOD_PSK || params->method == MIKEY_METHOD_DH_HMAC) {
        const uint8_t *psk = params->psk != NULL ? params->psk : TEST_PSK;
        size_t psk_len = params->psk != NULL ? params->psk_len : sizeof TEST_PSK;
        ok &= CHECK_OK(mikey_config_set_psk(config, psk, psk_len));
    }
    ok &= CHECK_OK(mikey_srtp_policy_init(&policy));
    policy.profile = params->profile;
    ok &= CHECK_OK(mikey_config_set_srtp_policy(config, &policy));
    ok &= CHECK_OK(mikey_config_set_request_verification(config, params->request_verification));
    ok &= CHECK_OK(mikey_config_set_interop(config, params->interop));
    if (params->own_id != NULL || params->peer_id != NULL) {
        ok &= CHECK_OK(mikey_config_set_identities(config, params->own_id, params->peer_id));
    }
    if (params->method == MIKEY_METHOD_DH_HMAC) {
        ok &= CHECK_OK(mikey_config_set_dh_group(config, params->dh_group));
        /* The tests use OAKLEY 1 and 2 (fast), below the default minimum. */
        ok &= CHECK_OK(mikey_config_set_min_dh_group(config, params->dh_group));
    }
    if (!ok) {
        mikey_config_free(config);
        return NULL;
    }
    return config;
}

void free_exchange(mikey_session *init, mikey_session *resp, mikey_config *init_cfg, mikey_config *resp_cfg)
{
    mikey_session_free(init);
    mikey_session_free(resp);
    mikey_config_free(init_cfg);
    mikey_config_free(resp_cfg);
}

int deliver_i_message(mikey_session *init, mikey_session *resp)
{
    uint8_t msg[TEST_MSG_CAP];
    uint8_t reply[TEST_MSG_CAP];
    size_t msg_len = 0;
    size_t reply_len = 0;
    size_t none_len = 1;

    if (!CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len))) {
        return 0;
    }
    if (!CHECK(msg_len > 0 && msg_len <= sizeof msg, "I_MESSAGE length %zu", msg_len)) {
        return 0;
    }
    if (!CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len))) {
        return 0;
    }
    if (reply_len > 0) {
        /* The R_MESSAGE (the initiator asked for verification): nothing goes back. */
        if (!CHECK_STATE(init, MIKEY_STATE_WAIT_RESPONSE) ||
            !CHECK_SESSION_OK(init, mikey_session_process_message(init, reply, reply_len, msg, sizeof msg, &none_len)) ||
            !CHECK(none_len == 0, "the initiator wants to answer the R_MESSAGE with %zu bytes", none_len)) {
            return 0;
        }
    }
    return CHECK_STATE(init, MIKEY_STATE_ESTABLISHED) & CHECK_STATE(resp, MIKEY_STATE_ESTABLISHED);
}

int run_exchange(const mikey_config *init_cfg, const mikey_config *resp_cfg, size_t n_streams,
                 uint32_t ssrc_base, mikey_session **init_out, mikey_session **resp_out)
{
    mikey_session *init = NULL;
    mikey_session *resp = NULL;
    size_t i;
    int ok = 1;

    if (!CHECK_OK(mikey_session_new(init_cfg, MIKEY_ROLE_INITIATOR, &init))) {
        return 0;
    }
    if (!CHECK_OK(mikey_session_new(resp_cfg, MIKEY_ROLE_RESPONDER, &resp))) {
        mikey_session_free(init);
        return 0;
    }
    ok &= CHECK_STATE(init, MIKEY_STATE_IDLE) & CHECK_STATE(resp, MIKEY_STATE_IDLE);
    for (i = 0; ok && i < n_streams; i++) {
        uint8_t cs_id = 0;
        ok &= CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, TEST_SSRC(ssrc_base, i), TEST_ROC(i), &cs_id));
        ok &= CHECK(cs_id == i + 1, "stream %zu got CS ID %u", i, (unsigned)cs_id);
    }
    ok = ok && deliver_i_message(init, resp);
    ok = ok && CHECK(mikey_session_cs_count(init) == n_streams, "initiator cs_count %zu", mikey_session_cs_count(init));
    ok = ok && CHECK(mikey_session_cs_count(resp) == n_streams, "responder cs_count %zu", mikey_session_cs_count(resp));
    if (!ok) {
        mikey_session_free(init);
        mikey_session_free(resp);
        return 0;
    }
    *init_out = init;
    *resp_out = resp;
    return 1;
}

int export_all(const mikey_session *session, mikey_srtp_keys *keys, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        if (!CHECK_SESSION_OK(session, mikey_session_export_srtp(session, (uint8_t)(i + 1), &keys[i]))) {
            return 0;
        }
    }
    return 1;
}

int all_zero(const uint8_t *bytes, size_t len)
{
    size_t i;
    for (i = 0; i < len; i++) {
        if (bytes[i] != 0) {
            return 0;
        }
    }
    return 1;
}

#define FIELD_EQUAL(field) \
    CHECK(a->field == b->field, "%s: " #field " differs: %lu vs %lu", what, (unsigned long)a->field, (unsigned long)b->field)

int keys_equal(const mikey_srtp_keys *a, const mikey_srtp_keys *b, const char *what)
{
    int ok = FIELD_EQUAL(cs_id) & FIELD_EQUAL(ssrc) & FIELD_EQUAL(roc) & FIELD_EQUAL(profile) &
             FIELD_EQUAL(master_key_len) & FIELD_EQUAL(master_salt_len) & FIELD_EQUAL(cipher_key_len) &
             FIELD_EQUAL(auth_key_len) & FIELD_EQUAL(auth_tag_len) & FIELD_EQUAL(mki_len) &
             FIELD_EQUAL(key_derivation_rate) & FIELD_EQUAL(srtp_encryption) & FIELD_EQUAL(srtcp_encryption) &
             FIELD_EQUAL(srtp_authentication) & FIELD_EQUAL(ssrc_type) & FIELD_EQUAL(rcc_mode) &
             FIELD_EQUAL(roc_transmission_rate);
    if (!ok) {
        return 0;
    }
    ok &= CHECK(a->master_key_len <= sizeof a->master_key, "%s: master_key_len %zu", what, a->master_key_len);
    ok &= CHECK(a->master_salt_len <= sizeof a->master_salt, "%s: master_salt_len %zu", what, a->master_salt_len);
    ok &= CHECK(a->mki_len <= sizeof a->mki, "%s: mki_len %zu", what, a->mki_len);
    if (!ok) {
        return 0;
    }
    ok &= CHECK(memcmp(a->master_key, b->master_key, a->master_key_len) == 0, "%s: master keys differ", what);
    ok &= CHECK(memcmp(a->master_salt, b->master_salt, a->master_salt_len) == 0, "%s: master salts differ", what);
    ok &= CHECK(memcmp(a->mki, b->mki, a->mki_len) == 0, "%s: MKIs differ", what);
    ok &= CHECK(!all_zero(a->master_key, a->master_key_len), "%s: the master key is all zero", what);
    ok &= CHECK(!all_zero(a->master_salt, a->master_salt_len), "%s: the master salt is all zero", what);
    ok &= CHECK(all_zero(a->reserved, sizeof a->reserved) && all_zero(b->reserved, sizeof b->reserved),
                "%s: reserved bytes set", what);
    return ok;
}

int sessions_agree(const mikey_session *init, const mikey_session *resp, size_t n, mikey_srtp_keys *keys)
{
    mikey_srtp_keys ik[8];
    mikey_srtp_keys rk[8];
    char what[64];
    size_t i;
    int ok = 1;

    if (!CHECK(n <= 8, "at most 8 streams (%zu)", n) || !export_all(init, ik, n) || !export_all(resp, rk, n)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        snprintf(what, sizeof what, "CS %zu", i + 1);
        ok &= keys_equal(&ik[i], &rk[i], what);
        ok &= CHECK(ik[i].cs_id == i + 1, "CS %zu exported as cs_id %u", i + 1, (unsigned)ik[i].cs_id);
    }
    if (keys != NULL) {
        memcpy(keys, ik, n * sizeof ik[0]);
    }
    for (i = 0; i < n; i++) {
        mikey_srtp_keys_clear(&ik[i]);
        mikey_srtp_keys_clear(&rk[i]);
    }
    return ok;
}

int peers_are(const mikey_session *session, const char *identity, int with_certificate,
              const mikey_session *other_end)
{
    uint8_t found[256], der[4096];
    size_t found_len = 0, der_len = 0;
    uint32_t csb_id = 0, other_csb_id = 1;
    size_t expected_len = identity == NULL ? 0 : strlen(identity);
    int ok = CHECK_SESSION_OK(session, mikey_session_peer_identity(session, found, sizeof found, &found_len)) &&
             CHECK_SESSION_OK(session, mikey_session_peer_certificate(session, der, sizeof der, &der_len)) &&
             CHECK_SESSION_OK(session, mikey_session_csb_id(session, &csb_id)) &&
             CHECK_SESSION_OK(other_end, mikey_session_csb_id(other_end, &other_csb_id));
    if (!ok) {
        return 0;
    }
    ok &= CHECK(found_len == expected_len && memcmp(found, identity == NULL ? "" : identity, found_len) == 0,
                "peer identity \"%.*s\", expected \"%s\"", (int)found_len, (const char *)found,
                identity == NULL ? "" : identity);
    /* A DER certificate starts with a SEQUENCE of two length bytes (0x30 0x82). */
    ok &= CHECK(with_certificate ? der_len > 4 && der[0] == 0x30 && der[1] == 0x82 : der_len == 0,
                "peer certificate of %zu bytes", der_len);
    ok &= CHECK(csb_id == other_csb_id, "CSB IDs %08x and %08x", (unsigned)csb_id, (unsigned)other_csb_id);
    return ok;
}

int keys_match_profile(const mikey_srtp_keys *keys, uint32_t profile)
{
    /* profile: master key, master salt, session auth key, tag (RFC 3711 / 7714 / 6188) */
    size_t key_len, salt_len;
    uint32_t auth_key_len, tag_len;
    int ok = 1;

    switch (profile) {
    case 1: key_len = 16; salt_len = 14; auth_key_len = 20; tag_len = 10; break;
    case 2: key_len = 16; salt_len = 14; auth_key_len = 20; tag_len = 4; break;
    case 7: key_len = 16; salt_len = 12; auth_key_len = 0; tag_len = 16; break;
    case 8: key_len = 32; salt_len = 12; auth_key_len = 0; tag_len = 16; break;
    case 0x0101: key_len = 32; salt_len = 14; auth_key_len = 20; tag_len = 10; break;
    case 0x0102: key_len = 32; salt_len = 14; auth_key_len = 20; tag_len = 4; break;
    case 0x0103: key_len = 24; salt_len = 14; auth_key_len = 20; tag_len = 10; break;
    case 0x0104: key_len = 24; salt_len = 14; auth_key_len = 20; tag_len = 4; break;
    default: return CHECK(0, "keys_match_profile: profile %lu not covered", (unsigned long)profile);
    }
    ok &= CHECK(keys->profile == profile, "CS %u: profile %lu, expected %lu", (unsigned)keys->cs_id,
                (unsigned long)keys->profile, (unsigned long)profile);
    ok &= CHECK(keys->master_key_len == key_len, "CS %u: master_key_len %zu, expected %zu", (unsigned)keys->cs_id,
                keys->master_key_len, key_len);
    ok &= CHECK(keys->master_salt_len == salt_len, "CS %u: master_salt_len %zu, expected %zu", (unsigned)keys->cs_id,
                keys->master_salt_len, salt_len);
    ok &= CHECK(keys->cipher_key_len == key_len, "CS %u: cipher_key_len %lu, expected %zu", (unsigned)keys->cs_id,
                (unsigned long)keys->cipher_key_len, key_len);
    ok &= CHECK(keys->auth_key_len == auth_key_len, "CS %u: auth_key_len %lu, expected %lu", (unsigned)keys->cs_id,
                (unsigned long)keys->auth_key_len, (unsigned long)auth_key_len);
    ok &= CHECK(keys->auth_tag_len == tag_len, "CS %u: auth_tag_len %lu, expected %lu", (unsigned)keys->cs_id,
                (unsigned long)keys->auth_tag_len, (unsigned long)tag_len);
    ok &= CHECK(keys->mki_len == 0, "CS %u: mki_len %zu, expected 0", (unsigned)keys->cs_id, keys->mki_len);
    ok &= CHECK(keys->srtp_encryption == 1 && keys->srtcp_encryption == 1 && keys->srtp_authentication == 1,
                "CS %u: protection switches %u/%u/%u, expected all on", (unsigned)keys->cs_id,
                (unsigned)keys->srtp_encryption, (unsigned)keys->srtcp_encryption,
                (unsigned)keys->srtp_authentication);
    return ok;
}

/* ---- the test PKI ---------------------------------------------------------------------- */

#ifndef MIKEY_TEST_PKI_DIR
#error "MIKEY_TEST_PKI_DIR must name tests/pki"
#endif

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

mikey_result test_set_from_pki(mikey_config *config, test_pki_setter set, const char *name)
{
    file_bytes bytes = {NULL, 0};
    mikey_result result = read_pki(name, &bytes) ? set(config, bytes.data, bytes.len) : MIKEY_ERR_INVALID_ARGUMENT;
    free(bytes.data);
    return result;
}

mikey_result test_kms_set_from_pki(mikey_kms *kms, test_kms_pki_setter set, const char *name)
{
    file_bytes bytes = {NULL, 0};
    mikey_result result = read_pki(name, &bytes) ? set(kms, bytes.data, bytes.len) : MIKEY_ERR_INVALID_ARGUMENT;
    free(bytes.data);
    return result;
}

mikey_config *test_signing_config(mikey_method method, const char *who, const char *key_of, const char *peer_id,
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
