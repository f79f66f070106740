// SPDX-License-Identifier: Apache-2.0 OR MIT
//
// The C++17 binding (bindings/cpp/mikey.hpp) against libmikey, third part: MIKEY-TICKET
// (RFC 6043) among an initiator (Alice), responders (Bob, Carol) and a KMS, through the binding
// alone (and the helpers of cpp_common.hpp). A message goes to the KMS while the session that
// gave it waits for the KMS (state::wait_kms), else to the peer; every exchange checks that both
// ends export the same SRTP keys.
//
// Wrappers run here:
// - config: config(method::ticket), set_ticket_kms, add_ticket_protection_key,
//   add_ticket_responder, set_ticket_key_forking, set_ticket_lifetime (each refused on a
//   frozen config, and for bad values);
// - kms: kms(identity), add_tpk, add_client, set_private_key, add_trust_anchor,
//   set_responders_hold_tpk, set_max_lifetime,
//   set_authorize (a recording, a refusing and a throwing function; removed with an empty
//   one; refused once started, keeping the function set before), set_clock, process_message
//   (answers; refusals with and without an error message in error::response()), last_error,
//   adopt, release (refused while it holds an authorize function), reset, moves;
// - kms_exchange; state::wait_kms; session::fork on a ticket initiator.
//
// The exchanges: mode 1 (Request, Transfer, Resolve) step by step, the data types and states
// of each message and what the authorize function was asked; the public-key form of the Ticket
// Request (and a KMS that cannot verify it); a forked call to Bob and Carol
// with and without key forking; mode 2 (the responder holds the KMS's TPK: one KMS exchange);
// mode 4 (a TPK shared by both ends: no KMS); ticket lifetimes of the initiator and of the KMS
// (an expired ticket refused, then accepted with the defaults); refusals: the authorize
// function refusing a resolve (Bob gets the KMS's error message, MIKEY_ERR_PEER_ERROR, state
// failed) and a request, an authorize function that throws (denied, nothing crosses the C
// boundary), a replayed REQUEST_INIT and RESOLVE_INIT, a tampered one, a KMS without a TPK,
// setters after the start (MIKEY_ERR_STATE).
#include "cpp_common.hpp"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

static_assert(!std::is_copy_constructible_v<mikey::kms> && !std::is_copy_assignable_v<mikey::kms>, "kms is move-only");
static_assert(std::is_nothrow_move_constructible_v<mikey::kms> && std::is_nothrow_move_assignable_v<mikey::kms>,
              "kms moves without throwing");

namespace {

using namespace cpp_test;
using streams_t = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

const std::string kms_id = "kms.example.org";
const std::string alice_uri = "sip:alice@example.org", bob_uri = "sip:bob@example.org",
                  carol_uri = "sip:carol@example.org";
const std::string alice_psk = "alice shares this with the KMS..", bob_psk = "bob shares this one with the KMS",
                  carol_psk = "carol shares hers with the KMS..";
const std::string kms_tpk_id = "tpk-1", kms_tpk = "the KMS's ticket protection key.";
const std::string shared_tpk_id = "a-b", shared_tpk = "a TPK Alice and Bob both hold....";

// MIKEY data types (RFC 3830 §6.1, RFC 6043 §6.1), in the second byte of a message.
constexpr std::uint8_t error_message = 6, request_init_psk = 11, request_init_pk = 12, request_resp = 13, transfer_init = 14,
                       transfer_resp = 15, resolve_init_psk = 16, resolve_resp = 18;

// 2026-01-01 in NTP seconds; every party's clock reads `now`.
constexpr std::uint64_t ntp_2026 = 3976214400ull;
std::uint64_t now = ntp_2026 << 32;

void set_time(std::uint64_t seconds)
{
    now = seconds << 32;
}
void advance(std::uint64_t seconds)
{
    now += seconds << 32;
}

std::uint8_t data_type(const bytes &message)
{
    return message.size() > 1 ? message[1] : 0xff;
}

std::string type_text(const bytes &message)
{
    return "data type " + std::to_string(data_type(message)) + " (" + std::to_string(message.size()) + " bytes)";
}

// A KMS on the test clock with its TPK, knowing Alice, Bob and Carol.
mikey::kms make_kms()
{
    mikey::kms k(kms_id);
    k.set_clock(cpp_test_clock, &now);
    k.add_tpk(kms_tpk_id, kms_tpk);
    k.add_client(alice_uri, alice_psk);
    k.add_client(bob_uri, bob_psk);
    k.add_client(carol_uri, carol_psk);
    return k;
}

// A party on the test clock: our identity, the peer we address (a responder: none), our PSK with
// the KMS (none: no KMS) and a TPK (none: no TPK).
mikey::config party(const std::string &own, const std::optional<std::string> &peer,
                    const std::optional<std::string> &psk,
                    const std::optional<std::pair<std::string, std::string>> &tpk)
{
    mikey::config c(mikey::method::ticket);
    c.set_clock(cpp_test_clock, &now);
    c.set_identities(own, peer);
    if (psk) {
        c.set_psk(*psk);
        c.set_ticket_kms(kms_id);
    }
    if (tpk) {
        c.add_ticket_protection_key(tpk->first, tpk->second);
    }
    return c;
}

mikey::config alice_with_kms()
{
    return party(alice_uri, bob_uri, alice_psk, std::nullopt);
}
mikey::config responder_with_kms(const std::string &who, const std::string &psk)
{
    return party(who, std::nullopt, psk, std::nullopt);
}

// The network of the tests: what a session gives goes to the KMS while the session waits for
// it (state::wait_kms), and the KMS's answer back to that session; anything else is for the
// peer. Counts the KMS's answers.
struct network {
    mikey::kms *kms = nullptr; // none: no KMS may be asked
    int kms_answers = 0;

