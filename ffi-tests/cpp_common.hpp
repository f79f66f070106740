// SPDX-License-Identifier: Apache-2.0 OR MIT
//
// Shared helpers of the C++ tests of the binding (cpp_exchange.cpp, cpp_methods.cpp), built on
// mikey.hpp alone: checks that report file:line and keep going, an expected mikey::error, the
// test PKI of tests/pki (MIKEY_TEST_PKI_DIR), and the comparison of the SRTP keys both ends of
// an exchange export.
#ifndef MIKEY_CPP_COMMON_HPP
#define MIKEY_CPP_COMMON_HPP

#include "mikey.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#ifndef MIKEY_TEST_PKI_DIR
#error "MIKEY_TEST_PKI_DIR must name tests/pki"
#endif

// The clock of the tests: the NTP time the user_data points to (a std::uint64_t), read at each
// call; for config::set_clock and kms::set_clock.
extern "C" inline std::uint64_t cpp_test_clock(void *user_data)
{
    return *static_cast<const std::uint64_t *>(user_data);
}

namespace cpp_test {

using bytes = std::vector<std::uint8_t>;

/// The number of failed checks so far.
inline unsigned long failures = 0;

/// Returns `passed`; counts and reports a failure.
inline bool check(bool passed, const char *file, int line, const char *expr, const std::string &detail)
{
    if (!passed) {
        ++failures;
        std::fprintf(stderr, "%s:%d: CHECK FAILED: %s: %s\n", file, line, expr, detail.c_str());
        std::fflush(stderr);
    }
    return passed;
}

#define CHECK(cond, detail) ::cpp_test::check((cond), __FILE__, __LINE__, #cond, (detail))

/// Runs `body`, which must throw a mikey::error with `expected` as code, a non-empty detail and
/// what(), naming a C function. Returns the error (empty response when none was thrown).
template <typename Body>
mikey::error expect_error(const char *file, int line, const char *expr, mikey_result expected, Body &&body)
{
    try {
        body();
    } catch (const mikey::error &e) {
        check(e.code() == expected, file, line, expr,
              "code " + std::to_string(e.code()) + " (" + mikey::result_str(e.code()) + "), expected " +
                  std::to_string(expected) + "; " + e.what());
        check(!e.detail().empty(), file, line, expr, "empty detail");
        check(e.what() != nullptr && std::strlen(e.what()) > e.function().size() + e.detail().size(), file, line,
              expr, "what() lacks the function or detail");
        check(e.function().rfind("mikey", 0) == 0, file, line, expr, "function \"" + e.function() + "\"");
        return e;
    }
    check(false, file, line, expr, "no mikey::error thrown");
    return mikey::error(MIKEY_OK, "none", "not thrown");
}

#define EXPECT_ERROR(expected, ...) \
    ::cpp_test::expect_error(__FILE__, __LINE__, #__VA_ARGS__, (expected), [&]() { __VA_ARGS__; })

inline std::string hex(std::uint32_t value)
{
    char text[16];
    std::snprintf(text, sizeof text, "0x%08lx", static_cast<unsigned long>(value));
    return text;
}

inline std::string state_text(mikey::state s)
{
    return std::to_string(static_cast<unsigned>(s));
}

/// The bytes of tests/pki/<name>.
inline std::string read_pki(const std::string &name)
{
    std::string path = std::string(MIKEY_TEST_PKI_DIR) + "/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot open " + path);
    }
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline bool all_zero(const void *p, std::size_t n)
{
    const unsigned char *b = static_cast<const unsigned char *>(p);
    for (std::size_t i = 0; i < n; ++i) {
        if (b[i] != 0) {
            return false;
        }
    }
    return true;
}

/// Lengths a profile implies (RFC 3711, RFC 7714).
inline void expect_profile(const mikey::srtp_keys &k, std::uint32_t profile, const std::string &what)
{
    std::size_t key_len = profile == 7 ? 16 : profile == 8 ? 32 : 16;
    std::size_t salt_len = profile == 7 || profile == 8 ? 12 : 14;
    std::uint32_t tag_len = profile == 7 || profile == 8 ? 16 : profile == 2 ? 4 : 10;
    CHECK(k.profile() == profile, what + ": profile " + std::to_string(k.profile()));
    CHECK(k.master_key_len() == key_len, what + ": master key of " + std::to_string(k.master_key_len()) + " bytes");
    CHECK(k.master_salt_len() == salt_len, what + ": master salt of " + std::to_string(k.master_salt_len()) + " bytes");
    CHECK(k.cipher_key_len() == key_len && k.auth_tag_len() == tag_len, what + ": cipher key / tag lengths");
    CHECK(k.srtp_encryption() && k.srtcp_encryption() && k.srtp_authentication(), what + ": protection off");
    CHECK(!all_zero(k.master_key(), k.master_key_len()), what + ": all-zero master key");
}

/// Both ends export `streams` crypto sessions (CS 1..n) with identical keys and the expected
/// SSRCs/ROCs; returns the initiator's keys.
inline std::vector<mikey::srtp_keys> expect_same_keys(const mikey::session &init, const mikey::session &resp,
                                                      const std::vector<std::pair<std::uint32_t, std::uint32_t>> &streams,
                                                      std::uint32_t profile)
{
    std::vector<mikey::srtp_keys> a = init.export_all_srtp();
    std::vector<mikey::srtp_keys> b = resp.export_all_srtp();
    if (!CHECK(a.size() == streams.size() && b.size() == streams.size(),
               "exported " + std::to_string(a.size()) + " and " + std::to_string(b.size()) + " crypto sessions")) {
        return a;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        std::string what = "CS " + std::to_string(i + 1);
        CHECK(a[i] == b[i], what + ": the two ends export different keys or parameters");
        // Byte by byte too, so that a wrong operator== cannot hide a difference.
        CHECK(a[i].master_key_len() == b[i].master_key_len() &&
                  std::memcmp(a[i].master_key(), b[i].master_key(), a[i].master_key_len()) == 0 &&
                  a[i].master_salt_len() == b[i].master_salt_len() &&
                  std::memcmp(a[i].master_salt(), b[i].master_salt(), a[i].master_salt_len()) == 0,
              what + ": master key or salt differ");
        CHECK(a[i].cs_id() == i + 1 && b[i].cs_id() == i + 1,
              what + ": exported as CS " + std::to_string(a[i].cs_id()));
        CHECK(a[i].ssrc() == streams[i].first && b[i].ssrc() == streams[i].first,
              what + ": SSRC " + hex(a[i].ssrc()) + " / " + hex(b[i].ssrc()) + ", expected " + hex(streams[i].first));
        CHECK(a[i].roc() == streams[i].second && b[i].roc() == streams[i].second,
              what + ": ROC " + std::to_string(a[i].roc()));
        CHECK(a[i].ssrc_type() == MIKEY_SSRC_SPECIFIC, what + ": SSRC type " + std::to_string(a[i].ssrc_type()));
        expect_profile(a[i], profile, what);
        // Each crypto session has its own key; operator== sees it.
        for (std::size_t j = 0; j < i; ++j) {
            CHECK(a[i] != a[j], what + " and CS " + std::to_string(j + 1) + " compare equal");
            CHECK(std::memcmp(a[i].master_key(), a[j].master_key(), a[i].master_key_len()) != 0,
                  what + " and CS " + std::to_string(j + 1) + " have the same master key");
        }
        // copy_key_and_salt gives what libsrtp takes: key || salt.
        std::uint8_t key_and_salt[46] = {0};
        std::size_t n = a[i].copy_key_and_salt(key_and_salt, sizeof key_and_salt);
        CHECK(n == a[i].master_key_len() + a[i].master_salt_len() &&
                  std::memcmp(key_and_salt, a[i].master_key(), a[i].master_key_len()) == 0 &&
                  std::memcmp(key_and_salt + a[i].master_key_len(), a[i].master_salt(), a[i].master_salt_len()) == 0,
              what + ": copy_key_and_salt");
        mikey::detail::secure_wipe(key_and_salt, sizeof key_and_salt);
    }
    return a;
}

/// Runs one test function, turning an unexpected exception into a failure; prints its verdict.
inline void run(const char *name, void (*test)())
{
    unsigned long before = failures;
    try {
        test();
    } catch (const mikey::error &e) {
        check(false, __FILE__, __LINE__, name, std::string("unexpected mikey::error: ") + e.what());
    } catch (const std::exception &e) {
        check(false, __FILE__, __LINE__, name, std::string("unexpected exception: ") + e.what());
    }
    std::printf("%s: %s\n", name, failures == before ? "ok" : "FAILED");
}

/// Prints "<program>: PASS" or "<program>: FAIL (N failed checks)"; the exit code.
inline int finish(const char *program)
{
    if (failures != 0) {
        std::printf("%s: FAIL (%lu failed check%s)\n", program, failures, failures == 1 ? "" : "s");
        return 1;
    }
    std::printf("%s: PASS\n", program);
    return 0;
}

} // namespace cpp_test

#endif // MIKEY_CPP_COMMON_HPP
