//! End-to-end tests of the C ABI through the exported functions, as C would call them.

use std::ffi::{c_char, CStr};
use std::ptr::{null, null_mut};
use std::sync::Arc;

use super::*;
use crate::{Config, Method, RandomSource, SystemClock};

/// Asserts a call's result, showing the session's last error when it differs.
macro_rules! check {
    ($session:expr, $call:expr, $expected:expr) => {{
        let result = $call;
        assert_eq!(result, $expected, "{}: {}", stringify!($call), last_error($session));
    }};
}

fn last_error(session: *const mikey_session) -> String {
    // SAFETY: `session` is NULL or live; the text is NUL-terminated and copied at once.
    unsafe { CStr::from_ptr(mikey_session_last_error(session)) }.to_string_lossy().into_owned()
}

fn config(method: mikey_method, request_verification: bool) -> *mut mikey_config {
    let mut config = null_mut();
    // SAFETY: valid out-pointers and a live config.
    unsafe {
        assert_eq!(mikey_config_new(method, &mut config), MIKEY_OK);
        if method == MIKEY_METHOD_PSK {
            let psk = b"0123456789abcdef0123456789abcdef";
            assert_eq!(mikey_config_set_psk(config, psk.as_ptr(), psk.len()), MIKEY_OK);
        }
        assert_eq!(mikey_config_set_request_verification(config, i32::from(request_verification)), MIKEY_OK);
    }
    config
}

fn session(config: *const mikey_config, role: mikey_role) -> *mut mikey_session {
    let mut session = null_mut();
    // SAFETY: a live config and a valid out-pointer.
    assert_eq!(unsafe { mikey_session_new(config, role, &mut session) }, MIKEY_OK);
    session
}

fn export(session: *const mikey_session, cs_id: u8) -> mikey_srtp_keys {
    let mut keys = mikey_srtp_keys::zeroed();
    // SAFETY: a live session and a valid out-pointer.
    check!(session, unsafe { mikey_session_export_srtp(session, cs_id, &mut keys) }, MIKEY_OK);
    keys
}

/// The I_MESSAGE of an initiator with one stream, fetched after a size query.
fn i_message(initiator: *mut mikey_session) -> Vec<u8> {
    let mut cs_id = 0u8;
    let mut len = 0usize;
    // SAFETY: a live session, valid pointers, and buffers of the stated sizes.
    unsafe {
        check!(initiator, mikey_session_add_srtp_stream(initiator, 0x1234_5678, 7, &mut cs_id), MIKEY_OK);
        assert_eq!(cs_id, 1);
        check!(initiator, mikey_session_create_message(initiator, null_mut(), 0, &mut len), MIKEY_ERR_BUFFER_TOO_SMALL);
        assert!(last_error(initiator).contains("too small"));
        let needed = len;
        let mut message = vec![0u8; needed - 1];
        check!(
            initiator,
            mikey_session_create_message(initiator, message.as_mut_ptr(), message.len(), &mut len),
            MIKEY_ERR_BUFFER_TOO_SMALL
        );
        assert_eq!(len, needed, "the pending message is the same message");
        message.resize(needed, 0);
        check!(initiator, mikey_session_create_message(initiator, message.as_mut_ptr(), needed, &mut len), MIKEY_OK);
        assert_eq!((len, last_error(initiator).as_str()), (needed, ""));
        message
    }
}