    // What `party` gives to send to its peer, after `message` it just gave.
    bytes settle(mikey::session &party, bytes message)
    {
        for (int hop = 0; party.current_state() == mikey::state::wait_kms; ++hop) {
            if (!CHECK(kms != nullptr && hop < 2, "waits for a KMS (" + type_text(message) + ") a " +
                                                      std::to_string(hop + 1) + "th time, or without one")) {
                throw std::runtime_error("no KMS to ask");
            }
            bytes answer = kms->process_message(message);
            ++kms_answers;
            message = party.process_message(answer);
        }
        return message;
    }

    // The initiator's TRANSFER_INIT, after a Ticket Request if it needs one.
    bytes transfer(mikey::session &init)
    {
        bytes message = settle(init, init.create_message());
        if (message.empty() && init.current_state() == mikey::state::idle) {
            message = init.create_message(); // the ticket is held now
        }
        CHECK(data_type(message) == transfer_init && init.current_state() == mikey::state::wait_response,
              "the initiator gave " + type_text(message) + ", state " + state_text(init.current_state()));
        return message;
    }

    // The responder's TRANSFER_RESP to `transfer_init`, after a Ticket Resolve if it needs one.
    bytes answer(mikey::session &resp, const bytes &transfer_message)
    {
        bytes message = settle(resp, resp.process_message(transfer_message));
        CHECK(data_type(message) == transfer_resp && resp.established(),
              "the responder gave " + type_text(message) + ", state " + state_text(resp.current_state()));
        return message;
    }

