# SPDX-License-Identifier: Apache-2.0 OR MIT
"""MIKEY-TICKET (RFC 6043) among three parties through the binding, as ffi-tests/ticket_exchange.c
does in C: an initiator and a responder Session and a Kms, the messages routed by the sessions'
state (WAIT_KMS: to the KMS), in the four modes, with key forking, the public-key form of the
Ticket Request, CSB updates from either end, the KMS's authorize callback refusing or raising, a
replay, lifetimes, and argument errors."""

from __future__ import annotations

import gc
import threading
from typing import List, Optional, Tuple

import pytest

import mikey
from mikey import KmsExchange, State
from support import agree, pki

KMS_ID = "kms.example.org"
ALICE = "sip:alice@example.org"
BOB = "sip:bob@example.org"
CAROL = "sip:carol@example.org"
ALICE_PSK = b"alice shares this with the KMS.."
BOB_PSK = b"bob shares this one with the KMS"
CAROL_PSK = b"carol shares hers with the KMS.."
KMS_TPK_ID = b"tpk-1"
KMS_TPK = bytes(range(1, 33))
SHARED_TPK = bytes([0x44]) * 32
NOW = mikey.ntp_from_unix(1_800_000_000)

# MIKEY data types (RFC 3830 §6.1, RFC 6043 §6.1), byte 1 of every message.
ERROR = 6
REQUEST_INIT_PSK, REQUEST_INIT_PK, REQUEST_RESP = 11, 12, 13
TRANSFER_INIT, TRANSFER_RESP = 14, 15
RESOLVE_INIT_PSK, RESOLVE_RESP = 16, 18


def new_kms(closing, *, tpk: bool = True, **settings) -> mikey.Kms:
    """A KMS knowing alice, bob and carol, with one TPK unless ``tpk`` is false."""
    tpks = [(KMS_TPK_ID, KMS_TPK)] if tpk else []
    clients = {ALICE: ALICE_PSK, BOB: BOB_PSK, CAROL: CAROL_PSK}
    return closing(mikey.Kms(KMS_ID, tpks=tpks, clients=clients, **settings))


def party(closing, own: str, peer: Optional[str] = None, psk: Optional[bytes] = None, **settings) -> mikey.Config:
    """A MIKEY-TICKET config: our identity, the responder an initiator addresses, and our PSK
    with the KMS (which names the KMS too) and/or TPKs (``ticket_protection_keys=``)."""
    if psk is not None:
        settings.update(psk=psk, ticket_kms=KMS_ID)
    return closing(mikey.Config(mikey.Method.TICKET, own_id=own, peer_id=peer, **settings))


Hop = Tuple[str, str, int]


def route(initiator: mikey.Session, responder: mikey.Session, kms: Optional[mikey.Kms]) -> List[Hop]:
    """Carries every message to where it goes until nothing is left to send: while the session
    that gave a message is WAIT_KMS, to the KMS and the answer back to that session; otherwise to
    the other end. An initiator back to IDLE after the Ticket Request holds its ticket: its next
    message is the Transfer. Returns the hops as (from, to, data type)."""
    names = {id(initiator): "alice", id(responder): "bob"}
    hops: List[Hop] = []
    message = initiator.create_message()
    sender, receiver = initiator, responder
    while message:
        if sender.state == State.WAIT_KMS:
            assert kms is not None, "a session waits for a KMS in a mode without one"
            hops.append((names[id(sender)], "kms", message[1]))
            answer = kms.process_message(message)
            hops.append(("kms", names[id(sender)], answer[1]))
            message = sender.process_message(answer)
            if not message and sender is initiator and initiator.state == State.IDLE:
                message = initiator.create_message()
        else:
            hops.append((names[id(sender)], names[id(receiver)], message[1]))
            message = receiver.process_message(message)
            sender, receiver = receiver, sender
    assert initiator.state == State.ESTABLISHED and responder.state == State.ESTABLISHED
    return hops


def sessions(closing, alice_config: mikey.Config, bob_config: mikey.Config) -> Tuple[mikey.Session, mikey.Session]:
    """alice (initiator) with a stream of hers and a placeholder for bob's, bob (responder) with
    his stream, as ffi-tests/ticket_exchange.c."""
    alice = closing(mikey.Session.initiator(alice_config))
    bob = closing(mikey.Session.responder(bob_config))
    assert alice.add_srtp_stream(0x11111111) == 1
    assert alice.add_srtp_stream(0) == 2
    bob.add_srtp_stream(0x22222222, roc=3)
    return alice, bob


