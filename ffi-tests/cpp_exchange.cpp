// SPDX-License-Identifier: Apache-2.0 OR MIT
//
// The C++17 binding (bindings/cpp/mikey.hpp) against libmikey, using nothing but the binding:
// - a PSK exchange (V requested, GCM profile, identities), the I_MESSAGE carried through SDP and
//   the R_MESSAGE through an RTSP KeyMgmt header, then a re-keying exchange;
// - a DH-SIGN exchange with the test PKI of tests/pki, the responder filling an SSRC 0
//   placeholder and signing with RSA-PSS, the waiting initiator forked;
// - in both, the two sides export identical SRTP keys (compared field by field and byte by byte);
// - failures raise mikey::error with the expected code, a non-empty text and, for a refused
//   policy, the error message to send back;
// - config, session and srtp_keys move semantics: a moved-from owner is empty, refuses calls,
//   and its destructor is harmless; moved-from and destroyed keys are wiped.
// Each check reports file:line and the test exits non-zero when any failed.
#include "cpp_common.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// The ownership rules, checked at compile time.
static_assert(!std::is_copy_constructible_v<mikey::config> && !std::is_copy_assignable_v<mikey::config>,
              "config is move-only");
static_assert(!std::is_copy_constructible_v<mikey::session> && !std::is_copy_assignable_v<mikey::session>,
              "session is move-only");
static_assert(!std::is_copy_constructible_v<mikey::srtp_keys> && !std::is_copy_assignable_v<mikey::srtp_keys>,
              "srtp_keys is move-only");
static_assert(std::is_nothrow_move_constructible_v<mikey::config> && std::is_nothrow_move_assignable_v<mikey::config>,
              "config moves without throwing");
static_assert(std::is_nothrow_move_constructible_v<mikey::session> &&
                  std::is_nothrow_move_assignable_v<mikey::session>,
              "session moves without throwing");
static_assert(std::is_nothrow_move_constructible_v<mikey::srtp_keys> &&
                  std::is_nothrow_move_assignable_v<mikey::srtp_keys>,
              "srtp_keys moves without throwing");
static_assert(std::is_base_of_v<std::runtime_error, mikey::error>, "mikey::error is a std::runtime_error");