    // A whole exchange: both ends established.
    void exchange(mikey::session &init, mikey::session &resp)
    {
        bytes answer_message = answer(resp, transfer(init));
        CHECK(init.process_message(answer_message).empty(), "the initiator answers the TRANSFER_RESP");
        CHECK(init.established(), "initiator state " + state_text(init.current_state()));
    }
};

// What an authorize function was asked.
using asked_t = std::tuple<mikey::kms_exchange, std::string, std::string, std::string>;

std::string asked_text(const std::vector<asked_t> &asked)
{
    std::string out;
    for (const asked_t &a : asked) {
        out += std::string(std::get<0>(a) == mikey::kms_exchange::request ? " request(" : " resolve(") +
               std::get<1>(a) + ", " + std::get<2>(a) + ", " + std::get<3>(a) + ")";
    }
    return out.empty() ? " nothing" : out;
}

// ---- mode 1 -------------------------------------------------------------------------------------

void test_mode_1()
{
    set_time(ntp_2026);
    const streams_t streams = {{0x11111111u, 0}, {0x22222222u, 3}};
    mikey::kms k = make_kms();
    std::vector<asked_t> asked;
    k.set_authorize([&asked](mikey::kms_exchange exchange, const std::string &client, const std::string &initiator,
                             const std::string &responder) {
        asked.emplace_back(exchange, client, initiator, responder);
        return true;
    });
    mikey::config alice = alice_with_kms();
    mikey::config bob = responder_with_kms(bob_uri, bob_psk);
    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    init.add_srtp_stream(streams[0].first, streams[0].second);
    init.add_srtp_stream(0, 0); // Bob's stream: he fills in its SSRC
    resp.add_srtp_stream(streams[1].first, streams[1].second);

    // Ticket Request: REQUEST_INIT goes to the KMS, its REQUEST_RESP back; nothing to send.
    bytes request = init.create_message();
    CHECK(data_type(request) == request_init_psk && init.current_state() == mikey::state::wait_kms,
          "Alice gave " + type_text(request) + ", state " + state_text(init.current_state()));
    bytes issued = k.process_message(request);
    CHECK(data_type(issued) == request_resp, "the KMS answered " + type_text(issued));
    CHECK(init.process_message(issued).empty(), "Alice answers the REQUEST_RESP");
    CHECK(init.current_state() == mikey::state::idle, "Alice's state " + state_text(init.current_state()));

    // Ticket Transfer: TRANSFER_INIT to Bob, who has the KMS resolve the ticket.
    bytes transfer = init.create_message();
    CHECK(data_type(transfer) == transfer_init && init.current_state() == mikey::state::wait_response,
          "Alice gave " + type_text(transfer) + ", state " + state_text(init.current_state()));
    bytes resolve = resp.process_message(transfer);
    CHECK(data_type(resolve) == resolve_init_psk && resp.current_state() == mikey::state::wait_kms,
          "Bob gave " + type_text(resolve) + ", state " + state_text(resp.current_state()));
    bytes resolved = k.process_message(resolve);
    CHECK(data_type(resolved) == resolve_resp, "the KMS answered " + type_text(resolved));
    bytes answer = resp.process_message(resolved);
    CHECK(data_type(answer) == transfer_resp && resp.established(),
          "Bob gave " + type_text(answer) + ", state " + state_text(resp.current_state()));
    CHECK(init.process_message(answer).empty(), "Alice answers the TRANSFER_RESP");
    CHECK(init.established(), "Alice's state " + state_text(init.current_state()));

    expect_same_keys(init, resp, streams, 1);
    CHECK(init.peer_identity() == bob_uri && resp.peer_identity() == alice_uri,
          "peers \"" + init.peer_identity() + "\" / \"" + resp.peer_identity() + "\"");
    CHECK(init.csb_id() == resp.csb_id(), "CSB IDs " + hex(init.csb_id()) + " / " + hex(resp.csb_id()));
    // The authorize function got the authenticated identities, as the C callback passed them.
    const std::vector<asked_t> expected = {
        {mikey::kms_exchange::request, alice_uri, alice_uri, bob_uri},
        {mikey::kms_exchange::resolve, bob_uri, alice_uri, bob_uri},
    };
    CHECK(asked == expected, "the authorize function was asked" + asked_text(asked));

    // The same through the network: two answers of the KMS.
    mikey::session init2 = mikey::session::initiator(alice);
    mikey::session resp2 = mikey::session::responder(bob);
    init2.add_srtp_stream(0x33333333u, 7);
    network net{&k};
    net.exchange(init2, resp2);
    CHECK(net.kms_answers == 2, "the KMS answered " + std::to_string(net.kms_answers) + " times");
    expect_same_keys(init2, resp2, {{0x33333333u, 7}}, 1);
    CHECK(asked.size() == 4, "the authorize function was asked" + asked_text(asked));
}

// ---- the public-key form ------------------------------------------------------------------------

// REQUEST_INIT_PK: Alice signs with her certificate (tests/pki) and encrypts the envelope key to
// the KMS's, which she pins (Carol's); the KMS trusts her root. Bob resolves with his PSK. A KMS
// without Alice's root refuses her request, and one given a key that is not RSA is refused.
void test_public_key_form()
{
    set_time(ntp_2026);
    const std::string alice_com = "sip:alice@example.com", bob_com = "sip:bob@example.com";
    mikey::kms k = make_kms();
    k.add_client(bob_com, bob_psk);
    k.set_private_key(read_pki("carol.key.pem"));
    k.add_trust_anchor(read_pki("root.crt.pem"));
    mikey::config alice = party(alice_com, bob_com, std::nullopt, std::nullopt);
    alice.set_certificate_chain(read_pki("alice-chain.pem"));
    alice.set_private_key(read_pki("alice.key.pem"));
    alice.set_peer_certificate(read_pki("carol.crt.pem"));
    alice.set_ticket_kms(kms_id);
    mikey::config bob = responder_with_kms(bob_com, bob_psk);
    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    init.add_srtp_stream(0x11111111u, 0);
    bytes request = init.create_message();
    CHECK(data_type(request) == request_init_pk, "Alice gave " + type_text(request));
    CHECK(init.process_message(k.process_message(request)).empty(), "Alice takes the REQUEST_RESP");
    network net{&k};
    bytes answer = net.answer(resp, net.transfer(init));
    CHECK(init.process_message(answer).empty() && init.established(), "Alice takes the TRANSFER_RESP");
    expect_same_keys(init, resp, {{0x11111111u, 0}}, 1);

    mikey::kms strict(kms_id);
    strict.set_clock(cpp_test_clock, &now);
    strict.add_tpk(kms_tpk_id, kms_tpk);
    strict.set_private_key(read_pki("carol.key.pem"));
    mikey::session init2 = mikey::session::initiator(alice);
    init2.add_srtp_stream(1, 0);
    const bytes request2 = init2.create_message();
    mikey::error unverified = EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)strict.process_message(request2));
    CHECK(unverified.response().empty(), "an unauthenticated request gets no answer");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::kms(kms_id).set_private_key(read_pki("ec-p256.key.pem")));
}

// ---- a forked call, key forking -----------------------------------------------------------------

