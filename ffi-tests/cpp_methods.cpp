// SPDX-License-Identifier: Apache-2.0 OR MIT
//
// The C++17 binding (bindings/cpp/mikey.hpp) against libmikey, second part: the wrappers that
// cpp_exchange.cpp does not run, through the binding alone (and the helpers of cpp_common.hpp).
// Every exchange checks that both ends export the same SRTP keys; every family has at least one
// failure checked through mikey::error (code, detail, function).
//
// Wrappers run here (cpp_exchange.cpp runs the others):
// - config: config(method) for PSK, RSA-R, SAKKE, TICKET (its session refused without credentials) and an unknown number
//   (refused); pk(), rsa_r(), dh_hmac(); set_psk(pointer, size);
//   set_certificate_chain / set_private_key / add_trust_anchor / set_peer_certificate in
//   pointer + size and byte_view forms; set_envelope_key_cache, set_accept_any_peer, set_rsa_r_group, set_signature_scheme (a SHA-1 scheme with
//   interop::minisip_sha1_signatures); set_dh_group, set_min_dh_group; set_srtp_policy with
//   protection off and a key derivation rate, set_allow_unprotected_srtp; set_interop
//   (mandatory_mki_4, tek_with_concatenated_salt | gstreamer_sp_layout on the NULL method);
//   set_require_peer_id; set_clock, set_replay_window, set_max_future_skew;
//   add_kms_community, add_user_key_set, add_kms_xml, set_sakke_to_self,
//   set_key_period_tolerance (1 on a responder, 2 refused: with the vectors of one key period
//   no message needs the tolerance, so its effect is not checked);
// - session: session(config, role), take_response (a response kept by a C call with no room,
//   and a refusal's error message), cs_id(index) out of range, set_mcptt_key, set_mcptt_peer,
//   export_mcptt_key, mcptt_group_id, mcptt_key_text;
// - srtp_keys: mki(), mki_len(), rcc_mode(), roc_transmission_rate(), key_derivation_rate(),
//   auth_key_len(), copy_key_and_salt refusing a short buffer;
// - mcptt_key: every accessor, parameters(), its move and wipe();
// - free functions: mcptt_key_parameters, mcptt_uid, mcptt_key_period_number, mcptt_guk_id,
//   mcptt_gmk_id.
//
// The exchanges: PK (a pinned responder certificate, V requested, the R_MESSAGE fetched with
// take_response, re-keying under the cached envelope key), RSA-R (named peer, tampered answer,
// any peer under the anchors, a group key server with two members, SHA-1 signatures), DH-HMAC,
// NULL with GStreamer's interop switches, PSK with policy switches, PSK on fixed clocks (a
// message outside the replay window or too far ahead refused, then accepted with a correct
// clock, a wider window or a larger skew), and MIKEY-SAKKE with the Streamwide KMS and users of
// sakke_vectors.h (RFC 6507/6508 keys): Streamwide's own GMK message, a GMK to a group of three,
// a PCK both ways, refusals, and a config from the KMS's XML (TS 33.180 Annex D); there the two
// ends export the same keys and parameters but for ssrc_type (the sender's keys are for any
// outbound stream, the receiver's for any inbound one).
#include "cpp_common.hpp"

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "sakke_vectors.h"

static_assert(!std::is_copy_constructible_v<mikey::mcptt_key> && !std::is_copy_assignable_v<mikey::mcptt_key>,
              "mcptt_key is move-only");
static_assert(std::is_nothrow_move_constructible_v<mikey::mcptt_key> &&
                  std::is_nothrow_move_assignable_v<mikey::mcptt_key>,
              "mcptt_key moves without throwing");

