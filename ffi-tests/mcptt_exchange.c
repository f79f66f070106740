/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * MIKEY-SAKKE for MCPTT through the C API (RFC 6509, TS 33.180), with the KMS and users of
 * Streamwide's test material (sakke_vectors.h) on a clock set to their key period:
 * - Alice's client takes Streamwide's real GMK message: the published GMK, GMK-ID, GUK-ID and
 *   SRTP keys of CS 4;
 * - a group management server keys a group of three with one GMK, each member under its own
 *   GUK-ID, with the group's URI in the key parameters and SIP's name for the GMS confirmed;
 * - a private call key goes from Alice to Bob (with SAKKE-to-self) and from Bob to Alice, both
 *   ends exporting the same SRTP keys for CS 0 and 1;
 * - a message for Alice is refused by Bob, and a replay by Alice, each leaving the session idle;
 * - Alice's client configured from the KMS's XML (TS 33.180 Annex D) takes the GMK message too.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "sakke_vectors.h"

/* Hex text into `out` (at most `cap` bytes); returns the byte count. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t len = strlen(hex) / 2, i;
    unsigned value;
    for (i = 0; i < len && i < cap; i++) {
        if (sscanf(hex + 2 * i, "%2x", &value) != 1) {
            return 0;
        }
        out[i] = (uint8_t)value;
    }
    return i;
}

static int equals_hex(const uint8_t *bytes, size_t len, const char *hex)
{
    uint8_t expected[64];
    return unhex(hex, expected, sizeof expected) == len && memcmp(bytes, expected, len) == 0;
}

/* Every config reads this NTP time: the T of Streamwide's messages, in key period 236. */
static uint64_t now_ntp = (uint64_t)SW_MESSAGE_NTP_SECONDS << 32;

static uint64_t test_clock(void *user_data)
{
    return *(const uint64_t *)user_data;
}

/* A MIKEY-SAKKE config of `user`, of the Streamwide KMS. */
static mikey_config *user_config(const sw_user *user)
{
    mikey_config *config = NULL;
    uint8_t z[257], kpak[65], rsk[257], ssk[32], pvt[65];
    size_t z_len = unhex(SW_KMS_Z, z, sizeof z), kpak_len = unhex(SW_KMS_KPAK, kpak, sizeof kpak);
    size_t rsk_len = unhex(user->rsk, rsk, sizeof rsk), ssk_len = unhex(user->ssk, ssk, sizeof ssk);
    size_t pvt_len = unhex(user->pvt, pvt, sizeof pvt);
    if (!CHECK_OK(mikey_config_new(MIKEY_METHOD_SAKKE, &config))) {
        return NULL;
    }
    CHECK_OK(mikey_config_set_clock(config, test_clock, &now_ntp));
    CHECK_OK(mikey_config_add_kms_community(config, SW_KMS_URI, z, z_len, kpak, kpak_len, SW_KEY_PERIOD_SECS,
                                            SW_KEY_PERIOD_OFFSET_SECS));
    if (!CHECK_OK(mikey_config_add_user_key_set(config, SW_KMS_URI, user->uri, user->key_period_number, rsk, rsk_len,
                                                ssk, ssk_len, pvt, pvt_len))) {
        fprintf(stderr, "  %s\n", mikey_config_last_error(config));
    }
    memset(ssk, 0, sizeof ssk);
    return config;
}

/* `from`'s I_MESSAGE sending key `key_id` to `to`, into message/len; the initiator session in
 * *initiator_out (or freed when that is NULL). */