void test_forked_call()
{
    // The ticket authorises Bob and Carol; the TRANSFER_INIT reaches both, and Alice forks her
    // session for the second answer. With key forking the ticket carries Initiator Data and the
    // answer the KMS's RANDRkms: longer messages.
    std::size_t transfer_len[2] = {0, 0}, answer_len[2] = {0, 0};
    for (bool forking : {false, true}) {
        set_time(ntp_2026 + 1000);
        const std::string what = forking ? "with key forking: " : "without key forking: ";
        const streams_t streams = {{0x41414141u, 0}};
        mikey::kms k = make_kms();
        mikey::config alice = alice_with_kms();
        alice.set_ticket_key_forking(forking);
        alice.add_ticket_responder(carol_uri);
        mikey::config bob = responder_with_kms(bob_uri, bob_psk);
        mikey::config carol = responder_with_kms(carol_uri, carol_psk);

        network net{&k};
        mikey::session init = mikey::session::initiator(alice);
        init.add_srtp_stream(streams[0].first, streams[0].second);
        bytes transfer = net.transfer(init);
        mikey::session init_for_carol = init.fork();
        mikey::session bob_resp = mikey::session::responder(bob);
        mikey::session carol_resp = mikey::session::responder(carol);
        bytes bob_answer = net.answer(bob_resp, transfer);
        bytes carol_answer = net.answer(carol_resp, transfer);
        CHECK(net.kms_answers == 3, what + "the KMS answered " + std::to_string(net.kms_answers) + " times");
        CHECK(init.process_message(bob_answer).empty() && init.established(), what + "Alice with Bob");
        CHECK(init_for_carol.process_message(carol_answer).empty() && init_for_carol.established(),
              what + "Alice's fork with Carol");
        expect_same_keys(init, bob_resp, streams, 1);
        expect_same_keys(init_for_carol, carol_resp, streams, 1);
        // Who answered, as the TRANSFER_RESP's IDRr says. Only a forked answer names its
        // responder: without key forking Carol repeats the IDRr Alice addressed (Bob's), and
        // either named responder could have made the answer, so only Bob's side is checked then.
        CHECK(init.peer_identity() == bob_uri && (!forking || init_for_carol.peer_identity() == carol_uri),
              what + "peers \"" + init.peer_identity() + "\" / \"" + init_for_carol.peer_identity() + "\"");
        CHECK(bob_resp.export_srtp(1) != carol_resp.export_srtp(1), what + "Bob and Carol have the same keys");
        transfer_len[forking] = transfer.size();
        answer_len[forking] = bob_answer.size();
    }
    CHECK(transfer_len[1] > transfer_len[0] && answer_len[1] > answer_len[0],
          "key forking changed nothing: TRANSFER_INIT " + std::to_string(transfer_len[0]) + " / " +
              std::to_string(transfer_len[1]) + " bytes, TRANSFER_RESP " + std::to_string(answer_len[0]) + " / " +
              std::to_string(answer_len[1]));

    // A ticket that does not name Carol: she refuses it without asking the KMS.
    set_time(ntp_2026 + 2000);
    mikey::kms k = make_kms();
    mikey::config alice = alice_with_kms();
    mikey::config carol = responder_with_kms(carol_uri, carol_psk);
    network net{&k};
    mikey::session init = mikey::session::initiator(alice);
    init.add_srtp_stream(0x42424242u, 0);
    bytes transfer = net.transfer(init);
    mikey::session carol_resp = mikey::session::responder(carol);
    mikey::error not_carol = EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)carol_resp.process_message(transfer));
    CHECK(not_carol.function() == "mikey_session_process_message" && net.kms_answers == 1 &&
              carol_resp.current_state() == mikey::state::idle,
          "function \"" + not_carol.function() + "\", state " + state_text(carol_resp.current_state()));
}

// ---- mode 2, mode 4 -----------------------------------------------------------------------------

void test_mode_2()
{
    // Bob holds the KMS's TPK: with set_responders_hold_tpk he opens the ticket himself; without,
    // he has the KMS resolve it.
    for (bool hold : {true, false}) {
        set_time(ntp_2026 + 3000);
        const std::string what = hold ? "responders hold the TPK: " : "responders do not hold the TPK: ";
        mikey::kms k = make_kms();
        k.set_responders_hold_tpk(hold);
        mikey::config alice = alice_with_kms();
        mikey::config bob = party(bob_uri, std::nullopt, bob_psk, std::make_pair(kms_tpk_id, kms_tpk));
        mikey::session init = mikey::session::initiator(alice);
        mikey::session resp = mikey::session::responder(bob);
        init.add_srtp_stream(0x21212121u, 0);
        network net{&k};
        net.exchange(init, resp);
        CHECK(net.kms_answers == (hold ? 1 : 2),
              what + "the KMS answered " + std::to_string(net.kms_answers) + " times");
        expect_same_keys(init, resp, {{0x21212121u, 0}}, 1);
    }
}

void test_mode_4()
{
    set_time(ntp_2026 + 4000);
    const streams_t streams = {{0x51525354u, 0}, {0x61626364u, 11}};
    mikey::config alice = party(alice_uri, bob_uri, std::nullopt, std::make_pair(shared_tpk_id, shared_tpk));
    mikey::config bob = party(bob_uri, std::nullopt, std::nullopt, std::make_pair(shared_tpk_id, shared_tpk));
    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    for (const auto &s : streams) {
        init.add_srtp_stream(s.first, s.second);
    }
    network net; // no KMS: asking one fails the check
    net.exchange(init, resp);
    expect_same_keys(init, resp, streams, 1);
    CHECK(init.peer_identity() == bob_uri && resp.peer_identity() == alice_uri,
          "peers \"" + init.peer_identity() + "\" / \"" + resp.peer_identity() + "\"");

    // Bob with another TPK under the same name cannot open the ticket.
    mikey::config mallory = party(bob_uri, std::nullopt, std::nullopt,
                                  std::make_pair(shared_tpk_id, std::string("not the TPK Alice holds, at all.")));
    mikey::session init2 = mikey::session::initiator(alice);
    init2.add_srtp_stream(0x51525355u, 0);
    bytes transfer = net.transfer(init2);
    mikey::session wrong = mikey::session::responder(mallory);
    mikey::error refused = EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)wrong.process_message(transfer));
    CHECK(!wrong.established(), "established with the wrong TPK");
    (void)refused;
}

// ---- lifetimes ----------------------------------------------------------------------------------

// Mode 4: Alice's ticket lives `lifetime` seconds (std::nullopt: the default, an hour); Bob gets
// the TRANSFER_INIT `delay` seconds later (his replay window allows it). True when he took it.
bool mode_4_after(const std::optional<std::uint32_t> &lifetime, std::uint64_t delay, mikey_result *refusal)
{
    set_time(ntp_2026 + 5000);
    mikey::config alice = party(alice_uri, bob_uri, std::nullopt, std::make_pair(shared_tpk_id, shared_tpk));
    if (lifetime) {
        alice.set_ticket_lifetime(*lifetime);
    }
    mikey::config bob = party(bob_uri, std::nullopt, std::nullopt, std::make_pair(shared_tpk_id, shared_tpk));
    bob.set_replay_window(86400);
    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    init.add_srtp_stream(0x71717171u, 0);
    bytes transfer = init.create_message();
    advance(delay);
    try {
        bytes answer = resp.process_message(transfer);
        return init.process_message(answer).empty() && init.established() && resp.established();
    } catch (const mikey::error &e) {
        *refusal = e.code();
        CHECK(resp.current_state() == mikey::state::idle, "Bob's state " + state_text(resp.current_state()));
        return false;
    }
}