namespace {

using namespace cpp_test;
using streams_t = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

const std::string alice_uri = "sip:alice@example.com", bob_uri = "sip:bob@example.com";

const bytes psk_bytes = {0x63, 0x70, 0x70, 0x2d, 0x6d, 0x65, 0x74, 0x68, 0x6f, 0x64, 0x73,
                         0x2d, 0x70, 0x73, 0x6b, 0x00, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
                         0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

constexpr std::uint64_t ntp_seconds(std::uint64_t seconds)
{
    return seconds << 32;
}

// The bytes of a hex string (sakke_vectors.h).
bytes unhex(const std::string &text)
{
    auto nibble = [&text](char c) -> std::uint8_t {
        if (c >= '0' && c <= '9') {
            return static_cast<std::uint8_t>(c - '0');
        }
        if (c >= 'A' && c <= 'F') {
            return static_cast<std::uint8_t>(c - 'A' + 10);
        }
        if (c >= 'a' && c <= 'f') {
            return static_cast<std::uint8_t>(c - 'a' + 10);
        }
        throw std::runtime_error("not hex: " + text.substr(0, 16));
    };
    if (text.size() % 2 != 0) {
        throw std::runtime_error("odd hex length");
    }
    bytes out;
    for (std::size_t i = 0; i < text.size(); i += 2) {
        out.push_back(static_cast<std::uint8_t>(nibble(text[i]) << 4 | nibble(text[i + 1])));
    }
    return out;
}

std::string to_hex(const std::uint8_t *data, std::size_t len)
{
    std::string out;
    char two[3];
    for (std::size_t i = 0; i < len; ++i) {
        std::snprintf(two, sizeof two, "%02X", static_cast<unsigned>(data[i]));
        out += two;
    }
    return out;
}

bool equals_hex(const std::uint8_t *data, std::size_t len, const char *expected)
{
    return to_hex(data, len) == expected;
}

// `who`'s chain (through the intermediate) and key, the test root as anchor, in the byte_view
// forms (std::string) or, with `pointers`, in the pointer + size forms.
void add_credentials(mikey::config &c, const std::string &who, bool pointers)
{
    const std::string chain = read_pki(who + ".crt.pem") + read_pki("intermediate.crt.pem");
    const std::string key = read_pki(who + ".key.pem"), root = read_pki("root.crt.pem");
    if (pointers) {
        c.set_certificate_chain(reinterpret_cast<const std::uint8_t *>(chain.data()), chain.size());
        c.set_private_key(reinterpret_cast<const std::uint8_t *>(key.data()), key.size());
        c.add_trust_anchor(reinterpret_cast<const std::uint8_t *>(root.data()), root.size());
    } else {
        c.set_certificate_chain(chain);
        c.set_private_key(key);
        c.add_trust_anchor(root);
    }
}

// A config of a certificate method for `who`, expecting `peer` (none: std::nullopt).
mikey::config signer(mikey::config c, const std::string &who, const std::optional<std::string> &peer)
{
    add_credentials(c, who, false);
    if (peer) {
        c.set_identities(std::nullopt, peer);
    }
    return c;
}

// Adds `streams` to an initiator.
void add_streams(mikey::session &init, const streams_t &streams)
{
    for (std::size_t i = 0; i < streams.size(); ++i) {
        std::uint8_t id = init.add_srtp_stream(streams[i].first, streams[i].second);
        CHECK(id == i + 1, "stream " + std::to_string(i) + " got CS ID " + std::to_string(id));
    }
}

// I_MESSAGE to the responder, its answer (if any) back; both end established.
void exchange(mikey::session &init, mikey::session &resp)
{
    bytes answer = resp.process_message(init.create_message());
    if (!answer.empty()) {
        CHECK(init.process_message(answer).empty(), "the initiator answers the R_MESSAGE");
    }
    CHECK(init.established() && resp.established(),
          "states " + state_text(init.current_state()) + " / " + state_text(resp.current_state()));
}

// ---- PK -----------------------------------------------------------------------------------------

void test_pk()
{
    const streams_t streams = {{0x5E5E0000u, 0}, {0x5E5E0101u, 7}};
    // Alice in the pointer + size forms, Bob's certificate pinned: the envelope key goes to it.
    mikey::config alice = mikey::config::pk();
    add_credentials(alice, "alice", true);
    const std::string bob_cert = read_pki("bob.crt.pem");
    alice.set_peer_certificate(reinterpret_cast<const std::uint8_t *>(bob_cert.data()), bob_cert.size());
    alice.set_identities(std::nullopt, bob_uri);
    alice.set_request_verification(true);
    alice.set_envelope_key_cache(true);
    mikey::config bob = signer(mikey::config::pk(), "bob", alice_uri);
    bob.set_peer_certificate(read_pki("alice.crt.pem"));

    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp(bob, mikey::role::responder);
    add_streams(init, streams);
    bytes i_message = init.create_message();
    CHECK(i_message.size() > 2 && i_message[1] == 2, "not a PK_INIT message (data type 2)");

    // No room for the R_MESSAGE in a C call: it waits in the session for take_response.
    std::size_t needed = 0;
    mikey_result rc = mikey_session_process_message(resp.get(), i_message.data(), i_message.size(), nullptr, 0,
                                                    &needed);
    CHECK(rc == MIKEY_ERR_BUFFER_TOO_SMALL && needed > 0,
          "process_message without room: " + mikey::result_str(rc) + ", " + std::to_string(needed) + " bytes");
    CHECK(resp.established(), "responder state " + state_text(resp.current_state()));
    bytes r_message = resp.take_response();
    CHECK(r_message.size() == needed, "take_response gave " + std::to_string(r_message.size()) + " bytes, not " +
                                          std::to_string(needed));
    CHECK(resp.take_response().empty(), "a second take_response gave a response");
    CHECK(init.process_message(r_message).empty(), "the initiator answers the R_MESSAGE");
    CHECK(init.established(), "initiator state " + state_text(init.current_state()));

    std::vector<mikey::srtp_keys> first = expect_same_keys(init, resp, streams, 1);
    CHECK(init.peer_identity() == bob_uri && resp.peer_identity() == alice_uri,
          "peers \"" + init.peer_identity() + "\" / \"" + resp.peer_identity() + "\"");
    const std::string alice_der = read_pki("alice.crt.der");
    CHECK(resp.peer_certificate() == bytes(alice_der.begin(), alice_der.end()),
          "the responder's peer certificate is not alice.crt.der");
    CHECK(init.csb_id() == resp.csb_id(), "CSB IDs " + hex(init.csb_id()) + " / " + hex(resp.csb_id()));
    CHECK(!first.empty() && first[0].auth_key_len() == 20 && first[0].mki_len() == 0,
          "HMAC-SHA1 session auth key of 20 bytes, no MKI");

    // Re-keying under the cached envelope key: a PSK message (data type 0).
    bytes update = init.create_message();
    CHECK(update.size() > 2 && update[1] == 0, "the update is not a PSK message under the envelope key");
    CHECK(init.process_message(resp.process_message(update)).empty(), "the initiator answers the update");
    std::vector<mikey::srtp_keys> second = expect_same_keys(init, resp, streams, 1);
    if (CHECK(first.size() == 2 && second.size() == 2, "keys before and after re-keying")) {
        CHECK(first[1] != second[1], "re-keying kept the master key");
    }

    // Certificates and keys that cannot be used: the config says why.
    mikey::config bad = mikey::config::pk();
    const std::string garbage = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
    mikey::error chain = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, bad.set_certificate_chain(garbage));
    CHECK(chain.function() == "mikey_config_set_certificate_chain" && chain.detail() == bad.last_error(),
          "function \"" + chain.function() + "\", detail \"" + chain.detail() + "\"");
    mikey::error weak = EXPECT_ERROR(MIKEY_ERR_UNSUPPORTED, bad.set_private_key(read_pki("weak-1024.key.pem")));
    CHECK(weak.detail().find("1024") != std::string::npos, "detail \"" + weak.detail() + "\"");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, bad.set_peer_certificate(nullptr, 5));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, bad.add_trust_anchor(reinterpret_cast<const std::uint8_t *>("abc"), 3));
    // Bob's key under Alice's certificate: no session.
    mikey::config mismatched = mikey::config::pk();
    mismatched.set_certificate_chain(read_pki("alice.crt.pem") + read_pki("intermediate.crt.pem"));
    mismatched.set_private_key(read_pki("bob.key.pem"));
    mikey::error session_new =
        EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)mikey::session(mismatched, mikey::role::initiator));
    CHECK(session_new.function() == "mikey_session_new", "function \"" + session_new.function() + "\"");
    // A responder without trust anchors cannot authenticate Alice.
    mikey::config untrusting = mikey::config::pk();
    untrusting.set_certificate_chain(read_pki("bob.crt.pem") + read_pki("intermediate.crt.pem"));
    untrusting.set_private_key(read_pki("bob.key.pem"));
    mikey::session init2 = mikey::session::initiator(alice);
    init2.add_srtp_stream(0x5E5E0202u, 0);
    mikey::session refuser = mikey::session::responder(untrusting);
    EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)refuser.process_message(init2.create_message()));
    CHECK(refuser.current_state() == mikey::state::idle, "state " + state_text(refuser.current_state()));
}

// ---- RSA-R --------------------------------------------------------------------------------------

