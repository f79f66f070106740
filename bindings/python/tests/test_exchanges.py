# SPDX-License-Identifier: Apache-2.0 OR MIT
"""One exchange per method of the C API (PSK, NULL, DH-HMAC, PK, DH-SIGN, RSA-R; MIKEY-SAKKE is
in test_sakke.py), both sides exporting equal keys, as ffi-tests/*_exchange.c do in C."""

from __future__ import annotations

import pytest

import mikey
from support import (
    ALICE,
    BOB,
    TEST_PSK,
    agree,
    assert_profile,
    deliver,
    pem_to_der,
    pki,
    run_exchange,
    signing_config,
    test_ssrc,
)

SSRC_BASE = 0x11223344


def test_psk_with_verification(psk_config, closing):
    initiator, responder = closing(mikey.Session.initiator(psk_config), mikey.Session.responder(psk_config))
    for index in range(3):
        assert initiator.add_srtp_stream(test_ssrc(SSRC_BASE, index), index * 7) == index + 1
    assert initiator.cs_count == 3 and responder.cs_count == 0

    message = initiator.create_message()
    assert message[0] == 1 and message[1] == 0  # version 1, data type 0 (PSK I_MESSAGE)
    assert initiator.state == mikey.State.WAIT_RESPONSE
    assert responder.state == mikey.State.IDLE

    reply = responder.process_message(message)
    assert reply, "no R_MESSAGE although V was set"
    assert reply[1] == 1  # data type 1: PSK R_MESSAGE (verification)
    assert responder.state == mikey.State.ESTABLISHED and responder.cs_count == 3
    assert responder.last_error == ""
    assert responder.take_response() == b""  # delivered already: nothing waits
    assert initiator.process_message(reply) == b""
    assert initiator.state == mikey.State.ESTABLISHED
    assert initiator.csb_id == responder.csb_id

    first = agree(initiator, responder)
    for index, keys in enumerate(first):
        assert keys.ssrc == test_ssrc(SSRC_BASE, index)
        assert keys.roc == index * 7
        assert keys.ssrc_type == mikey.SsrcType.SPECIFIC
        assert keys.key_derivation_rate == 0 and keys.mki == b""
        assert_profile(keys, mikey.Profile.AES_CM_128_HMAC_SHA1_80)
        assert keys.master_key_and_salt == keys.master_key + keys.master_salt
    # RFC 3830 §4.1.3: every crypto session has its own TEK.
    assert len({keys.master_key for keys in first}) == 3

    # Re-keying: the same CSB, new keys on both sides.
    deliver(initiator, responder)
    second = agree(initiator, responder)
    for before, after in zip(first, second):
        assert before.master_key != after.master_key
        assert before.master_salt != after.master_salt
        assert (before.ssrc, before.roc) == (after.ssrc, after.roc)


def test_psk_without_verification(closing):
    # Separate endpoints, as in real life.
    init_config, resp_config = closing(
        mikey.Config(mikey.Method.PSK, psk=TEST_PSK),
        mikey.Config(mikey.Method.PSK, psk=TEST_PSK),
    )
    initiator, responder = closing(mikey.Session.initiator(init_config), mikey.Session.responder(resp_config))
    initiator.add_srtp_stream(0xCAFE0001)
    message = initiator.create_message()
    assert initiator.state == mikey.State.ESTABLISHED  # nothing to wait for
    assert responder.process_message(message) == b""
    assert responder.state == mikey.State.ESTABLISHED
    agree(initiator, responder)


def test_psk_identities(closing):
    alice, bob = closing(
        mikey.Config(mikey.Method.PSK, psk=TEST_PSK, request_verification=True, own_id=ALICE, peer_id=BOB),
        mikey.Config(mikey.Method.PSK, psk=TEST_PSK, request_verification=True, own_id=BOB, peer_id=ALICE),
    )
    initiator, responder = closing(*run_exchange(alice, bob, 2, 0x0A0B0C00))
    agree(initiator, responder)
    assert initiator.peer_identity() == BOB.encode()
    assert responder.peer_identity() == ALICE.encode()
    assert initiator.peer_certificate() == b"" and responder.peer_certificate() == b""


