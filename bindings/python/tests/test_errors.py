# SPDX-License-Identifier: Apache-2.0 OR MIT
"""Error paths through the binding (ffi-tests/error_paths.c in C): each failure raises the
subclass of its result code, with the library's text, and leaves the session as it was."""

from __future__ import annotations

import pickle

import pytest

import mikey
from support import TEST_PSK, TEST_PSK_OTHER, agree, pki, signing_config


def offer(config, closing, ssrc=0x31415926):
    initiator = closing(mikey.Session.initiator(config))
    initiator.add_srtp_stream(ssrc)
    return initiator, initiator.create_message()


def assert_untouched(session: mikey.Session) -> None:
    """A responder that never accepted anything: idle, no crypto sessions, nothing to export."""
    assert session.state == mikey.State.IDLE
    assert session.cs_count == 0
    with pytest.raises(mikey.StateError):
        session.export_srtp(1)
    with pytest.raises(mikey.StateError):
        _ = session.csb_id


@pytest.mark.parametrize(
    "garbage, error, code",
    [
        (b"\x01\x00\x42", mikey.MalformedError, 3),  # version 1, PSK I_MESSAGE, cut short
        (b"", mikey.MalformedError, 3),
        (bytes(mikey.MAX_MESSAGE_LEN + 1), mikey.MalformedError, 3),  # refused unread
        (b"garbage", mikey.UnsupportedError, 4),  # 'g' = MIKEY version 103
    ],
    ids=["truncated", "empty", "oversized", "version-103"],
)
def test_garbage_message(psk_config, closing, garbage, error, code):
    responder = closing(mikey.Session.responder(psk_config))
    with pytest.raises(error) as raised:
        responder.process_message(garbage)
    exc = raised.value
    assert isinstance(exc, mikey.MikeyError)
    assert exc.code == code and exc.code == error.result
    assert exc.last_error, "no library text"
    assert exc.last_error in str(exc) and exc.code.c_name in str(exc)
    assert exc.function == "mikey_session_process_message"
    assert exc.response == b""  # nothing to send back for junk
    assert_untouched(responder)
    # The session still works: a genuine I_MESSAGE goes through.
    _, message = offer(psk_config, closing)
    assert responder.process_message(message)
    assert responder.state == mikey.State.ESTABLISHED


def test_oversized_message_text(psk_config, closing):
    responder = closing(mikey.Session.responder(psk_config))
    with pytest.raises(mikey.MalformedError) as raised:
        responder.process_message(bytes(mikey.MAX_MESSAGE_LEN + 1))
    assert "MAX_MESSAGE_LEN" in raised.value.last_error


def test_wrong_psk(closing):
    init_config = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK, request_verification=True))
    resp_config = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK_OTHER, request_verification=True))
    initiator, message = offer(init_config, closing)
    responder = closing(mikey.Session.responder(resp_config))
    with pytest.raises(mikey.AuthFailedError) as raised:
        responder.process_message(message)
    exc = raised.value
    assert exc.code == mikey.Result.ERR_AUTH_FAILED == 5
    assert exc.last_error and exc.description
    assert_untouched(responder)
    # RFC 3830 §5.1.2: the refusal comes with an error message (HDR, T, ERR) to send back.
    assert len(exc.response) >= 10
    assert exc.response[0] == 1 and exc.response[1] == 6  # version 1, data type 6: error message
    # The initiator reports it; unauthenticated, it is only a hint: it keeps waiting.
    with pytest.raises(mikey.PeerError) as peer:
        initiator.process_message(exc.response)
    assert peer.value.code == 10 and peer.value.response == b""
    assert initiator.state == mikey.State.WAIT_RESPONSE
    # A responder with the right PSK then completes the exchange with the waiting initiator.
    good = closing(mikey.Session.responder(init_config))
    initiator.process_message(good.process_message(message))
    agree(initiator, good)