void test_rsa_r()
{
    const streams_t streams = {{0x4A4A4A4Au, 0}};
    mikey::config alice = signer(mikey::config::rsa_r(), "alice", bob_uri);
    alice.set_signature_scheme(mikey::signature_scheme::pkcs1_sha256);
    mikey::config bob = signer(mikey::config(mikey::method::rsa_r), "bob", alice_uri);
    mikey::config carol = signer(mikey::config::rsa_r(), "carol", alice_uri);

    // A tampered answer and Carol's answer (Alice expects Bob) are refused, Bob's accepted.
    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    mikey::session impostor = mikey::session::responder(carol);
    add_streams(init, streams);
    bytes i_message = init.create_message();
    bytes answer = resp.process_message(i_message);
    bytes forged = impostor.process_message(i_message);
    CHECK(!answer.empty() && !forged.empty(), "no RSA-R answers");
    bytes tampered = answer;
    tampered.back() ^= 0x01;
    mikey::error bad_sig = EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)init.process_message(tampered));
    CHECK(bad_sig.detail() == init.last_error(), "detail \"" + bad_sig.detail() + "\"");
    EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)init.process_message(forged));
    CHECK(init.current_state() == mikey::state::wait_response, "state " + state_text(init.current_state()));
    CHECK(init.process_message(answer).empty(), "the initiator answers the R_MESSAGE");
    expect_same_keys(init, resp, streams, 1);
    CHECK(init.peer_identity() == bob_uri, "initiator's peer \"" + init.peer_identity() + "\"");

    // Without a peer to expect, an initiator refuses to start unless it accepts any peer under
    // its anchors; then Carol may answer, and says who she is.
    mikey::config unnamed = signer(mikey::config::rsa_r(), "alice", std::nullopt);
    mikey::session lost = mikey::session::initiator(unnamed);
    lost.add_srtp_stream(0xF0F0F0F0u, 0);
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)lost.create_message());
    mikey::config anyone = signer(mikey::config::rsa_r(), "alice", std::nullopt);
    anyone.set_accept_any_peer(true);
    mikey::session open = mikey::session::initiator(anyone);
    mikey::session carol_resp = mikey::session::responder(carol);
    add_streams(open, {{0xF0F0F0F0u, 0}});
    exchange(open, carol_resp);
    expect_same_keys(open, carol_resp, {{0xF0F0F0F0u, 0}}, 1);
    CHECK(open.peer_identity() == "carol@example.com", "the open initiator's peer \"" + open.peer_identity() + "\"");

    // Signatures over SHA-1 are refused unless the minisip switch is on (then the responder
    // keeps signing with SHA-256, which it sets explicitly).
    mikey::config old_alice = signer(mikey::config::rsa_r(), "alice", bob_uri);
    old_alice.set_signature_scheme(mikey::signature_scheme::pss_sha1);
    mikey::config strict_bob = signer(mikey::config::rsa_r(), "bob", alice_uri);
    mikey::config old_bob = signer(mikey::config::rsa_r(), "bob", alice_uri);
    old_bob.set_interop(mikey::interop::minisip_sha1_signatures);
    old_bob.set_signature_scheme(mikey::signature_scheme::pkcs1_sha256);
    mikey::session old_init = mikey::session::initiator(old_alice);
    add_streams(old_init, streams);
    bytes sha1_offer = old_init.create_message();
    mikey::session strict = mikey::session::responder(strict_bob);
    EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)strict.process_message(sha1_offer));
    mikey::session tolerant = mikey::session::responder(old_bob);
    CHECK(old_init.process_message(tolerant.process_message(sha1_offer)).empty(), "the SHA-1 exchange");
    expect_same_keys(old_init, tolerant, streams, 1);
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT,
                 mikey::config::rsa_r().set_signature_scheme(static_cast<mikey::signature_scheme>(9)));

    // A group key server (RFC 4738 §3.2): Alice and Carol join and get the same group keys, for
    // the group's stream.
    const std::uint32_t group_csb = 0x0600D5Eu;
    mikey::config server = signer(mikey::config::rsa_r(), "bob", std::nullopt);
    mikey::error no_streams = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, server.set_rsa_r_group(1, {}));
    CHECK(no_streams.function() == "mikey_config_set_rsa_r_group", "function \"" + no_streams.function() + "\"");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, server.set_rsa_r_group(1, {mikey_stream{0, 0}})); // SSRC 0
    server.set_rsa_r_group(group_csb, {mikey_stream{0x9A9A9A9Au, 3}});
    std::vector<std::vector<mikey::srtp_keys>> member_keys;
    for (const char *who : {"alice", "carol"}) {
        mikey::config member = signer(mikey::config::rsa_r(), who, bob_uri);
        mikey::session join = mikey::session::initiator(member);
        mikey::session serve = mikey::session::responder(server);
        add_streams(join, {{0x11110000u, 0}});
        exchange(join, serve);
        member_keys.push_back(expect_same_keys(join, serve, {{0x9A9A9A9Au, 3}}, 1));
        CHECK(join.csb_id() == group_csb && serve.csb_id() == group_csb, std::string(who) + ": CSB ID " +
                                                                             hex(join.csb_id()));
    }
    if (CHECK(member_keys.size() == 2 && member_keys[0].size() == 1 && member_keys[1].size() == 1, "two members")) {
        CHECK(member_keys[0][0] == member_keys[1][0], "the two members got different group keys");
    }
}

// ---- DH-HMAC ------------------------------------------------------------------------------------

void test_dh_hmac()
{
    const streams_t streams = {{0xD40D0001u, 1}, {0xD40D0002u, 2}};
    // OAKLEY 2 (1024-bit, fast) on both ends, below the default minimum.
    mikey::config alice = mikey::config::dh_hmac(psk_bytes);
    alice.set_identities(alice_uri, bob_uri);
    alice.set_dh_group(mikey::dh_group::oakley2);
    alice.set_min_dh_group(mikey::dh_group::oakley2);
    mikey::config bob = mikey::config::dh_hmac(psk_bytes);
    bob.set_identities(bob_uri, alice_uri);
    bob.set_min_dh_group(mikey::dh_group::oakley2);
    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    add_streams(init, streams);
    exchange(init, resp);
    expect_same_keys(init, resp, streams, 1);
    CHECK(init.peer_identity() == bob_uri && resp.peer_identity() == alice_uri, "DH-HMAC peers");
    EXPECT_ERROR(MIKEY_ERR_STATE, alice.set_min_dh_group(mikey::dh_group::oakley5)); // frozen

    // A responder keeping the default minimum (OAKLEY 5) refuses OAKLEY 2 with an error
    // message, which the initiator takes as the peer's refusal.
    mikey::config strict = mikey::config::dh_hmac(psk_bytes);
    mikey::session offerer = mikey::session::initiator(alice);
    mikey::session refuser = mikey::session::responder(strict);
    add_streams(offerer, streams);
    mikey::error refused = EXPECT_ERROR(MIKEY_ERR_POLICY, (void)refuser.process_message(offerer.create_message()));
    if (CHECK(!refused.response().empty(), "no error message for a weak DH group")) {
        EXPECT_ERROR(MIKEY_ERR_PEER_ERROR, (void)offerer.process_message(refused.response()));
    }
    // An initiator does not offer a group below its own minimum.
    mikey::config weak = mikey::config::dh_hmac(psk_bytes);
    weak.set_identities(alice_uri, bob_uri);
    weak.set_dh_group(mikey::dh_group::oakley1);
    weak.set_min_dh_group(mikey::dh_group::oakley2);
    mikey::session weak_init = mikey::session::initiator(weak);
    weak_init.add_srtp_stream(1, 0);
    mikey::error too_weak = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)weak_init.create_message());
    CHECK(too_weak.detail().find("minimum") != std::string::npos, "detail \"" + too_weak.detail() + "\"");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::config::dh_hmac(psk_bytes).set_dh_group(
                                                 static_cast<mikey::dh_group>(77)));
}

// ---- policies, interop switches, construction ----------------------------------------------------