def assert_established(alice: mikey.Session, bob: mikey.Session) -> None:
    """Both ends export the same keys for both crypto sessions, bob's stream filled alice's
    placeholder, and each end knows who the other is."""
    keys = agree(alice, bob)
    assert [k.cs_id for k in keys] == [1, 2]
    assert (keys[0].ssrc, keys[1].ssrc, keys[1].roc) == (0x11111111, 0x22222222, 3)
    assert keys[0].master_key != keys[1].master_key
    assert alice.peer_identity() == BOB.encode() and bob.peer_identity() == ALICE.encode()
    assert alice.csb_id == bob.csb_id


REQUEST = [("alice", "kms", REQUEST_INIT_PSK), ("kms", "alice", REQUEST_RESP)]
TRANSFER_TO_BOB = [("alice", "bob", TRANSFER_INIT)]
RESOLVE = [("bob", "kms", RESOLVE_INIT_PSK), ("kms", "bob", RESOLVE_RESP)]
ANSWER = [("bob", "alice", TRANSFER_RESP)]


@pytest.mark.parametrize("forking", [False, True], ids=["plain", "key-forking"])
def test_mode_1_request_transfer_resolve(closing, forking):
    kms = new_kms(closing)
    alice_config = party(closing, ALICE, BOB, ALICE_PSK, ticket_key_forking=forking)
    bob_config = party(closing, BOB, None, BOB_PSK)
    alice, bob = sessions(closing, alice_config, bob_config)
    assert route(alice, bob, kms) == REQUEST + TRANSFER_TO_BOB + RESOLVE + ANSWER
    assert_established(alice, bob)
    assert kms.authorize_error is None and kms.last_error == ""


def test_mode_1_steps(closing):
    # The states the README lists, one step at a time.
    kms = new_kms(closing)
    alice, bob = sessions(closing, party(closing, ALICE, BOB, ALICE_PSK), party(closing, BOB, None, BOB_PSK))
    request = alice.create_message()
    assert (request[1], alice.state) == (REQUEST_INIT_PSK, State.WAIT_KMS)
    assert alice.process_message(kms.process_message(request)) == b""
    assert alice.state == State.IDLE
    transfer = alice.create_message()
    assert (transfer[1], alice.state) == (TRANSFER_INIT, State.WAIT_RESPONSE)
    resolve = bob.process_message(transfer)
    assert (resolve[1], bob.state) == (RESOLVE_INIT_PSK, State.WAIT_KMS)
    with pytest.raises(mikey.StateError):
        bob.export_srtp(1)
    answer = bob.process_message(kms.process_message(resolve))
    assert (answer[1], bob.state) == (TRANSFER_RESP, State.ESTABLISHED)
    assert alice.process_message(answer) == b""
    assert_established(alice, bob)


def test_key_forking_makes_the_responder_resolve_at_the_kms(closing):
    # Mode 2: bob holds the KMS's TPK, so he opens the ticket himself... unless keys are forked,
    # which only the KMS can do for him (RFC 6043 §5.1.1): the forking switch shows in the route.
    kms = new_kms(closing, responders_hold_tpk=True)
    bob_config = party(closing, BOB, None, BOB_PSK, ticket_protection_keys=[(KMS_TPK_ID, KMS_TPK)])
    for forking, expected in (
        (False, REQUEST + TRANSFER_TO_BOB + ANSWER),
        (True, REQUEST + TRANSFER_TO_BOB + RESOLVE + ANSWER),
    ):
        alice_config = party(closing, ALICE, BOB, ALICE_PSK)
        alice_config.set_ticket_key_forking(forking)
        alice, bob = sessions(closing, alice_config, bob_config)
        assert route(alice, bob, kms) == expected, f"forking={forking}"
        assert_established(alice, bob)


def test_mode_3_initiator_holds_the_kms_tpk(closing):
    kms = new_kms(closing)
    alice_config = party(closing, ALICE, BOB, ticket_protection_keys={KMS_TPK_ID: KMS_TPK})
    alice, bob = sessions(closing, alice_config, party(closing, BOB, None, BOB_PSK))
    assert route(alice, bob, kms) == TRANSFER_TO_BOB + RESOLVE + ANSWER
    assert_established(alice, bob)