static int send_key(mikey_config *from, uint32_t key_id, const uint8_t key[16], const char *group_id,
                    const sw_user *to, uint8_t *message, size_t *len, mikey_session **initiator_out)
{
    mikey_session *initiator = NULL;
    int ok = CHECK_OK(mikey_session_new(from, MIKEY_ROLE_INITIATOR, &initiator)) &&
             CHECK_SESSION_OK(initiator, mikey_session_set_mcptt_key(initiator, key_id, key, 16, NULL, group_id,
                                                                     NULL)) &&
             CHECK_SESSION_OK(initiator, mikey_session_set_mcptt_peer(initiator, to->uri, NULL)) &&
             CHECK_SESSION_OK(initiator, mikey_session_create_message(initiator, message, MIKEY_MAX_MESSAGE_LEN, len)) &&
             CHECK_STATE(initiator, MIKEY_STATE_ESTABLISHED);
    if (initiator_out != NULL) {
        *initiator_out = initiator;
    } else {
        mikey_session_free(initiator);
    }
    return ok;
}

/* The responder session of `config` that took `message` (NULL when it refused it). */
static mikey_session *receive(mikey_config *config, const uint8_t *message, size_t len, const char *sip_peer)
{
    mikey_session *responder = NULL;
    size_t out_len = 1;
    if (!CHECK_OK(mikey_session_new(config, MIKEY_ROLE_RESPONDER, &responder))) {
        return NULL;
    }
    if (sip_peer != NULL) {
        CHECK_SESSION_OK(responder, mikey_session_set_mcptt_peer(responder, sip_peer, NULL));
    }
    if (!CHECK_SESSION_OK(responder, mikey_session_process_message(responder, message, len, NULL, 0, &out_len)) ||
        !CHECK(out_len == 0, "MIKEY-SAKKE has no answer, yet %zu bytes", out_len)) {
        mikey_session_free(responder);
        return NULL;
    }
    return responder;
}

static void streamwide_gmk_message(void)
{
    uint8_t message[1024];
    size_t len = unhex(SW_TEST1_GMK_MESSAGE, message, sizeof message);
    mikey_config *alice = user_config(&SW_ALICE);
    mikey_session *responder = alice ? receive(alice, message, len, NULL) : NULL;
    mikey_mcptt_key key;
    mikey_srtp_keys srtp;
    uint32_t csb_id = 0;
    if (responder != NULL && CHECK_SESSION_OK(responder, mikey_session_mcptt_key(responder, &key))) {
        CHECK(key.key_len == 16 && equals_hex(key.key, 16, SW_TEST1_KEY), "the GMK differs");
        CHECK(key.key_id == SW_TEST1_GMK_ID, "GMK-ID %08x", key.key_id);
        CHECK(key.has_parameters && key.parameters.status == MIKEY_MCPTT_STATUS_NOT_REVOKED, "key parameters");
        CHECK_OK(mikey_session_csb_id(responder, &csb_id));
        CHECK(csb_id == SW_TEST1_GUK_ID, "GUK-ID %08x", csb_id);
        if (CHECK_SESSION_OK(responder, mikey_session_export_srtp(responder, 4, &srtp))) {
            CHECK(equals_hex(srtp.master_key, srtp.master_key_len, SW_TEST1_CS4_MASTER_KEY), "CS 4 master key");
            CHECK(equals_hex(srtp.master_salt, srtp.master_salt_len, SW_TEST1_CS4_MASTER_SALT), "CS 4 salt");
            CHECK(srtp.mki_len == 8, "the MKI is GMK-ID || GUK-ID, %u bytes", (unsigned)srtp.mki_len);
            mikey_srtp_keys_clear(&srtp);
        }
        memset(&key, 0, sizeof key);
    }
    mikey_session_free(responder);
    mikey_config_free(alice);
}

