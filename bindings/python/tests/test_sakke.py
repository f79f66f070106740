# SPDX-License-Identifier: Apache-2.0 OR MIT
"""MIKEY-SAKKE for MCPTT (RFC 6509, TS 33.180) through the binding, with Streamwide's KMS and
users (sakke_vectors.py, copied from ffi-tests/sakke_vectors.h) on a clock set to their key
period, as ffi-tests/mcptt_exchange.c does in C."""

from __future__ import annotations

import dataclasses

import pytest

import mikey
from sakke_vectors import (
    SW_ALICE,
    SW_BOB,
    SW_GMS,
    SW_IWF,
    SW_KEY_PERIOD_OFFSET_SECS,
    SW_KEY_PERIOD_SECS,
    SW_KMS_KPAK,
    SW_KMS_URI,
    SW_KMS_Z,
    SW_MESSAGE_NTP_SECONDS,
    SW_TEST1_CS4_MASTER_KEY,
    SW_TEST1_CS4_MASTER_SALT,
    SW_TEST1_GMK_ID,
    SW_TEST1_GMK_MESSAGE,
    SW_TEST1_GUK_ID,
    SW_TEST1_KEY,
)

NOW = SW_MESSAGE_NTP_SECONDS << 32  # the T of Streamwide's messages, key period 236


def user_config(user, closing) -> mikey.Config:
    config = mikey.Config(mikey.Method.SAKKE, clock=NOW)
    closing(config)
    config.add_kms_community(
        SW_KMS_URI, bytes.fromhex(SW_KMS_Z), bytes.fromhex(SW_KMS_KPAK), SW_KEY_PERIOD_SECS, SW_KEY_PERIOD_OFFSET_SECS
    )
    config.add_user_key_set(
        SW_KMS_URI,
        user.uri,
        user.key_period_number,
        bytes.fromhex(user.rsk),
        bytes.fromhex(user.ssk),
        bytes.fromhex(user.pvt),
    )
    return config


def send_key(config, closing, key_id, key, to, group_id=None):
    initiator = closing(mikey.Session.initiator(config))
    initiator.set_mcptt_key(key_id, key, group_id=group_id)
    initiator.set_mcptt_peer(to.uri)
    message = initiator.create_message()
    assert initiator.state == mikey.State.ESTABLISHED
    return initiator, message


def receive(config, closing, message, sip_peer=None):
    responder = closing(mikey.Session.responder(config))
    if sip_peer is not None:
        responder.set_mcptt_peer(sip_peer)
    assert responder.process_message(message) == b"", "MIKEY-SAKKE has no answer"
    assert responder.state == mikey.State.ESTABLISHED
    return responder


def assert_same_keys(sent: mikey.SrtpKeys, received: mikey.SrtpKeys) -> None:
    """The sender's and a receiver's export of one CS: equal but for the direction of the
    stream, whose SSRC neither knows (TS 33.180 messages carry no SSRCs)."""
    assert (sent.ssrc, sent.ssrc_type) == (0, mikey.SsrcType.ANY_OUTBOUND)
    assert (received.ssrc, received.ssrc_type) == (0, mikey.SsrcType.ANY_INBOUND)
    assert dataclasses.replace(sent, ssrc_type=received.ssrc_type) == received


def test_streamwide_gmk_message(closing):
    alice = user_config(SW_ALICE, closing)
    responder = receive(alice, closing, bytes.fromhex(SW_TEST1_GMK_MESSAGE))
    key = responder.mcptt_key()
    assert key.key == bytes.fromhex(SW_TEST1_KEY)
    assert key.key_id == SW_TEST1_GMK_ID
    assert key.parameters is not None
    assert key.parameters.status & mikey.MCPTT_STATUS_NOT_REVOKED
    assert responder.csb_id == SW_TEST1_GUK_ID
    assert repr(key.key) not in repr(key)  # no key material in repr()
    srtp = responder.export_srtp(4)
    assert srtp.master_key == bytes.fromhex(SW_TEST1_CS4_MASTER_KEY)
    assert srtp.master_salt == bytes.fromhex(SW_TEST1_CS4_MASTER_SALT)
    assert len(srtp.mki) == 8  # GMK-ID || GUK-ID
    assert srtp.mki == SW_TEST1_GMK_ID.to_bytes(4, "big") + SW_TEST1_GUK_ID.to_bytes(4, "big")