#[test]
fn psk_exchange_with_verification_and_size_queries() {
    let config = config(MIKEY_METHOD_PSK, true);
    let initiator = session(config, MIKEY_ROLE_INITIATOR);
    let responder = session(config, MIKEY_ROLE_RESPONDER);
    // SAFETY: live handles, valid pointers, buffers of the stated sizes.
    unsafe {
        mikey_config_free(config); // sessions outlive their config
        let message = i_message(initiator);
        assert_eq!(mikey_session_state(initiator), MIKEY_STATE_WAIT_RESPONSE);

        // The R_MESSAGE does not fit an empty buffer: it waits for take_response.
        let mut len = 99usize;
        check!(
            responder,
            mikey_session_process_message(responder, message.as_ptr(), message.len(), null_mut(), 0, &mut len),
            MIKEY_ERR_BUFFER_TOO_SMALL
        );
        assert!(len > 0);
        assert_eq!(mikey_session_state(responder), MIKEY_STATE_ESTABLISHED);
        let mut response = vec![0u8; len];
        let mut taken = 0usize;
        check!(responder, mikey_session_take_response(responder, response.as_mut_ptr(), len, &mut taken), MIKEY_OK);
        assert_eq!(taken, len);
        check!(responder, mikey_session_take_response(responder, null_mut(), 0, &mut taken), MIKEY_OK);
        assert_eq!(taken, 0, "nothing waits any more");

        let mut out = [0u8; 512];
        check!(
            initiator,
            mikey_session_process_message(initiator, response.as_ptr(), len, out.as_mut_ptr(), out.len(), &mut len),
            MIKEY_OK
        );
        assert_eq!(len, 0);
        assert_eq!(mikey_session_state(initiator), MIKEY_STATE_ESTABLISHED);
        assert_eq!((mikey_session_cs_count(initiator), mikey_session_cs_count(responder)), (1, 1));

        let (mut sender, mut receiver) = (export(initiator, 1), export(responder, 1));
        assert_eq!((sender.cs_id, sender.ssrc, sender.roc, sender.profile), (1, 0x1234_5678, 7, 1));
        assert_eq!((sender.master_key_len, sender.master_salt_len), (16, 14));
        assert_eq!(sender.master_key, receiver.master_key);
        assert_eq!(sender.master_salt, receiver.master_salt);
        assert_ne!(sender.master_key, [0; 32]);
        mikey_srtp_keys_clear(&mut sender);
        mikey_srtp_keys_clear(&mut receiver);

        let mut keys = mikey_srtp_keys::zeroed();
        check!(initiator, mikey_session_export_srtp(initiator, 2, &mut keys), MIKEY_ERR_INVALID_ARGUMENT);
        assert!(last_error(initiator).contains("CS ID 2"));
        assert_eq!(keys.cs_id, 0, "not written on failure");

        mikey_session_free(initiator);
        mikey_session_free(responder);
    }
}

#[test]
fn a_replayed_message_is_rejected_by_every_session_of_the_config() {
    let config = config(MIKEY_METHOD_NULL, false);
    let initiator = session(config, MIKEY_ROLE_INITIATOR);
    let first = session(config, MIKEY_ROLE_RESPONDER);
    let second = session(config, MIKEY_ROLE_RESPONDER);
    let message = i_message(initiator);
    let mut out = [0u8; 512];
    let mut len = 99usize;
    // SAFETY: live handles, valid pointers, buffers of the stated sizes.
    unsafe {
        check!(
            first,
            mikey_session_process_message(first, message.as_ptr(), message.len(), out.as_mut_ptr(), 512, &mut len),
            MIKEY_OK
        );
        assert_eq!(len, 0, "no verification requested");
        len = 99;
        check!(
            second,
            mikey_session_process_message(second, message.as_ptr(), message.len(), out.as_mut_ptr(), 512, &mut len),
            MIKEY_ERR_REPLAY
        );
        assert_eq!(len, 0, "replays are dropped silently (RFC 3830 §5.3)");
        assert!(!last_error(second).is_empty());
        assert_eq!(mikey_session_state(second), MIKEY_STATE_IDLE);
        // The next successful call clears the text.
        assert_eq!(mikey_session_cs_count(second), 0);
        check!(second, mikey_session_take_response(second, null_mut(), 0, &mut len), MIKEY_OK);
        assert_eq!(last_error(second), "");

        let (mut sender, mut receiver) = (export(initiator, 1), export(first, 1));
        assert_eq!(sender.master_key, receiver.master_key);
        mikey_srtp_keys_clear(&mut sender);
        mikey_srtp_keys_clear(&mut receiver);
        for handle in [initiator, first, second] {
            mikey_session_free(handle);
        }
        mikey_config_free(config);
    }
}