def test_mode_4_shared_tpk_transfer_alone(closing):
    alice_config = party(closing, ALICE, BOB, ticket_protection_keys=[("a-b", SHARED_TPK)])
    bob_config = party(closing, BOB, ticket_protection_keys=[(b"a-b", SHARED_TPK)])
    alice, bob = sessions(closing, alice_config, bob_config)
    assert route(alice, bob, None) == TRANSFER_TO_BOB + ANSWER
    assert_established(alice, bob)
    # Another TPK under the same name: bob cannot open alice's ticket.
    wrong = party(closing, BOB, ticket_protection_keys=[(b"a-b", bytes([0x45]) * 32)])
    alice2, bob2 = sessions(closing, alice_config, wrong)
    with pytest.raises(mikey.AuthFailedError) as raised:
        bob2.process_message(alice2.create_message())
    assert "TPK" in raised.value.last_error and raised.value.response[1] == ERROR
    assert bob2.state == State.IDLE


def test_mode_4_either_end_updates_the_csb(closing):
    # RFC 6043 §5.2: once established, the responder may update the CSB too; its initiator
    # answers. Each update re-keys both ends alike.
    clock = mikey.ManualClock(NOW)
    alice_config = party(closing, ALICE, BOB, ticket_protection_keys=[("a-b", SHARED_TPK)], clock=clock)
    bob_config = party(closing, BOB, ticket_protection_keys=[(b"a-b", SHARED_TPK)], clock=clock)
    alice, bob = sessions(closing, alice_config, bob_config)
    route(alice, bob, None)
    first = agree(alice, bob)
    for sender, receiver in [(bob, alice), (alice, bob)]:
        clock.advance(1)  # a fresh T
        update = sender.create_message()
        assert (update[1], sender.state) == (TRANSFER_INIT, State.WAIT_RESPONSE)
        answer = receiver.process_message(update)
        assert answer[1] == TRANSFER_RESP and receiver.state == State.ESTABLISHED
        assert sender.process_message(answer) == b"" and sender.state == State.ESTABLISHED
        keys = agree(alice, bob)
        assert keys[0].master_key != first[0].master_key
        first = keys


def test_mode_1_public_key_form(closing):
    # REQUEST_INIT_PK: alice signs with her certificate (tests/pki) and encrypts the envelope key
    # to the KMS's, which she pins; the KMS trusts alice's root. Bob resolves with his PSK.
    alice_id, bob_id = "sip:alice@example.com", "sip:bob@example.com"
    kms = closing(mikey.Kms(KMS_ID, tpks=[(KMS_TPK_ID, KMS_TPK)], clients={bob_id: BOB_PSK},
                            private_key=pki("carol.key.pem"), trust_anchors=[pki("root.crt.pem")]))
    alice_config = party(closing, alice_id, bob_id, ticket_kms=KMS_ID, certificate_chain=pki("alice-chain.pem"),
                         private_key=pki("alice.key.pem"), peer_certificate=pki("carol.crt.pem"))
    alice, bob = sessions(closing, alice_config, party(closing, bob_id, None, BOB_PSK))
    hops = route(alice, bob, kms)
    assert hops[0] == ("alice", "kms", REQUEST_INIT_PK)
    assert hops[2:] == TRANSFER_TO_BOB + RESOLVE + ANSWER
    keys = agree(alice, bob)
    assert [k.cs_id for k in keys] == [1, 2]
    assert alice.peer_identity() == bob_id.encode() and bob.peer_identity() == alice_id.encode()
    # Without alice's root the KMS cannot verify her: no answer, and it says why.
    strict = closing(mikey.Kms(KMS_ID, tpks=[(KMS_TPK_ID, KMS_TPK)], private_key=pki("carol.key.pem")))
    alice2 = closing(mikey.Session.initiator(alice_config))
    alice2.add_srtp_stream(1)
    with pytest.raises(mikey.MikeyError) as raised:
        strict.process_message(alice2.create_message())
    assert raised.value.last_error


