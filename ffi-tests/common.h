/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * Shared helpers of the C tests: checks that report what failed and keep going, a config
 * builder, and a complete initiator/responder exchange in memory.
 */
#ifndef MIKEY_FFI_TESTS_COMMON_H
#define MIKEY_FFI_TESTS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <mikey.h>

/* ---- checks ------------------------------------------------------------------------------
 * Each check prints "file:line: ..." on failure, counts it (thread-safe) and evaluates to 1
 * when it passed, 0 when it failed, so a test can stop early: if (!CHECK(...)) return 0;
 */

/* CHECK(condition, printf format, args...): the format is mandatory (C99 variadic macros). */
#define CHECK(cond, ...) check_true(__FILE__, __LINE__, #cond, (cond) ? 1 : 0, __VA_ARGS__)

/* The result of a call equals `expected`. */
#define CHECK_RESULT(expr, expected) check_result(__FILE__, __LINE__, #expr, (expr), (expected), NULL)
#define CHECK_OK(expr) CHECK_RESULT(expr, MIKEY_OK)

/* The same, printing mikey_session_last_error(session) when it fails. */
#define CHECK_SESSION_RESULT(session, expr, expected) \
    check_result(__FILE__, __LINE__, #expr, (expr), (expected), (session))
#define CHECK_SESSION_OK(session, expr) CHECK_SESSION_RESULT(session, expr, MIKEY_OK)

/* A failing call on a session: the expected result and a non-empty last_error. */
#define CHECK_FAILS(session, expr, expected) check_fails(__FILE__, __LINE__, #expr, (expr), (expected), (session))

/* `session` refuses the message in/in_len with `expected`, says why in last_error and stays in
 * `state` (a rejected message changes nothing). An error message it answers with goes to
 * out/out_cap/out_len. */
#define CHECK_REFUSED(session, in, in_len, out, out_cap, out_len, expected, state)                                   \
    check_refused(__FILE__, __LINE__, #session " refuses " #in, (session), (in), (in_len), (out), (out_cap), (out_len), \
                  (expected), (state))

/* The session is in `expected` state. */
#define CHECK_STATE(session, expected) \
    check_state(__FILE__, __LINE__, #session, (session), (expected))

#if defined(__GNUC__)
#define TEST_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define TEST_PRINTF(fmt_index, first_arg)
#endif

void check_fail(const char *file, int line, const char *expr, const char *fmt, ...) TEST_PRINTF(4, 5);
/* Returns `passed`; reports a failure (the format is only used then). */
int check_true(const char *file, int line, const char *expr, int passed, const char *fmt, ...) TEST_PRINTF(5, 6);
int check_result(const char *file, int line, const char *expr, mikey_result actual, mikey_result expected,
                 const mikey_session *session);
int check_state(const char *file, int line, const char *expr, const mikey_session *session, mikey_state expected);
int check_fails(const char *file, int line, const char *expr, mikey_result actual, mikey_result expected,
                const mikey_session *session);
int check_refused(const char *file, int line, const char *what, mikey_session *session, const uint8_t *in,
                  size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len, mikey_result expected,
                  mikey_state state);

/* Number of failed checks so far. */
unsigned long test_failures(void);
/* Prints "<name>: PASS" or "<name>: FAIL (N failed checks)"; returns the process exit code. */
int test_finish(const char *name);

/* "MIKEY_OK", "MIKEY_ERR_AUTH_FAILED", ...; "unknown" otherwise. */
const char *result_name(mikey_result result);
const char *state_name(mikey_state state);

/* ---- configs -------------------------------------------------------------------------- */

extern const uint8_t TEST_PSK[32];
extern const uint8_t TEST_PSK_OTHER[32];

typedef struct test_config_params {
    mikey_method method;        /* MIKEY_METHOD_PSK, _NULL, _DH_HMAC (certificate methods: test_signing_config) */
    const uint8_t *psk;         /* PSK and DH-HMAC methods: the key (NULL = TEST_PSK) */
    size_t psk_len;
    uint32_t profile;           /* SRTP profile offered, libsrtp numbers; 0 = default */
    int request_verification;   /* initiator: set the V flag */
    uint32_t interop;           /* MIKEY_INTEROP_* flags */
    const char *own_id;         /* identities (NULL = not set) */
    const char *peer_id;
    mikey_dh_group dh_group;    /* DH-HMAC: the group an initiator offers */
} test_config_params;

/* A PSK config with TEST_PSK, the default profile, V requested, no interop flags. */
test_config_params test_psk_params(void);

/* A DH-HMAC config with TEST_PSK naming us `own_id` and the peer `peer_id` (NULL: none), the
 * initiator offering `group`. */
test_config_params test_dh_hmac_params(const char *own_id, const char *peer_id, mikey_dh_group group);

/* Builds a config, checking every call; NULL (after reporting) on failure. */
mikey_config *test_config_new(const test_config_params *params);

/* A certificate-method config (DH-SIGN, PK, RSA-R) from the test PKI of tests/pki: `who`'s chain
 * ("alice", "bob", "carol", through the intermediate) with `key_of`'s key, the test root as
 * anchor if `trust`, `peer_id` as peer identity, and the peer certificate file `peer_cert`
 * (needed by a PK initiator) unless NULL. NULL (after reporting) on failure. */
/* A credential setter (mikey_config_set_private_key, ...), and one called with tests/pki/<name>;
 * returns its result. */
typedef mikey_result (*test_pki_setter)(mikey_config *config, const uint8_t *data, size_t len);
mikey_result test_set_from_pki(mikey_config *config, test_pki_setter set, const char *name);
/* The same for a KMS's setters (mikey_kms_set_private_key, mikey_kms_add_trust_anchor). */
typedef mikey_result (*test_kms_pki_setter)(mikey_kms *kms, const uint8_t *data, size_t len);
mikey_result test_kms_set_from_pki(mikey_kms *kms, test_kms_pki_setter set, const char *name);

mikey_config *test_signing_config(mikey_method method, const char *who, const char *key_of, const char *peer_id,
                                  const char *peer_cert, int trust);

/* ---- exchanges ------------------------------------------------------------------------ */

/* Big enough for every message of these tests (the exact sizes are asked in error_paths). */
#define TEST_MSG_CAP 4096

/* The SSRC and ROC test streams use: stream i (0-based) of a base. */
#define TEST_SSRC(base, i) ((uint32_t)((base) + 0x101u * (uint32_t)(i)))
#define TEST_ROC(i) ((uint32_t)(i) * 7u)

/* Creates an initiator from `init_cfg` with `n_streams` streams (TEST_SSRC(ssrc_base, i),
 * TEST_ROC(i)) and a responder from `resp_cfg`, and runs the exchange: I_MESSAGE to the
 * responder, its R_MESSAGE (if any) back to the initiator. Checks that both end up ESTABLISHED
 * with `n_streams` crypto sessions. Returns 1 on success with the sessions in *init_out and
 * *resp_out (the caller frees them), 0 on failure (nothing to free). */
int run_exchange(const mikey_config *init_cfg, const mikey_config *resp_cfg, size_t n_streams,
                 uint32_t ssrc_base, mikey_session **init_out, mikey_session **resp_out);

/* One message round on sessions that exist: the initiator creates its I_MESSAGE (the first
 * one or a re-keying one), the responder processes it, a response goes back. Returns 1 when
 * both are ESTABLISHED afterwards. */
int deliver_i_message(mikey_session *init, mikey_session *resp);

/* Exports crypto sessions 1..n into keys[0..n-1]; 1 on success. */
int export_all(const mikey_session *session, mikey_srtp_keys *keys, size_t n);

/* Every field equal; reports the first difference, prefixed by `what`. */
int keys_equal(const mikey_srtp_keys *a, const mikey_srtp_keys *b, const char *what);

/* Frees two sessions and two configs (any may be NULL), as every exchange test ends. */
void free_exchange(mikey_session *init, mikey_session *resp, mikey_config *init_cfg, mikey_config *resp_cfg);

/* Both sessions export the same keys for CS 1..n; fills `keys` (may be NULL) with the
 * initiator's. 1 when they agree. */
int sessions_agree(const mikey_session *init, const mikey_session *resp, size_t n, mikey_srtp_keys *keys);

/* The session's authenticated peer is `identity` (NULL: none), with a certificate (DER) when
 * `with_certificate`, and both sessions name the same CSB. 1 when so. */
int peers_are(const mikey_session *session, const char *identity, int with_certificate,
              const mikey_session *other_end);

/* Checks the key and tag lengths a profile implies (RFC 3711, RFC 7714). */
int keys_match_profile(const mikey_srtp_keys *keys, uint32_t profile);

/* 1 when all `len` bytes are zero. */
int all_zero(const uint8_t *bytes, size_t len);

#endif /* MIKEY_FFI_TESTS_COMMON_H */