#[test]
fn an_error_response_goes_out_with_the_processing_result() {
    let initiator_config = config(MIKEY_METHOD_PSK, false);
    let responder_config = config(MIKEY_METHOD_PSK, false);
    // SAFETY: live configs, NUL-terminated strings.
    unsafe {
        assert_eq!(mikey_config_set_identities(initiator_config, c"sip:mallory@x".as_ptr(), null()), MIKEY_OK);
        assert_eq!(mikey_config_set_identities(responder_config, null(), c"sip:alice@x".as_ptr()), MIKEY_OK);
    }
    let initiator = session(initiator_config, MIKEY_ROLE_INITIATOR);
    let responder = session(responder_config, MIKEY_ROLE_RESPONDER);
    let message = i_message(initiator);
    let mut len = 0usize;
    // SAFETY: live handles, valid pointers, buffers of the stated sizes.
    unsafe {
        check!(
            responder,
            mikey_session_process_message(responder, message.as_ptr(), message.len(), null_mut(), 0, &mut len),
            MIKEY_ERR_BUFFER_TOO_SMALL
        );
        assert!(last_error(responder).contains("IDi"), "{}", last_error(responder));
        let mut error_message = vec![0u8; len];
        check!(
            responder,
            mikey_session_take_response(responder, error_message.as_mut_ptr(), len, &mut len),
            MIKEY_ERR_AUTH_FAILED
        );
        assert_eq!(len, error_message.len());
        assert!(last_error(responder).contains("IDi"));
        assert_eq!(mikey_session_state(responder), MIKEY_STATE_IDLE);

        // The same, with a buffer large enough: the error message comes out directly.
        let retry = session(responder_config, MIKEY_ROLE_RESPONDER);
        let mut out = [0u8; 512];
        check!(
            retry,
            mikey_session_process_message(retry, message.as_ptr(), message.len(), out.as_mut_ptr(), 512, &mut len),
            MIKEY_ERR_AUTH_FAILED
        );
        assert_eq!(&out[..len], error_message.as_slice());

        // The initiator takes the error message as a peer error.
        check!(
            initiator,
            mikey_session_process_message(initiator, out.as_ptr(), len, out.as_mut_ptr(), 512, &mut len),
            MIKEY_ERR_PEER_ERROR
        );
        assert!(last_error(initiator).contains("InvalidId"), "{}", last_error(initiator));
        for handle in [initiator, responder, retry] {
            mikey_session_free(handle);
        }
        mikey_config_free(initiator_config);
        mikey_config_free(responder_config);
    }
}

/// A random source that panics, to drive a panic through a real export.
struct PanickingRandom;

impl RandomSource for PanickingRandom {
    fn fill(&self, _out: &mut [u8]) -> crate::Result<()> {
        panic!("test: the random source panics");
    }
}