namespace {

using namespace cpp_test;

const bytes psk_bytes = {0x6d, 0x69, 0x6b, 0x65, 0x79, 0x2d, 0x63, 0x70, 0x70, 0x2d, 0x74,
                        0x65, 0x73, 0x74, 0x2d, 0x70, 0x73, 0x6b, 0x00, 0x01, 0x02, 0x03,
                        0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d};

// ---- PSK ----------------------------------------------------------------------------------------

void test_psk()
{
    const std::string alice_id = "sip:alice@example.com", bob_id = "sip:bob@example.com";
    const std::string stream_uri = "rtsp://camera.example.com/stream";
    const std::vector<std::pair<std::uint32_t, std::uint32_t>> streams = {{0x11223344u, 5}, {0x55667788u, 0}};

    mikey::config alice = mikey::config::psk(psk_bytes);
    alice.set_identities(alice_id, bob_id);
    alice.set_request_verification(true);
    alice.set_srtp_profile(7); // AEAD_AES_128_GCM
    CHECK(alice.last_error().empty(), "config last_error after success: \"" + alice.last_error() + "\"");
    mikey::config bob = mikey::config::psk(psk_bytes);
    bob.set_identities(bob_id, alice_id);

    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    CHECK(init.current_state() == mikey::state::idle, "initiator state " + state_text(init.current_state()));
    for (std::size_t i = 0; i < streams.size(); ++i) {
        std::uint8_t cs = init.add_srtp_stream(streams[i].first, streams[i].second);
        CHECK(cs == i + 1, "stream " + std::to_string(i) + " got CS ID " + std::to_string(cs));
    }
    CHECK(init.cs_count() == streams.size() && init.cs_ids() == bytes({1, 2}), "initiator CS IDs");

    bytes i_message = init.create_message();
    CHECK(!i_message.empty() && i_message.size() <= MIKEY_MAX_MESSAGE_LEN,
          "I_MESSAGE of " + std::to_string(i_message.size()) + " bytes");
    CHECK(init.current_state() == mikey::state::wait_response, "initiator state " + state_text(init.current_state()));

    // The offer travels in SDP (RFC 4567).
    std::string attribute = mikey::sdp_key_mgmt_encode(i_message);
    CHECK(attribute.rfind("mikey ", 0) == 0, "SDP value \"" + attribute + "\"");
    CHECK(mikey::sdp_key_mgmt_decode("a=key-mgmt:" + attribute) == i_message, "SDP round trip");

    bytes r_message = resp.process_message(mikey::sdp_key_mgmt_decode(attribute));
    CHECK(!r_message.empty(), "no R_MESSAGE although V was requested");
    CHECK(resp.established(), "responder state " + state_text(resp.current_state()));
    CHECK(resp.last_error().empty(), "session last_error after success: \"" + resp.last_error() + "\"");

    // The answer travels in an RTSP KeyMgmt header.
    std::string header = mikey::rtsp_key_mgmt_encode(r_message, stream_uri);
    CHECK(header.rfind("prot=mikey", 0) == 0, "KeyMgmt value \"" + header + "\"");
    CHECK(mikey::rtsp_key_mgmt_count(header) == 1, "KeyMgmt count");
    CHECK(mikey::rtsp_key_mgmt_uri(header, 0) == stream_uri,
          "KeyMgmt uri \"" + mikey::rtsp_key_mgmt_uri(header) + "\"");
    CHECK(mikey::rtsp_key_mgmt_uri(mikey::rtsp_key_mgmt_encode(r_message)).empty(), "KeyMgmt without uri");

    bytes nothing = init.process_message(mikey::rtsp_key_mgmt_decode(header, 0));
    CHECK(nothing.empty(), "the initiator answers the R_MESSAGE with " + std::to_string(nothing.size()) + " bytes");
    CHECK(init.established(), "initiator state " + state_text(init.current_state()));

    std::vector<mikey::srtp_keys> first = expect_same_keys(init, resp, streams, 7);
    CHECK(init.csb_id() == resp.csb_id(), "CSB IDs " + hex(init.csb_id()) + " and " + hex(resp.csb_id()));
    CHECK(init.peer_identity() == bob_id, "initiator's peer \"" + init.peer_identity() + "\"");
    CHECK(resp.peer_identity() == alice_id, "responder's peer \"" + resp.peer_identity() + "\"");
    CHECK(init.peer_certificate().empty(), "a PSK peer with a certificate");

    // Re-keying on the established CSB: new keys, the same on both ends.
    bytes update = init.create_message();
    bytes update_answer = resp.process_message(update);
    CHECK(!update_answer.empty(), "no R_MESSAGE for the update");
    CHECK(init.process_message(update_answer).empty(), "the initiator answers the update's R_MESSAGE");
    std::vector<mikey::srtp_keys> second = expect_same_keys(init, resp, streams, 7);
    if (CHECK(first.size() == 2 && second.size() == 2, "keys before and after re-keying")) {
        CHECK(first[0] != second[0] &&
                  std::memcmp(first[0].master_key(), second[0].master_key(), first[0].master_key_len()) != 0,
              "re-keying kept the master key");
    }
}

// ---- DH-SIGN ------------------------------------------------------------------------------------

mikey::config signer(const std::string &who, const std::string &peer_id)
{
    mikey::config c = mikey::config::dh_sign();
    c.set_certificate_chain(read_pki(who + ".crt.pem") + read_pki("intermediate.crt.pem"));
    c.set_private_key(read_pki(who + ".key.pem"));
    c.add_trust_anchor(read_pki("root.crt.pem"));
    c.set_identities(std::nullopt, peer_id);
    return c;
}

void test_dh_sign()
{
    const std::uint32_t bob_ssrc = 0x7B7B7B7Bu;
    mikey::config alice = signer("alice", "sip:bob@example.com");
    mikey::config bob = signer("bob", "sip:alice@example.com");
    bob.set_signature_scheme(mikey::signature_scheme::pss_sha256);

    mikey::session init = mikey::session::initiator(alice);
    mikey::session resp = mikey::session::responder(bob);
    init.add_srtp_stream(0x5E5E0000u, 9);
    init.add_srtp_stream(0, 0);               // Bob's stream: he fills in its SSRC (RFC 3830 §6.1.1)
    resp.add_srtp_stream(bob_ssrc, 0);

    EXPECT_ERROR(MIKEY_ERR_STATE, (void)init.fork()); // nothing sent yet
    bytes i_message = init.create_message();
    CHECK(init.current_state() == mikey::state::wait_response, "initiator state " + state_text(init.current_state()));
    // SIP forking: a fork waits for another answer to the same offer.
    mikey::session fork = init.fork();
    CHECK(static_cast<bool>(fork) && fork.get() != init.get() && fork.current_state() == mikey::state::wait_response,
          "fork state " + state_text(fork.current_state()));
    bytes r_message = resp.process_message(i_message);
    CHECK(!r_message.empty(), "no DH-SIGN R_MESSAGE");
    CHECK(resp.established(), "responder state " + state_text(resp.current_state()));
    bytes nothing = init.process_message(r_message);
    CHECK(nothing.empty(), "the initiator answers the R_MESSAGE");
    CHECK(init.established(), "initiator state " + state_text(init.current_state()));

    expect_same_keys(init, resp, {{0x5E5E0000u, 9}, {bob_ssrc, 0}}, 1);
    CHECK(init.csb_id() == resp.csb_id(), "CSB IDs " + hex(init.csb_id()) + " and " + hex(resp.csb_id()));
    CHECK(init.peer_identity() == "sip:bob@example.com", "initiator's peer \"" + init.peer_identity() + "\"");
    CHECK(resp.peer_identity() == "sip:alice@example.com", "responder's peer \"" + resp.peer_identity() + "\"");
    bytes der = init.peer_certificate();
    CHECK(der.size() > 4 && der[0] == 0x30 && der[1] == 0x82, "peer certificate of " + std::to_string(der.size()) +
                                                                  " bytes is not DER");
}

// ---- errors -------------------------------------------------------------------------------------

void test_errors()
{
    mikey::config config = mikey::config::psk(psk_bytes);
    config.set_request_verification(true);
    mikey::session init = mikey::session::initiator(config);
    mikey::session resp = mikey::session::responder(config);
    mikey::session late = mikey::session::responder(config);

    // Setters of a frozen config, and refused values, say why.
    EXPECT_ERROR(MIKEY_ERR_STATE, config.set_accepted_profiles({1}));
    mikey::error short_psk = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::config::psk(bytes(8, 0x42)));
    CHECK(short_psk.function() == "mikey_config_set_psk", "function \"" + short_psk.function() + "\"");
    mikey::config fresh(mikey::method::psk);
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, fresh.set_replay_window(0));
    CHECK(!fresh.last_error().empty(), "config last_error empty after a refused setter");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, fresh.set_identities(std::string("sip:a\0b", 7), std::nullopt));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::session::initiator(fresh)); // no PSK

    // Calls that do not fit the state.
    EXPECT_ERROR(MIKEY_ERR_STATE, (void)resp.create_message());
    EXPECT_ERROR(MIKEY_ERR_STATE, (void)init.export_srtp(1));
    EXPECT_ERROR(MIKEY_ERR_STATE, (void)init.csb_id());

    // A junk datagram: refused, no response, the session unchanged.
    mikey::error junk = EXPECT_ERROR(MIKEY_ERR_MALFORMED, (void)resp.process_message(bytes{0x01, 0x00, 0x42}));
    CHECK(junk.function() == "mikey_session_process_message", "function \"" + junk.function() + "\"");
    CHECK(junk.response().empty(), "junk got a response");
    CHECK(resp.current_state() == mikey::state::idle, "state " + state_text(resp.current_state()) + " after junk");
    // The text is the session's own (mikey_session_last_error), not only the code's description.
    CHECK(junk.detail() == resp.last_error() && junk.detail() != mikey::result_str(MIKEY_ERR_MALFORMED),
          "detail \"" + junk.detail() + "\", last_error \"" + resp.last_error() + "\"");

    init.add_srtp_stream(0xABCD0001u, 0);
    bytes i_message = init.create_message();

    // A tampered I_MESSAGE (its MAC, at the end): authentication fails, nothing changes.
    bytes tampered = i_message;
    tampered.back() ^= 0x01;
    EXPECT_ERROR(MIKEY_ERR_AUTH_FAILED, (void)resp.process_message(tampered));
    CHECK(resp.current_state() == mikey::state::idle, "state " + state_text(resp.current_state()) + " after tampering");

    // The genuine one is accepted; the same message again, on another session of the config,
    // is a replay.
    bytes r_message = resp.process_message(i_message);
    CHECK(resp.established(), "responder state " + state_text(resp.current_state()));
    EXPECT_ERROR(MIKEY_ERR_REPLAY, (void)late.process_message(i_message));
    CHECK(init.process_message(r_message).empty(), "the initiator answers the R_MESSAGE");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)init.export_srtp(9)); // no CS 9

    // A refused policy: the error carries the error message for the peer, and the initiator
    // learns from it that the peer refused.
    mikey::config weak = mikey::config::psk(psk_bytes);
    weak.set_request_verification(true);
    weak.set_srtp_profile(5); // NULL cipher: not accepted by default
    mikey::config strict = mikey::config::psk(psk_bytes);
    mikey::session offerer = mikey::session::initiator(weak);
    mikey::session refuser = mikey::session::responder(strict);
    offerer.add_srtp_stream(0xABCD0002u, 0);
    bytes offer = offerer.create_message();
    mikey::error refused = EXPECT_ERROR(MIKEY_ERR_POLICY, (void)refuser.process_message(offer));
    if (CHECK(!refused.response().empty(), "no error message for a refused policy")) {
        EXPECT_ERROR(MIKEY_ERR_PEER_ERROR, (void)offerer.process_message(refused.response()));
        CHECK(!offerer.established(), "established by an error message");
    }
    CHECK(refuser.current_state() == mikey::state::idle, "state " + state_text(refuser.current_state()));

    // The helpers without a session use mikey_result_str's text.
    mikey::error sdp = EXPECT_ERROR(MIKEY_ERR_MALFORMED, mikey::sdp_key_mgmt_decode("mikey !!!notbase64"));
    CHECK(sdp.detail() == mikey::result_str(MIKEY_ERR_MALFORMED), "detail \"" + sdp.detail() + "\"");
    EXPECT_ERROR(MIKEY_ERR_UNSUPPORTED, mikey::sdp_key_mgmt_decode("a=key-mgmt:other AQID"));
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, mikey::rtsp_key_mgmt_decode("prot=mikey; data=\"AQID\"", 1));

    // It is a std::runtime_error to generic handlers.
    try {
        (void)late.create_message();
        CHECK(false, "a responder created a message");
    } catch (const std::runtime_error &e) {
        CHECK(std::strstr(e.what(), "mikey_session_create_message") != nullptr, std::string("what() \"") + e.what() +
                                                                                     "\"");
    }
}