// Mode 1 with the KMS granting at most `max_lifetime` seconds (std::nullopt: the default, a
// day); the Transfer happens `delay` seconds after the Request. True when Bob took the ticket.
bool mode_1_after(const std::optional<std::uint32_t> &max_lifetime, std::uint64_t delay, mikey_result *refusal)
{
    set_time(ntp_2026 + 6000);
    mikey::kms k = make_kms();
    if (max_lifetime) {
        k.set_max_lifetime(*max_lifetime);
    }
    mikey::config alice = alice_with_kms();
    mikey::config bob = responder_with_kms(bob_uri, bob_psk);
    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    init.add_srtp_stream(0x72727272u, 0);
    network net{&k};
    CHECK(net.settle(init, init.create_message()).empty() && init.current_state() == mikey::state::idle,
          "Alice after the Request: state " + state_text(init.current_state()));
    advance(delay);
    bytes transfer = init.create_message();
    try {
        bytes answer = net.settle(resp, resp.process_message(transfer));
        return init.process_message(answer).empty() && init.established() && resp.established();
    } catch (const mikey::error &e) {
        *refusal = e.code();
        CHECK(net.kms_answers == 1, "the KMS was asked to resolve an expired ticket");
        return false;
    }
}

void test_lifetimes()
{
    mikey_result refusal = MIKEY_OK;
    CHECK(mode_4_after(std::nullopt, 700, &refusal), "a ticket of an hour refused after 700 s: " +
                                                         mikey::result_str(refusal));
    refusal = MIKEY_OK;
    CHECK(!mode_4_after(600, 700, &refusal) && refusal != MIKEY_OK,
          "a ticket of 600 s accepted after 700 s (set_ticket_lifetime)");
    CHECK(mode_4_after(600, 500, &refusal), "a ticket of 600 s refused after 500 s: " + mikey::result_str(refusal));

    refusal = MIKEY_OK;
    CHECK(mode_1_after(std::nullopt, 400, &refusal), "a KMS ticket refused after 400 s: " + mikey::result_str(refusal));
    refusal = MIKEY_OK;
    CHECK(!mode_1_after(300, 400, &refusal) && refusal != MIKEY_OK,
          "a ticket of a KMS granting 300 s accepted after 400 s (set_max_lifetime)");

    mikey::config c(mikey::method::ticket);
    mikey::error zero = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, c.set_ticket_lifetime(0));
    CHECK(zero.function() == "mikey_config_set_ticket_lifetime" && zero.detail() == c.last_error(),
          "function \"" + zero.function() + "\", detail \"" + zero.detail() + "\"");
    mikey::kms k(kms_id);
    mikey::error kms_zero = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, k.set_max_lifetime(0));
    CHECK(kms_zero.function() == "mikey_kms_set_max_lifetime" && kms_zero.detail() == mikey::kms::last_error(),
          "function \"" + kms_zero.function() + "\", detail \"" + kms_zero.detail() + "\"");
}

// ---- refusals by the authorize function ---------------------------------------------------------

void test_authorize_refuses_resolve()
{
    set_time(ntp_2026 + 7000);
    mikey::kms k = make_kms();
    std::vector<asked_t> asked;
    k.set_authorize([&asked](mikey::kms_exchange exchange, const std::string &client, const std::string &initiator,
                             const std::string &responder) {
        asked.emplace_back(exchange, client, initiator, responder);
        return exchange == mikey::kms_exchange::request;
    });
    mikey::config alice = alice_with_kms();
    mikey::config bob = responder_with_kms(bob_uri, bob_psk);
    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    init.add_srtp_stream(0x81818181u, 0);
    network net{&k};
    bytes transfer = net.transfer(init);
    bytes resolve = resp.process_message(transfer);
    CHECK(resp.current_state() == mikey::state::wait_kms, "Bob's state " + state_text(resp.current_state()));

    // The KMS refuses, with an error message for Bob.
    mikey::error refused = EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)k.process_message(resolve));
    CHECK(refused.function() == "mikey_kms_process_message" && refused.detail() == mikey::kms::last_error(),
          "function \"" + refused.function() + "\", detail \"" + refused.detail() + "\", last_error \"" +
              mikey::kms::last_error() + "\"");
    CHECK(data_type(refused.response()) == error_message, "the refusal carries " + type_text(refused.response()));
    const std::vector<asked_t> expected = {
        {mikey::kms_exchange::request, alice_uri, alice_uri, bob_uri},
        {mikey::kms_exchange::resolve, bob_uri, alice_uri, bob_uri},
    };
    CHECK(asked == expected, "the authorize function was asked" + asked_text(asked));

    // Bob learns from it that the KMS refused, and fails; his rejection carries an error message
    // for Alice (RFC 6043 §5.4), which she hears of and keeps waiting (it is unauthenticated).
    mikey::error peer = EXPECT_ERROR(MIKEY_ERR_PEER_ERROR, (void)resp.process_message(refused.response()));
    CHECK(peer.function() == "mikey_session_process_message" && data_type(peer.response()) == error_message,
          "function \"" + peer.function() + "\", a response " + type_text(peer.response()));
    CHECK(resp.current_state() == mikey::state::failed, "Bob's state " + state_text(resp.current_state()));
    EXPECT_ERROR(MIKEY_ERR_PEER_ERROR, (void)init.process_message(peer.response()));
    CHECK(!init.established(), "Alice established");
}