@pytest.mark.parametrize("member", [SW_ALICE, SW_BOB, SW_IWF], ids=["alice", "bob", "iwf"])
def test_gmk_from_a_group_management_server(closing, member):
    gmk = bytes([0x5A]) + bytes(range(1, 16))
    gmk_id = 0x01234567
    group = "sip:group-7@streamwide.com"
    gms = user_config(SW_GMS, closing)
    initiator, message = send_key(gms, closing, gmk_id, gmk, member, group_id=group)
    responder = receive(user_config(member, closing), closing, message, sip_peer=SW_GMS.uri)

    key = responder.mcptt_key()
    assert (key.key_id, key.key) == (gmk_id, gmk)
    assert key.group_ids == (group,)
    assert responder.csb_id == mikey.mcptt_guk_id(gmk, gmk_id, member.uri)
    assert mikey.mcptt_gmk_id(gmk, responder.csb_id, member.uri) == gmk_id
    assert responder.peer_identity() == SW_GMS.uri.encode()  # as SIP named it, confirmed
    assert responder.cs_ids() == [4]
    sent, received = initiator.export_srtp(4), responder.export_srtp(4)
    assert_same_keys(sent, received)
    assert received.profile == mikey.Profile.AEAD_AES_128_GCM and received.rcc_mode == 3
    assert initiator.mcptt_key().key == gmk  # the initiator gets back what it sent


@pytest.mark.parametrize("caller, callee", [(SW_ALICE, SW_BOB), (SW_BOB, SW_ALICE)], ids=["alice-bob", "bob-alice"])
def test_private_call_key(closing, caller, callee):
    pck = bytes([0x33] * 15 + [0x42])
    caller_config = user_config(caller, closing)
    if caller is SW_ALICE:
        caller_config.set_sakke_to_self(True)  # Bob ignores the extension
    initiator, message = send_key(caller_config, closing, 0x10000042, pck, callee)
    responder = receive(user_config(callee, closing), closing, message, sip_peer=caller.uri)
    assert responder.mcptt_key().parameters.key_type == mikey.McpttKeyType.PCK
    for cs_id in (0, 1):
        sent, received = initiator.export_srtp(cs_id), responder.export_srtp(cs_id)
        assert_same_keys(sent, received)
        assert received.mki == (0x10000042).to_bytes(4, "big")  # the PCK-ID


def test_refusals_leave_the_session_idle(closing):
    gms, alice, bob = (user_config(user, closing) for user in (SW_GMS, SW_ALICE, SW_BOB))
    _, message = send_key(gms, closing, 0x0000BEEF, bytes([7] + [0] * 15), SW_ALICE)
    # Bob is not the receiver: the IDRuidr is Alice's.
    intruder = closing(mikey.Session.responder(bob))
    with pytest.raises(mikey.AuthFailedError) as refused:
        intruder.process_message(message)
    assert refused.value.code == 5 and refused.value.last_error
    assert intruder.state == mikey.State.IDLE
    with pytest.raises(mikey.StateError):
        intruder.mcptt_key()
    # Alice takes it once; again it is a replay.
    receive(alice, closing, message)
    again = closing(mikey.Session.responder(alice))
    with pytest.raises(mikey.ReplayError):
        again.process_message(message)
    assert again.state == mikey.State.IDLE
    # SIP named someone else than the signer.
    third = closing(mikey.Session.responder(user_config(SW_ALICE, closing)))
    third.set_mcptt_peer(SW_BOB.uri)
    with pytest.raises(mikey.AuthFailedError):
        third.process_message(message)