// ---- moves --------------------------------------------------------------------------------------

void test_moves()
{
    // config: construction and assignment leave the source empty.
    mikey::config a = mikey::config::psk(psk_bytes);
    mikey_config *handle = a.get();
    CHECK(handle != nullptr && static_cast<bool>(a), "no config handle");
    mikey::config b(std::move(a));
    CHECK(!a && a.get() == nullptr && b.get() == handle, "config move construction");
    mikey::error empty_config = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, a.set_request_verification(true));
    CHECK(empty_config.detail() == "invalid config", "detail \"" + empty_config.detail() + "\"");
    mikey::config c = mikey::config::null_method();
    c = std::move(b); // frees c's own handle (the sanitizer and valgrind builds see a leak or double free)
    CHECK(!b && c.get() == handle, "config move assignment");
    c.set_request_verification(true);

    // session: the same, and the moved-from one refuses every call.
    mikey::session s = mikey::session::initiator(c);
    mikey_session *session_handle = s.get();
    mikey::session t(std::move(s));
    CHECK(!s && s.get() == nullptr && t.get() == session_handle, "session move construction");
    CHECK(s.current_state() == mikey::state::invalid, "moved-from state " + state_text(s.current_state()));
    CHECK(s.cs_count() == 0, "moved-from cs_count");
    EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)s.add_srtp_stream(1, 0));
    mikey::error empty_session = EXPECT_ERROR(MIKEY_ERR_INVALID_ARGUMENT, (void)s.create_message());
    CHECK(empty_session.detail() == "invalid session", "detail \"" + empty_session.detail() + "\"");
    mikey::session u = mikey::session::responder(c);
    u = std::move(t); // frees the responder
    CHECK(!t && u.get() == session_handle, "session move assignment");
    u.add_srtp_stream(0x0101CAFEu, 0);

    // release and adopt hand the handle over without freeing it.
    mikey_session *raw = u.release();
    CHECK(!u && raw == session_handle, "release");
    mikey::session v = mikey::session::adopt(raw);
    CHECK(v.get() == raw, "adopt");

    // Sessions in a vector survive its reallocations.
    std::vector<mikey::session> many;
    for (int i = 0; i < 9; ++i) {
        many.push_back(mikey::session::responder(c));
    }
    many.insert(many.begin(), std::move(v));
    CHECK(many.front().get() == raw && !v, "session moved into a vector");
    bytes offer = many.front().create_message();
    bytes answer = many.back().process_message(offer);
    CHECK(many.front().process_message(answer).empty() && many.front().established() && many.back().established(),
          "an exchange between sessions kept in a vector");

    // srtp_keys: a move wipes the source; wipe() and the destructor wipe every byte.
    mikey::srtp_keys k = many.front().export_srtp(1);
    mikey::srtp_keys reference = many.back().export_srtp(1);
    CHECK(!k.empty() && k == reference, "exported keys");
    mikey::srtp_keys moved(std::move(k));
    CHECK(k.empty() && all_zero(&k.c_struct(), sizeof k.c_struct()), "a moved-from srtp_keys is not wiped");
    CHECK(moved == reference, "the keys did not move");
    mikey::srtp_keys assigned = many.back().export_srtp(1);
    assigned = std::move(moved);
    CHECK(moved.empty() && all_zero(&moved.c_struct(), sizeof moved.c_struct()) && assigned == reference,
          "srtp_keys move assignment");
    assigned.wipe();
    CHECK(assigned.empty() && all_zero(&assigned.c_struct(), sizeof assigned.c_struct()), "wipe() left bytes");

    // The destructor: keys in storage of our own, destroyed explicitly, leave only zeros.
    alignas(mikey::srtp_keys) unsigned char storage[sizeof(mikey::srtp_keys)];
    mikey::srtp_keys *placed = new (storage) mikey::srtp_keys(many.back().export_srtp(1));
    CHECK(*placed == reference && !all_zero(storage, sizeof storage), "keys in storage");
    placed->~srtp_keys();
    CHECK(all_zero(storage, sizeof storage), "the destructor left key bytes");

    // A moved-from config or session destroyed early, and twice-moved objects: harmless.
    {
        mikey::config gone = mikey::config::null_method();
        mikey::config keeper(std::move(gone));
        mikey::session s1 = mikey::session::responder(keeper);
        mikey::session s2(std::move(s1));
        mikey::session s3(std::move(s2));
        CHECK(!s1 && !s2 && static_cast<bool>(s3), "chained session moves");
    }
    mikey::config empty = mikey::config::adopt(nullptr);
    CHECK(!empty, "adopt(nullptr) is empty");
    empty.reset();
    CHECK(!empty, "reset of an empty config");
}

// ---- misc ---------------------------------------------------------------------------------------

void test_version()
{
    std::string expected = std::to_string(MIKEY_VERSION_MAJOR) + "." + std::to_string(MIKEY_VERSION_MINOR) + "." +
                           std::to_string(MIKEY_VERSION_PATCH);
    CHECK(mikey::version() == expected, "version \"" + mikey::version() + "\", header " + expected);
    mikey_srtp_policy policy = mikey::default_srtp_policy();
    CHECK(policy.srtp_encryption == -1 && policy.key_derivation_rate == -1, "default policy");
}

} // namespace

int main()
{
    run("version", test_version);
    run("psk", test_psk);
    run("dh_sign", test_dh_sign);
    run("errors", test_errors);
    run("moves", test_moves);
    return finish("cpp_exchange");
}