def test_forked_call_reaches_another_named_responder(closing):
    # alice's ticket names carol too (add_ticket_responder); her TRANSFER_INIT reaches both, and
    # a fork of her session takes carol's answer. With key forking each has keys of their own.
    kms = new_kms(closing)
    alice_config = party(closing, ALICE, BOB, ALICE_PSK, ticket_responders=[CAROL], ticket_key_forking=True)
    alice = closing(mikey.Session.initiator(alice_config))
    alice.add_srtp_stream(0x11111111)
    alice.process_message(kms.process_message(alice.create_message()))
    transfer = alice.create_message()
    alice_for_carol = closing(alice.fork())
    for initiator, (who, psk) in ((alice, (BOB, BOB_PSK)), (alice_for_carol, (CAROL, CAROL_PSK))):
        responder = closing(mikey.Session.responder(party(closing, who, None, psk)))
        resolve = responder.process_message(transfer)
        assert responder.state == State.WAIT_KMS
        initiator.process_message(responder.process_message(kms.process_message(resolve)))
        agree(initiator, responder)
        assert initiator.peer_identity() == who.encode()
    assert alice.export_srtp(1).master_key != alice_for_carol.export_srtp(1).master_key
    # A ticket that does not name carol: she refuses it before asking the KMS.
    bob_only = party(closing, ALICE, BOB, ALICE_PSK)
    alice = closing(mikey.Session.initiator(bob_only))
    alice.add_srtp_stream(0x11111111)
    alice.process_message(kms.process_message(alice.create_message()))
    carol = closing(mikey.Session.responder(party(closing, CAROL, None, CAROL_PSK)))
    with pytest.raises(mikey.MikeyError):
        carol.process_message(alice.create_message())
    assert carol.state != State.WAIT_KMS


class Recorder:
    """An authorize callback that records its calls and answers with ``verdict(exchange)``."""

    def __init__(self, verdict) -> None:
        self.verdict = verdict
        self.calls: List[Tuple[KmsExchange, bytes, bytes, bytes]] = []

    def __call__(self, exchange, client, initiator, responder):
        self.calls.append((exchange, client, initiator, responder))
        return self.verdict(exchange)


def request_and_transfer(closing, kms) -> Tuple[mikey.Session, mikey.Session, bytes]:
    """Mode 1 up to bob's RESOLVE_INIT, which it returns."""
    alice, bob = sessions(closing, party(closing, ALICE, BOB, ALICE_PSK), party(closing, BOB, None, BOB_PSK))
    alice.process_message(kms.process_message(alice.create_message()))
    resolve = bob.process_message(alice.create_message())
    assert bob.state == State.WAIT_KMS
    return alice, bob, resolve


def test_authorize_refusal_reaches_the_responder(closing):
    policy = Recorder(lambda exchange: exchange == KmsExchange.REQUEST)
    kms = new_kms(closing, authorize=policy)
    alice, bob, resolve = request_and_transfer(closing, kms)
    with pytest.raises(mikey.AuthFailedError) as raised:
        kms.process_message(resolve)
    refusal = raised.value
    assert refusal.function == "mikey_kms_process_message" and refusal.code == mikey.Result.ERR_AUTH_FAILED
    assert refusal.last_error and refusal.last_error in str(refusal)
    assert refusal.__cause__ is None and kms.authorize_error is None
    # The callback saw the authenticated identities, as bytes, with the exchange as an enum.
    assert policy.calls == [
        (KmsExchange.REQUEST, ALICE.encode(), ALICE.encode(), BOB.encode()),
        (KmsExchange.RESOLVE, BOB.encode(), ALICE.encode(), BOB.encode()),
    ]
    assert all(type(call[0]) is KmsExchange for call in policy.calls)
    # The refusal comes with an error message for bob, who fails on it.
    assert refusal.response and refusal.response[1] == ERROR
    with pytest.raises(mikey.PeerError) as peer:
        bob.process_message(refusal.response)
    assert "KMS" in peer.value.last_error
    assert bob.state == State.FAILED
    with pytest.raises(mikey.StateError):
        bob.export_srtp(1)
    assert alice.state == State.WAIT_RESPONSE


def test_authorize_refusing_a_request(closing):
    kms = new_kms(closing, authorize=lambda exchange, client, initiator, responder: responder != BOB.encode())
    alice = closing(mikey.Session.initiator(party(closing, ALICE, BOB, ALICE_PSK)))
    alice.add_srtp_stream(1)
    with pytest.raises(mikey.AuthFailedError) as raised:
        kms.process_message(alice.create_message())
    assert raised.value.response[1] == ERROR
    with pytest.raises(mikey.PeerError):
        alice.process_message(raised.value.response)
    assert alice.state == State.FAILED


