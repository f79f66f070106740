/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * MIKEY keys into the real libsrtp2: for each profile, a PSK exchange offering it, then an
 * exchange of every other method (DH-HMAC, DH-SIGN, PK, RSA-R); the initiator's exported keys
 * protect RTP packets, the responder's exported keys unprotect them. A tampered packet and a
 * packet protected with another session's keys must fail.
 */
#include <stdio.h>
#include <string.h>

#include "srtp_check.h"

#define N_STREAMS 2
#define N_PACKETS 50
#define PAYLOAD_LEN 80
#define RTP_HEADER_LEN 12
#define FIRST_SEQ 1000u

/* A 12-byte RTP header (version 2, payload type 96) and a recognisable payload. Returns the
   packet length; `buf` has room for the SRTP trailer. */
static int build_rtp(uint8_t *buf, uint32_t ssrc, uint16_t seq, unsigned stream)
{
    int i, n;
    mikey_rtp_write_header(buf, 96, seq, (uint32_t)seq * 160u, ssrc);
    n = snprintf((char *)buf + RTP_HEADER_LEN, PAYLOAD_LEN, "stream %u packet %u ", stream, (unsigned)seq);
    for (i = RTP_HEADER_LEN + n; i < RTP_HEADER_LEN + PAYLOAD_LEN; i++) {
        buf[i] = (uint8_t)(i * 7 + seq);
    }
    return RTP_HEADER_LEN + PAYLOAD_LEN;
}

/* Protects one packet with `tx`; 1 and the SRTP length in *len on success. */
static int protect(srtp_t tx, uint8_t *buf, uint32_t ssrc, uint16_t seq, unsigned stream, int *len,
                   const mikey_srtp_keys *keys)
{
    *len = build_rtp(buf, ssrc, seq, stream);
    if (!CHECK_SRTP(srtp_protect(tx, buf, len), srtp_err_status_ok)) {
        return 0;
    }
    /* The exported tag length is what libsrtp appends. */
    return CHECK(*len == RTP_HEADER_LEN + PAYLOAD_LEN + (int)keys->auth_tag_len,
                 "profile %lu: SRTP length %d, expected %d + tag %lu", (unsigned long)keys->profile, *len,
                 RTP_HEADER_LEN + PAYLOAD_LEN, (unsigned long)keys->auth_tag_len);
}

static void run_stream(const mikey_srtp_keys *tx_keys, const mikey_srtp_keys *rx_keys,
                       const mikey_srtp_keys *foreign_keys, unsigned stream)
{
    srtp_t tx = NULL, rx = NULL, foreign = NULL;
    uint8_t buf[RTP_HEADER_LEN + PAYLOAD_LEN + SRTP_MAX_TRAILER_LEN];
    uint8_t plain[RTP_HEADER_LEN + PAYLOAD_LEN + SRTP_MAX_TRAILER_LEN];
    uint8_t saved[sizeof buf];
    unsigned i, decrypted = 0;
    int len = 0, saved_len;
    uint16_t seq;
    const char *name = mikey_srtp_profile_name(tx_keys->profile);

    if (!CHECK_SRTP(mikey_srtp_create(&tx, tx_keys, MIKEY_SRTP_OUTBOUND), srtp_err_status_ok) ||
        !CHECK_SRTP(mikey_srtp_create(&rx, rx_keys, MIKEY_SRTP_INBOUND), srtp_err_status_ok) ||
        !CHECK_SRTP(mikey_srtp_create(&foreign, foreign_keys, MIKEY_SRTP_OUTBOUND), srtp_err_status_ok)) {
        goto out;
    }

    for (i = 0; i < N_PACKETS; i++) {
        seq = (uint16_t)(FIRST_SEQ + i);
        if (!protect(tx, buf, tx_keys->ssrc, seq, stream, &len, tx_keys)) {
            goto out;
        }
        build_rtp(plain, tx_keys->ssrc, seq, stream);
        CHECK(memcmp(buf + RTP_HEADER_LEN, plain + RTP_HEADER_LEN, PAYLOAD_LEN) != 0,
              "%s: the payload was not encrypted", name);
        if (CHECK_SRTP(srtp_unprotect(rx, buf, &len), srtp_err_status_ok) &&
            CHECK(len == RTP_HEADER_LEN + PAYLOAD_LEN, "%s: RTP length %d after unprotect", name, len) &&
            CHECK(memcmp(buf, plain, (size_t)len) == 0, "%s: stream %u packet %u decrypted to other bytes", name,
                  stream, (unsigned)seq)) {
            decrypted++;
        }
    }
    CHECK(decrypted == N_PACKETS, "%s: stream %u: %u of %d packets decrypted", name, stream, decrypted, N_PACKETS);

    /* One payload byte flipped: authentication fails (HMAC-SHA1 tag or GCM tag). */
    seq = (uint16_t)(FIRST_SEQ + N_PACKETS);
    if (protect(tx, buf, tx_keys->ssrc, seq, stream, &len, tx_keys)) {
        memcpy(saved, buf, (size_t)len);
        saved_len = len;
        buf[RTP_HEADER_LEN + 3] ^= 0x01;
        CHECK_SRTP(srtp_unprotect(rx, buf, &len), srtp_err_status_auth_fail);
        /* The failure did not disturb the receiver: the genuine packet still decrypts. */
        CHECK_SRTP(srtp_unprotect(rx, saved, &saved_len), srtp_err_status_ok);
    }

    /* Same SSRC, keys of a different MIKEY session: authentication fails. */
    seq = (uint16_t)(FIRST_SEQ + N_PACKETS + 1);
    if (protect(foreign, buf, tx_keys->ssrc, seq, stream, &len, foreign_keys)) {
        CHECK_SRTP(srtp_unprotect(rx, buf, &len), srtp_err_status_auth_fail);
    }
    printf("  %s stream %u (ssrc 0x%08lx, roc %lu): %u packets ok, tampered and foreign packets refused\n", name,
           stream, (unsigned long)tx_keys->ssrc, (unsigned long)tx_keys->roc, decrypted);
out:
    if (tx != NULL) {
        CHECK_SRTP(srtp_dealloc(tx), srtp_err_status_ok);
    }
    if (rx != NULL) {
        CHECK_SRTP(srtp_dealloc(rx), srtp_err_status_ok);
    }
    if (foreign != NULL) {
        CHECK_SRTP(srtp_dealloc(foreign), srtp_err_status_ok);
    }
}

