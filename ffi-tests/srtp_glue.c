/* SPDX-License-Identifier: Apache-2.0 OR MIT */
#include "srtp_glue.h"

#include <string.h>

/* RFC 6188's profiles, numbered as mikey numbers them (libsrtp has policy setters for them but
   no srtp_profile_t). */
#define MIKEY_PROFILE_AES_256_CM_HMAC_SHA1_80 0x0101u
#define MIKEY_PROFILE_AES_256_CM_HMAC_SHA1_32 0x0102u
#define MIKEY_PROFILE_AES_192_CM_HMAC_SHA1_80 0x0103u
#define MIKEY_PROFILE_AES_192_CM_HMAC_SHA1_32 0x0104u

/* The RTP and RTCP crypto policies and the master key and salt lengths of a mikey profile
   number; 0 when libsrtp cannot do it. As libsrtp's own _32 profiles, SRTCP keeps the 80-bit
   tag (RFC 3711 §5.2, RFC 6188 §3). */
static int crypto_policies(uint32_t number, srtp_policy_t *policy, size_t *key_len, size_t *salt_len)
{
    srtp_profile_t profile;

    *salt_len = 14;
    switch (number) {
    case MIKEY_PROFILE_AES_256_CM_HMAC_SHA1_80:
    case MIKEY_PROFILE_AES_256_CM_HMAC_SHA1_32:
        *key_len = 32;
        srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy->rtcp);
        if (number == MIKEY_PROFILE_AES_256_CM_HMAC_SHA1_80) {
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&policy->rtp);
        } else {
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&policy->rtp);
        }
        return 1;
    case MIKEY_PROFILE_AES_192_CM_HMAC_SHA1_80:
    case MIKEY_PROFILE_AES_192_CM_HMAC_SHA1_32:
        *key_len = 24;
        srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&policy->rtcp);
        if (number == MIKEY_PROFILE_AES_192_CM_HMAC_SHA1_80) {
            srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80(&policy->rtp);
        } else {
            srtp_crypto_policy_set_aes_cm_192_hmac_sha1_32(&policy->rtp);
        }
        return 1;
    case srtp_profile_aes128_cm_sha1_80:
    case srtp_profile_aes128_cm_sha1_32:
    case srtp_profile_null_sha1_80:
    case srtp_profile_null_sha1_32:
    case srtp_profile_aead_aes_128_gcm:
    case srtp_profile_aead_aes_256_gcm:
        profile = (srtp_profile_t)number;
        *key_len = srtp_profile_get_master_key_length(profile);
        *salt_len = srtp_profile_get_master_salt_length(profile);
        return srtp_crypto_policy_set_from_profile_for_rtp(&policy->rtp, profile) == srtp_err_status_ok &&
               srtp_crypto_policy_set_from_profile_for_rtcp(&policy->rtcp, profile) == srtp_err_status_ok;
    default:
        return 0;
    }
}