def test_key_parameters_and_identifiers():
    parameters = mikey.McpttKeyParameters.for_key_id(0x10000042)
    assert parameters.key_type == mikey.McpttKeyType.PCK
    assert parameters.status == mikey.MCPTT_STATUS_NOT_REVOKED
    assert (parameters.activation_time, parameters.expiry_time) == (0, 0)
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.McpttKeyParameters.for_key_id(0xF0000000)  # no purpose
    assert mikey.mcptt_key_period_number(NOW, SW_KEY_PERIOD_SECS, SW_KEY_PERIOD_OFFSET_SECS) == 236
    uid = mikey.mcptt_uid(SW_ALICE.uri, SW_KMS_URI, SW_KEY_PERIOD_SECS, SW_KEY_PERIOD_OFFSET_SECS, 236)
    assert len(uid) == mikey.MCPTT_UID_LEN
    assert uid != mikey.mcptt_uid(SW_BOB.uri, SW_KMS_URI, SW_KEY_PERIOD_SECS, SW_KEY_PERIOD_OFFSET_SECS, 236)
    assert uid != mikey.mcptt_uid(SW_ALICE.uri, SW_KMS_URI, SW_KEY_PERIOD_SECS, SW_KEY_PERIOD_OFFSET_SECS, 237)
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.mcptt_key_period_number(NOW, 0, 0)


def test_configured_from_kms_xml(closing):
    uid = mikey.mcptt_uid(SW_ALICE.uri, SW_KMS_URI, SW_KEY_PERIOD_SECS, SW_KEY_PERIOD_OFFSET_SECS, 236)

    def response(body: str) -> str:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<KmsResponse xmlns="urn:3gpp:ns:mcsecKMSInterface:1.0">'
            f"<UserUri>{SW_ALICE.uri}</UserUri><KmsUri>{SW_KMS_URI}</KmsUri><Time>2026-12-03T12:00:00</Time>"
            "<ClientReqUrl>https://kms.example/keymanagement/identity/v1/init</ClientReqUrl>"
            f"<KmsMessage>{body}</KmsMessage></KmsResponse>"
        )

    certificate = (
        '<KmsInit Version="1.0.0"><KmsCertificate Version="1.1.0" Role="Root">'
        f"<KmsUri>{SW_KMS_URI}</KmsUri><UserIdFormat>2</UserIdFormat><UserKeyPeriod>{SW_KEY_PERIOD_SECS}</UserKeyPeriod>"
        f"<UserKeyOffset>{SW_KEY_PERIOD_OFFSET_SECS}</UserKeyOffset><PubEncKey>{SW_KMS_Z}</PubEncKey>"
        f"<PubAuthKey>{SW_KMS_KPAK}</PubAuthKey></KmsCertificate></KmsInit>"
    )

    def key_set(user_id: str) -> str:
        return (
            '<KmsKeyProv Version="1.0.0"><KmsKeySet Version="1.1.0">'
            f"<KmsUri>{SW_KMS_URI}</KmsUri><UserUri>{SW_ALICE.uri}</UserUri><UserID>{user_id}</UserID>"
            f"<KeyPeriodNo>{SW_ALICE.key_period_number}</KeyPeriodNo><UserDecryptKey>{SW_ALICE.rsk}</UserDecryptKey>"
            f"<UserSigningKeySSK>{SW_ALICE.ssk}</UserSigningKeySSK><UserPubTokenPVT>{SW_ALICE.pvt}</UserPubTokenPVT>"
            "</KmsKeySet></KmsKeyProv>"
        )

    config = closing(mikey.Config(mikey.Method.SAKKE, clock=NOW))
    config.add_kms_xml(response(certificate))
    wrong = bytearray(uid)
    wrong[0] ^= 0x01
    with pytest.raises(mikey.InvalidArgumentError):
        config.add_kms_xml(response(key_set(wrong.hex().upper())))  # another UID: refused
    config.add_kms_xml(response(key_set(uid.hex().upper())).encode())
    with pytest.raises(mikey.MalformedError):
        config.add_kms_xml(b"<x/>")
    responder = receive(config, closing, bytes.fromhex(SW_TEST1_GMK_MESSAGE))
    assert responder.mcptt_key().key == bytes.fromhex(SW_TEST1_KEY)