@pytest.mark.parametrize(
    "init_flags, resp_flags, verification, profile",
    [
        (mikey.Interop.NONE, mikey.Interop.NONE, False, 1),
        (mikey.Interop.NONE, mikey.Interop.NONE, True, 1),
        (mikey.Interop.GSTREAMER, mikey.Interop.GSTREAMER, False, 1),
        (mikey.Interop.GSTREAMER, mikey.Interop.GSTREAMER, False, 2),
        # README: a responder without flags accepts what GStreamer sends.
        (mikey.Interop.GSTREAMER, mikey.Interop.NONE, False, 2),
    ],
    ids=["plain", "plain-V", "gstreamer", "gstreamer-32", "gstreamer-to-default"],
)
def test_null_method(closing, init_flags, resp_flags, verification, profile):
    init_config, resp_config = closing(
        mikey.Config(
            mikey.Method.NULL,
            interop=init_flags,
            request_verification=verification,
            srtp_policy=mikey.SrtpPolicy(profile=profile),
        ),
        mikey.Config(mikey.Method.NULL, interop=resp_flags),
    )
    initiator = closing(mikey.Session.initiator(init_config))
    responder = closing(mikey.Session.responder(resp_config))
    initiator.add_srtp_stream(0x5EED0000)
    initiator.add_srtp_stream(0x5EED0101, 7)
    message = deliver(initiator, responder)
    for keys in agree(initiator, responder):
        assert_profile(keys, profile)
        # NULL sends the keys in the clear (RFC 3830 §4.2.3): an independent check of the export.
        if init_flags & mikey.Interop.TEK_WITH_CONCATENATED_SALT:
            assert keys.master_key_and_salt in message
        else:
            assert keys.master_key in message and keys.master_salt in message
    # NULL authenticates nobody.
    assert responder.peer_identity() == b""
    deliver(initiator, responder)  # re-keying works with NULL too
    agree(initiator, responder)


@pytest.mark.parametrize("group", list(mikey.DhGroup))
def test_dh_hmac(closing, group):
    def config(own, peer):
        return closing(
            mikey.Config(
                mikey.Method.DH_HMAC,
                psk=TEST_PSK,
                own_id=own,
                peer_id=peer,
                dh_group=group,
                min_dh_group=group,  # OAKLEY 1 and 2 are below the default minimum
            )
        )

    initiator, responder = closing(*run_exchange(config(ALICE, BOB), config(BOB, ALICE), 2, 0x0D0D0000))
    first = agree(initiator, responder)
    assert_profile(first[0], 1)
    assert initiator.peer_identity() == BOB.encode()
    message = deliver(initiator, responder)  # re-keying: fresh DH values
    assert message[1] == 7  # data type 7: DHHMAC I_MESSAGE (RFC 4650)
    second = agree(initiator, responder)
    assert first[0].master_key != second[0].master_key


@pytest.mark.parametrize(
    "method, first_type, update_type",
    [
        (mikey.Method.PK, 2, 2),
        (mikey.Method.DH_SIGN, 4, 4),
        (mikey.Method.RSA_R, 9, 9),
    ],
    ids=["PK", "DH-SIGN", "RSA-R"],
)
def test_certificate_methods(closing, method, first_type, update_type):
    # The PK initiator sends the envelope key under bob's certificate.
    alice = closing(signing_config(method, "alice", BOB, "bob.crt.pem"))
    bob = closing(signing_config(method, "bob", ALICE, "alice.crt.pem"))
    initiator, responder = closing(mikey.Session.initiator(alice), mikey.Session.responder(bob))
    for index in range(2):
        initiator.add_srtp_stream(test_ssrc(0x5E5E0000, index), index)
    message = deliver(initiator, responder)
    assert message[1] == first_type  # RFC 3830 Table 6.1a, RFC 4738
    first = agree(initiator, responder)

    # Each side learns who authenticated the CSB, and its certificate.
    assert initiator.peer_identity() == BOB.encode()
    assert responder.peer_identity() == ALICE.encode()
    assert initiator.peer_certificate() == pem_to_der(pki("bob.crt.pem"))
    assert responder.peer_certificate() == pem_to_der(pki("alice.crt.pem"))

    update = deliver(initiator, responder)
    assert update[1] == update_type
    second = agree(initiator, responder)
    assert first[1].master_key != second[1].master_key