static void gmk_to_a_group_of_three(void)
{
    static const uint8_t gmk[16] = {0x5A, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const uint32_t gmk_id = 0x01234567u;
    const char *group = "sip:group-7@streamwide.com";
    const sw_user *members[3] = {&SW_ALICE, &SW_BOB, &SW_IWF};
    mikey_config *gms = user_config(&SW_GMS);
    size_t i;
    for (i = 0; gms != NULL && i < 3; i++) {
        uint8_t message[MIKEY_MAX_MESSAGE_LEN], group_id[64], identity[64];
        size_t len = 0, group_id_len = 0, identity_len = 0;
        mikey_session *initiator = NULL, *responder = NULL;
        mikey_config *member = user_config(members[i]);
        mikey_mcptt_key key;
        mikey_srtp_keys sent, received;
        uint32_t guk_id = 0, csb_id = 0;
        if (member != NULL && send_key(gms, gmk_id, gmk, group, members[i], message, &len, &initiator)) {
            responder = receive(member, message, len, SW_GMS.uri);
        }
        if (responder != NULL && CHECK_SESSION_OK(responder, mikey_session_mcptt_key(responder, &key))) {
            CHECK(key.key_id == gmk_id && memcmp(key.key, gmk, 16) == 0, "member %zu: the GMK and its ID", i);
            CHECK(key.group_id_count == 1, "member %zu: %u group IDs", i, key.group_id_count);
            CHECK_SESSION_OK(responder, mikey_session_mcptt_group_id(responder, 0, group_id, sizeof group_id,
                                                                     &group_id_len));
            CHECK(group_id_len == strlen(group) && memcmp(group_id, group, group_id_len) == 0, "the group URI");
            CHECK_OK(mikey_mcptt_guk_id(gmk, 16, gmk_id, members[i]->uri, &guk_id));
            CHECK_OK(mikey_session_csb_id(responder, &csb_id));
            CHECK(csb_id == guk_id, "member %zu: CSB ID %08x, GUK-ID %08x", i, csb_id, guk_id);
            CHECK_SESSION_OK(responder, mikey_session_peer_identity(responder, identity, sizeof identity,
                                                                    &identity_len));
            CHECK(identity_len == strlen(SW_GMS.uri) && memcmp(identity, SW_GMS.uri, identity_len) == 0,
                  "the GMS as SIP named it, confirmed");
            {
                uint8_t cs_id = 0;
                CHECK(mikey_session_cs_count(responder) == 1, "one crypto session, CS 4");
                CHECK_OK(mikey_session_cs_id(responder, 0, &cs_id));
                CHECK(cs_id == 4, "the MCPTT group's CS ID is 4, not %u", (unsigned)cs_id);
                CHECK_RESULT(mikey_session_cs_id(responder, 1, &cs_id), MIKEY_ERR_INVALID_ARGUMENT);
            }
            if (CHECK_OK(mikey_session_export_srtp(initiator, 4, &sent)) &&
                CHECK_OK(mikey_session_export_srtp(responder, 4, &received))) {
                CHECK(memcmp(sent.master_key, received.master_key, 16) == 0 &&
                          memcmp(sent.master_salt, received.master_salt, 12) == 0,
                      "member %zu: the GMS and the member derive the same SRTP keys", i);
                CHECK(received.profile == 7 && received.rcc_mode == 3, "AEAD_AES_128_GCM with RCCm3 (TS 33.179 E.2)");
            }
            mikey_srtp_keys_clear(&sent);
            mikey_srtp_keys_clear(&received);
            memset(&key, 0, sizeof key);
        }
        mikey_session_free(initiator);
        mikey_session_free(responder);
        mikey_config_free(member);
    }
    mikey_config_free(gms);
}

static void pck_both_ways(void)
{
    static const uint8_t pck[16] = {0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33,
                                    0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x33, 0x42};
    const sw_user *pairs[2][2] = {{&SW_ALICE, &SW_BOB}, {&SW_BOB, &SW_ALICE}};
    size_t i;
    for (i = 0; i < 2; i++) {
        uint8_t message[MIKEY_MAX_MESSAGE_LEN];
        size_t len = 0;
        mikey_config *caller = user_config(pairs[i][0]), *callee = user_config(pairs[i][1]);
        mikey_session *initiator = NULL, *responder = NULL;
        uint8_t cs_id;
        if (caller != NULL && i == 0) {
            /* Alice's other devices can read what she sends; Bob ignores the extension. */
            CHECK_OK(mikey_config_set_sakke_to_self(caller, 1));
        }
        if (caller != NULL && callee != NULL &&
            send_key(caller, 0x10000042u, pck, NULL, pairs[i][1], message, &len, &initiator)) {
            responder = receive(callee, message, len, pairs[i][0]->uri);
        }
        for (cs_id = 0; responder != NULL && cs_id < 2; cs_id++) {
            mikey_srtp_keys sent, received;
            if (CHECK_OK(mikey_session_export_srtp(initiator, cs_id, &sent)) &&
                CHECK_OK(mikey_session_export_srtp(responder, cs_id, &received))) {
                CHECK(memcmp(sent.master_key, received.master_key, 16) == 0, "way %zu CS %u: master key", i,
                      (unsigned)cs_id);
                CHECK(received.mki_len == 4 && received.mki[3] == 0x42, "the MKI is the PCK-ID");
            }
            mikey_srtp_keys_clear(&sent);
            mikey_srtp_keys_clear(&received);
        }
        mikey_session_free(initiator);
        mikey_session_free(responder);
        mikey_config_free(caller);
        mikey_config_free(callee);
    }
}

static void refusals(void)
{
    static const uint8_t gmk[16] = {7};
    uint8_t message[MIKEY_MAX_MESSAGE_LEN], out[64];
    size_t len = 0, out_len = 0;
    mikey_config *gms = user_config(&SW_GMS), *alice = user_config(&SW_ALICE), *bob = user_config(&SW_BOB);
    mikey_session *bob_session = NULL, *first = NULL, *replayed = NULL;
    if (gms == NULL || alice == NULL || bob == NULL ||
        !send_key(gms, 0x0000BEEFu, gmk, NULL, &SW_ALICE, message, &len, NULL)) {
        goto done;
    }
    /* Bob is not the receiver: the IDRuidr is Alice's. */
    if (CHECK_OK(mikey_session_new(bob, MIKEY_ROLE_RESPONDER, &bob_session))) {
        CHECK_REFUSED(bob_session, message, len, out, sizeof out, &out_len, MIKEY_ERR_AUTH_FAILED, MIKEY_STATE_IDLE);
    }
    /* Alice takes it once; the same message again is a replay (RFC 3830 §5.4). */
    first = receive(alice, message, len, NULL);
    if (CHECK(first != NULL, "Alice takes the message") &&
        CHECK_OK(mikey_session_new(alice, MIKEY_ROLE_RESPONDER, &replayed))) {
        CHECK_REFUSED(replayed, message, len, out, sizeof out, &out_len, MIKEY_ERR_REPLAY, MIKEY_STATE_IDLE);
    }
done:
    mikey_session_free(bob_session);
    mikey_session_free(first);
    mikey_session_free(replayed);
    mikey_config_free(gms);
    mikey_config_free(alice);
    mikey_config_free(bob);
}

/* A KmsResponse around `message` (TS 33.180 Annex D). */
static int kms_response(char *out, size_t cap, const char *message)
{
    int len = snprintf(out, cap,
                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                       "<KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\">"
                       "<UserUri>%s</UserUri><KmsUri>%s</KmsUri><Time>2026-12-03T12:00:00</Time>"
                       "<ClientReqUrl>https://kms.example/keymanagement/identity/v1/init</ClientReqUrl>"
                       "<KmsMessage>%s</KmsMessage></KmsResponse>",
                       SW_ALICE.uri, SW_KMS_URI, message);
    return CHECK(len > 0 && (size_t)len < cap, "the XML fits");
}

static void configured_from_kms_xml(void)
{
    static char body[4096], xml[5120];
    char user_id[2 * MIKEY_MCPTT_UID_LEN + 1];
    uint8_t uid[MIKEY_MCPTT_UID_LEN], message[1024];
    size_t i, len = unhex(SW_TEST1_GMK_MESSAGE, message, sizeof message), out_len = 0;
    mikey_config *config = NULL;
    mikey_session *responder = NULL;
    mikey_mcptt_key key;
    if (!CHECK_OK(mikey_config_new(MIKEY_METHOD_SAKKE, &config))) {
        return;
    }
    CHECK_OK(mikey_config_set_clock(config, test_clock, &now_ntp));
    snprintf(body, sizeof body,
             "<KmsInit Version=\"1.0.0\"><KmsCertificate Version=\"1.1.0\" Role=\"Root\">"
             "<KmsUri>%s</KmsUri><UserIdFormat>2</UserIdFormat><UserKeyPeriod>%u</UserKeyPeriod>"
             "<UserKeyOffset>%u</UserKeyOffset><PubEncKey>%s</PubEncKey><PubAuthKey>%s</PubAuthKey>"
             "</KmsCertificate></KmsInit>",
             SW_KMS_URI, SW_KEY_PERIOD_SECS, SW_KEY_PERIOD_OFFSET_SECS, SW_KMS_Z, SW_KMS_KPAK);
    if (kms_response(xml, sizeof xml, body)) {
        CHECK_OK(mikey_config_add_kms_xml(config, (const uint8_t *)xml, strlen(xml)));
    }
    CHECK_OK(mikey_mcptt_uid(SW_ALICE.uri, SW_KMS_URI, SW_KEY_PERIOD_SECS, SW_KEY_PERIOD_OFFSET_SECS,
                             SW_ALICE.key_period_number, uid));
    for (i = 0; i < sizeof uid; i++) {
        snprintf(user_id + 2 * i, 3, "%02X", uid[i]);
    }
    /* A key set whose UserID is another UID is refused, and adds nothing. */
    snprintf(body, sizeof body,
             "<KmsKeyProv Version=\"1.0.0\"><KmsKeySet Version=\"1.1.0\"><KmsUri>%s</KmsUri>"
             "<UserUri>%s</UserUri><UserID>%s</UserID><KeyPeriodNo>%llu</KeyPeriodNo>"
             "<UserDecryptKey>%s</UserDecryptKey><UserSigningKeySSK>%s</UserSigningKeySSK>"
             "<UserPubTokenPVT>%s</UserPubTokenPVT></KmsKeySet></KmsKeyProv>",
             SW_KMS_URI, SW_ALICE.uri, user_id, SW_ALICE.key_period_number, SW_ALICE.rsk, SW_ALICE.ssk,
             SW_ALICE.pvt);
    user_id[0] = user_id[0] == 'A' ? 'B' : 'A';
    {
        static char wrong_body[4096];
        memcpy(wrong_body, body, sizeof body);
        memcpy(strstr(wrong_body, "<UserID>") + 8, user_id, 1);
        if (kms_response(xml, sizeof xml, wrong_body)) {
            CHECK_RESULT(mikey_config_add_kms_xml(config, (const uint8_t *)xml, strlen(xml)),
                         MIKEY_ERR_INVALID_ARGUMENT);
        }
    }
    if (kms_response(xml, sizeof xml, body)) {
        CHECK_OK(mikey_config_add_kms_xml(config, (const uint8_t *)xml, strlen(xml)));
    }
    CHECK_RESULT(mikey_config_add_kms_xml(config, (const uint8_t *)"<x/>", 4), MIKEY_ERR_MALFORMED);
    if (CHECK_OK(mikey_session_new(config, MIKEY_ROLE_RESPONDER, &responder)) &&
        CHECK_SESSION_OK(responder, mikey_session_process_message(responder, message, len, NULL, 0, &out_len)) &&
        CHECK_SESSION_OK(responder, mikey_session_mcptt_key(responder, &key))) {
        CHECK(equals_hex(key.key, 16, SW_TEST1_KEY), "the GMK, with the keys from the XML");
        memset(&key, 0, sizeof key);
    }
    mikey_session_free(responder);
    mikey_config_free(config);
}

int main(void)
{
    configured_from_kms_xml();
    streamwide_gmk_message();
    gmk_to_a_group_of_three();
    pck_both_ways();
    refusals();
    return test_finish("mcptt_exchange");
}