srtp_err_status_t mikey_srtp_create(srtp_t *session, const mikey_srtp_keys *keys, mikey_srtp_direction direction)
{
    srtp_policy_t policy;
    /* libsrtp takes the master key and the master salt as one buffer: key || salt. For the AEAD
       (GCM) profiles the salt is 12 bytes (RFC 7714), for AES-CM 14. */
    unsigned char key_and_salt[SRTP_MAX_KEY_LEN];
    size_t key_len, salt_len;
    srtp_err_status_t status;

    if (session == NULL || keys == NULL) {
        return srtp_err_status_bad_param;
    }
    memset(&policy, 0, sizeof policy);
    if (!crypto_policies(keys->profile, &policy, &key_len, &salt_len) || keys->master_key_len != key_len ||
        keys->master_salt_len != salt_len || key_len + salt_len > sizeof key_and_salt) {
        return srtp_err_status_bad_param;
    }
    if (keys->mki_len != 0 || keys->key_derivation_rate != 0) {
        /* An MKI needs policy.keys / srtp_protect_mki; libsrtp 2 only derives once (rate 0). */
        return srtp_err_status_bad_param;
    }
    /* The RFC 3830 §6.10.1 switches the peers negotiated. */
    if (!keys->srtp_encryption) {
        policy.rtp.sec_serv = (srtp_sec_serv_t)(policy.rtp.sec_serv & ~sec_serv_conf);
    }
    if (!keys->srtcp_encryption) {
        policy.rtcp.sec_serv = (srtp_sec_serv_t)(policy.rtcp.sec_serv & ~sec_serv_conf);
    }
    if (!keys->srtp_authentication) {
        policy.rtp.sec_serv = (srtp_sec_serv_t)(policy.rtp.sec_serv & ~sec_serv_auth);
    }

    memcpy(key_and_salt, keys->master_key, keys->master_key_len);
    memcpy(key_and_salt + keys->master_key_len, keys->master_salt, keys->master_salt_len);
    policy.key = key_and_salt;
    /* mikey_srtp_keys.ssrc_type is libsrtp's srtp_ssrc_type_t: a known SSRC, or any stream of
       one direction when nobody told us the SSRC (an RFC 3830 §6.1.1 placeholder no R_MESSAGE
       filled in). That direction must be the one the caller uses the session for. */
    policy.ssrc.type = (srtp_ssrc_type_t)keys->ssrc_type;
    policy.ssrc.value = keys->ssrc;
    if (keys->ssrc_type != MIKEY_SSRC_SPECIFIC &&
        keys->ssrc_type != (direction == MIKEY_SRTP_OUTBOUND ? MIKEY_SSRC_ANY_OUTBOUND : MIKEY_SSRC_ANY_INBOUND)) {
        return srtp_err_status_bad_param;
    }
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    policy.next = NULL;

    status = srtp_create(session, &policy); /* copies the key: key_and_salt can go */
    memset(key_and_salt, 0, sizeof key_and_salt);
    if (status != srtp_err_status_ok) {
        return status;
    }
    if (keys->ssrc_type == MIKEY_SSRC_SPECIFIC && keys->roc != 0) {
        status = srtp_set_stream_roc(*session, keys->ssrc, keys->roc);
        if (status != srtp_err_status_ok) {
            srtp_dealloc(*session);
            *session = NULL;
        }
    }
    return status;
}

int mikey_rtp_write_header(uint8_t *buf, uint8_t payload_type, uint16_t seq, uint32_t timestamp, uint32_t ssrc)
{
    buf[0] = 0x80; /* V=2, P=0, X=0, CC=0 */
    buf[1] = (uint8_t)(payload_type & 0x7f);
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    buf[4] = (uint8_t)(timestamp >> 24);
    buf[5] = (uint8_t)(timestamp >> 16);
    buf[6] = (uint8_t)(timestamp >> 8);
    buf[7] = (uint8_t)timestamp;
    buf[8] = (uint8_t)(ssrc >> 24);
    buf[9] = (uint8_t)(ssrc >> 16);
    buf[10] = (uint8_t)(ssrc >> 8);
    buf[11] = (uint8_t)ssrc;
    return 12;
}

uint32_t mikey_rtp_ssrc(const uint8_t *packet, size_t len)
{
    if (len < 12) {
        return 0;
    }
    return (uint32_t)packet[8] << 24 | (uint32_t)packet[9] << 16 | (uint32_t)packet[10] << 8 | packet[11];
}

uint16_t mikey_rtp_seq(const uint8_t *packet, size_t len)
{
    if (len < 12) {
        return 0;
    }
    return (uint16_t)(packet[2] << 8 | packet[3]);
}

const char *mikey_srtp_profile_name(uint32_t profile)
{
    switch (profile) {
    case 1: return "AES_CM_128_HMAC_SHA1_80";
    case 2: return "AES_CM_128_HMAC_SHA1_32";
    case 5: return "NULL_HMAC_SHA1_80";
    case 6: return "NULL_HMAC_SHA1_32";
    case 7: return "AEAD_AES_128_GCM";
    case 8: return "AEAD_AES_256_GCM";
    case 0x0101: return "AES_256_CM_HMAC_SHA1_80";
    case 0x0102: return "AES_256_CM_HMAC_SHA1_32";
    case 0x0103: return "AES_192_CM_HMAC_SHA1_80";
    case 0x0104: return "AES_192_CM_HMAC_SHA1_32";
    default: return "unknown";
    }
}

const char *mikey_srtp_status_name(srtp_err_status_t status)
{
    switch (status) {
    case srtp_err_status_ok: return "ok";
    case srtp_err_status_fail: return "fail";
    case srtp_err_status_bad_param: return "bad_param";
    case srtp_err_status_alloc_fail: return "alloc_fail";
    case srtp_err_status_init_fail: return "init_fail";
    case srtp_err_status_auth_fail: return "auth_fail";
    case srtp_err_status_cipher_fail: return "cipher_fail";
    case srtp_err_status_replay_fail: return "replay_fail";
    case srtp_err_status_replay_old: return "replay_old";
    case srtp_err_status_no_ctx: return "no_ctx";
    default: return "other error";
    }
}