def test_tampered_messages_change_nothing(psk_config, closing):
    initiator, message = offer(psk_config, closing)
    responder = closing(mikey.Session.responder(psk_config))
    assert message[-21] == 1  # the KEMAC ends with MAC alg 1 (HMAC-SHA-1-160) and 20 bytes
    for position, bit in ((len(message) - 5, 0x01), (len(message) - 23, 0x80)):
        tampered = bytearray(message)
        tampered[position] ^= bit
        with pytest.raises(mikey.AuthFailedError):
            responder.process_message(tampered)
        assert_untouched(responder)
    with pytest.raises(mikey.MalformedError):
        responder.process_message(message[:-1])
    reply = responder.process_message(message)  # the genuine one still goes through
    # A tampered R_MESSAGE leaves the initiator waiting; the genuine one completes it.
    tampered = bytearray(reply)
    tampered[-1] ^= 0x01
    with pytest.raises(mikey.AuthFailedError):
        initiator.process_message(bytes(tampered))
    assert initiator.state == mikey.State.WAIT_RESPONSE
    with pytest.raises(mikey.StateError):
        initiator.export_srtp(1)
    initiator.process_message(reply)
    agree(initiator, responder)


def test_replay(psk_config, closing):
    initiator, message = offer(psk_config, closing)
    first, second = closing(mikey.Session.responder(psk_config), mikey.Session.responder(psk_config))
    first.process_message(message)
    before = first.export_srtp(1)
    with pytest.raises(mikey.ReplayError) as raised:
        second.process_message(message)
    assert raised.value.code == 6
    assert_untouched(second)
    # The established session refuses it too, and keeps its keys.
    with pytest.raises(mikey.ReplayError):
        first.process_message(message)
    assert first.state == mikey.State.ESTABLISHED
    assert first.export_srtp(1) == before
    # Another config is another endpoint, with its own replay cache.
    elsewhere_config = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK, request_verification=True))
    assert closing(mikey.Session.responder(elsewhere_config)).process_message(message)


def test_wrong_state(psk_config, closing):
    initiator, responder = closing(mikey.Session.initiator(psk_config), mikey.Session.responder(psk_config))
    initiator.add_srtp_stream(0x42424242)
    with pytest.raises(mikey.StateError):
        initiator.export_srtp(1)
    with pytest.raises(mikey.StateError) as raised:
        responder.create_message()  # a responder makes no I_MESSAGE
    assert raised.value.last_error
    assert responder.state == mikey.State.IDLE
    with pytest.raises(mikey.StateError):
        responder.fork()
    message = initiator.create_message()
    with pytest.raises(mikey.StateError):
        initiator.export_srtp(1)  # still waiting for the R_MESSAGE
    responder.process_message(message)
    with pytest.raises(mikey.InvalidArgumentError):
        responder.export_srtp(2)  # no such CS
    responder.export_srtp(1)
    assert responder.last_error == ""  # reset by the successful call


def test_frozen_config(closing):
    config = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK))
    initiator = closing(mikey.Session.initiator(config))
    with pytest.raises(mikey.StateError) as raised:
        config.set_psk(TEST_PSK_OTHER)
    assert "sessions" in raised.value.last_error
    assert "sessions" in config.last_error
    with pytest.raises(mikey.StateError):
        config.set_replay_window(120)
    # Sessions outlive their config.
    config.close()
    responder_config = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK))
    responder = closing(mikey.Session.responder(responder_config))
    initiator.add_srtp_stream(0x0BADCAFE, 1)
    responder.process_message(initiator.create_message())
    agree(initiator, responder)