void test_policies()
{
    const streams_t one = {{0xC0C0C0C0u, 0}};
    // A policy with SRTP encryption off and a key derivation rate: refused by default (with an
    // error message, delivered by take_response after a C call with no room), accepted when
    // allowed.
    mikey_srtp_policy policy = mikey::default_srtp_policy();
    policy.srtp_encryption = 0;
    policy.key_derivation_rate = 1 << 16;
    mikey::config alice(mikey::method::psk);
    alice.set_psk(psk_bytes.data(), psk_bytes.size()); // the pointer + size form
    alice.set_srtp_policy(policy);
    alice.set_request_verification(true);
    mikey::config strict = mikey::config::psk(psk_bytes);
    mikey::config lenient = mikey::config::psk(psk_bytes);
    lenient.set_allow_unprotected_srtp(true);

    mikey::session offerer = mikey::session::initiator(alice);
    add_streams(offerer, one);
    bytes offer = offerer.create_message();
    mikey::session refuser = mikey::session::responder(strict);
    std::size_t needed = 0;
    mikey_result rc = mikey_session_process_message(refuser.get(), offer.data(), offer.size(), nullptr, 0, &needed);
    CHECK(rc == MIKEY_ERR_BUFFER_TOO_SMALL && needed > 0, "refusal without room: " + mikey::result_str(rc));
    mikey::error refused = EXPECT_ERROR(MIKEY_ERR_POLICY, (void)refuser.take_response());
    CHECK(refused.function() == "mikey_session_take_response" && refused.response().size() == needed,
          "function \"" + refused.function() + "\", " + std::to_string(refused.response().size()) + " bytes");
    CHECK(refuser.current_state() == mikey::state::idle, "state " + state_text(refuser.current_state()));

    mikey::session accepter = mikey::session::responder(lenient);
    CHECK(offerer.process_message(accepter.process_message(offer)).empty(), "the initiator answers");
    std::vector<mikey::srtp_keys> a = offerer.export_all_srtp(), b = accepter.export_all_srtp();
    if (CHECK(a.size() == 1 && b.size() == 1, "one crypto session each")) {
        CHECK(a[0] == b[0], "the two ends export different keys");
        CHECK(!a[0].srtp_encryption() && a[0].srtcp_encryption() && a[0].srtp_authentication(),
              "protection switches of the policy");
        CHECK(a[0].key_derivation_rate() == (1u << 16) && b[0].key_derivation_rate() == (1u << 16),
              "key derivation rate " + std::to_string(a[0].key_derivation_rate()));
        std::uint8_t small[16];
        mikey::error too_small = EXPECT_ERROR(MIKEY_ERR_BUFFER_TOO_SMALL, a[0].copy_key_and_salt(small, sizeof small));
        CHECK(too_small.detail().find("30") != std::string::npos, "detail \"" + too_small.detail() + "\"");
    }
    EXPECT_ERROR(MIKEY_ERR_STATE, lenient.set_allow_unprotected_srtp(false));

    // A mandatory 4-byte MKI (Axis) on both ends.
    mikey::config axis_a = mikey::config::psk(psk_bytes), axis_b = mikey::config::psk(psk_bytes);
    axis_a.set_interop(mikey::interop::mandatory_mki_4);
    axis_b.set_interop(mikey::interop::mandatory_mki_4);
    mikey::session mki_init = mikey::session::initiator(axis_a);
    mikey::session mki_resp = mikey::session::responder(axis_b);
    add_streams(mki_init, one);
    exchange(mki_init, mki_resp);
    mikey::srtp_keys with_mki = mki_init.export_srtp(1), with_mki_too = mki_resp.export_srtp(1);
    CHECK(with_mki == with_mki_too, "MKI exchange: the two ends export different keys");
    CHECK(with_mki.mki_len() == 4 && with_mki_too.mki_len() == 4 &&
              std::memcmp(with_mki.mki(), with_mki_too.mki(), 4) == 0,
          "MKI of " + std::to_string(with_mki.mki_len()) + " bytes");
    mikey::error flag = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::config::null_method().set_interop(1u << 31));
    CHECK(flag.function() == "mikey_config_set_interop", "function \"" + flag.function() + "\"");

    // The NULL method as GStreamer speaks it; nothing authenticates the peer.
    mikey::config gst_a = mikey::config::null_method(), gst_b = mikey::config::null_method();
    const std::uint32_t gst = mikey::interop::tek_with_concatenated_salt | mikey::interop::gstreamer_sp_layout;
    gst_a.set_interop(gst);
    gst_b.set_interop(gst);
    mikey::session gst_init = mikey::session::initiator(gst_a);
    mikey::session gst_resp = mikey::session::responder(gst_b);
    add_streams(gst_init, {{0x00C0FFEEu, 4}});
    exchange(gst_init, gst_resp);
    expect_same_keys(gst_init, gst_resp, {{0x00C0FFEEu, 4}}, 1);
    CHECK(gst_resp.peer_identity().empty(), "a NULL-method peer identity \"" + gst_resp.peer_identity() + "\"");

    // A responder that requires the peer's ID refuses an I_MESSAGE without IDi.
    mikey::config anonymous = mikey::config::psk(psk_bytes);
    mikey::config demanding = mikey::config::psk(psk_bytes), trusting = mikey::config::psk(psk_bytes);
    demanding.set_identities(std::nullopt, alice_uri);
    demanding.set_require_peer_id(true);
    trusting.set_identities(std::nullopt, alice_uri);
    mikey::session anon = mikey::session::initiator(anonymous);
    add_streams(anon, one);
    bytes without_id = anon.create_message();
    mikey::session demander = mikey::session::responder(demanding);
    EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)demander.process_message(without_id));
    mikey::session truster = mikey::session::responder(trusting);
    CHECK(truster.process_message(without_id).empty() && truster.established(), "accepted without IDi");
    expect_same_keys(anon, truster, one, 1);
    EXPECT_ERROR(MIKEY_ERR_STATE, demanding.set_require_peer_id(false));

    // Construction: a method without its credentials (MIKEY-TICKET needs a PSK with a KMS, or a
    // TPK), unknown numbers, a short PSK (pointer form).
    mikey::config ticket_config(mikey::method::ticket);
    mikey::error ticket = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)mikey::session::initiator(ticket_config));
    CHECK(ticket.function() == "mikey_session_new", "function \"" + ticket.function() + "\"");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)mikey::config(static_cast<mikey::method>(99)));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)mikey::session(anonymous, static_cast<mikey::role>(7)));
    mikey::config short_psk(mikey::method::psk);
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, short_psk.set_psk(psk_bytes.data(), 8));
    mikey::error no_cs = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)anon.cs_id(5));
    CHECK(no_cs.function() == "mikey_session_cs_id" && anon.cs_id(0) == 1, "function \"" + no_cs.function() + "\"");
}

// ---- clock ----------------------------------------------------------------------------------------