void test_authorize_refuses_request()
{
    set_time(ntp_2026 + 8000);
    mikey::kms k = make_kms();
    int calls = 0;
    k.set_authorize([&calls](mikey::kms_exchange, const std::string &, const std::string &, const std::string &) {
        ++calls;
        return false;
    });
    mikey::config alice = alice_with_kms();
    mikey::session init = mikey::session::initiator(alice);
    init.add_srtp_stream(0x82828282u, 0);
    bytes request = init.create_message();
    mikey::error refused = EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)k.process_message(request));
    CHECK(calls == 1 && data_type(refused.response()) == error_message,
          std::to_string(calls) + " calls, the refusal carries " + type_text(refused.response()));
    EXPECT_ERROR(MIKEY_ERR_PEER_ERROR, (void)init.process_message(refused.response()));
    CHECK(init.current_state() == mikey::state::failed, "Alice's state " + state_text(init.current_state()));
}

// An authorize function that throws denies; no exception crosses the library (which would end
// the program), and the KMS goes on.
void test_authorize_throws()
{
    set_time(ntp_2026 + 9000);
    mikey::kms k = make_kms();
    int calls = 0;
    k.set_authorize([&calls](mikey::kms_exchange exchange, const std::string &, const std::string &,
                             const std::string &) -> bool {
        ++calls;
        if (exchange == mikey::kms_exchange::resolve) {
            throw std::runtime_error("the policy database is down");
        }
        return true;
    });
    mikey::config alice = alice_with_kms();
    mikey::config bob = responder_with_kms(bob_uri, bob_psk);
    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    init.add_srtp_stream(0x91919191u, 0);
    network net{&k};
    bytes resolve = resp.process_message(net.transfer(init));
    mikey::error denied = EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)k.process_message(resolve));
    CHECK(calls == 2 && data_type(denied.response()) == error_message,
          std::to_string(calls) + " calls, the refusal carries " + type_text(denied.response()));
    EXPECT_ERROR(MIKEY_ERR_PEER_ERROR, (void)resp.process_message(denied.response()));
    CHECK(resp.current_state() == mikey::state::failed, "Bob's state " + state_text(resp.current_state()));

    // Something that is not a std::exception, on a request: denied too.
    mikey::kms k2 = make_kms();
    k2.set_authorize([&calls](mikey::kms_exchange, const std::string &, const std::string &,
                              const std::string &) -> bool {
        ++calls;
        throw 42;
    });
    mikey::session init2 = mikey::session::initiator(alice);
    init2.add_srtp_stream(0x92929292u, 0);
    mikey::error denied2 = EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)k2.process_message(init2.create_message()));
    CHECK(calls == 3 && data_type(denied2.response()) == error_message,
          std::to_string(calls) + " calls, the refusal carries " + type_text(denied2.response()));

    // The first KMS still grants requests.
    mikey::session init3 = mikey::session::initiator(alice);
    init3.add_srtp_stream(0x93939393u, 0);
    network net3{&k};
    net3.transfer(init3);
    CHECK(net3.kms_answers == 1 && calls == 4, "after a throw: " + std::to_string(net3.kms_answers) + " answers, " +
                                                   std::to_string(calls) + " calls");
}

// ---- replays and other refusals -----------------------------------------------------------------

void test_replays()
{
    set_time(ntp_2026 + 10000);
    mikey::kms k = make_kms();
    mikey::config alice = alice_with_kms();
    mikey::config bob = responder_with_kms(bob_uri, bob_psk);
    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    init.add_srtp_stream(0xA1A1A1A1u, 0);

    // A tampered REQUEST_INIT (its MAC, at the end) does not authenticate: no answer.
    bytes request = init.create_message();
    bytes tampered = request;
    tampered.back() ^= 0x01;
    mikey::error bad_mac = EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)k.process_message(tampered));
    CHECK(bad_mac.response().empty(), "a message that does not authenticate got " + type_text(bad_mac.response()));
    mikey::error junk = EXPECT_ERROR(MIKEY_ERR_MALFORMED, (void)k.process_message(bytes{0x01, 0x00, 0x42}));
    CHECK(junk.response().empty() && junk.detail() == mikey::kms::last_error(),
          "junk: detail \"" + junk.detail() + "\", " + type_text(junk.response()));

    // The genuine one is answered once; again, it is a replay, with no answer.
    bytes issued = k.process_message(request);
    CHECK(data_type(issued) == request_resp, "the KMS answered " + type_text(issued));
    mikey::error replay = EXPECT_ERROR(MIKEY_ERR_REPLAY, (void)k.process_message(request));
    CHECK(replay.response().empty() && replay.function() == "mikey_kms_process_message",
          "a replay got " + type_text(replay.response()) + " from \"" + replay.function() + "\"");

    // The same for RESOLVE_INIT; then the exchange completes with the first answer.
    CHECK(init.process_message(issued).empty(), "Alice answers the REQUEST_RESP");
    bytes resolve = resp.process_message(init.create_message());
    bytes resolved = k.process_message(resolve);
    mikey::error replay2 = EXPECT_ERROR(MIKEY_ERR_REPLAY, (void)k.process_message(resolve));
    CHECK(replay2.response().empty(), "a replayed RESOLVE_INIT got " + type_text(replay2.response()));
    bytes answer = resp.process_message(resolved);
    CHECK(init.process_message(answer).empty() && init.established() && resp.established(),
          "states " + state_text(init.current_state()) + " / " + state_text(resp.current_state()));
    expect_same_keys(init, resp, {{0xA1A1A1A1u, 0}}, 1);
    // The KMS's answer once more, to a session that is established: refused, nothing changes.
    EXPECT_ERROR(MIKEY_ERR_UNSUPPORTED, (void)resp.process_message(resolved));
    CHECK(resp.established(), "Bob's state " + state_text(resp.current_state()));
}