def test_pk_cached_envelope_key(closing):
    # With the envelope key cached, the initiator's updates are PSK messages (data type 0).
    alice = closing(signing_config(mikey.Method.PK, "alice", BOB, "bob.crt.pem", envelope_key_cache=True))
    bob = closing(signing_config(mikey.Method.PK, "bob", ALICE, "alice.crt.pem"))
    initiator, responder = closing(*run_exchange(alice, bob, 1, 0x5E5E0000))
    first = agree(initiator, responder)
    assert deliver(initiator, responder)[1] == 0
    assert agree(initiator, responder)[0].master_key != first[0].master_key


def test_signature_scheme_pss(closing):
    alice = closing(signing_config(mikey.Method.RSA_R, "alice", BOB, signature_scheme=mikey.SignatureScheme.PSS_SHA256))
    bob = closing(signing_config(mikey.Method.RSA_R, "bob", ALICE, signature_scheme=mikey.SignatureScheme.PSS_SHA256))
    agree(*closing(*run_exchange(alice, bob, 1, 0x5E5E0000)))


def test_rsa_r_forking(closing):
    # Alice does not know who will answer: she accepts any peer under her anchors and forks.
    alice = closing(signing_config(mikey.Method.RSA_R, "alice", None, accept_any_peer=True))
    bob = closing(signing_config(mikey.Method.RSA_R, "bob", ALICE))
    carol = closing(signing_config(mikey.Method.RSA_R, "carol", ALICE))
    initiator = closing(mikey.Session.initiator(alice))
    initiator.add_srtp_stream(0xF0F0F0F0)
    with pytest.raises(mikey.StateError):
        initiator.fork()  # nothing sent yet
    message = initiator.create_message()
    fork = closing(initiator.fork())
    to_bob, to_carol = closing(mikey.Session.responder(bob), mikey.Session.responder(carol))
    from_bob, from_carol = to_bob.process_message(message), to_carol.process_message(message)
    assert fork.process_message(from_bob) == b""
    assert initiator.process_message(from_carol) == b""
    with_bob, with_carol = agree(fork, to_bob), agree(initiator, to_carol)
    assert with_bob[0].master_key != with_carol[0].master_key
    assert fork.peer_identity() == BOB.encode()
    assert initiator.peer_identity() == b"carol@example.com"  # her certificate names an e-mail


def test_rsa_r_group_key_server(closing):
    server = closing(signing_config(mikey.Method.RSA_R, "bob", None))
    server.set_rsa_r_group(0x0600D5E, [(0x9A9A9A9A, 3)])
    keys = []
    for member in ("alice", "carol"):
        config = closing(signing_config(mikey.Method.RSA_R, member, BOB))
        initiator, responder = closing(*run_exchange(config, server, 1, 0x5E5E0000))
        (member_keys,) = agree(initiator, responder)
        assert (member_keys.ssrc, member_keys.roc) == (0x9A9A9A9A, 3)
        assert initiator.csb_id == 0x0600D5E
        keys.append(member_keys)
    assert keys[0] == keys[1]  # one group key for every member


@pytest.mark.parametrize(
    "profile", [mikey.Profile.AEAD_AES_128_GCM, mikey.Profile.AEAD_AES_256_GCM, mikey.Profile.AES_256_CM_HMAC_SHA1_80]
)
def test_srtp_policy_profiles_and_mki(closing, profile):
    config = closing(
        mikey.Config(
            mikey.Method.PSK,
            psk=TEST_PSK,
            request_verification=True,
            srtp_policy=mikey.SrtpPolicy(profile=profile, mki_len=4),
        )
    )
    initiator, responder = closing(*run_exchange(config, config, 1, 0x77000000))
    (keys,) = agree(initiator, responder)
    key_len, salt_len, _, tag_len = {7: (16, 12, 0, 16), 8: (32, 12, 0, 16), 0x0101: (32, 14, 20, 10)}[profile]
    assert keys.profile == profile
    assert (len(keys.master_key), len(keys.master_salt), keys.auth_tag_len) == (key_len, salt_len, tag_len)
    assert len(keys.mki) == 4