void test_clock()
{
    const streams_t one = {{0x0C10C000u, 0}};
    const std::uint64_t t0 = ntp_seconds(0xE8000000u); // 2023
    // Declared before the configs and sessions, so they outlive them.
    std::uint64_t alice_now = t0, bob_now = 0, behind_now = 0, far_now = 0;
    mikey::config alice = mikey::config::psk(psk_bytes);
    alice.set_clock(cpp_test_clock, &alice_now);
    mikey::session init = mikey::session::initiator(alice);
    add_streams(init, one);
    bytes offer = init.create_message(); // T = t0
    CHECK(init.established(), "initiator state " + state_text(init.current_state()));

    // Two minutes later, outside the default 60-second window: refused, the session unchanged;
    // with the clock back to 30 s after T, the same message is accepted.
    bob_now = t0 + ntp_seconds(120);
    mikey::config bob = mikey::config::psk(psk_bytes);
    bob.set_clock(cpp_test_clock, &bob_now);
    mikey::session resp = mikey::session::responder(bob);
    mikey::error late = EXPECT_ERROR(MIKEY_ERR_TIMESTAMP, (void)resp.process_message(offer));
    CHECK(late.detail() == resp.last_error(), "detail \"" + late.detail() + "\"");
    CHECK(resp.current_state() == mikey::state::idle, "state " + state_text(resp.current_state()));
    bob_now = t0 + ntp_seconds(30);
    CHECK(resp.process_message(offer).empty() && resp.established(), "accepted with a correct clock");
    expect_same_keys(init, resp, one, 1);

    // The same two minutes fit a 300-second window.
    far_now = t0 + ntp_seconds(120);
    mikey::config patient = mikey::config::psk(psk_bytes);
    patient.set_clock(cpp_test_clock, &far_now);
    patient.set_replay_window(300);
    mikey::session patient_resp = mikey::session::responder(patient);
    CHECK(patient_resp.process_message(offer).empty() && patient_resp.established(), "accepted in a wider window");
    expect_same_keys(init, patient_resp, one, 1);

    // A clock 30 s behind T: beyond the default future skew (5 s), within one of 60 s.
    behind_now = t0 - ntp_seconds(30);
    mikey::config strict = mikey::config::psk(psk_bytes), skewed = mikey::config::psk(psk_bytes);
    strict.set_clock(cpp_test_clock, &behind_now);
    skewed.set_clock(cpp_test_clock, &behind_now);
    skewed.set_max_future_skew(60);
    mikey::session strict_resp = mikey::session::responder(strict);
    EXPECT_ERROR(MIKEY_ERR_TIMESTAMP, (void)strict_resp.process_message(offer));
    mikey::session skewed_resp = mikey::session::responder(skewed);
    CHECK(skewed_resp.process_message(offer).empty() && skewed_resp.established(), "accepted with a larger skew");
    expect_same_keys(init, skewed_resp, one, 1);

    mikey::config fresh = mikey::config::psk(psk_bytes);
    mikey::error no_clock = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, fresh.set_clock(nullptr, nullptr));
    CHECK(no_clock.function() == "mikey_config_set_clock" && no_clock.detail() == fresh.last_error(),
          "function \"" + no_clock.function() + "\", detail \"" + no_clock.detail() + "\"");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, fresh.set_max_future_skew(3601));
    EXPECT_ERROR(MIKEY_ERR_STATE, skewed.set_clock(cpp_test_clock, &alice_now)); // frozen
}

// ---- MCPTT helpers ----------------------------------------------------------------------------------

void test_mcptt_helpers()
{
    // TS 33.180's example: sip:user@example.org at kms.example.org, 30-day periods, period 1388.
    std::array<std::uint8_t, MIKEY_MCPTT_UID_LEN> uid =
        mikey::mcptt_uid("sip:user@example.org", "kms.example.org", 2592000, 0, 1388);
    CHECK(equals_hex(uid.data(), uid.size(), "3A81FB14C3B1D0FE43C9C577104D55A6D81788BFD2F09743C4557746A5A0353B"),
          "UID " + to_hex(uid.data(), uid.size()));
    CHECK(mikey::mcptt_key_period_number(ntp_seconds(SW_MESSAGE_NTP_SECONDS), SW_KEY_PERIOD_SECS,
                                         SW_KEY_PERIOD_OFFSET_SECS) == 236,
          "the key period of Streamwide's messages");

    // A GUK-ID of an Etherstack interop run (TS 33.180 F.1.3), and back.
    const bytes gmk = {0xFC, 0xFE, 0x65, 0xCD, 0x96, 0x7C, 0x58, 0xD2, 0x60, 0xB6, 0x03, 0xCC, 0xB9, 0xA8, 0x87, 0xA9};
    const std::string receiver = "sip:p25user01@etherstack.com";
    std::uint32_t guk_id = mikey::mcptt_guk_id(gmk, 0x09BF9D37u, receiver);
    CHECK(guk_id == 0x01C8DE7Bu, "GUK-ID " + hex(guk_id));
    CHECK(mikey::mcptt_gmk_id(gmk, guk_id, receiver) == 0x09BF9D37u, "GMK-ID back from the GUK-ID");

    mikey_mcptt_key_parameters pck = mikey::mcptt_key_parameters(0x10000042u);
    CHECK(pck.key_type == 1 && pck.status == MIKEY_MCPTT_STATUS_NOT_REVOKED && pck.activation_time == 0 &&
              pck.expiry_time == 0 && pck.legacy_clear == 0,
          "PCK parameters: key type " + std::to_string(pck.key_type) + ", status " + std::to_string(pck.status));
    CHECK(mikey::mcptt_key_parameters(0x01234567u).key_type == 0, "GMK parameters");

    mikey::error period = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::mcptt_key_period_number(0, 0, 0));
    CHECK(period.function() == "mikey_mcptt_key_period_number" &&
              period.detail() == mikey::result_str(MIKEY_ERR_INVALID_ARGUMENT),
          "function \"" + period.function() + "\", detail \"" + period.detail() + "\"");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::mcptt_key_parameters(0xF0000000u));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::mcptt_guk_id(mikey::byte_view(), 1, receiver));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::mcptt_gmk_id(mikey::byte_view(), 1, receiver));
    mikey::error nul = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT,
                                    mikey::mcptt_uid(std::string("sip:a\0b", 7), "kms.example.org", 1, 0, 1));
    CHECK(nul.detail().find("NUL") != std::string::npos && nul.function() == "mikey_mcptt_uid",
          "detail \"" + nul.detail() + "\"");
}

// ---- MIKEY-SAKKE ----------------------------------------------------------------------------------

// Every SAKKE config reads this NTP time: the T of Streamwide's messages, in key period 236.
std::uint64_t sakke_now = ntp_seconds(SW_MESSAGE_NTP_SECONDS);

// The Streamwide KMS's community, without user keys.
mikey::config sakke_community_config()
{
    mikey::config c(mikey::method::sakke);
    c.set_clock(cpp_test_clock, &sakke_now);
    c.add_kms_community(SW_KMS_URI, unhex(SW_KMS_Z), unhex(SW_KMS_KPAK), SW_KEY_PERIOD_SECS,
                        SW_KEY_PERIOD_OFFSET_SECS);
    return c;
}

