/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * Every error a module author runs into, through the C API: NULL arguments, buffers too small
 * (and the size query), wrong PSK, tampered, truncated and replayed messages, calls in the
 * wrong state, the last-error text, result strings and the version.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

/* A sentinel for output pointers that must stay untouched on failure. */
#define SENTINEL_CONFIG ((mikey_config *)(void *)&sentinel_byte)
#define SENTINEL_SESSION ((mikey_session *)(void *)&sentinel_byte)
static unsigned char sentinel_byte;

/* An initiator (1 stream, V requested) that built its I_MESSAGE into msg/msg_len. */
static mikey_session *initiator_with_message(const mikey_config *config, uint32_t ssrc, uint8_t *msg, size_t *msg_len)
{
    mikey_session *init = NULL;
    uint8_t cs_id = 0;
    if (!CHECK_OK(mikey_session_new(config, MIKEY_ROLE_INITIATOR, &init))) {
        return NULL;
    }
    if (!CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, ssrc, 0, &cs_id)) ||
        !CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, TEST_MSG_CAP, msg_len))) {
        mikey_session_free(init);
        return NULL;
    }
    return init;
}

static mikey_session *new_session(const mikey_config *config, mikey_role role)
{
    mikey_session *session = NULL;
    return CHECK_OK(mikey_session_new(config, role, &session)) ? session : NULL;
}

/* ---- version and result strings ---------------------------------------------------------- */

static void test_version_and_strings(void)
{
    char expected[64];
    const char *version = mikey_version();
    mikey_result code;
    const char *unknown = mikey_result_str(9999);

    snprintf(expected, sizeof expected, "%d.%d.%d", MIKEY_VERSION_MAJOR, MIKEY_VERSION_MINOR, MIKEY_VERSION_PATCH);
    if (CHECK(version != NULL, "mikey_version() is NULL")) {
        CHECK(strcmp(version, expected) == 0, "mikey_version() = \"%s\", header says \"%s\"", version, expected);
    }
    CHECK(unknown != NULL && unknown[0] != '\0', "mikey_result_str(9999) is NULL or empty");
    for (code = MIKEY_OK; code <= MIKEY_ERR_PANIC; code++) {
        const char *text = mikey_result_str(code);
        if (CHECK(text != NULL, "mikey_result_str(%s) is NULL", result_name(code))) {
            CHECK(text[0] != '\0', "mikey_result_str(%s) is empty", result_name(code));
            CHECK(unknown == NULL || strcmp(text, unknown) != 0, "mikey_result_str(%s) = \"%s\", the unknown text",
                  result_name(code), text);
        }
    }
}

/* ---- NULL arguments ---------------------------------------------------------------------- */