// ---- setters ------------------------------------------------------------------------------------

void test_setters()
{
    set_time(ntp_2026 + 11000);
    // Refused values.
    mikey::error no_name = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::kms(""));
    CHECK(no_name.function() == "mikey_kms_new", "function \"" + no_name.function() + "\"");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::kms(std::string("kms\0x", 5)));
    mikey::kms k(kms_id);
    mikey::error short_tpk = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, k.add_tpk(kms_tpk_id, std::string(15, 'k')));
    CHECK(short_tpk.function() == "mikey_kms_add_tpk" && short_tpk.detail() == mikey::kms::last_error(),
          "function \"" + short_tpk.function() + "\", detail \"" + short_tpk.detail() + "\"");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, k.add_client(alice_uri, std::string(15, 'p')));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, k.add_client("", alice_psk));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, k.set_clock(nullptr, nullptr));

    // A KMS without a TPK cannot start, and stays configurable.
    k.set_clock(cpp_test_clock, &now);
    k.add_client(alice_uri, alice_psk);
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, k.add_client(alice_uri, alice_psk)); // twice
    mikey::config alice = alice_with_kms();
    mikey::session init = mikey::session::initiator(alice);
    init.add_srtp_stream(0xB1B1B1B1u, 0);
    bytes request = init.create_message();
    mikey::error no_tpk = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)k.process_message(request));
    CHECK(no_tpk.detail().find("TPK") != std::string::npos && no_tpk.response().empty(),
          "detail \"" + no_tpk.detail() + "\"");
    k.add_tpk(kms_tpk_id, kms_tpk);
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, k.add_tpk(kms_tpk_id, kms_tpk)); // the same name
    k.add_tpk(std::string(), std::string(32, 'o'));                            // no name: opens only
    int calls = 0;
    k.set_authorize([&calls](mikey::kms_exchange, const std::string &, const std::string &, const std::string &) {
        ++calls;
        return true;
    });
    CHECK(data_type(k.process_message(request)) == request_resp && calls == 1,
          "the KMS did not answer after its TPK came, or without asking its function");

    // Started: every setter is refused, and the function set before stays.
    const std::pair<const char *, mikey::error> started[] = {
        {"mikey_kms_add_tpk", EXPECT_ERROR(MIKEY_ERR_STATE, k.add_tpk(std::string("tpk-2"), kms_tpk))},
        {"mikey_kms_add_client", EXPECT_ERROR(MIKEY_ERR_STATE, k.add_client(bob_uri, bob_psk))},
        {"mikey_kms_set_responders_hold_tpk", EXPECT_ERROR(MIKEY_ERR_STATE, k.set_responders_hold_tpk(true))},
        {"mikey_kms_set_max_lifetime", EXPECT_ERROR(MIKEY_ERR_STATE, k.set_max_lifetime(60))},
        {"mikey_kms_set_clock", EXPECT_ERROR(MIKEY_ERR_STATE, k.set_clock(cpp_test_clock, &now))},
        {"mikey_kms_set_authorize",
         EXPECT_ERROR(MIKEY_ERR_STATE,
                      k.set_authorize([](mikey::kms_exchange, const std::string &, const std::string &,
                                         const std::string &) { return false; }))},
        {"mikey_kms_set_authorize", EXPECT_ERROR(MIKEY_ERR_STATE, k.set_authorize(nullptr))},
    };
    for (const auto &s : started) {
        CHECK(s.second.function() == s.first && s.second.detail().find("started") != std::string::npos,
              std::string(s.first) + ": function \"" + s.second.function() + "\", detail \"" + s.second.detail() +
                  "\"");
    }
    mikey::session init2 = mikey::session::initiator(alice);
    init2.add_srtp_stream(0xB2B2B2B2u, 0);
    CHECK(data_type(k.process_message(init2.create_message())) == request_resp && calls == 2,
          "the function set first no longer decides (" + std::to_string(calls) + " calls)");

    // A config: refused values, then every ticket setter refused once frozen.
    mikey::config c(mikey::method::ticket);
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, c.set_ticket_kms(""));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, c.set_ticket_kms(std::string("kms\0x", 5)));
    mikey::error short_key =
        EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, c.add_ticket_protection_key(shared_tpk_id, std::string(15, 't')));
    CHECK(short_key.function() == "mikey_config_add_ticket_protection_key" && short_key.detail() == c.last_error(),
          "function \"" + short_key.function() + "\", detail \"" + short_key.detail() + "\"");
    c.add_ticket_protection_key(shared_tpk_id, shared_tpk);
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, c.add_ticket_protection_key(shared_tpk_id, shared_tpk));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, c.add_ticket_responder(""));
    c.set_identities(alice_uri, bob_uri);
    c.add_ticket_responder(carol_uri);
    c.set_ticket_lifetime(120);
    c.set_ticket_key_forking(true);
    mikey::session frozen = mikey::session::initiator(c);
    const std::pair<const char *, mikey::error> frozen_errors[] = {
        {"mikey_config_set_ticket_kms", EXPECT_ERROR(MIKEY_ERR_STATE, c.set_ticket_kms(kms_id))},
        {"mikey_config_add_ticket_protection_key",
         EXPECT_ERROR(MIKEY_ERR_STATE, c.add_ticket_protection_key(std::string("other"), shared_tpk))},
        {"mikey_config_add_ticket_responder", EXPECT_ERROR(MIKEY_ERR_STATE, c.add_ticket_responder("sip:dave@x.org"))},
        {"mikey_config_set_ticket_key_forking", EXPECT_ERROR(MIKEY_ERR_STATE, c.set_ticket_key_forking(false))},
        {"mikey_config_set_ticket_lifetime", EXPECT_ERROR(MIKEY_ERR_STATE, c.set_ticket_lifetime(60))},
    };
    for (const auto &s : frozen_errors) {
        CHECK(s.second.function() == s.first && s.second.detail() == c.last_error(),
              std::string(s.first) + ": function \"" + s.second.function() + "\", detail \"" + s.second.detail() +
                  "\"");
    }
}