// A user's MIKEY-SAKKE config.
mikey::config sakke_config(const sw_user &user)
{
    mikey::config c = sakke_community_config();
    bytes ssk = unhex(user.ssk);
    c.add_user_key_set(SW_KMS_URI, user.uri, user.key_period_number, unhex(user.rsk), ssk, unhex(user.pvt));
    mikey::detail::secure_wipe(ssk.data(), ssk.size());
    return c;
}

// Both ends export the same SRTP keys for each of `cs_ids`, listed by both; returns the
// sender's keys. The SSRCs are not MIKEY's (0): the sender's keys match any outbound stream,
// the receiver's any inbound one, so only ssrc_type differs and operator== says so.
std::vector<mikey::srtp_keys> expect_same_sakke_keys(const mikey::session &sender, const mikey::session &receiver,
                                                     const bytes &cs_ids, const std::string &what)
{
    std::vector<mikey::srtp_keys> keys;
    CHECK(receiver.cs_ids() == cs_ids && sender.cs_ids() == cs_ids,
          what + ": CS IDs " + to_hex(receiver.cs_ids().data(), receiver.cs_ids().size()) + " / " +
              to_hex(sender.cs_ids().data(), sender.cs_ids().size()));
    for (std::uint8_t id : cs_ids) {
        mikey::srtp_keys a = sender.export_srtp(id), b = receiver.export_srtp(id);
        std::string cs = what + ", CS " + std::to_string(id);
        CHECK(a.ssrc() == 0 && b.ssrc() == 0 && a.ssrc_type() == MIKEY_SSRC_ANY_OUTBOUND &&
                  b.ssrc_type() == MIKEY_SSRC_ANY_INBOUND && a != b,
              cs + ": SSRC types " + std::to_string(a.ssrc_type()) + " / " + std::to_string(b.ssrc_type()));
        CHECK(a.master_key_len() == 16 && b.master_key_len() == 16 &&
                  std::memcmp(a.master_key(), b.master_key(), 16) == 0 && a.master_salt_len() == 12 &&
                  b.master_salt_len() == 12 && std::memcmp(a.master_salt(), b.master_salt(), 12) == 0,
              cs + ": master key or salt differ");
        CHECK(a.mki_len() > 0 && a.mki_len() == b.mki_len() && std::memcmp(a.mki(), b.mki(), a.mki_len()) == 0,
              cs + ": MKIs differ");
        CHECK(a.cs_id() == id && b.cs_id() == id && a.profile() == 7 && b.profile() == 7 && a.auth_key_len() == 0 &&
                  a.auth_tag_len() == 16 && b.auth_tag_len() == 16 && a.roc() == b.roc() &&
                  a.rcc_mode() == b.rcc_mode() && a.roc_transmission_rate() == b.roc_transmission_rate() &&
                  a.key_derivation_rate() == b.key_derivation_rate() &&
                  a.srtp_encryption() && b.srtp_encryption() && a.srtcp_encryption() && b.srtcp_encryption() &&
                  a.srtp_authentication() && b.srtp_authentication(),
              cs + ": parameters differ (profile " + std::to_string(a.profile()) + " / " +
                  std::to_string(b.profile()) + ")");
        keys.push_back(std::move(a));
    }
    return keys;
}

// Key parameters of `key_id` valid from an hour before the T of the tests to 30 days after it
// (40-bit Unix seconds, TS 33.180 E.6.4, E.6.10).
mikey_mcptt_key_parameters timed_parameters(std::uint32_t key_id)
{
    const std::uint64_t unix_now = SW_MESSAGE_NTP_SECONDS - 2208988800u;
    mikey_mcptt_key_parameters parameters = mikey::mcptt_key_parameters(key_id);
    parameters.activation_time = unix_now - 3600;
    parameters.expiry_time = unix_now + 30 * 86400;
    return parameters;
}

// `from` sends `key` (ID `key_id`, timed_parameters) to `to`; returns the initiator, established.
mikey::session send_key(const mikey::config &from, std::uint32_t key_id, const bytes &key, const sw_user &to,
                        const std::optional<std::string> &group, const std::optional<std::string> &text,
                        bytes &message)
{
    mikey::session init = mikey::session::initiator(from);
    init.set_mcptt_key(key_id, key, timed_parameters(key_id), group, text);
    init.set_mcptt_peer(to.uri);
    message = init.create_message();
    CHECK(init.established(), "MIKEY-SAKKE initiator state " + state_text(init.current_state()));
    return init;
}

// A responder of `config` (expecting `sender`, unless nullptr) that takes `message`.
mikey::session receive(const mikey::config &config, const bytes &message, const sw_user *sender)
{
    mikey::session resp = mikey::session::responder(config);
    if (sender != nullptr) {
        resp.set_mcptt_peer(sender->uri, std::string(SW_KMS_URI));
    }
    CHECK(resp.process_message(message).empty(), "MIKEY-SAKKE has no answer");
    CHECK(resp.established(), "MIKEY-SAKKE responder state " + state_text(resp.current_state()));
    return resp;
}

void sakke_streamwide_message()
{
    mikey::config alice = sakke_config(SW_ALICE);
    mikey::session resp = receive(alice, unhex(SW_TEST1_GMK_MESSAGE), nullptr);
    mikey::mcptt_key key = resp.export_mcptt_key();
    CHECK(!key.empty() && key.key_len() == 16 && equals_hex(key.key(), key.key_len(), SW_TEST1_KEY),
          "the GMK differs");
    CHECK(key.key_id() == SW_TEST1_GMK_ID, "GMK-ID " + hex(key.key_id()));
    std::optional<mikey_mcptt_key_parameters> parameters = key.parameters();
    CHECK(parameters && parameters->status == MIKEY_MCPTT_STATUS_NOT_REVOKED && parameters->key_type == 0,
          "key parameters of a not revoked GMK");
    CHECK(resp.csb_id() == SW_TEST1_GUK_ID, "GUK-ID " + hex(resp.csb_id()));
    mikey::srtp_keys cs4 = resp.export_srtp(4);
    CHECK(equals_hex(cs4.master_key(), cs4.master_key_len(), SW_TEST1_CS4_MASTER_KEY), "CS 4 master key");
    CHECK(equals_hex(cs4.master_salt(), cs4.master_salt_len(), SW_TEST1_CS4_MASTER_SALT), "CS 4 master salt");
    CHECK(cs4.mki_len() == 8 && equals_hex(cs4.mki(), cs4.mki_len(), "0DF9BC3906A12AEA"),
          "the MKI is GMK-ID || GUK-ID: " + to_hex(cs4.mki(), cs4.mki_len()));
    CHECK(cs4.rcc_mode() == 3 && cs4.roc_transmission_rate() > 0,
          "RCCm3 (TS 33.179 E.2): mode " + std::to_string(cs4.rcc_mode()) + ", R " +
              std::to_string(cs4.roc_transmission_rate()));

    // The key: move-only, wiped when moved from and by wipe().
    mikey::mcptt_key moved(std::move(key));
    CHECK(key.empty() && all_zero(&key.c_struct(), sizeof key.c_struct()), "a moved-from mcptt_key is not wiped");
    CHECK(equals_hex(moved.key(), moved.key_len(), SW_TEST1_KEY), "the key did not move");
    moved.wipe();
    CHECK(moved.empty() && all_zero(&moved.c_struct(), sizeof moved.c_struct()), "wipe() left bytes");
}