def test_authorize_callback_that_raises_denies(closing):
    failures = []

    def policy(exchange, client, initiator, responder):
        if exchange == KmsExchange.RESOLVE and not failures:
            failures.append(ValueError("policy database unreachable"))
            raise failures[-1]
        return True

    kms = new_kms(closing, authorize=policy)
    _, bob, resolve = request_and_transfer(closing, kms)
    with pytest.raises(mikey.AuthFailedError) as raised:
        kms.process_message(resolve)
    # Denied, not crashed; the exception is kept, and chained to the refusal.
    assert kms.authorize_error is failures[0]
    assert raised.value.__cause__ is failures[0]
    assert raised.value.response[1] == ERROR
    with pytest.raises(mikey.PeerError):
        bob.process_message(raised.value.response)
    assert bob.state == State.FAILED
    # The KMS goes on: the next exchange passes, and the kept exception is cleared.
    alice, bob = sessions(closing, party(closing, ALICE, BOB, ALICE_PSK), party(closing, BOB, None, BOB_PSK))
    assert route(alice, bob, kms) == REQUEST + TRANSFER_TO_BOB + RESOLVE + ANSWER
    assert_established(alice, bob)
    assert kms.authorize_error is None


def test_authorize_callback_interrupted(closing):
    # A KeyboardInterrupt denies too, but is not turned into a refusal: it comes out as itself.
    def policy(exchange, client, initiator, responder):
        raise KeyboardInterrupt

    kms = new_kms(closing, authorize=policy)
    alice = closing(mikey.Session.initiator(party(closing, ALICE, BOB, ALICE_PSK)))
    alice.add_srtp_stream(1)
    with pytest.raises(KeyboardInterrupt):
        kms.process_message(alice.create_message())
    assert isinstance(kms.authorize_error, KeyboardInterrupt)


def test_authorize_callback_must_not_call_the_kms(closing):
    holder = []

    def policy(exchange, client, initiator, responder):
        holder[0].process_message(b"\x01")  # refused by the binding: RuntimeError
        return True

    kms = new_kms(closing, authorize=policy)
    holder.append(kms)
    alice = closing(mikey.Session.initiator(party(closing, ALICE, BOB, ALICE_PSK)))
    alice.add_srtp_stream(1)
    with pytest.raises(mikey.AuthFailedError) as raised:
        kms.process_message(alice.create_message())
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert not kms.closed


def test_replay_is_refused_without_an_answer(closing):
    kms = new_kms(closing)
    alice = closing(mikey.Session.initiator(party(closing, ALICE, BOB, ALICE_PSK)))
    alice.add_srtp_stream(0x11111111)
    request = alice.create_message()
    answer = kms.process_message(request)
    assert answer[1] == REQUEST_RESP
    with pytest.raises(mikey.ReplayError) as raised:
        kms.process_message(request)
    assert raised.value.response == b"" and raised.value.last_error
    assert kms.last_error == raised.value.last_error
    # The first answer still serves.
    assert alice.process_message(answer) == b"" and alice.state == State.IDLE


def test_unauthenticated_request_gets_no_answer(closing):
    kms = new_kms(closing)
    # alice's PSK is not the one the KMS has for her.
    alice = closing(mikey.Session.initiator(party(closing, ALICE, BOB, BOB_PSK)))
    alice.add_srtp_stream(1)
    with pytest.raises(mikey.AuthFailedError) as raised:
        kms.process_message(alice.create_message())
    assert raised.value.response == b""
    with pytest.raises(mikey.MalformedError):
        kms.process_message(b"\x01\x0b\x00")
    assert alice.state == State.WAIT_KMS


@pytest.mark.parametrize("where", ["initiator", "kms"])
def test_ticket_lifetime(closing, where):
    # A ticket valid 60 s (asked for by alice, or the KMS's longest) is refused 120 s later; one
    # of the default hour passes.
    for limited in (False, True):
        clock = mikey.ManualClock(NOW)
        kms_settings = {"max_lifetime": 60} if limited and where == "kms" else {}
        alice_settings = {"ticket_lifetime": 60} if limited and where == "initiator" else {}
        kms = new_kms(closing, clock=clock, **kms_settings)
        alice_config = party(closing, ALICE, BOB, ALICE_PSK, clock=clock, **alice_settings)
        alice, bob = sessions(closing, alice_config, party(closing, BOB, None, BOB_PSK, clock=clock))
        alice.process_message(kms.process_message(alice.create_message()))
        clock.advance(120)
        transfer = alice.create_message()
        if limited:
            with pytest.raises(mikey.TimestampError) as raised:
                bob.process_message(transfer)
            assert "expired" in raised.value.last_error
            assert raised.value.response[1] == ERROR
        else:
            assert bob.process_message(transfer)[1] == RESOLVE_INIT_PSK