static void test_null_config_arguments(void)
{
    mikey_config *config = SENTINEL_CONFIG;
    mikey_srtp_policy policy;

    /* Free functions take NULL. */
    mikey_config_free(NULL);
    mikey_session_free(NULL);
    mikey_srtp_keys_clear(NULL);

    CHECK_RESULT(mikey_srtp_policy_init(NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_new(MIKEY_METHOD_PSK, NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_new(999, &config), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK(config == SENTINEL_CONFIG, "mikey_config_new wrote *config_out on failure");
    CHECK_RESULT(mikey_config_new(1000, &config), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK(config == SENTINEL_CONFIG, "mikey_config_new wrote *config_out on failure");

    config = NULL;
    if (!CHECK_OK(mikey_config_new(MIKEY_METHOD_PSK, &config))) {
        return;
    }
    CHECK_OK(mikey_srtp_policy_init(&policy));

    CHECK_RESULT(mikey_config_set_psk(NULL, TEST_PSK, sizeof TEST_PSK), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_psk(config, NULL, sizeof TEST_PSK), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_psk(config, NULL, 0), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_psk(config, TEST_PSK, 15), MIKEY_ERR_INVALID_ARGUMENT); /* too short */

    CHECK_RESULT(mikey_config_set_identities(NULL, "sip:a@example.com", NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_identities(config, "", NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_identities(config, "sip:a@example.com", "\xff\xfe"), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_OK(mikey_config_set_identities(config, NULL, NULL)); /* NULL clears */

    CHECK_RESULT(mikey_config_set_srtp_policy(NULL, &policy), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_srtp_policy(config, NULL), MIKEY_ERR_INVALID_ARGUMENT);
    policy.profile = 3; /* not an SRTP profile libsrtp or this library knows */
    CHECK_RESULT(mikey_config_set_srtp_policy(config, &policy), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_OK(mikey_srtp_policy_init(&policy));
    CHECK(all_zero(policy.reserved, sizeof policy.reserved), "mikey_srtp_policy_init left reserved bytes set");
    policy.reserved[0] = 1; /* a field of a later version */
    CHECK_RESULT(mikey_config_set_srtp_policy(config, &policy), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_OK(mikey_srtp_policy_init(&policy));
    policy.mki_len = 17;
    CHECK_RESULT(mikey_config_set_srtp_policy(config, &policy), MIKEY_ERR_INVALID_ARGUMENT);

    CHECK_RESULT(mikey_config_set_replay_window(NULL, 60), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_replay_window(config, 0), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_replay_window(config, 86401), MIKEY_ERR_INVALID_ARGUMENT);
    {
        static const uint32_t aes_only[] = {1, 7}, unknown[] = {1, 3};
        CHECK_RESULT(mikey_config_set_accepted_profiles(NULL, aes_only, 2), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_RESULT(mikey_config_set_accepted_profiles(config, NULL, 2), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_RESULT(mikey_config_set_accepted_profiles(config, aes_only, 0), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_RESULT(mikey_config_set_accepted_profiles(config, unknown, 2), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_OK(mikey_config_set_accepted_profiles(config, aes_only, 2));
        CHECK_RESULT(mikey_config_set_allow_unprotected_srtp(NULL, 1), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_OK(mikey_config_set_allow_unprotected_srtp(config, 0));
        CHECK_RESULT(mikey_config_set_min_dh_group(NULL, MIKEY_DH_GROUP_OAKLEY5), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_RESULT(mikey_config_set_min_dh_group(config, 3), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_OK(mikey_config_set_min_dh_group(config, MIKEY_DH_GROUP_OAKLEY5));
        CHECK_RESULT(mikey_config_set_require_peer_id(NULL, 1), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_OK(mikey_config_set_require_peer_id(config, 0));
    }
    CHECK_RESULT(mikey_config_set_max_future_skew(NULL, 5), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_max_future_skew(config, 3601), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_OK(mikey_config_set_max_future_skew(config, 0));
    CHECK_RESULT(mikey_config_set_interop(NULL, 0), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_interop(config, 0x80000000u), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_request_verification(NULL, 1), MIKEY_ERR_INVALID_ARGUMENT);

    /* No PSK yet: no session. */
    {
        mikey_session *session = SENTINEL_SESSION;
        CHECK_RESULT(mikey_session_new(config, MIKEY_ROLE_INITIATOR, &session), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK(session == SENTINEL_SESSION, "mikey_session_new wrote *session_out on failure");
    }
    mikey_config_free(config);

    /* A NULL-method config has no PSK. */
    config = NULL;
    if (CHECK_OK(mikey_config_new(MIKEY_METHOD_NULL, &config))) {
        CHECK_RESULT(mikey_config_set_psk(config, TEST_PSK, sizeof TEST_PSK), MIKEY_ERR_INVALID_ARGUMENT);
        mikey_config_free(config);
    }
}

static void test_null_session_arguments(void)
{
    test_config_params params = test_psk_params();
    mikey_config *config = test_config_new(&params);
    mikey_session *session = SENTINEL_SESSION;
    mikey_session *init = NULL, *resp = NULL;
    mikey_srtp_keys keys;
    uint8_t buf[TEST_MSG_CAP];
    size_t len = 0;
    uint8_t cs_id = 0xee;
    uint32_t csb_id = 0;
    const char *text;

    if (config == NULL) {
        return;
    }
    CHECK_RESULT(mikey_session_new(NULL, MIKEY_ROLE_INITIATOR, &session), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_session_new(config, MIKEY_ROLE_INITIATOR, NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_session_new(config, 7, &session), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK(session == SENTINEL_SESSION, "mikey_session_new wrote *session_out on failure");

    /* The NULL session. */
    CHECK_RESULT(mikey_session_add_srtp_stream(NULL, 1, 0, &cs_id), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_session_create_message(NULL, buf, sizeof buf, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_session_process_message(NULL, buf, 10, buf, sizeof buf, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_session_take_response(NULL, buf, sizeof buf, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_session_export_srtp(NULL, 1, &keys), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_session_csb_id(NULL, &csb_id), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_session_peer_identity(NULL, buf, sizeof buf, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_session_peer_certificate(NULL, buf, sizeof buf, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_config_set_accept_any_peer(NULL, 1), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK(mikey_session_state(NULL) == MIKEY_STATE_INVALID, "mikey_session_state(NULL) = %lu",
          (unsigned long)mikey_session_state(NULL));
    CHECK(mikey_session_cs_count(NULL) == 0, "mikey_session_cs_count(NULL) = %zu", mikey_session_cs_count(NULL));
    text = mikey_session_last_error(NULL);
    CHECK(text != NULL && text[0] != '\0', "mikey_session_last_error(NULL) is NULL or empty");

    /* NULL output/input pointers on real sessions. */
    init = new_session(config, MIKEY_ROLE_INITIATOR);
    resp = new_session(config, MIKEY_ROLE_RESPONDER);
    if (init == NULL || resp == NULL) {
        goto out;
    }
    CHECK_FAILS(init, mikey_session_add_srtp_stream(init, 0x1000u, 0, NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(resp, mikey_session_add_srtp_stream(resp, 0, 0, &cs_id), MIKEY_ERR_INVALID_ARGUMENT); /* SSRC 0 */
    CHECK(cs_id == 0xee, "cs_id_out written on failure");
    CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0x1000u, 0, &cs_id));
    CHECK_FAILS(init, mikey_session_add_srtp_stream(init, 0x1000u, 0, &cs_id), MIKEY_ERR_INVALID_ARGUMENT); /* dup */
    CHECK(mikey_session_cs_count(init) == 1, "cs_count %zu after a refused duplicate", mikey_session_cs_count(init));

    CHECK_FAILS(init, mikey_session_create_message(init, buf, sizeof buf, NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(init, mikey_session_create_message(init, NULL, 10, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_STATE(init, MIKEY_STATE_IDLE); /* the refused calls built nothing */
    /* Nothing about a CSB or its peer before there is one. */
    CHECK_FAILS(init, mikey_session_csb_id(init, &csb_id), MIKEY_ERR_STATE);
    CHECK_FAILS(init, mikey_session_csb_id(init, NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(init, mikey_session_peer_identity(init, buf, sizeof buf, &len), MIKEY_ERR_STATE);
    CHECK_FAILS(init, mikey_session_peer_certificate(init, buf, sizeof buf, NULL), MIKEY_ERR_INVALID_ARGUMENT);

    {
        /* Longer than any message: refused before it is read. */
        static uint8_t oversized[MIKEY_MAX_MESSAGE_LEN + 1];
        CHECK_FAILS(resp, mikey_session_process_message(resp, oversized, sizeof oversized, buf, sizeof buf, &len),
                    MIKEY_ERR_MALFORMED);
        CHECK(strstr(mikey_session_last_error(resp), "MAX_MESSAGE_LEN") != NULL, "last_error: %s",
              mikey_session_last_error(resp));
    }
    len = 77;
    CHECK_FAILS(resp, mikey_session_process_message(resp, NULL, 10, buf, sizeof buf, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK(len == 0, "process_message: *out_len = %zu after a refused call, expected 0", len);
    CHECK_FAILS(resp, mikey_session_process_message(resp, buf, 10, NULL, 10, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(resp, mikey_session_process_message(resp, buf, 10, buf, sizeof buf, NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(resp, mikey_session_take_response(resp, NULL, 10, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_FAILS(resp, mikey_session_take_response(resp, buf, sizeof buf, NULL), MIKEY_ERR_INVALID_ARGUMENT);
    len = 77;
    CHECK_SESSION_OK(resp, mikey_session_take_response(resp, buf, sizeof buf, &len)); /* nothing waits */
    CHECK(len == 0, "take_response with nothing waiting: *out_len = %zu", len);
    CHECK_FAILS(resp, mikey_session_export_srtp(resp, 1, NULL), MIKEY_ERR_INVALID_ARGUMENT);

out:
    free_exchange(init, resp, config, NULL);
}

static void test_null_sdp_rtsp_arguments(void)
{
    static const uint8_t msg[] = {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 42, 42, 42};
    char text[256];
    uint8_t bytes[64];
    size_t len = 0, count = 0;

    CHECK_RESULT(mikey_sdp_key_mgmt_encode(NULL, 5, text, sizeof text, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_sdp_key_mgmt_encode(msg, sizeof msg, NULL, 10, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_sdp_key_mgmt_encode(msg, sizeof msg, text, sizeof text, NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_sdp_key_mgmt_decode(NULL, bytes, sizeof bytes, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_sdp_key_mgmt_decode("mikey AQID", NULL, 10, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_sdp_key_mgmt_decode("mikey AQID", bytes, sizeof bytes, NULL), MIKEY_ERR_INVALID_ARGUMENT);

    CHECK_RESULT(mikey_rtsp_key_mgmt_encode(NULL, 5, NULL, text, sizeof text, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_rtsp_key_mgmt_encode(msg, sizeof msg, NULL, NULL, 10, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_rtsp_key_mgmt_encode(msg, sizeof msg, NULL, text, sizeof text, NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_rtsp_key_mgmt_count(NULL, &count), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_rtsp_key_mgmt_count("prot=mikey; data=\"AQID\"", NULL), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_rtsp_key_mgmt_decode(NULL, 0, bytes, sizeof bytes, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_rtsp_key_mgmt_decode("prot=mikey; data=\"AQID\"", 0, bytes, sizeof bytes, NULL),
                 MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_rtsp_key_mgmt_uri(NULL, 0, text, sizeof text, &len), MIKEY_ERR_INVALID_ARGUMENT);
    CHECK_RESULT(mikey_rtsp_key_mgmt_uri("prot=mikey; data=\"AQID\"", 0, text, sizeof text, NULL),
                 MIKEY_ERR_INVALID_ARGUMENT);
}

/* ---- buffers too small ------------------------------------------------------------------- */

/* The SDP and RTSP helpers: the size query, then the round trip. */
static void test_sdp_rtsp_sizes(void)
{
    uint8_t msg[TEST_MSG_CAP];
    size_t msg_len = 0;
    char text[2 * TEST_MSG_CAP];
    uint8_t back[TEST_MSG_CAP];
    size_t need = 0, len = 0, count = 0;
    test_config_params params = test_psk_params();
    mikey_config *config = test_config_new(&params);
    mikey_session *init = config != NULL ? initiator_with_message(config, 0x5d5d5d5du, msg, &msg_len) : NULL;

    if (init == NULL) {
        goto out;
    }
    /* SDP a=key-mgmt value: *out_len = length + 1 (the NUL) when it does not fit. */
    if (CHECK_RESULT(mikey_sdp_key_mgmt_encode(msg, msg_len, NULL, 0, &need), MIKEY_ERR_BUFFER_TOO_SMALL) &&
        CHECK(need > 6 && need <= sizeof text, "sdp encode size %zu", need)) {
        CHECK_RESULT(mikey_sdp_key_mgmt_encode(msg, msg_len, text, need - 1, &len), MIKEY_ERR_BUFFER_TOO_SMALL);
        if (CHECK_OK(mikey_sdp_key_mgmt_encode(msg, msg_len, text, need, &len))) {
            CHECK(len == need - 1 && strlen(text) == len, "sdp encode: *out_len %zu, strlen %zu, asked %zu", len,
                  strlen(text), need);
            CHECK(strncmp(text, "mikey ", 6) == 0, "sdp value \"%.20s...\" does not start with \"mikey \"", text);
            if (CHECK_RESULT(mikey_sdp_key_mgmt_decode(text, NULL, 0, &need), MIKEY_ERR_BUFFER_TOO_SMALL)) {
                CHECK(need == msg_len, "sdp decode size %zu, message %zu", need, msg_len);
            }
            if (CHECK_OK(mikey_sdp_key_mgmt_decode(text, back, sizeof back, &len))) {
                CHECK(len == msg_len && memcmp(back, msg, msg_len) == 0, "sdp round trip changed the message");
            }
        }
    }
    CHECK_RESULT(mikey_sdp_key_mgmt_decode("sdes AQID", back, sizeof back, &len), MIKEY_ERR_UNSUPPORTED);
    CHECK_RESULT(mikey_sdp_key_mgmt_decode("mikey !!!notbase64", back, sizeof back, &len), MIKEY_ERR_MALFORMED);

    /* RTSP KeyMgmt header. */
    if (CHECK_RESULT(mikey_rtsp_key_mgmt_encode(msg, msg_len, "rtsp://cam/stream", NULL, 0, &need),
                     MIKEY_ERR_BUFFER_TOO_SMALL) &&
        CHECK(need <= sizeof text, "rtsp encode size %zu", need) &&
        CHECK_OK(mikey_rtsp_key_mgmt_encode(msg, msg_len, "rtsp://cam/stream", text, need, &len))) {
        CHECK(len == need - 1, "rtsp encode: *out_len %zu, asked %zu", len, need);
        if (CHECK_OK(mikey_rtsp_key_mgmt_count(text, &count))) {
            CHECK(count == 1, "rtsp count %zu", count);
        }
        if (CHECK_OK(mikey_rtsp_key_mgmt_decode(text, 0, back, sizeof back, &len))) {
            CHECK(len == msg_len && memcmp(back, msg, msg_len) == 0, "rtsp round trip changed the message");
        }
        CHECK_RESULT(mikey_rtsp_key_mgmt_decode(text, 1, back, sizeof back, &len), MIKEY_ERR_INVALID_ARGUMENT);
        {
            char uri[64];
            if (CHECK_OK(mikey_rtsp_key_mgmt_uri(text, 0, uri, sizeof uri, &len))) {
                CHECK(strcmp(uri, "rtsp://cam/stream") == 0, "rtsp uri \"%s\"", uri);
            }
        }
    }
    CHECK_RESULT(mikey_rtsp_key_mgmt_encode(msg, msg_len, "rtsp://\"quoted\"", text, sizeof text, &len),
                 MIKEY_ERR_INVALID_ARGUMENT);
out:
    mikey_session_free(init);
    mikey_config_free(config);
}

/* create_message: out_cap = 0 asks for the size; the message waits and is the same one. */
static void test_create_message_size_query(void)
{
    test_config_params params = test_psk_params();
    mikey_config *config;
    mikey_session *init = NULL, *resp = NULL;
    mikey_srtp_keys k_query, k_again, k_fetched, k_resp;
    uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP];
    size_t need = 0, need_again = 0, len = 0, reply_len = 0;
    uint8_t cs_id = 0;

    params.request_verification = 0; /* keys are exportable as soon as the message is built */
    config = test_config_new(&params);
    if (config == NULL || (init = new_session(config, MIKEY_ROLE_INITIATOR)) == NULL ||
        (resp = new_session(config, MIKEY_ROLE_RESPONDER)) == NULL ||
        !CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0xabcdef01u, 3, &cs_id))) {
        goto out;
    }
    if (!CHECK_FAILS(init, mikey_session_create_message(init, NULL, 0, &need), MIKEY_ERR_BUFFER_TOO_SMALL) ||
        !CHECK(need > 0 && need <= sizeof msg, "size query gave %zu", need)) {
        goto out;
    }
    /* Built: the state changed and the keys are fixed now. */
    CHECK_STATE(init, MIKEY_STATE_ESTABLISHED);
    if (!CHECK_SESSION_OK(init, mikey_session_export_srtp(init, 1, &k_query))) {
        goto out;
    }
    /* Asking again (and with one byte too few) gives the same size and no new message. */
    CHECK_FAILS(init, mikey_session_create_message(init, NULL, 0, &need_again), MIKEY_ERR_BUFFER_TOO_SMALL);
    CHECK(need_again == need, "second size query %zu, first %zu", need_again, need);
    CHECK_FAILS(init, mikey_session_create_message(init, msg, need - 1, &need_again), MIKEY_ERR_BUFFER_TOO_SMALL);
    CHECK(need_again == need, "size with out_cap = need - 1: %zu, expected %zu", need_again, need);
    if (CHECK_SESSION_OK(init, mikey_session_export_srtp(init, 1, &k_again))) {
        keys_equal(&k_query, &k_again, "keys after the second size query");
    }
    /* Fetch it with exactly the size asked for. */
    if (!CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, need, &len))) {
        goto out;
    }
    CHECK(len == need, "fetched %zu bytes, size query said %zu", len, need);
    if (CHECK_SESSION_OK(init, mikey_session_export_srtp(init, 1, &k_fetched))) {
        keys_equal(&k_query, &k_fetched, "keys after fetching the message");
    }
    /* The message delivered is the one whose keys the initiator holds. */
    if (CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, len, reply, sizeof reply, &reply_len)) &&
        CHECK_SESSION_OK(resp, mikey_session_export_srtp(resp, 1, &k_resp))) {
        keys_equal(&k_query, &k_resp, "initiator keys (from the size query) vs responder keys");
    }
    /* The next create_message is a new (re-keying) message: new keys. */
    if (CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &len)) &&
        CHECK_SESSION_OK(init, mikey_session_export_srtp(init, 1, &k_again))) {
        CHECK(memcmp(k_again.master_key, k_query.master_key, k_query.master_key_len) != 0,
              "the re-keying message kept the old key");
    }
out:
    free_exchange(init, resp, config, NULL);
}

/* process_message: a response that does not fit waits for take_response. */
static void test_response_size_query(void)
{
    test_config_params params = test_psk_params();
    mikey_config *config = test_config_new(&params); /* V requested: an R_MESSAGE comes back */
    mikey_session *init = NULL, *resp = NULL;
    uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP];
    size_t msg_len = 0, need = 0, again = 0, len = 0;

    if (config == NULL || (init = initiator_with_message(config, 0x77777777u, msg, &msg_len)) == NULL ||
        (resp = new_session(config, MIKEY_ROLE_RESPONDER)) == NULL) {
        goto out;
    }
    if (!CHECK_FAILS(resp, mikey_session_process_message(resp, msg, msg_len, NULL, 0, &need),
                     MIKEY_ERR_BUFFER_TOO_SMALL) ||
        !CHECK(need > 0 && need <= sizeof reply, "R_MESSAGE size %zu", need)) {
        goto out;
    }
    CHECK_STATE(resp, MIKEY_STATE_ESTABLISHED); /* processing succeeded; only the delivery waits */
    {
        /* A junk datagram in between (no response of its own) leaves the response waiting. */
        static const uint8_t junk[] = {0x01, 0x00, 0x42}; /* version 1, PSK I_MESSAGE, cut short */
        CHECK_FAILS(resp, mikey_session_process_message(resp, junk, sizeof junk, reply, sizeof reply, &len),
                    MIKEY_ERR_MALFORMED);
        CHECK(len == 0, "junk got a response of %zu bytes", len);
    }
    CHECK_FAILS(resp, mikey_session_take_response(resp, reply, need - 1, &again), MIKEY_ERR_BUFFER_TOO_SMALL);
    CHECK(again == need, "take_response size %zu, expected %zu", again, need);
    if (CHECK_SESSION_OK(resp, mikey_session_take_response(resp, reply, need, &len))) {
        CHECK(len == need, "take_response delivered %zu bytes, expected %zu", len, need);
        CHECK_SESSION_OK(init, mikey_session_process_message(init, reply, len, msg, sizeof msg, &again));
        CHECK_STATE(init, MIKEY_STATE_ESTABLISHED);
        sessions_agree(init, resp, 1, NULL);
    }
    len = 77;
    CHECK_SESSION_OK(resp, mikey_session_take_response(resp, reply, sizeof reply, &len));
    CHECK(len == 0, "the response was delivered twice (%zu bytes)", len);
out:
    free_exchange(init, resp, config, NULL);
}

/* ---- message errors ---------------------------------------------------------------------- */

static void test_wrong_psk(void)
{
    test_config_params ip = test_psk_params();
    test_config_params rp = test_psk_params();
    mikey_config *init_cfg, *resp_cfg;
    mikey_session *init = NULL, *resp = NULL;
    uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP], back[TEST_MSG_CAP];
    size_t msg_len = 0, reply_len = 0, back_len = 0;
    mikey_srtp_keys keys;

    rp.psk = TEST_PSK_OTHER;
    rp.psk_len = sizeof TEST_PSK_OTHER;
    init_cfg = test_config_new(&ip);
    resp_cfg = test_config_new(&rp);
    if (init_cfg == NULL || resp_cfg == NULL ||
        (init = initiator_with_message(init_cfg, 0x31415926u, msg, &msg_len)) == NULL ||
        (resp = new_session(resp_cfg, MIKEY_ROLE_RESPONDER)) == NULL) {
        goto out;
    }
    CHECK_REFUSED(resp, msg, msg_len, reply, sizeof reply, &reply_len, MIKEY_ERR_AUTH_FAILED, MIKEY_STATE_IDLE);
    CHECK_FAILS(resp, mikey_session_export_srtp(resp, 1, &keys), MIKEY_ERR_STATE);
    /* RFC 3830 §5.1.2: the responder answers with an error message (HDR, T, ERR). */
    if (CHECK(reply_len >= 10, "no error message in out (%zu bytes)", reply_len)) {
        CHECK(reply[0] == 1, "error message version %u", (unsigned)reply[0]);
        CHECK(reply[1] == 6, "response data type %u, expected 6 (error message)", (unsigned)reply[1]);
        /* The initiator reports the peer's refusal; unauthenticated, it is only a
           recommendation (§5.1.2), so the initiator keeps waiting for the R_MESSAGE. */
        CHECK_FAILS(init, mikey_session_process_message(init, reply, reply_len, back, sizeof back, &back_len),
                    MIKEY_ERR_PEER_ERROR);
        CHECK(back_len == 0, "the initiator answers an error message (%zu bytes)", back_len);
        CHECK_STATE(init, MIKEY_STATE_WAIT_RESPONSE);
    }
out:
    free_exchange(init, resp, init_cfg, resp_cfg);
}

/* Tampered and truncated I_MESSAGEs are refused without any change: the genuine message is
   still accepted afterwards by the same responder. */
static void test_tampered_and_truncated(void)
{
    test_config_params params = test_psk_params();
    mikey_config *config = test_config_new(&params);
    mikey_session *init = NULL, *resp = NULL;
    uint8_t msg[TEST_MSG_CAP], bad[TEST_MSG_CAP], reply[TEST_MSG_CAP];
    size_t msg_len = 0, reply_len = 0;

    if (config == NULL || (init = initiator_with_message(config, 0x27182818u, msg, &msg_len)) == NULL ||
        (resp = new_session(config, MIKEY_ROLE_RESPONDER)) == NULL || !CHECK(msg_len > 40, "short I_MESSAGE")) {
        goto out;
    }
    /* The PSK I_MESSAGE ends with the KEMAC payload (RFC 3830 §3.1), which ends with
       MAC alg (1 = HMAC-SHA-1-160) and the 20-byte MAC. */
    CHECK(msg[msg_len - 21] == 1, "byte before the last 20 is %u, expected the MAC algorithm 1",
          (unsigned)msg[msg_len - 21]);

    /* A byte of the MAC. */
    memcpy(bad, msg, msg_len);
    bad[msg_len - 5] ^= 0x01;
    CHECK_REFUSED(resp, bad, msg_len, reply, sizeof reply, &reply_len, MIKEY_ERR_AUTH_FAILED, MIKEY_STATE_IDLE);
    /* A byte of the encrypted key data (covered by the MAC). */
    memcpy(bad, msg, msg_len);
    bad[msg_len - 23] ^= 0x80;
    CHECK_REFUSED(resp, bad, msg_len, reply, sizeof reply, &reply_len, MIKEY_ERR_AUTH_FAILED, MIKEY_STATE_IDLE);

    /* Truncated: one byte short, half, shorter than the common header, empty. */
    CHECK_FAILS(resp, mikey_session_process_message(resp, msg, msg_len - 1, reply, sizeof reply, &reply_len),
                MIKEY_ERR_MALFORMED);
    CHECK_FAILS(resp, mikey_session_process_message(resp, msg, msg_len / 2, reply, sizeof reply, &reply_len),
                MIKEY_ERR_MALFORMED);
    CHECK_FAILS(resp, mikey_session_process_message(resp, msg, 5, reply, sizeof reply, &reply_len),
                MIKEY_ERR_MALFORMED);
    CHECK_REFUSED(resp, NULL, 0, reply, sizeof reply, &reply_len, MIKEY_ERR_MALFORMED, MIKEY_STATE_IDLE);

    /* The genuine message still goes through. */
    if (CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len)) &&
        CHECK_SESSION_OK(init, mikey_session_process_message(init, reply, reply_len, msg, sizeof msg, &msg_len))) {
        sessions_agree(init, resp, 1, NULL);
    }
    /* A tampered R_MESSAGE is refused too (new exchange). */
    mikey_session_free(init);
    mikey_session_free(resp);
    resp = NULL;
    if ((init = initiator_with_message(config, 0x27182819u, msg, &msg_len)) != NULL &&
        (resp = new_session(config, MIKEY_ROLE_RESPONDER)) != NULL &&
        CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len)) &&
        CHECK(reply_len > 10, "R_MESSAGE %zu bytes", reply_len)) {
        size_t none = 0;
        memcpy(bad, reply, reply_len);
        bad[reply_len - 1] ^= 0x01; /* the V payload's MAC */
        CHECK_REFUSED(init, bad, reply_len, msg, sizeof msg, &none, MIKEY_ERR_AUTH_FAILED, MIKEY_STATE_WAIT_RESPONSE);
        CHECK_SESSION_OK(init, mikey_session_process_message(init, reply, reply_len, msg, sizeof msg, &none));
        CHECK_STATE(init, MIKEY_STATE_ESTABLISHED);
    }
out:
    free_exchange(init, resp, config, NULL);
}

/* An accepted I_MESSAGE, sent again to any session of the same config, is a replay. */
static void test_replay(void)
{
    test_config_params params = test_psk_params();
    mikey_config *config = test_config_new(&params);
    mikey_config *other_config = test_config_new(&params);
    mikey_session *init = NULL, *first = NULL, *second = NULL, *elsewhere = NULL;
    uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP];
    size_t msg_len = 0, reply_len = 0;
    mikey_srtp_keys before, after;

    if (config == NULL || other_config == NULL ||
        (init = initiator_with_message(config, 0x12121212u, msg, &msg_len)) == NULL ||
        (first = new_session(config, MIKEY_ROLE_RESPONDER)) == NULL ||
        (second = new_session(config, MIKEY_ROLE_RESPONDER)) == NULL ||
        (elsewhere = new_session(other_config, MIKEY_ROLE_RESPONDER)) == NULL) {
        goto out;
    }
    if (!CHECK_SESSION_OK(first, mikey_session_process_message(first, msg, msg_len, reply, sizeof reply, &reply_len)) ||
        !CHECK_SESSION_OK(first, mikey_session_export_srtp(first, 1, &before))) {
        goto out;
    }
    CHECK_REFUSED(second, msg, msg_len, reply, sizeof reply, &reply_len, MIKEY_ERR_REPLAY, MIKEY_STATE_IDLE);
    /* The same session again: a replayed re-keying message. Keys stay. */
    CHECK_REFUSED(first, msg, msg_len, reply, sizeof reply, &reply_len, MIKEY_ERR_REPLAY, MIKEY_STATE_ESTABLISHED);
    if (CHECK_SESSION_OK(first, mikey_session_export_srtp(first, 1, &after))) {
        keys_equal(&before, &after, "keys after a refused replay");
    }
    /* Another config has its own replay cache (another endpoint). */
    CHECK_SESSION_OK(elsewhere, mikey_session_process_message(elsewhere, msg, msg_len, reply, sizeof reply, &reply_len));
out:
    free_exchange(init, first, config, other_config);
    mikey_session_free(second);
    mikey_session_free(elsewhere);
}

/* ---- wrong state --------------------------------------------------------------------------- */

static void test_wrong_state(void)
{
    test_config_params params = test_psk_params();
    mikey_config *config = test_config_new(&params); /* V requested */
    mikey_session *init = NULL, *resp = NULL, *idle_init = NULL;
    mikey_srtp_keys keys;
    uint8_t msg[TEST_MSG_CAP], reply[TEST_MSG_CAP];
    size_t msg_len = 0, reply_len = 0, len = 0;
    uint8_t cs_id = 0;

    if (config == NULL || (init = new_session(config, MIKEY_ROLE_INITIATOR)) == NULL ||
        (resp = new_session(config, MIKEY_ROLE_RESPONDER)) == NULL ||
        (idle_init = new_session(config, MIKEY_ROLE_INITIATOR)) == NULL) {
        goto out;
    }
    memset(&keys, 0xab, sizeof keys);
    /* Export before anything was exchanged. */
    CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, 0x42424242u, 0, &cs_id));
    CHECK_FAILS(init, mikey_session_export_srtp(init, 1, &keys), MIKEY_ERR_STATE);
    CHECK_FAILS(resp, mikey_session_export_srtp(resp, 1, &keys), MIKEY_ERR_STATE);
    CHECK(keys.cs_id == 0xab && keys.master_key[0] == 0xab, "export wrote *keys_out on failure");
    /* A responder creates no I_MESSAGEs (its own streams are for SSRC placeholders). */
    CHECK_FAILS(resp, mikey_session_create_message(resp, msg, sizeof msg, &len), MIKEY_ERR_STATE);
    CHECK_FAILS(resp, mikey_session_create_message(resp, NULL, 0, &len), MIKEY_ERR_STATE);
    CHECK_STATE(resp, MIKEY_STATE_IDLE);

    /* Waiting for the R_MESSAGE: still no keys. */
    if (!CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len))) {
        goto out;
    }
    CHECK_STATE(init, MIKEY_STATE_WAIT_RESPONSE);
    CHECK_FAILS(init, mikey_session_export_srtp(init, 1, &keys), MIKEY_ERR_STATE);

    /* An initiator that sent nothing gets an I_MESSAGE: refused, no state change. */
    CHECK(mikey_session_process_message(idle_init, msg, msg_len, reply, sizeof reply, &reply_len) != MIKEY_OK,
          "an initiator accepted an I_MESSAGE");
    CHECK_STATE(idle_init, MIKEY_STATE_IDLE);

    /* Established: unknown CS IDs. */
    if (CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len))) {
        CHECK_FAILS(resp, mikey_session_export_srtp(resp, 0, &keys), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_FAILS(resp, mikey_session_export_srtp(resp, 2, &keys), MIKEY_ERR_INVALID_ARGUMENT);
        CHECK_SESSION_OK(resp, mikey_session_export_srtp(resp, 1, &keys));
        mikey_srtp_keys_clear(&keys);
        /* A responder does not take its own R_MESSAGE. */
        CHECK(mikey_session_process_message(resp, reply, reply_len, msg, sizeof msg, &len) != MIKEY_OK,
              "a responder accepted an R_MESSAGE");
        CHECK_STATE(resp, MIKEY_STATE_ESTABLISHED);
    }
    /* last_error is reset by a successful call. */
    CHECK_SESSION_OK(resp, mikey_session_export_srtp(resp, 1, &keys));
    mikey_srtp_keys_clear(&keys);
    CHECK(strcmp(mikey_session_last_error(resp), "") == 0, "last_error after a success: \"%s\"",
          mikey_session_last_error(resp));
out:
    free_exchange(init, resp, config, NULL);
    mikey_session_free(idle_init);
}

int main(void)
{
    test_version_and_strings();
    test_null_config_arguments();
    test_null_session_arguments();
    test_null_sdp_rtsp_arguments();
    test_sdp_rtsp_sizes();
    test_create_message_size_query();
    test_response_size_query();
    test_wrong_psk();
    test_tampered_and_truncated();
    test_replay();
    test_wrong_state();
    return test_finish("error_paths");
}