void sakke_group_of_three()
{
    const bytes gmk = {0x5A, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const std::uint32_t gmk_id = 0x01234567u;
    const std::string group = "sip:group-7@streamwide.com", text = "group 7, first key";
    mikey::config gms = sakke_config(SW_GMS);
    for (const sw_user *member : {&SW_ALICE, &SW_BOB, &SW_IWF}) {
        const std::string who = member->uri;
        mikey::config member_config = sakke_config(*member);
        bytes message;
        mikey::session init = send_key(gms, gmk_id, gmk, *member, group, text, message);
        mikey::session resp = receive(member_config, message, &SW_GMS);

        mikey::mcptt_key key = resp.export_mcptt_key();
        CHECK(key.key_id() == gmk_id && key.key_len() == 16 && std::memcmp(key.key(), gmk.data(), 16) == 0,
              who + ": the GMK and its ID");
        const mikey_mcptt_key_parameters expected = timed_parameters(gmk_id);
        std::optional<mikey_mcptt_key_parameters> got = key.parameters();
        CHECK(got && got->key_type == 0 && got->status == MIKEY_MCPTT_STATUS_NOT_REVOKED &&
                  got->activation_time == expected.activation_time && got->expiry_time == expected.expiry_time,
              who + ": key parameters");
        if (CHECK(key.group_id_count() == 1, who + ": " + std::to_string(key.group_id_count()) + " group IDs")) {
            CHECK(resp.mcptt_group_id(0) == group, who + ": group \"" + resp.mcptt_group_id(0) + "\"");
        }
        mikey::error past = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)resp.mcptt_group_id(1));
        CHECK(past.function() == "mikey_session_mcptt_group_id" && past.detail() == resp.last_error(),
              "function \"" + past.function() + "\"");
        CHECK(resp.mcptt_key_text() == text, who + ": text \"" + resp.mcptt_key_text() + "\"");
        mikey::mcptt_key sent = init.export_mcptt_key();
        CHECK(sent.key_id() == gmk_id && std::memcmp(sent.key(), gmk.data(), 16) == 0, who + ": the sent key");
        std::uint32_t guk_id = mikey::mcptt_guk_id(gmk, gmk_id, member->uri);
        CHECK(resp.csb_id() == guk_id && init.csb_id() == guk_id, who + ": CSB ID " + hex(resp.csb_id()) +
                                                                      ", GUK-ID " + hex(guk_id));
        CHECK(mikey::mcptt_gmk_id(gmk, resp.csb_id(), member->uri) == gmk_id, who + ": GMK-ID back");
        CHECK(resp.peer_identity() == SW_GMS.uri, who + ": peer \"" + resp.peer_identity() + "\"");
        std::vector<mikey::srtp_keys> keys = expect_same_sakke_keys(init, resp, {4}, who);
        if (!keys.empty()) {
            CHECK(keys[0].rcc_mode() == 3 && keys[0].mki_len() == 8, who + ": RCCm3 and an 8-byte MKI");
        }
    }
}

void sakke_private_call()
{
    const bytes pck(16, 0x33);
    const std::uint32_t pck_id = 0x10000042u;
    // Alice to Bob, with SAKKE-to-self (a longer message; Bob ignores the extension), then Bob
    // to Alice, whose responder tolerates one key period.
    mikey::config alice = sakke_config(SW_ALICE), plain_alice = sakke_config(SW_ALICE);
    alice.set_sakke_to_self(true);
    mikey::config bob = sakke_config(SW_BOB);
    mikey::config alice_in = sakke_config(SW_ALICE);
    alice_in.set_key_period_tolerance(1);

    bytes to_bob, plain;
    mikey::session init = send_key(alice, pck_id, pck, SW_BOB, std::nullopt, std::nullopt, to_bob);
    mikey::session plain_init = send_key(plain_alice, pck_id, pck, SW_BOB, std::nullopt, std::nullopt, plain);
    CHECK(to_bob.size() > plain.size() + 200, "SAKKE-to-self adds no payload: " + std::to_string(to_bob.size()) +
                                                  " and " + std::to_string(plain.size()) + " bytes");
    mikey::session resp = receive(bob, to_bob, &SW_ALICE);
    CHECK(resp.mcptt_key_text().empty(), "a text without one sent");
    mikey::mcptt_key received = resp.export_mcptt_key();
    CHECK(received.key_id() == pck_id && received.group_id_count() == 0 && received.parameters() &&
              received.parameters()->key_type == 1,
          "PCK-ID " + hex(received.key_id()) + ", " + std::to_string(received.group_id_count()) + " group IDs");
    bytes cs_ids = resp.cs_ids();
    std::vector<mikey::srtp_keys> keys = expect_same_sakke_keys(init, resp, cs_ids, "Alice to Bob");
    CHECK(!keys.empty() && keys[0].mki_len() == 4 && equals_hex(keys[0].mki(), 4, "10000042"),
          "the MKI is the PCK-ID");
    CHECK(cs_ids.size() >= 2 && cs_ids[0] == 0 && cs_ids[1] == 1, "a PCK keys CS 0 and 1 (and up to 3)");

    bytes to_alice;
    mikey::session back = send_key(bob, pck_id + 1, pck, SW_ALICE, std::nullopt, std::nullopt, to_alice);
    mikey::session alice_resp = receive(alice_in, to_alice, &SW_BOB);
    expect_same_sakke_keys(back, alice_resp, alice_resp.cs_ids(), "Bob to Alice");
    CHECK(alice_resp.peer_identity() == SW_BOB.uri, "peer \"" + alice_resp.peer_identity() + "\"");
}