#[test]
fn a_panic_inside_an_export_returns_mikey_err_panic_and_poisons_the_session() {
    let config = Config::with_sources(Method::Null, Arc::new(SystemClock), Arc::new(PanickingRandom)).unwrap();
    let config = Box::into_raw(Box::new(mikey_config::wrapping(config)));
    let initiator = session(config, MIKEY_ROLE_INITIATOR);
    let mut cs_id = 0u8;
    let mut out = [0u8; 512];
    let mut len = 77usize;
    // SAFETY: live handles, valid pointers, buffers of the stated sizes.
    unsafe {
        check!(initiator, mikey_session_add_srtp_stream(initiator, 1, 0, &mut cs_id), MIKEY_OK);
        check!(initiator, mikey_session_create_message(initiator, out.as_mut_ptr(), 512, &mut len), MIKEY_ERR_PANIC);
        assert_eq!(len, 77, "nothing written");
        assert!(last_error(initiator).contains("panic"));
        check!(initiator, mikey_session_create_message(initiator, out.as_mut_ptr(), 512, &mut len), MIKEY_ERR_STATE);
        assert!(last_error(initiator).contains("free it"));
        len = 77;
        let input = [1u8, 2, 3];
        check!(
            initiator,
            mikey_session_process_message(initiator, input.as_ptr(), 3, out.as_mut_ptr(), 512, &mut len),
            MIKEY_ERR_STATE
        );
        assert_eq!(len, 0, "*out_len is written whatever the result");
        let mut keys = mikey_srtp_keys::zeroed();
        check!(initiator, mikey_session_export_srtp(initiator, 1, &mut keys), MIKEY_ERR_STATE);
        mikey_session_free(initiator);
        mikey_config_free(config);
    }
}