/* Two exchanges between sessions of `init_cfg` and `resp_cfg`; the initiator's keys of the first
   protect, the responder's unprotect, the second exchange's are the foreign keys. */
static void run_exchanges(const char *method, uint32_t profile, const mikey_config *init_cfg,
                          const mikey_config *resp_cfg)
{
    mikey_session *init = NULL, *resp = NULL, *other_init = NULL, *other_resp = NULL;
    mikey_srtp_keys tx[N_STREAMS], rx[N_STREAMS], foreign[N_STREAMS];
    unsigned i;

    if (init_cfg == NULL || resp_cfg == NULL ||
        !run_exchange(init_cfg, resp_cfg, N_STREAMS, 0x5a5a0000u, &init, &resp) ||
        !run_exchange(init_cfg, resp_cfg, N_STREAMS, 0x5a5a0000u, &other_init, &other_resp) ||
        !export_all(init, tx, N_STREAMS) || !export_all(resp, rx, N_STREAMS) ||
        !export_all(other_init, foreign, N_STREAMS)) {
        CHECK(0, "%s, profile %lu: no keys", method, (unsigned long)profile);
        goto out;
    }
    printf("%s:\n", method);
    for (i = 0; i < N_STREAMS; i++) {
        keys_match_profile(&tx[i], profile);
        keys_match_profile(&rx[i], profile);
        run_stream(&tx[i], &rx[i], &foreign[i], i + 1);
        mikey_srtp_keys_clear(&tx[i]);
        mikey_srtp_keys_clear(&rx[i]);
        mikey_srtp_keys_clear(&foreign[i]);
    }
out:
    mikey_session_free(init);
    mikey_session_free(resp);
    mikey_session_free(other_init);
    mikey_session_free(other_resp);
}

/* PSK with `profile` offered by the initiator through mikey_srtp_policy. */
static void run_profile(uint32_t profile)
{
    test_config_params params = test_psk_params();
    mikey_config *config;

    params.profile = profile;
    config = test_config_new(&params);
    run_exchanges("PSK", profile, config, config);
    mikey_config_free(config);
}

/* Every other method with the default profile (AES_CM_128_HMAC_SHA1_80, libsrtp 1). */
static void run_methods(void)
{
    test_config_params dh_init =
        test_dh_hmac_params("sip:alice@example.com", "sip:bob@example.com", MIKEY_DH_GROUP_OAKLEY2);
    test_config_params dh_resp =
        test_dh_hmac_params("sip:bob@example.com", "sip:alice@example.com", MIKEY_DH_GROUP_OAKLEY2);
    static const mikey_method signing[] = {MIKEY_METHOD_DH_SIGN, MIKEY_METHOD_PK, MIKEY_METHOD_RSA_R};
    static const char *const signing_names[] = {"DH-SIGN", "PK", "RSA-R"};
    mikey_config *init_cfg, *resp_cfg;
    size_t i;

    init_cfg = test_config_new(&dh_init);
    resp_cfg = test_config_new(&dh_resp);
    run_exchanges("DH-HMAC", 1, init_cfg, resp_cfg);
    mikey_config_free(init_cfg);
    mikey_config_free(resp_cfg);
    for (i = 0; i < sizeof signing / sizeof signing[0]; i++) {
        init_cfg = test_signing_config(signing[i], "alice", "alice", "sip:bob@example.com", "bob.crt.pem", 1);
        resp_cfg = test_signing_config(signing[i], "bob", "bob", "sip:alice@example.com", "alice.crt.pem", 1);
        run_exchanges(signing_names[i], 1, init_cfg, resp_cfg);
        mikey_config_free(init_cfg);
        mikey_config_free(resp_cfg);
    }
}

int main(void)
{
    /* libsrtp numbers; 0x0101..0x0104 are RFC 6188's AES-256/192-CM (mikey's numbering). */
    static const uint32_t profiles[] = {1, 2, 7, 8, 0x0101, 0x0102, 0x0103, 0x0104};
    size_t i;

    if (!CHECK_SRTP(srtp_init(), srtp_err_status_ok)) {
        return test_finish("srtp_e2e");
    }
    printf("libsrtp %s\n", srtp_get_version_string());
    for (i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        run_profile(profiles[i]);
    }
    run_methods();
    CHECK_SRTP(srtp_shutdown(), srtp_err_status_ok);
    return test_finish("srtp_e2e");
}