void sakke_refusals()
{
    const bytes gmk(16, 7);
    mikey::config gms = sakke_config(SW_GMS), alice = sakke_config(SW_ALICE), bob = sakke_config(SW_BOB);
    bytes message;
    mikey::session init = send_key(gms, 0x0000BEEFu, gmk, SW_ALICE, std::nullopt, std::nullopt, message);

    // Bob is not the receiver; then Alice takes it once, and a second time is a replay.
    mikey::session bob_resp = mikey::session::responder(bob);
    mikey::error not_bob = EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)bob_resp.process_message(message));
    CHECK(not_bob.detail() == bob_resp.last_error() && bob_resp.current_state() == mikey::state::idle,
          "detail \"" + not_bob.detail() + "\", state " + state_text(bob_resp.current_state()));
    // Alice expecting Bob as the sender refuses the GMS's message (identity hiding, 5.2.6).
    mikey::session expects_bob = mikey::session::responder(alice);
    expects_bob.set_mcptt_peer(SW_BOB.uri);
    EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)expects_bob.process_message(message));
    mikey::session first = receive(alice, message, &SW_GMS);
    mikey::session again = mikey::session::responder(alice);
    EXPECT_ERROR(MIKEY_ERR_REPLAY, (void)again.process_message(message));
    CHECK(again.current_state() == mikey::state::idle, "state " + state_text(again.current_state()));

    // Calls out of place.
    mikey::session idle = mikey::session::initiator(gms);
    mikey::error not_yet = EXPECT_ERROR(MIKEY_ERR_STATE, (void)idle.export_mcptt_key());
    CHECK(not_yet.function() == "mikey_session_mcptt_key" && not_yet.detail() == idle.last_error(),
          "function \"" + not_yet.function() + "\"");
    EXPECT_ERROR(MIKEY_ERR_STATE, (void)idle.mcptt_key_text());
    EXPECT_ERROR(MIKEY_ERR_STATE, (void)idle.mcptt_group_id(0));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, idle.set_mcptt_key(0x10000001u, bytes(15, 1))); // not 16 bytes
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, idle.set_mcptt_peer(""));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)idle.create_message()); // no key, no peer
    mikey::session responder = mikey::session::responder(gms);
    EXPECT_ERROR(MIKEY_ERR_STATE, responder.set_mcptt_key(0x10000001u, gmk));
    mikey::config psk = mikey::config::psk(psk_bytes);
    mikey::session psk_session = mikey::session::initiator(psk);
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, psk_session.set_mcptt_peer(SW_BOB.uri));

    // Setters: a second community of the same KMS, keys that are not the user's, a tolerance
    // of two periods, a document that is not a KMS response.
    mikey::config fresh = sakke_community_config();
    mikey::error twice = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT,
                                      fresh.add_kms_community(SW_KMS_URI, unhex(SW_KMS_Z), unhex(SW_KMS_KPAK),
                                                              SW_KEY_PERIOD_SECS, SW_KEY_PERIOD_OFFSET_SECS));
    CHECK(twice.function() == "mikey_config_add_kms_community" && twice.detail() == fresh.last_error(),
          "function \"" + twice.function() + "\"");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, fresh.add_user_key_set(SW_KMS_URI, SW_ALICE.uri, 236, unhex(SW_BOB.rsk),
                                                                    unhex(SW_BOB.ssk), unhex(SW_BOB.pvt)));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, fresh.set_key_period_tolerance(2));
    EXPECT_ERROR(MIKEY_ERR_MALFORMED, fresh.add_kms_xml(std::string("<x/>")));
    EXPECT_ERROR(MIKEY_ERR_STATE, alice.set_sakke_to_self(true)); // frozen
}

// A KmsResponse around `message` (TS 33.180 Annex D).
std::string kms_response(const std::string &message)
{
    return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                       "<KmsResponse xmlns=\"urn:3gpp:ns:mcsecKMSInterface:1.0\"><UserUri>") +
           SW_ALICE.uri + "</UserUri><KmsUri>" + SW_KMS_URI +
           "</KmsUri><Time>2026-12-03T12:00:00</Time>"
           "<ClientReqUrl>https://kms.example/keymanagement/identity/v1/init</ClientReqUrl><KmsMessage>" +
           message + "</KmsMessage></KmsResponse>";
}

void sakke_from_kms_xml()
{
    mikey::config config(mikey::method::sakke);
    config.set_clock(cpp_test_clock, &sakke_now);
    config.add_kms_xml(kms_response(
        std::string("<KmsInit Version=\"1.0.0\"><KmsCertificate Version=\"1.1.0\" Role=\"Root\"><KmsUri>") +
        SW_KMS_URI + "</KmsUri><UserIdFormat>2</UserIdFormat><UserKeyPeriod>" + std::to_string(SW_KEY_PERIOD_SECS) +
        "</UserKeyPeriod><UserKeyOffset>" + std::to_string(SW_KEY_PERIOD_OFFSET_SECS) + "</UserKeyOffset><PubEncKey>" +
        SW_KMS_Z + "</PubEncKey><PubAuthKey>" + SW_KMS_KPAK + "</PubAuthKey></KmsCertificate></KmsInit>"));
    std::array<std::uint8_t, MIKEY_MCPTT_UID_LEN> uid = mikey::mcptt_uid(
        SW_ALICE.uri, SW_KMS_URI, SW_KEY_PERIOD_SECS, SW_KEY_PERIOD_OFFSET_SECS, SW_ALICE.key_period_number);
    auto key_prov = [](const std::string &user_id) {
        return kms_response(std::string("<KmsKeyProv Version=\"1.0.0\"><KmsKeySet Version=\"1.1.0\"><KmsUri>") +
                            SW_KMS_URI + "</KmsUri><UserUri>" + SW_ALICE.uri + "</UserUri><UserID>" + user_id +
                            "</UserID><KeyPeriodNo>" + std::to_string(SW_ALICE.key_period_number) +
                            "</KeyPeriodNo><UserDecryptKey>" + SW_ALICE.rsk + "</UserDecryptKey><UserSigningKeySSK>" +
                            SW_ALICE.ssk + "</UserSigningKeySSK><UserPubTokenPVT>" + SW_ALICE.pvt +
                            "</UserPubTokenPVT></KmsKeySet></KmsKeyProv>");
    };
    // A key set whose UserID is another UID is refused, and adds nothing.
    std::string user_id = to_hex(uid.data(), uid.size()), wrong = user_id;
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    mikey::error other_uid = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, config.add_kms_xml(key_prov(wrong)));
    CHECK(other_uid.function() == "mikey_config_add_kms_xml", "function \"" + other_uid.function() + "\"");
    config.add_kms_xml(key_prov(user_id));

    mikey::session resp = receive(config, unhex(SW_TEST1_GMK_MESSAGE), nullptr);
    mikey::mcptt_key key = resp.export_mcptt_key();
    CHECK(equals_hex(key.key(), key.key_len(), SW_TEST1_KEY), "the GMK, with the keys from the XML");
    mikey::srtp_keys cs4 = resp.export_srtp(4);
    CHECK(equals_hex(cs4.master_key(), cs4.master_key_len(), SW_TEST1_CS4_MASTER_KEY), "CS 4 master key");
}

} // namespace

int main()
{
    run("pk", test_pk);
    run("rsa_r", test_rsa_r);
    run("dh_hmac", test_dh_hmac);
    run("policies", test_policies);
    run("clock", test_clock);
    run("mcptt_helpers", test_mcptt_helpers);
    run("sakke_streamwide_message", sakke_streamwide_message);
    run("sakke_group_of_three", sakke_group_of_three);
    run("sakke_private_call", sakke_private_call);
    run("sakke_refusals", sakke_refusals);
    run("sakke_from_kms_xml", sakke_from_kms_xml);
    return finish("cpp_methods");
}