#[test]
fn null_pointers_and_bad_numbers_are_argument_errors() {
    let mut len = 0usize;
    let mut byte = 0u8;
    let mut config = null_mut();
    let mut session_out = null_mut();
    let mut keys = mikey_srtp_keys::zeroed();
    let policy = mikey_srtp_policy::default_policy();
    // SAFETY: NULL pointers are allowed everywhere; the others point to live locals.
    unsafe {
        assert_eq!(mikey_config_new(MIKEY_METHOD_PSK, null_mut()), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_new(99, &mut config), MIKEY_ERR_INVALID_ARGUMENT);
        assert!(config.is_null(), "not written on failure");
        assert_eq!(mikey_config_set_psk(null_mut(), b"x".as_ptr(), 1), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_identities(null_mut(), null(), null()), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_srtp_policy(null_mut(), &policy), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_replay_window(null_mut(), 5), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_interop(null_mut(), 0), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_request_verification(null_mut(), 1), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_envelope_key_cache(null_mut(), 1), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_signature_scheme(null_mut(), MIKEY_SIGNATURE_PSS_SHA1), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_clock(null_mut(), None, null_mut()), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_key_period_tolerance(null_mut(), 0), MIKEY_ERR_INVALID_ARGUMENT);
        let community = mikey_config_add_kms_community(null_mut(), c"kms".as_ptr(), null(), 0, null(), 0, 1, 0);
        assert_eq!(community, MIKEY_ERR_INVALID_ARGUMENT);
        let key_set = mikey_config_add_user_key_set(null_mut(), null(), null(), 1, null(), 0, null(), 0, null(), 0);
        assert_eq!(key_set, MIKEY_ERR_INVALID_ARGUMENT);
        mikey_config_free(null_mut());

        assert_eq!(mikey_config_new(MIKEY_METHOD_PSK, &mut config), MIKEY_OK);
        assert_eq!(mikey_config_set_psk(config, null(), 16), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_psk(config, b"short".as_ptr(), 5), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_srtp_policy(config, null()), MIKEY_ERR_INVALID_ARGUMENT);
        let bad_policy = mikey_srtp_policy { mki_len: 17, ..policy };
        assert_eq!(mikey_config_set_srtp_policy(config, &bad_policy), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_srtp_policy(config, &policy), MIKEY_OK);
        assert_eq!(mikey_config_set_signature_scheme(config, 4), MIKEY_ERR_INVALID_ARGUMENT);
        let stream = mikey_stream { ssrc: 5, roc: 0 };
        assert_eq!(mikey_config_set_rsa_r_group(null_mut(), 1, &stream, 1), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_rsa_r_group(config, 1, null(), 1), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_rsa_r_group(config, 1, &stream, 1), MIKEY_ERR_INVALID_ARGUMENT, "a PSK config");
        assert_eq!(mikey_config_set_signature_scheme(config, MIKEY_SIGNATURE_PSS_SHA256), MIKEY_OK);
        assert_eq!(mikey_config_set_replay_window(config, 0), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_config_set_interop(config, 1 << 31), MIKEY_ERR_INVALID_ARGUMENT);
        let all = MIKEY_INTEROP_GSTREAMER_SP_LAYOUT | MIKEY_INTEROP_SSRC_ZERO | MIKEY_INTEROP_MANDATORY_MKI_4;
        assert_eq!(mikey_config_set_interop(config, all), MIKEY_OK);
        assert_eq!(mikey_config_set_identities(config, c"".as_ptr(), null()), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_new(config, MIKEY_ROLE_INITIATOR, &mut session_out), MIKEY_ERR_INVALID_ARGUMENT);
        assert!(session_out.is_null(), "a PSK config needs its PSK");
        let psk = [7u8; 16];
        assert_eq!(mikey_config_set_psk(config, psk.as_ptr(), psk.len()), MIKEY_OK);
        assert_eq!(mikey_session_new(null(), MIKEY_ROLE_INITIATOR, &mut session_out), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_new(config, 2, &mut session_out), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_new(config, MIKEY_ROLE_INITIATOR, null_mut()), MIKEY_ERR_INVALID_ARGUMENT);

        let null_session: *mut mikey_session = null_mut();
        assert_eq!(mikey_session_add_srtp_stream(null_session, 1, 0, &mut byte), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_create_message(null_session, null_mut(), 0, &mut len), MIKEY_ERR_INVALID_ARGUMENT);
        let process = mikey_session_process_message(null_session, b"x".as_ptr(), 1, null_mut(), 0, &mut len);
        assert_eq!(process, MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_take_response(null_session, null_mut(), 0, &mut len), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_export_srtp(null_session, 1, &mut keys), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_fork(null_session, &mut session_out), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_state(null_session), MIKEY_STATE_INVALID);
        assert_eq!(mikey_session_cs_count(null_session), 0);
        assert_eq!(last_error(null_session), "invalid session");
        let mut mcptt_key = std::mem::MaybeUninit::<mikey_mcptt_key>::zeroed().assume_init();
        let key = [1u8; 16];
        let set_key = mikey_session_set_mcptt_key(null_session, 0x1000_0001, key.as_ptr(), 16, null(), null(), null());
        assert_eq!(set_key, MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_set_mcptt_peer(null_session, c"sip:a".as_ptr(), null()), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_mcptt_key(null_session, &mut mcptt_key), MIKEY_ERR_INVALID_ARGUMENT);
        let group_id = mikey_session_mcptt_group_id(null_session, 0, null_mut(), 0, &mut len);
        assert_eq!(group_id, MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_session_mcptt_key_text(null_session, null_mut(), 0, &mut len), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_mcptt_key_parameters_init(0x1000_0001, null_mut()), MIKEY_ERR_INVALID_ARGUMENT);
        let mut parameters = mikey_mcptt_key_parameters::default();
        assert_eq!(mikey_mcptt_key_parameters_init(0x7000_0001, &mut parameters), MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_mcptt_key_parameters_init(0x1000_0001, &mut parameters), MIKEY_OK);
        assert_eq!((parameters.key_type, parameters.status), (1, MIKEY_MCPTT_STATUS_NOT_REVOKED));
        mikey_session_free(null_session);

        let initiator = session(config, MIKEY_ROLE_INITIATOR);
        check!(initiator, mikey_session_add_srtp_stream(initiator, 0, 0, &mut byte), MIKEY_OK); // SSRC_ZERO set
        check!(initiator, mikey_session_add_srtp_stream(initiator, 1, 0, null_mut()), MIKEY_ERR_INVALID_ARGUMENT);
        assert!(last_error(initiator).contains("cs_id_out is NULL"));
        check!(initiator, mikey_session_fork(initiator, &mut session_out), MIKEY_ERR_STATE);
        check!(initiator, mikey_session_fork(initiator, null_mut()), MIKEY_ERR_INVALID_ARGUMENT);
        check!(initiator, mikey_session_create_message(initiator, null_mut(), 1, &mut len), MIKEY_ERR_INVALID_ARGUMENT);
        check!(
            initiator,
            mikey_session_create_message(initiator, null_mut(), 0, null_mut()),
            MIKEY_ERR_INVALID_ARGUMENT
        );
        check!(
            initiator,
            mikey_session_process_message(initiator, null(), 1, null_mut(), 0, &mut len),
            MIKEY_ERR_INVALID_ARGUMENT
        );
        check!(
            initiator,
            mikey_session_process_message(initiator, null(), 0, null_mut(), 0, &mut len),
            MIKEY_ERR_MALFORMED
        );
        check!(initiator, mikey_session_export_srtp(initiator, 1, null_mut()), MIKEY_ERR_INVALID_ARGUMENT);
        check!(initiator, mikey_session_export_srtp(initiator, 1, &mut keys), MIKEY_ERR_STATE);
        let responder = session(config, MIKEY_ROLE_RESPONDER);
        check!(responder, mikey_session_create_message(responder, null_mut(), 0, &mut len), MIKEY_ERR_STATE);
        check!(responder, mikey_session_add_srtp_stream(responder, 0, 0, &mut byte), MIKEY_ERR_INVALID_ARGUMENT);
        // MCPTT keys and users are MIKEY-SAKKE's.
        let sip = c"sip:bob@example.org".as_ptr();
        check!(responder, mikey_session_set_mcptt_peer(responder, sip, null()), MIKEY_ERR_INVALID_ARGUMENT);
        assert!(last_error(responder).contains("MIKEY-SAKKE"));
        check!(responder, mikey_session_mcptt_key(responder, &mut mcptt_key), MIKEY_ERR_STATE);
        mikey_session_free(initiator);
        mikey_session_free(responder);
        mikey_config_free(config);
    }
}