def test_config_argument_errors(closing):
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.Config(999)
    # MIKEY-TICKET without its credentials (a PSK with a KMS, or a TPK): refused at the session.
    ticket = closing(mikey.Config(mikey.Method.TICKET))
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.Session.initiator(ticket)
    config = closing(mikey.Config(mikey.Method.PSK))
    with pytest.raises(mikey.InvalidArgumentError) as raised:
        config.set_psk(TEST_PSK[:15])  # too short
    assert "16" in raised.value.last_error
    assert config.last_error == raised.value.last_error
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_identities("", None)
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_identities("sip:a@example.com", b"\xff\xfe")  # not UTF-8
    config.set_identities(None, None)
    assert config.last_error == ""
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_srtp_policy(mikey.SrtpPolicy(profile=3))  # no such profile
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_srtp_policy(mikey.SrtpPolicy(mki_len=17))
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_replay_window(0)
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_accepted_profiles([])
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_interop(0x80000000)
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_dh_group(3)
    # No PSK yet: no session.
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.Session.initiator(config)
    # Values a C argument cannot carry are refused before the call (ctypes would truncate).
    with pytest.raises(ValueError):
        config.set_srtp_policy(mikey.SrtpPolicy(mki_len=256))
    with pytest.raises(ValueError):
        config.set_replay_window(-1)
    with pytest.raises(ValueError):
        config.set_identities("sip:a\0b@example.com")
    with pytest.raises(TypeError):
        mikey.Config(mikey.Method.PSK, no_such_setting=1)
    null_config = closing(mikey.Config(mikey.Method.NULL))
    with pytest.raises(mikey.InvalidArgumentError):
        null_config.set_psk(TEST_PSK)  # NULL has no PSK


def test_certificate_errors(closing):
    garbage = b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
    config = closing(mikey.Config(mikey.Method.DH_SIGN))
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_certificate_chain(garbage)
    assert config.last_error
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_private_key(garbage)
    with pytest.raises(mikey.UnsupportedError) as raised:
        config.set_private_key(pki("weak-1024.key.pem"))
    assert "1024" in raised.value.last_error
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.Session.initiator(config)  # no credentials
    # Bob's key under Alice's certificate.
    mismatched_key = closing(mikey.Config(mikey.Method.DH_SIGN))
    mismatched_key.set_certificate_chain(pki("alice.crt.pem")).set_private_key(pki("bob.key.pem"))
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.Session.initiator(mismatched_key)
    # A responder without trust anchors cannot authenticate Alice.
    alice = closing(signing_config(mikey.Method.DH_SIGN, "alice", "sip:bob@example.com"))
    untrusting = closing(signing_config(mikey.Method.DH_SIGN, "bob", "sip:alice@example.com", trust=False))
    _, message = offer(alice, closing, ssrc=1)
    responder = closing(mikey.Session.responder(untrusting))
    with pytest.raises(mikey.AuthFailedError):
        responder.process_message(message)
    assert_untouched(responder)


def test_exception_classes():
    assert set(mikey.ERRORS) == {code for code in mikey.Result if code != mikey.Result.OK}
    for code, cls in mikey.ERRORS.items():
        assert issubclass(cls, mikey.MikeyError) and cls is not mikey.MikeyError
        assert cls.result == code
        assert mikey.error_class(code) is cls
        assert mikey.result_str(code) and mikey.result_str(code) != mikey.result_str(9999)
    assert mikey.error_class(9999) is mikey.MikeyError
    exc = mikey.MikeyError(9999, "detail")
    assert exc.code == 9999 and "9999" in str(exc) and "detail" in str(exc)
    assert len({mikey.result_str(code) for code in mikey.Result}) == len(mikey.Result)


def test_exceptions_pickle(psk_config, closing):
    responder = closing(mikey.Session.responder(psk_config))
    with pytest.raises(mikey.MalformedError) as raised:
        responder.process_message(b"\x01\x00\x42")
    copy = pickle.loads(pickle.dumps(raised.value))
    assert type(copy) is mikey.MalformedError
    assert (copy.code, copy.last_error, copy.function, copy.response) == (
        raised.value.code,
        raised.value.last_error,
        raised.value.function,
        raised.value.response,
    )
    assert str(copy) == str(raised.value)


def test_argument_types(psk_config, closing):
    responder = closing(mikey.Session.responder(psk_config))
    with pytest.raises(TypeError):
        responder.process_message("mikey AQAF")  # a str is not a message
    with pytest.raises(TypeError):
        responder.add_srtp_stream(1.5)
    assert responder.state == mikey.State.IDLE
    with pytest.raises(TypeError):
        mikey.Config(mikey.Method.PSK, psk="a text is not a key, whatever its length")
    # PEM may be given as text.
    config = closing(mikey.Config(mikey.Method.DH_SIGN))
    config.set_certificate_chain(pki("alice.crt.pem").decode()).set_private_key(pki("alice.key.pem").decode())
    config.add_trust_anchor(pki("root.crt.pem").decode())