def test_concurrent_requests(closing):
    # process_message from several threads at once, the callback asked on each.
    policy = Recorder(lambda exchange: True)
    kms = new_kms(closing, authorize=policy)
    config = party(closing, ALICE, BOB, ALICE_PSK)
    initiators = [closing(mikey.Session.initiator(config)) for _ in range(8)]
    requests = []
    for index, initiator in enumerate(initiators):
        initiator.add_srtp_stream(index + 1)
        requests.append(initiator.create_message())
    answers: List[Optional[bytes]] = [None] * len(requests)

    def serve(index):
        answers[index] = kms.process_message(requests[index])

    threads = [threading.Thread(target=serve, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for initiator, answer in zip(initiators, answers):
        assert answer is not None and answer[1] == REQUEST_RESP
        assert initiator.process_message(answer) == b"" and initiator.state == State.IDLE
    assert len(policy.calls) == len(requests)


def test_kms_argument_and_state_errors(closing):
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.Kms("")
    with pytest.raises(ValueError):
        mikey.Kms("kms\0example")
    with pytest.raises(TypeError):
        mikey.Kms(KMS_ID, no_such_setting=1)
    with pytest.raises(TypeError):
        mikey.Kms(KMS_ID, tpks=b"not pairs")
    kms = closing(mikey.Kms(KMS_ID))
    with pytest.raises(mikey.InvalidArgumentError) as raised:
        kms.add_tpk(b"short", bytes(15))
    assert "16" in raised.value.last_error and raised.value.function == "mikey_kms_add_tpk"
    kms.add_tpk(b"t", bytes(16))
    with pytest.raises(mikey.InvalidArgumentError):
        kms.add_tpk(b"t", bytes(32))  # that identifier again
    with pytest.raises(TypeError):
        kms.add_tpk(b"u", "a text is not a key")
    with pytest.raises(mikey.InvalidArgumentError):
        kms.add_client(ALICE, ALICE_PSK[:15])
    with pytest.raises(mikey.InvalidArgumentError):
        kms.add_client("", ALICE_PSK)
    kms.add_client(ALICE, ALICE_PSK)
    with pytest.raises(mikey.InvalidArgumentError):
        kms.add_client(ALICE, BOB_PSK)  # already a client
    with pytest.raises(mikey.InvalidArgumentError):
        kms.set_max_lifetime(0)
    with pytest.raises(ValueError):
        kms.set_max_lifetime(1 << 32)
    with pytest.raises(ValueError):
        kms.set_max_lifetime(-1)
    with pytest.raises(TypeError):
        kms.set_authorize(42)
    with pytest.raises(TypeError):
        kms.set_clock("now")
    with pytest.raises(TypeError):
        kms.process_message("a text is not a message")
    assert kms.set_responders_hold_tpk(False) is kms  # setters chain


def test_kms_public_key_settings(closing):
    # The public-key forms' settings (the exchanges themselves need client certificates).
    kms = closing(mikey.Kms(KMS_ID, private_key=pki("bob.key.pem"), trust_anchors=[pki("root.crt.pem")]))
    kms.add_trust_anchor(pki("intermediate.crt.pem").decode())  # PEM as text
    garbage = b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"
    with pytest.raises(mikey.InvalidArgumentError) as raised:
        kms.add_trust_anchor(garbage)
    assert raised.value.last_error and raised.value.function == "mikey_kms_add_trust_anchor"
    with pytest.raises(mikey.InvalidArgumentError):
        kms.set_private_key(garbage)
    with pytest.raises(mikey.InvalidArgumentError):
        kms.set_private_key(pki("ec-p256.key.pem"))  # not RSA
    kms.add_tpk(KMS_TPK_ID, KMS_TPK).add_client(ALICE, ALICE_PSK)
    alice = closing(mikey.Session.initiator(party(closing, ALICE, BOB, ALICE_PSK)))
    alice.add_srtp_stream(1)
    assert kms.process_message(alice.create_message())[1] == REQUEST_RESP  # the PSK form still
    with pytest.raises(mikey.StateError):
        kms.set_private_key(pki("alice.key.pem"))
    with pytest.raises(mikey.StateError):
        kms.add_trust_anchor(pki("root.crt.pem"))


def test_kms_without_tpk_stays_configurable(closing):
    kms = new_kms(closing, tpk=False)
    alice = closing(mikey.Session.initiator(party(closing, ALICE, BOB, ALICE_PSK)))
    alice.add_srtp_stream(1)
    request = alice.create_message()
    with pytest.raises(mikey.InvalidArgumentError) as raised:
        kms.process_message(request)
    assert "TPK" in raised.value.last_error and raised.value.response == b""
    kms.add_tpk(KMS_TPK_ID, KMS_TPK)  # not started: still configurable
    assert kms.process_message(request)[1] == REQUEST_RESP


def test_started_kms_refuses_settings_and_keeps_its_callback(closing):
    calls = []
    kms = new_kms(closing, authorize=lambda *args: calls.append(args) or True)
    alice, bob, resolve = request_and_transfer(closing, kms)
    # Started: every setter raises StateError, with the library's text.
    for call in (
        lambda: kms.add_client("sip:dave@example.org", BOB_PSK),
        lambda: kms.add_tpk(b"tpk-2", KMS_TPK),
        lambda: kms.set_responders_hold_tpk(True),
        lambda: kms.set_max_lifetime(60),
        lambda: kms.set_clock(NOW),
        lambda: kms.set_authorize(lambda *args: False),
        lambda: kms.set_authorize(None),
    ):
        with pytest.raises(mikey.StateError) as raised:
            call()
        assert "started" in raised.value.last_error
    # The refused set_authorize left the first callback in place, and alive.
    gc.collect()
    bob_answer = bob.process_message(kms.process_message(resolve))
    alice.process_message(bob_answer)
    assert len(calls) == 2
    assert_established(alice, bob)


def test_closed_kms(closing):
    kms = mikey.Kms(KMS_ID)
    with kms:
        assert not kms.closed
    assert kms.closed and "closed" in repr(kms)
    with pytest.raises(ValueError):
        kms.process_message(b"\x01")
    with pytest.raises(ValueError):
        kms.add_client(ALICE, ALICE_PSK)
    kms.close()


def test_config_ticket_argument_errors(closing):
    config = closing(mikey.Config(mikey.Method.TICKET))
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_ticket_kms("")
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_ticket_kms(b"\xff\xfe")  # not UTF-8
    with pytest.raises(ValueError):
        config.set_ticket_kms("kms\0")
    with pytest.raises(mikey.InvalidArgumentError) as raised:
        config.add_ticket_protection_key(b"t", bytes(15))
    assert raised.value.last_error == config.last_error != ""
    config.add_ticket_protection_key(b"t", bytes(16))
    with pytest.raises(mikey.InvalidArgumentError):
        config.add_ticket_protection_key("t", bytes(16))  # the same identifier, as text
    with pytest.raises(TypeError):
        config.add_ticket_protection_key(b"u", "a text is not a key")
    with pytest.raises(mikey.InvalidArgumentError):
        config.add_ticket_responder("")
    with pytest.raises(mikey.InvalidArgumentError):
        config.set_ticket_lifetime(0)
    with pytest.raises(ValueError):
        config.set_ticket_lifetime(1 << 32)
    with pytest.raises(TypeError):
        mikey.Config(mikey.Method.TICKET, ticket_responders=CAROL)  # one identity, not a list
    with pytest.raises(TypeError):
        mikey.Config(mikey.Method.TICKET, ticket_protection_keys=[b"no key"])
    assert config.set_ticket_key_forking(True) is config
    config.set_ticket_lifetime(600).add_ticket_responder(CAROL).set_ticket_kms(KMS_ID)
    # A KMS named but no PSK to talk to it, and no TPK: no session.
    lacking = closing(mikey.Config(mikey.Method.TICKET, own_id=ALICE, peer_id=BOB, ticket_kms=KMS_ID))
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.Session.initiator(lacking)
    lacking.set_psk(ALICE_PSK)
    closing(mikey.Session.initiator(lacking))