#[test]
fn sdp_and_rtsp_helpers_round_trip() {
    let message = [1u8, 0, 5, 0, 0xFF, 0xFE];
    let mut text = [0 as c_char; 128];
    let mut bytes = [0u8; 64];
    let mut len = 0usize;
    // SAFETY: buffers of the stated sizes, NUL-terminated strings, live locals.
    unsafe {
        let encode = mikey_sdp_key_mgmt_encode(message.as_ptr(), message.len(), null_mut(), 0, &mut len);
        assert_eq!((encode, len), (MIKEY_ERR_BUFFER_TOO_SMALL, "mikey AQAFAP/+".len() + 1));
        let encode = mikey_sdp_key_mgmt_encode(message.as_ptr(), message.len(), text.as_mut_ptr(), 14, &mut len);
        assert_eq!((encode, len), (MIKEY_ERR_BUFFER_TOO_SMALL, 15), "the NUL needs room");
        let encode = mikey_sdp_key_mgmt_encode(message.as_ptr(), message.len(), text.as_mut_ptr(), 15, &mut len);
        assert_eq!((encode, len), (MIKEY_OK, 14));
        assert_eq!(CStr::from_ptr(text.as_ptr()), c"mikey AQAFAP/+");

        let decode = mikey_sdp_key_mgmt_decode(c"a=key-mgmt:mikey AQAFAP/+".as_ptr(), null_mut(), 0, &mut len);
        assert_eq!((decode, len), (MIKEY_ERR_BUFFER_TOO_SMALL, 6));
        let decode = mikey_sdp_key_mgmt_decode(text.as_ptr(), bytes.as_mut_ptr(), bytes.len(), &mut len);
        assert_eq!((decode, &bytes[..len]), (MIKEY_OK, &message[..]));
        let other = mikey_sdp_key_mgmt_decode(c"kerberos AQAF".as_ptr(), bytes.as_mut_ptr(), 64, &mut len);
        assert_eq!(other, MIKEY_ERR_UNSUPPORTED);
        let not_utf8 = mikey_sdp_key_mgmt_decode(c"mikey \xff".as_ptr(), bytes.as_mut_ptr(), 64, &mut len);
        assert_eq!(not_utf8, MIKEY_ERR_MALFORMED);
        assert_eq!(mikey_sdp_key_mgmt_decode(null(), bytes.as_mut_ptr(), 64, &mut len), MIKEY_ERR_INVALID_ARGUMENT);

        let uri = c"rtsp://cam/stream";
        let encode = mikey_rtsp_key_mgmt_encode(message.as_ptr(), 6, uri.as_ptr(), text.as_mut_ptr(), 128, &mut len);
        assert_eq!(encode, MIKEY_OK);
        let expected = c"prot=mikey; uri=\"rtsp://cam/stream\"; data=\"AQAFAP/+\"";
        assert_eq!((CStr::from_ptr(text.as_ptr()), len), (expected, expected.count_bytes()));
        let bad_uri =
            mikey_rtsp_key_mgmt_encode(message.as_ptr(), 6, c"a\"b".as_ptr(), text.as_mut_ptr(), 128, &mut len);
        assert_eq!(bad_uri, MIKEY_ERR_INVALID_ARGUMENT);

        let header =
            c"KeyMgmt: prot=other; data=\"AA==\", prot=mikey; data=\"AQID\", prot=mikey; uri=\"u\"; data=\"BA==\"";
        let mut count = 0usize;
        assert_eq!(mikey_rtsp_key_mgmt_count(header.as_ptr(), &mut count), MIKEY_OK);
        assert_eq!(count, 2);
        assert_eq!(mikey_rtsp_key_mgmt_decode(header.as_ptr(), 0, bytes.as_mut_ptr(), 64, &mut len), MIKEY_OK);
        assert_eq!(&bytes[..len], &[1, 2, 3]);
        assert_eq!(mikey_rtsp_key_mgmt_decode(header.as_ptr(), 1, bytes.as_mut_ptr(), 64, &mut len), MIKEY_OK);
        assert_eq!(&bytes[..len], &[4]);
        let past_end = mikey_rtsp_key_mgmt_decode(header.as_ptr(), 2, bytes.as_mut_ptr(), 64, &mut len);
        assert_eq!(past_end, MIKEY_ERR_INVALID_ARGUMENT);
        assert_eq!(mikey_rtsp_key_mgmt_uri(header.as_ptr(), 0, text.as_mut_ptr(), 128, &mut len), MIKEY_OK);
        assert_eq!((CStr::from_ptr(text.as_ptr()), len), (c"", 0));
        assert_eq!(
            mikey_rtsp_key_mgmt_uri(header.as_ptr(), 1, text.as_mut_ptr(), 1, &mut len),
            MIKEY_ERR_BUFFER_TOO_SMALL
        );
        assert_eq!(len, 2);
        assert_eq!(mikey_rtsp_key_mgmt_uri(header.as_ptr(), 1, text.as_mut_ptr(), 2, &mut len), MIKEY_OK);
        assert_eq!((CStr::from_ptr(text.as_ptr()), len), (c"u", 1));
        assert_eq!(mikey_rtsp_key_mgmt_count(c"prot=other; data=\"AA==\"".as_ptr(), &mut count), MIKEY_ERR_MALFORMED);
        assert_eq!(mikey_rtsp_key_mgmt_count(header.as_ptr(), null_mut()), MIKEY_ERR_INVALID_ARGUMENT);
    }
}

#[test]
fn result_strings_are_static_and_known() {
    for result in MIKEY_OK..=MIKEY_ERR_PANIC {
        // SAFETY: static NUL-terminated strings.
        let text = unsafe { CStr::from_ptr(mikey_result_str(result)) };
        assert!(!text.is_empty());
        assert_ne!(text, c"unknown result code", "{result}");
    }
}