// ---- ownership ----------------------------------------------------------------------------------

void test_kms_moves()
{
    set_time(ntp_2026 + 12000);
    mikey::config alice = alice_with_kms();
    int calls = 0;
    auto counting = [&calls](mikey::kms_exchange, const std::string &, const std::string &, const std::string &) {
        ++calls;
        return true;
    };
    // The function set before a move answers after it: the library's pointer to it held.
    mikey::kms a = make_kms();
    a.set_authorize(counting);
    mikey_kms *handle = a.get();
    mikey::kms b(std::move(a));
    CHECK(!a && a.get() == nullptr && b.get() == handle, "kms move construction");
    std::vector<mikey::kms> many;
    many.push_back(std::move(b));
    for (int i = 0; i < 8; ++i) {
        many.push_back(make_kms()); // reallocations move the first
    }
    CHECK(many.front().get() == handle && !b, "kms moved into a vector");
    mikey::session init = mikey::session::initiator(alice);
    init.add_srtp_stream(0xC1C1C1C1u, 0);
    CHECK(data_type(many.front().process_message(init.create_message())) == request_resp && calls == 1,
          "after moves: " + std::to_string(calls) + " calls");

    // A moved-from kms refuses every call.
    mikey::error empty = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)a.process_message(bytes{1, 2, 3}));
    CHECK(empty.function() == "mikey_kms_process_message" && empty.response().empty(),
          "function \"" + empty.function() + "\"");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, a.add_client(bob_uri, bob_psk));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, a.set_authorize(counting));

    // Move assignment frees the KMS (and function) it replaces.
    mikey::kms c = make_kms();
    c.set_authorize(counting);
    c = std::move(many.front());
    CHECK(c.get() == handle && !many.front(), "kms move assignment");
    mikey::session init2 = mikey::session::initiator(alice);
    init2.add_srtp_stream(0xC2C2C2C2u, 0);
    CHECK(data_type(c.process_message(init2.create_message())) == request_resp && calls == 2,
          "after move assignment: " + std::to_string(calls) + " calls");

    // release: refused while the object holds the function the handle calls; allowed once it
    // is removed; adopt takes the handle back.
    mikey::kms d = make_kms();
    d.set_authorize(counting);
    mikey::error holds = EXPECT_ERROR(MIKEY_ERR_STATE, (void)d.release());
    CHECK(holds.function() == "mikey::kms::release" && static_cast<bool>(d), "function \"" + holds.function() + "\"");
    d.set_authorize(nullptr);
    mikey_kms *raw = d.release();
    CHECK(raw != nullptr && !d, "release");
    mikey::kms e = mikey::kms::adopt(raw);
    mikey::session init3 = mikey::session::initiator(alice);
    init3.add_srtp_stream(0xC3C3C3C3u, 0);
    CHECK(data_type(e.process_message(init3.create_message())) == request_resp && calls == 2,
          "the removed function was asked (" + std::to_string(calls) + " calls)");
    e.reset();
    CHECK(!e, "reset");
    mikey::kms none = mikey::kms::adopt(nullptr);
    CHECK(!none, "adopt(nullptr)");
}

} // namespace

int main()
{
    run("mode_1", test_mode_1);
    run("public_key_form", test_public_key_form);
    run("forked_call", test_forked_call);
    run("mode_2", test_mode_2);
    run("mode_4", test_mode_4);
    run("lifetimes", test_lifetimes);
    run("authorize_refuses_resolve", test_authorize_refuses_resolve);
    run("authorize_refuses_request", test_authorize_refuses_request);
    run("authorize_throws", test_authorize_throws);
    run("replays", test_replays);
    run("setters", test_setters);
    run("kms_moves", test_kms_moves);
    return finish("cpp_ticket");
}