def test_responder_fills_ssrc_placeholder(psk_config, closing):
    # RFC 3830 §6.1.1: SSRC 0 in the offer, filled in by the responder's own stream.
    initiator, responder = closing(mikey.Session.initiator(psk_config), mikey.Session.responder(psk_config))
    initiator.add_srtp_stream(0x11111111)
    initiator.add_srtp_stream(0)
    responder.add_srtp_stream(0x55667788, 9)
    deliver(initiator, responder)
    mine, theirs = agree(initiator, responder)
    assert (mine.ssrc, theirs.ssrc) == (0x11111111, 0x55667788)
    assert theirs.roc == 9


def test_unfilled_placeholder_is_exported_as_unknown(closing):
    # No R_MESSAGE: nobody fills the placeholder; the initiator receives it, the responder sends.
    init_config = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK))
    resp_config = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK, interop=mikey.Interop.SSRC_ZERO))
    initiator, responder = closing(mikey.Session.initiator(init_config), mikey.Session.responder(resp_config))
    initiator.add_srtp_stream(0)
    deliver(initiator, responder)
    mine, theirs = initiator.export_srtp(1), responder.export_srtp(1)
    assert mine.master_key == theirs.master_key and mine.ssrc == theirs.ssrc == 0
    assert mine.ssrc_type == mikey.SsrcType.ANY_INBOUND
    assert theirs.ssrc_type == mikey.SsrcType.ANY_OUTBOUND


def test_fixed_clock(closing):
    # A config clock (lab tools replaying captures): the I_MESSAGE's T is the clock's time, and
    # a responder whose clock is two minutes later refuses it as too old.
    now = mikey.ntp_from_unix(1_800_000_000)
    clock = mikey.ManualClock(now)
    init_config = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK, clock=clock))
    resp_config = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK, clock=now + (120 << 32)))
    initiator, responder = closing(mikey.Session.initiator(init_config), mikey.Session.responder(resp_config))
    initiator.add_srtp_stream(0x1234)
    message = initiator.create_message()
    assert now.to_bytes(8, "big") in message  # the T payload carries the NTP time
    with pytest.raises(mikey.TimestampError) as refused:
        responder.process_message(message)
    assert refused.value.code == mikey.Result.ERR_TIMESTAMP
    assert responder.state == mikey.State.IDLE
    assert abs(mikey.unix_from_ntp(now) - 1_800_000_000) < 1e-6


def test_unprotected_srtp_policy(closing):
    # The three switches and the key derivation rate of the offered policy travel in the SP
    # payload; a responder refuses a policy that turns protection off unless allowed to.
    policy = mikey.SrtpPolicy(srtcp_encryption=False, key_derivation_rate=1 << 16)
    init_config = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK, request_verification=True, srtp_policy=policy))
    strict = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK))
    lenient = closing(mikey.Config(mikey.Method.PSK, psk=TEST_PSK, allow_unprotected_srtp=True))
    initiator = closing(mikey.Session.initiator(init_config))
    initiator.add_srtp_stream(0xABCD)
    message = initiator.create_message()
    refusing = closing(mikey.Session.responder(strict))
    with pytest.raises(mikey.PolicyError) as refused:
        refusing.process_message(message)
    assert refused.value.code == 8 and refused.value.response[1] == 6  # answered with an error message
    assert refusing.state == mikey.State.IDLE
    accepting = closing(mikey.Session.responder(lenient))
    initiator.process_message(accepting.process_message(message))
    (keys,) = agree(initiator, accepting)
    assert (keys.srtp_encryption, keys.srtcp_encryption, keys.srtp_authentication) == (True, False, True)
    assert keys.key_derivation_rate == 1 << 16
