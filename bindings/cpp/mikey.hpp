// SPDX-License-Identifier: Apache-2.0 OR MIT
//
// mikey.hpp: a header-only C++17 binding of libmikey's C API (include/mikey.h).
//
// - mikey::config and mikey::session own a mikey_config / mikey_session handle, mikey::kms a
//   MIKEY-TICKET mikey_kms (RAII, move-only); every fallible C call is checked and a failure
//   throws mikey::error, which carries the mikey_result code and the library's last-error text.
// - Messages are std::vector<uint8_t>; text (URIs, SDP and RTSP values) is std::string.
//   Credentials and messages can also be passed as pointer + size.
// - mikey::srtp_keys (and mikey::mcptt_key) hold exported secrets: move-only, wiped with
//   volatile writes when destroyed or moved from, never printed.
//
// Nothing here adds behaviour to the library: each member wraps the C function its comment
// names, whose documentation in mikey.h holds (threads, freezing of configs, states). Only
// what mikey.h declares is called. Link with libmikey as for C (Mikey::mikey, pkg-config).
#ifndef MIKEY_HPP
#define MIKEY_HPP

#include <mikey.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mikey {

// ---- errors ---------------------------------------------------------------------------------

/// A failed libmikey call. `code()` is the C function's mikey_result (MIKEY_ERR_*), `detail()`
/// the library's text for it (mikey_session_last_error / mikey_config_last_error /
/// mikey_kms_last_error, copied at once; mikey_result_str for the calls without one),
/// `function()` the C function, and `response()` the bytes to send back to the peer when the
/// failure came with one (an error message of RFC 3830 §5.1.2 from
/// mikey_session_process_message / _take_response, or of RFC 6043 §5.4 from
/// mikey_kms_process_message). Errors the binding finds itself (a NUL byte inside a string
/// argument) use MIKEY_ERR_INVALID_ARGUMENT.
class error : public std::runtime_error {
public:
    /// An error of `function` with `code` and the library's `detail` text (empty: mikey_result_str).
    error(mikey_result code, std::string function, std::string detail, std::vector<std::uint8_t> response = {})
        : error(std::make_shared<const info>(
              info{code, std::move(function), fill_detail(code, std::move(detail)), std::move(response)}))
    {
    }

    /// The C result code (MIKEY_ERR_*).
    mikey_result code() const noexcept { return info_->code; }
    /// The library's description of this failure (never empty).
    const std::string &detail() const noexcept { return info_->detail; }
    /// The C function that failed ("mikey_session_process_message", ...).
    const std::string &function() const noexcept { return info_->function; }
    /// Bytes to send to the peer despite the failure (an error message); empty when none.
    const std::vector<std::uint8_t> &response() const noexcept { return info_->response; }

private:
    struct info {
        mikey_result code;
        std::string function;
        std::string detail;
        std::vector<std::uint8_t> response;
    };

    explicit error(std::shared_ptr<const info> i) : std::runtime_error(compose(*i)), info_(std::move(i)) {}

    static std::string fill_detail(mikey_result code, std::string detail)
    {
        if (detail.empty()) {
            const char *text = mikey_result_str(code);
            detail = text != nullptr ? text : "unknown result code";
        }
        return detail;
    }

    static std::string compose(const info &i)
    {
        const char *text = mikey_result_str(i.code);
        std::string described = text != nullptr && i.detail != text ? std::string(text) + ", " : std::string();
        return i.function + ": " + i.detail + " (" + described + "code " + std::to_string(i.code) + ")";
    }

    // Shared so that copying an exception cannot throw.
    std::shared_ptr<const info> info_;
};

namespace detail {

/// Overwrites `n` bytes at `p` with zeros through a volatile pointer, so the compiler cannot
/// drop the stores even when the object dies right after.
inline void secure_wipe(void *p, std::size_t n) noexcept
{
    volatile unsigned char *bytes = static_cast<volatile unsigned char *>(p);
    for (std::size_t i = 0; i < n; ++i) {
        bytes[i] = 0;
    }
}

/// Ownership of a C handle that `Free` frees (mikey_config, mikey_session), as the base of the
/// classes that own one: move-only; a moved-from owner is empty (get() == nullptr), and the
/// destructor frees what it still owns.
template <typename Handle, void (*Free)(Handle *)>
class owned_handle {
public:
    /// The C handle (NULL when empty); it stays owned by this object.
    Handle *get() const noexcept { return handle_; }
    /// Gives up ownership: returns the handle (the caller frees it).
    Handle *release() noexcept { return std::exchange(handle_, nullptr); }
    /// Frees the handle and takes `handle` (default: becomes empty).
    void reset(Handle *handle = nullptr) noexcept
    {
        Handle *old = std::exchange(handle_, handle);
        if (old != nullptr) {
            Free(old);
        }
    }
    /// True when it owns a handle.
    explicit operator bool() const noexcept { return handle_ != nullptr; }

protected:
    explicit owned_handle(Handle *handle = nullptr) noexcept : handle_(handle) {}
    ~owned_handle() { reset(); }
    owned_handle(const owned_handle &) = delete;
    owned_handle &operator=(const owned_handle &) = delete;
    /// Takes the handle of `other`, which becomes empty.
    owned_handle(owned_handle &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
    /// Frees this handle, takes the one of `other`, which becomes empty.
    owned_handle &operator=(owned_handle &&other) noexcept
    {
        if (this != &other) {
            reset(std::exchange(other.handle_, nullptr));
        }
        return *this;
    }

    Handle *handle_;
};

/// A C struct holding key material (mikey_srtp_keys, mikey_mcptt_key), as the base of the
/// classes that hand it out: move-only; the destructor, a move (for the moved-from object) and
/// wipe() overwrite every byte with zeros through volatile writes.
template <typename CStruct>
class wiped_struct {
public:
    /// Overwrites every byte with zeros (volatile writes).
    void wipe() noexcept { secure_wipe(&c_, sizeof c_); }

protected:
    /// All zero.
    wiped_struct() noexcept : c_() { wipe(); }
    ~wiped_struct() { wipe(); }
    wiped_struct(const wiped_struct &) = delete;
    wiped_struct &operator=(const wiped_struct &) = delete;
    /// Takes the bytes of `other`, which is wiped.
    wiped_struct(wiped_struct &&other) noexcept : c_()
    {
        std::memcpy(&c_, &other.c_, sizeof c_);
        other.wipe();
    }
    /// Wipes this one, takes the bytes of `other`, which is wiped.
    wiped_struct &operator=(wiped_struct &&other) noexcept
    {
        if (this != &other) {
            wipe();
            std::memcpy(&c_, &other.c_, sizeof c_);
            other.wipe();
        }
        return *this;
    }

    CStruct c_;
};

/// Compares `n` bytes without an early exit (for key material).
inline bool equal_bytes(const std::uint8_t *a, const std::uint8_t *b, std::size_t n) noexcept
{
    unsigned char diff = 0;
    for (std::size_t i = 0; i < n; ++i) {
        diff = static_cast<unsigned char>(diff | (a[i] ^ b[i]));
    }
    return diff == 0;
}

/// Throws for a failed call without a last-error text of its own.
inline void check(mikey_result rc, const char *function)
{
    if (rc != MIKEY_OK) {
        throw error(rc, function, std::string());
    }
}

/// A std::string as a NUL-terminated C string; refuses embedded NUL bytes, which C would cut.
inline const char *c_string(const std::string &s, const char *function)
{
    if (s.find('\0') != std::string::npos) {
        throw error(MIKEY_ERR_INVALID_ARGUMENT, function, "the string contains a NUL byte");
    }
    return s.c_str();
}

/// An optional string as a C string or NULL.
inline const char *c_string(const std::optional<std::string> &s, const char *function)
{
    return s ? c_string(*s, function) : nullptr;
}

/// Runs `call(out, out_cap, &out_len)` of the "MIKEY_ERR_BUFFER_TOO_SMALL gives the size"
/// kind until the output fits; returns its result with `out` cut to `*out_len` on success.
template <typename Buffer, typename Call>
mikey_result fill(Buffer &out, std::size_t initial, Call &&call)
{
    out.assign(initial > 0 ? initial : 1, typename Buffer::value_type());
    for (int attempt = 0; attempt < 4; ++attempt) {
        std::size_t len = 0;
        mikey_result rc = call(out.data(), out.size(), &len);
        if (rc == MIKEY_ERR_BUFFER_TOO_SMALL && len > out.size()) {
            out.assign(len, typename Buffer::value_type());
            continue;
        }
        out.resize(rc == MIKEY_OK && len <= out.size() ? len : 0);
        return rc;
    }
    out.clear();
    return MIKEY_ERR_BUFFER_TOO_SMALL;
}

} // namespace detail

// ---- bytes in -------------------------------------------------------------------------------

/// Read-only bytes passed to a call (C++17 has no std::span): from a std::vector<uint8_t>, a
/// std::string (PEM text, binary data) or a pointer and a size. It does not own them; the
/// library copies what it keeps.
class byte_view {
public:
    /// No bytes.
    byte_view() noexcept = default;
    /// `size` bytes at `data` (NULL only with size 0).
    byte_view(const void *data, std::size_t size) noexcept
        : data_(static_cast<const std::uint8_t *>(data)), size_(size)
    {
    }
    /// The bytes of a vector.
    byte_view(const std::vector<std::uint8_t> &bytes) noexcept : data_(bytes.data()), size_(bytes.size()) {}
    /// The bytes of a string (no terminating NUL).
    byte_view(const std::string &bytes) noexcept
        : data_(reinterpret_cast<const std::uint8_t *>(bytes.data())), size_(bytes.size())
    {
    }

    /// The first byte (may be NULL when empty).
    const std::uint8_t *data() const noexcept { return data_; }
    /// The number of bytes.
    std::size_t size() const noexcept { return size_; }

private:
    const std::uint8_t *data_ = nullptr;
    std::size_t size_ = 0;
};

// ---- enumerations ---------------------------------------------------------------------------

/// Key-management methods (MIKEY_METHOD_*), for config's constructor (mikey_config_new).
enum class method : mikey_method {
    psk = MIKEY_METHOD_PSK,
    null = MIKEY_METHOD_NULL,
    pk = MIKEY_METHOD_PK,
    dh_sign = MIKEY_METHOD_DH_SIGN,
    dh_hmac = MIKEY_METHOD_DH_HMAC,
    rsa_r = MIKEY_METHOD_RSA_R,
    ticket = MIKEY_METHOD_TICKET,
    sakke = MIKEY_METHOD_SAKKE,
};

/// The side a session plays (MIKEY_ROLE_*; mikey_session_new).
enum class role : mikey_role {
    initiator = MIKEY_ROLE_INITIATOR,
    responder = MIKEY_ROLE_RESPONDER,
};

/// Where a session stands (MIKEY_STATE_*; mikey_session_state).
enum class state : mikey_state {
    idle = MIKEY_STATE_IDLE,
    wait_response = MIKEY_STATE_WAIT_RESPONSE,
    established = MIKEY_STATE_ESTABLISHED,
    failed = MIKEY_STATE_FAILED,
    wait_kms = MIKEY_STATE_WAIT_KMS, ///< MIKEY-TICKET: the message just given goes to the KMS
    invalid = MIKEY_STATE_INVALID, ///< an empty (moved-from) session
};

/// Diffie-Hellman groups (MIKEY_DH_GROUP_*; mikey_config_set_dh_group, _set_min_dh_group).
enum class dh_group : mikey_dh_group {
    oakley5 = MIKEY_DH_GROUP_OAKLEY5,
    oakley1 = MIKEY_DH_GROUP_OAKLEY1,
    oakley2 = MIKEY_DH_GROUP_OAKLEY2,
};

/// RSA signature schemes we sign with (MIKEY_SIGNATURE_*; mikey_config_set_signature_scheme).
enum class signature_scheme : mikey_signature_scheme {
    pkcs1_sha1 = MIKEY_SIGNATURE_PKCS1_SHA1,
    pkcs1_sha256 = MIKEY_SIGNATURE_PKCS1_SHA256,
    pss_sha1 = MIKEY_SIGNATURE_PSS_SHA1,
    pss_sha256 = MIKEY_SIGNATURE_PSS_SHA256,
};

/// Which exchange a KMS's authorize function decides on (MIKEY_KMS_*; kms::set_authorize).
enum class kms_exchange : mikey_kms_exchange {
    request = MIKEY_KMS_REQUEST, ///< a Ticket Request: may the client (the initiator) have a ticket to the responder?
    resolve = MIKEY_KMS_RESOLVE, ///< a Ticket Resolve: may the client (the responder) resolve the initiator's ticket?
};

/// Interop switches for config::set_interop (MIKEY_INTEROP_*, combined with |); mikey.h says
/// which peer needs each and what it gives up.
namespace interop {
constexpr std::uint32_t none = 0;
constexpr std::uint32_t gstreamer_sp_layout = MIKEY_INTEROP_GSTREAMER_SP_LAYOUT;
constexpr std::uint32_t trailing_padding_byte = MIKEY_INTEROP_TRAILING_PADDING_BYTE;
constexpr std::uint32_t mandatory_mki_4 = MIKEY_INTEROP_MANDATORY_MKI_4;
constexpr std::uint32_t tek_with_concatenated_salt = MIKEY_INTEROP_TEK_WITH_CONCATENATED_SALT;
constexpr std::uint32_t ssrc_zero = MIKEY_INTEROP_SSRC_ZERO;
constexpr std::uint32_t minisip_sha1_signatures = MIKEY_INTEROP_MINISIP_SHA1_SIGNATURES;
constexpr std::uint32_t minisip_prf = MIKEY_INTEROP_MINISIP_PRF;
constexpr std::uint32_t minisip_dh_hmac_without_idr = MIKEY_INTEROP_MINISIP_DH_HMAC_WITHOUT_IDR;
constexpr std::uint32_t minisip_responses = MIKEY_INTEROP_MINISIP_RESPONSES;
constexpr std::uint32_t minisip_envelope_key = MIKEY_INTEROP_MINISIP_ENVELOPE_KEY;
constexpr std::uint32_t sakke_signature_without_header = MIKEY_INTEROP_SAKKE_SIGNATURE_WITHOUT_HEADER;
constexpr std::uint32_t sakke_uid_as_hex_text = MIKEY_INTEROP_SAKKE_UID_AS_HEX_TEXT;
constexpr std::uint32_t sakke_legacy_key_parameters = MIKEY_INTEROP_SAKKE_LEGACY_KEY_PARAMETERS;
constexpr std::uint32_t sakke_status_zero = MIKEY_INTEROP_SAKKE_STATUS_ZERO;
constexpr std::uint32_t sakke_uids_in_roles_1_2 = MIKEY_INTEROP_SAKKE_UIDS_IN_ROLES_1_2;
constexpr std::uint32_t sakke_streamwide_hash = MIKEY_INTEROP_SAKKE_STREAMWIDE_HASH;
} // namespace interop

// ---- library-wide calls ---------------------------------------------------------------------

/// The library's version, "MAJOR.MINOR.PATCH" (mikey_version); compare with MIKEY_VERSION_*.
inline std::string version()
{
    const char *v = mikey_version();
    return v != nullptr ? v : "";
}

/// A short English description of a result code (mikey_result_str).
inline std::string result_str(mikey_result code)
{
    const char *text = mikey_result_str(code);
    return text != nullptr ? text : "";
}

/// The default SRTP policy (mikey_srtp_policy_init): profile 1, no MKI, nothing else sent.
/// Change the fields you need and pass it to config::set_srtp_policy.
inline mikey_srtp_policy default_srtp_policy()
{
    mikey_srtp_policy policy;
    std::memset(&policy, 0, sizeof policy);
    detail::check(mikey_srtp_policy_init(&policy), "mikey_srtp_policy_init");
    return policy;
}

// ---- exported keys --------------------------------------------------------------------------

/// The SRTP keys and parameters of one crypto session (a mikey_srtp_keys written by
/// mikey_session_export_srtp; session::export_srtp returns it). Move-only; the destructor, a
/// move (for the moved-from object) and wipe() overwrite every byte with zeros through volatile
/// writes. There is deliberately no way to print it.
class srtp_keys : public detail::wiped_struct<mikey_srtp_keys> {
public:
    /// True when there are no keys (default-constructed, wiped or moved from).
    bool empty() const noexcept { return c_.master_key_len == 0; }

    /// The stream's SSRC; 0 when unknown (see ssrc_type()).
    std::uint32_t ssrc() const noexcept { return c_.ssrc; }
    /// MIKEY_SSRC_SPECIFIC, _ANY_INBOUND or _ANY_OUTBOUND (libsrtp's srtp_ssrc_type_t numbers).
    std::uint8_t ssrc_type() const noexcept { return c_.ssrc_type; }
    /// The rollover counter to start from.
    std::uint32_t roc() const noexcept { return c_.roc; }
    /// The negotiated profile (libsrtp srtp_profile_t numbers for 1..8, RFC 6188 0x0101..0x0104).
    std::uint32_t profile() const noexcept { return c_.profile; }
    /// The crypto session's CS ID.
    std::uint8_t cs_id() const noexcept { return c_.cs_id; }
    /// Session encryption key length in bytes.
    std::uint32_t cipher_key_len() const noexcept { return c_.cipher_key_len; }
    /// Session authentication key length in bytes (0 for AEAD).
    std::uint32_t auth_key_len() const noexcept { return c_.auth_key_len; }
    /// Authentication tag length in bytes.
    std::uint32_t auth_tag_len() const noexcept { return c_.auth_tag_len; }
    /// Key derivation rate in effect (0: none).
    std::uint32_t key_derivation_rate() const noexcept { return c_.key_derivation_rate; }
    /// SRTP encryption on.
    bool srtp_encryption() const noexcept { return c_.srtp_encryption != 0; }
    /// SRTCP encryption on.
    bool srtcp_encryption() const noexcept { return c_.srtcp_encryption != 0; }
    /// SRTP authentication on.
    bool srtp_authentication() const noexcept { return c_.srtp_authentication != 0; }
    /// RFC 4771 ROC-carrying transform mode (0 none); libsrtp does not implement it.
    std::uint8_t rcc_mode() const noexcept { return c_.rcc_mode; }
    /// With rcc_mode(): the ROC transmission rate R.
    std::uint16_t roc_transmission_rate() const noexcept { return c_.roc_transmission_rate; }

    /// The SRTP master key, master_key_len() bytes (16, 24 or 32).
    const std::uint8_t *master_key() const noexcept { return c_.master_key; }
    /// Its length.
    std::size_t master_key_len() const noexcept { return c_.master_key_len; }
    /// The SRTP master salt, master_salt_len() bytes (14, or 12 for AEAD).
    const std::uint8_t *master_salt() const noexcept { return c_.master_salt; }
    /// Its length.
    std::size_t master_salt_len() const noexcept { return c_.master_salt_len; }
    /// The MKI, mki_len() bytes.
    const std::uint8_t *mki() const noexcept { return c_.mki; }
    /// Its length (0: no MKI).
    std::size_t mki_len() const noexcept { return c_.mki_len; }

    /// Writes master key || master salt (the key libsrtp's srtp_policy_t takes) to `out` and
    /// returns its length; throws mikey::error (MIKEY_ERR_BUFFER_TOO_SMALL) when `cap` is smaller.
    /// The caller wipes `out` after use.
    std::size_t copy_key_and_salt(std::uint8_t *out, std::size_t cap) const
    {
        std::size_t key_len = master_key_len(), salt_len = master_salt_len(), total = key_len + salt_len;
        if (out == nullptr || cap < total) {
            throw error(MIKEY_ERR_BUFFER_TOO_SMALL, "mikey::srtp_keys::copy_key_and_salt",
                        "needs " + std::to_string(total) + " bytes");
        }
        std::memcpy(out, c_.master_key, key_len);
        std::memcpy(out + key_len, c_.master_salt, salt_len);
        return total;
    }

    /// The C struct, to hand to C code (for example an SRTP glue layer). Do not copy it out
    /// without wiping the copy (mikey_srtp_keys_clear).
    const mikey_srtp_keys &c_struct() const noexcept { return c_; }

    /// Same parameters and keys (the key bytes compared without an early exit).
    friend bool operator==(const srtp_keys &a, const srtp_keys &b) noexcept
    {
        const mikey_srtp_keys &x = a.c_, &y = b.c_;
        bool params = x.ssrc == y.ssrc && x.roc == y.roc && x.profile == y.profile &&
                      x.cipher_key_len == y.cipher_key_len && x.auth_key_len == y.auth_key_len &&
                      x.auth_tag_len == y.auth_tag_len && x.key_derivation_rate == y.key_derivation_rate &&
                      x.cs_id == y.cs_id && x.srtp_encryption == y.srtp_encryption &&
                      x.srtcp_encryption == y.srtcp_encryption && x.srtp_authentication == y.srtp_authentication &&
                      x.master_key_len == y.master_key_len && x.master_salt_len == y.master_salt_len &&
                      x.mki_len == y.mki_len && x.ssrc_type == y.ssrc_type && x.rcc_mode == y.rcc_mode &&
                      x.roc_transmission_rate == y.roc_transmission_rate &&
                      x.master_key_len <= sizeof x.master_key && x.master_salt_len <= sizeof x.master_salt &&
                      x.mki_len <= sizeof x.mki;
        if (!params) {
            return false;
        }
        bool key = detail::equal_bytes(x.master_key, y.master_key, x.master_key_len);
        bool salt = detail::equal_bytes(x.master_salt, y.master_salt, x.master_salt_len);
        bool mki = detail::equal_bytes(x.mki, y.mki, x.mki_len);
        return key && salt && mki;
    }
    /// Not operator==.
    friend bool operator!=(const srtp_keys &a, const srtp_keys &b) noexcept { return !(a == b); }

    /// Keys are never printed.
    friend std::ostream &operator<<(std::ostream &, const srtp_keys &) = delete;

private:
    friend class session;
};

/// The MCPTT key of an established MIKEY-SAKKE CSB (a mikey_mcptt_key written by
/// mikey_session_mcptt_key; session::export_mcptt_key returns it). Move-only, wiped like srtp_keys.
class mcptt_key : public detail::wiped_struct<mikey_mcptt_key> {
public:
    /// True when there is no key.
    bool empty() const noexcept { return c_.key_len == 0; }
    /// The key's ID (GMK-ID, PCK-ID, ...); its top 4 bits are the purpose.
    std::uint32_t key_id() const noexcept { return c_.key_id; }
    /// The key, key_len() bytes.
    const std::uint8_t *key() const noexcept { return c_.key; }
    /// Its length (16).
    std::size_t key_len() const noexcept { return c_.key_len; }
    /// The key parameters the message carried, if any.
    std::optional<mikey_mcptt_key_parameters> parameters() const
    {
        if (c_.has_parameters == 0) {
            return std::nullopt;
        }
        return c_.parameters;
    }
    /// How many MC group IDs the parameters name (session::mcptt_group_id).
    std::uint32_t group_id_count() const noexcept { return c_.group_id_count; }
    /// The C struct, for C code.
    const mikey_mcptt_key &c_struct() const noexcept { return c_; }

    /// Keys are never printed.
    friend std::ostream &operator<<(std::ostream &, const mcptt_key &) = delete;

private:
    friend class session;
};

// ---- config ---------------------------------------------------------------------------------

/// An endpoint configuration: owns a mikey_config (mikey_config_new / mikey_config_free).
/// Move-only; a moved-from config is empty (get() == nullptr) and its calls throw
/// MIKEY_ERR_INVALID_ARGUMENT. Configure it fully before its first session: that session
/// freezes it (setters then throw MIKEY_ERR_STATE). A setter failure throws mikey::error with
/// mikey_config_last_error's text. Not synchronised while it is being set up; sessions may be
/// created from it by several threads at once, and may outlive it.
class config : public detail::owned_handle<mikey_config, mikey_config_free> {
    using owner = detail::owned_handle<mikey_config, mikey_config_free>;

public:
    /// A new config for `m` (mikey_config_new): system clock and randomness, default SRTP
    /// policy, 60-second replay window, no interop flags.
    explicit config(method m)
    {
        detail::check(mikey_config_new(static_cast<mikey_method>(m), &handle_), "mikey_config_new");
    }

    /// Takes ownership of a handle from mikey_config_new (may be NULL: an empty config).
    static config adopt(mikey_config *handle) noexcept { return config(handle); }

    /// PSK method (RFC 3830 §3.1) with its pre-shared key (mikey_config_new, mikey_config_set_psk).
    static config psk(byte_view key)
    {
        config c(method::psk);
        c.set_psk(key);
        return c;
    }
    /// NULL method (RFC 3830 §4.2.3: no encryption, no MAC; GStreamer, Live555, cameras).
    static config null_method() { return config(method::null); }
    /// DH-HMAC (RFC 4650) with its pre-shared key.
    static config dh_hmac(byte_view key)
    {
        config c(method::dh_hmac);
        c.set_psk(key);
        return c;
    }
    /// DH-SIGN (RFC 3830 §3.3); then set_certificate_chain, set_private_key, add_trust_anchor.
    static config dh_sign() { return config(method::dh_sign); }
    /// PK (RFC 3830 §3.2); then the credentials, and for an initiator set_peer_certificate.
    static config pk() { return config(method::pk); }
    /// RSA-R (RFC 4738); then the credentials.
    static config rsa_r() { return config(method::rsa_r); }


    /// The detail of the last failed setter ("" after a success; mikey_config_last_error).
    std::string last_error() const
    {
        const char *text = mikey_config_last_error(handle_);
        return text != nullptr ? text : "";
    }

    /// Pre-shared key of PSK and DH-HMAC, at least 16 bytes (mikey_config_set_psk).
    void set_psk(byte_view key)
    {
        check(mikey_config_set_psk(handle_, key.data(), key.size()), "mikey_config_set_psk");
    }
    /// Pointer + size form of set_psk.
    void set_psk(const std::uint8_t *key, std::size_t len) { set_psk(byte_view(key, len)); }

    /// Our identity and the peer's, URIs such as "sip:alice@example.com"; std::nullopt clears
    /// one (mikey_config_set_identities).
    void set_identities(const std::optional<std::string> &own_id, const std::optional<std::string> &peer_id)
    {
        const char *fn = "mikey_config_set_identities";
        check(mikey_config_set_identities(handle_, detail::c_string(own_id, fn), detail::c_string(peer_id, fn)), fn);
    }

    /// The SRTP policy an initiator offers; start from default_srtp_policy()
    /// (mikey_config_set_srtp_policy).
    void set_srtp_policy(const mikey_srtp_policy &policy)
    {
        check(mikey_config_set_srtp_policy(handle_, &policy), "mikey_config_set_srtp_policy");
    }
    /// The default policy with another profile (mikey_srtp_policy_init, mikey_config_set_srtp_policy).
    void set_srtp_profile(std::uint32_t profile)
    {
        mikey_srtp_policy policy = default_srtp_policy();
        policy.profile = profile;
        set_srtp_policy(policy);
    }
    /// The SRTP profiles a peer's policy may name (mikey_config_set_accepted_profiles).
    void set_accepted_profiles(const std::vector<std::uint32_t> &profiles)
    {
        check(mikey_config_set_accepted_profiles(handle_, profiles.data(), profiles.size()),
              "mikey_config_set_accepted_profiles");
    }
    /// Whether a peer may turn SRTP/SRTCP encryption or SRTP authentication off
    /// (mikey_config_set_allow_unprotected_srtp).
    void set_allow_unprotected_srtp(bool allow)
    {
        check(mikey_config_set_allow_unprotected_srtp(handle_, allow ? 1 : 0),
              "mikey_config_set_allow_unprotected_srtp");
    }
    /// How old an incoming timestamp may be, 1 to 86400 s (mikey_config_set_replay_window).
    void set_replay_window(std::uint32_t seconds)
    {
        check(mikey_config_set_replay_window(handle_, seconds), "mikey_config_set_replay_window");
    }
    /// How far ahead of our clock an incoming timestamp may be, 0 to 3600 s
    /// (mikey_config_set_max_future_skew).
    void set_max_future_skew(std::uint32_t seconds)
    {
        check(mikey_config_set_max_future_skew(handle_, seconds), "mikey_config_set_max_future_skew");
    }

    /// PK, DH-SIGN, RSA-R: our certificate chain, end entity first, PEM bundle or one DER
    /// certificate (mikey_config_set_certificate_chain).
    void set_certificate_chain(byte_view chain)
    {
        check(mikey_config_set_certificate_chain(handle_, chain.data(), chain.size()),
              "mikey_config_set_certificate_chain");
    }
    /// Pointer + size form of set_certificate_chain.
    void set_certificate_chain(const std::uint8_t *data, std::size_t len)
    {
        set_certificate_chain(byte_view(data, len));
    }
    /// The private key of our certificate, PKCS#8 or PKCS#1, PEM or DER (mikey_config_set_private_key).
    void set_private_key(byte_view key)
    {
        check(mikey_config_set_private_key(handle_, key.data(), key.size()), "mikey_config_set_private_key");
    }
    /// Pointer + size form of set_private_key.
    void set_private_key(const std::uint8_t *data, std::size_t len) { set_private_key(byte_view(data, len)); }
    /// Adds trust anchors, every certificate of a PEM bundle or one DER certificate
    /// (mikey_config_add_trust_anchor).
    void add_trust_anchor(byte_view anchors)
    {
        check(mikey_config_add_trust_anchor(handle_, anchors.data(), anchors.size()), "mikey_config_add_trust_anchor");
    }
    /// Pointer + size form of add_trust_anchor.
    void add_trust_anchor(const std::uint8_t *data, std::size_t len) { add_trust_anchor(byte_view(data, len)); }
    /// The peer's certificate, pinned and used when the peer sends none; a PK initiator's
    /// envelope key goes to it (mikey_config_set_peer_certificate).
    void set_peer_certificate(byte_view certificate)
    {
        check(mikey_config_set_peer_certificate(handle_, certificate.data(), certificate.size()),
              "mikey_config_set_peer_certificate");
    }
    /// Pointer + size form of set_peer_certificate.
    void set_peer_certificate(const std::uint8_t *data, std::size_t len) { set_peer_certificate(byte_view(data, len)); }
    /// DH-SIGN and RSA-R initiators: accept an answer from any certificate under the anchors
    /// when no peer is named (SIP forking; check session::peer_identity) (mikey_config_set_accept_any_peer).
    void set_accept_any_peer(bool accept)
    {
        check(mikey_config_set_accept_any_peer(handle_, accept ? 1 : 0), "mikey_config_set_accept_any_peer");
    }
    /// PK initiator: ask the responder to cache the envelope key for PSK-mode updates
    /// (mikey_config_set_envelope_key_cache).
    void set_envelope_key_cache(bool cache)
    {
        check(mikey_config_set_envelope_key_cache(handle_, cache ? 1 : 0), "mikey_config_set_envelope_key_cache");
    }
    /// How we sign in PK, DH-SIGN and RSA-R (mikey_config_set_signature_scheme).
    void set_signature_scheme(signature_scheme scheme)
    {
        check(mikey_config_set_signature_scheme(handle_, static_cast<mikey_signature_scheme>(scheme)),
              "mikey_config_set_signature_scheme");
    }
    /// The DH group an initiator of a DH method offers (mikey_config_set_dh_group).
    void set_dh_group(dh_group group)
    {
        check(mikey_config_set_dh_group(handle_, static_cast<mikey_dh_group>(group)), "mikey_config_set_dh_group");
    }
    /// The weakest DH group this endpoint uses (mikey_config_set_min_dh_group).
    void set_min_dh_group(dh_group group)
    {
        check(mikey_config_set_min_dh_group(handle_, static_cast<mikey_dh_group>(group)),
              "mikey_config_set_min_dh_group");
    }
    /// RSA-R responder as group key server: CSB ID and the sender's streams
    /// (mikey_config_set_rsa_r_group).
    void set_rsa_r_group(std::uint32_t csb_id, const std::vector<mikey_stream> &streams)
    {
        check(mikey_config_set_rsa_r_group(handle_, csb_id, streams.data(), streams.size()),
              "mikey_config_set_rsa_r_group");
    }

    /// The interop switches, an | of mikey::interop flags; replaces the previous ones
    /// (mikey_config_set_interop).
    void set_interop(std::uint32_t flags)
    {
        check(mikey_config_set_interop(handle_, flags), "mikey_config_set_interop");
    }
    /// Initiator: set the V flag and wait for the responder's verification message
    /// (mikey_config_set_request_verification).
    void set_request_verification(bool request)
    {
        check(mikey_config_set_request_verification(handle_, request ? 1 : 0), "mikey_config_set_request_verification");
    }
    /// Require the peer's ID payload in messages a shared key authenticates
    /// (mikey_config_set_require_peer_id).
    void set_require_peer_id(bool require)
    {
        check(mikey_config_set_require_peer_id(handle_, require ? 1 : 0), "mikey_config_set_require_peer_id");
    }
    /// Replaces the system clock by `now(user_data)` (tests, lab tools; mikey_config_set_clock).
    /// `now` is called from the library: it must not throw, must be thread-safe, and
    /// `user_data` must outlive the config and every session made from it.
    void set_clock(mikey_clock_fn now, void *user_data)
    {
        check(mikey_config_set_clock(handle_, now, user_data), "mikey_config_set_clock");
    }

    /// MIKEY-SAKKE: adds a KMS community: Z_T (257 bytes), KPAK (65 bytes), user key period and
    /// offset in seconds (mikey_config_add_kms_community).
    void add_kms_community(const std::string &kms_uri, byte_view z, byte_view kpak, std::uint64_t key_period_secs,
                           std::uint64_t key_period_offset_secs)
    {
        const char *fn = "mikey_config_add_kms_community";
        check(mikey_config_add_kms_community(handle_, detail::c_string(kms_uri, fn), z.data(), z.size(), kpak.data(),
                                             kpak.size(), key_period_secs, key_period_offset_secs),
              fn);
    }
    /// MIKEY-SAKKE: adds our keys (RSK, SSK, PVT) for one key period
    /// (mikey_config_add_user_key_set).
    void add_user_key_set(const std::string &kms_uri, const std::string &user_uri, std::uint64_t key_period_number,
                          byte_view rsk, byte_view ssk, byte_view pvt)
    {
        const char *fn = "mikey_config_add_user_key_set";
        check(mikey_config_add_user_key_set(handle_, detail::c_string(kms_uri, fn), detail::c_string(user_uri, fn),
                                            key_period_number, rsk.data(), rsk.size(), ssk.data(), ssk.size(),
                                            pvt.data(), pvt.size()),
              fn);
    }
    /// MIKEY-SAKKE responder: key periods of tolerance, 0 or 1 (mikey_config_set_key_period_tolerance).
    void set_key_period_tolerance(std::uint8_t periods)
    {
        check(mikey_config_set_key_period_tolerance(handle_, periods), "mikey_config_set_key_period_tolerance");
    }
    /// MIKEY-SAKKE: what a KMS response (TS 33.180 Annex D XML) carries (mikey_config_add_kms_xml).
    void add_kms_xml(byte_view xml)
    {
        check(mikey_config_add_kms_xml(handle_, xml.data(), xml.size()), "mikey_config_add_kms_xml");
    }
    /// MIKEY-SAKKE initiator: add the SAKKE-to-self extension (mikey_config_set_sakke_to_self).
    void set_sakke_to_self(bool to_self)
    {
        check(mikey_config_set_sakke_to_self(handle_, to_self ? 1 : 0), "mikey_config_set_sakke_to_self");
    }

    /// MIKEY-TICKET: the KMS's identity (its IDRkms) for the Ticket Request and Resolve
    /// exchanges; set_psk gives the PSK shared with it (mikey_config_set_ticket_kms).
    void set_ticket_kms(const std::string &kms_id)
    {
        const char *fn = "mikey_config_set_ticket_kms";
        check(mikey_config_set_ticket_kms(handle_, detail::c_string(kms_id, fn)), fn);
    }
    /// MIKEY-TICKET: adds a Ticket Protection Key (at least 16 bytes) named `id` (the IDRpsk of
    /// the tickets it seals; empty for none): an initiator holding one makes its tickets itself,
    /// a responder opens tickets sealed under it without the KMS
    /// (mikey_config_add_ticket_protection_key).
    void add_ticket_protection_key(byte_view id, byte_view key)
    {
        check(mikey_config_add_ticket_protection_key(handle_, id.data(), id.size(), key.data(), key.size()),
              "mikey_config_add_ticket_protection_key");
    }
    /// MIKEY-TICKET initiator: another responder the tickets we ask for authorise besides the
    /// peer we address (a forked call; mikey_config_add_ticket_responder).
    void add_ticket_responder(const std::string &responder_id)
    {
        const char *fn = "mikey_config_add_ticket_responder";
        check(mikey_config_add_ticket_responder(handle_, detail::c_string(responder_id, fn)), fn);
    }
    /// MIKEY-TICKET initiator: ask for key forking, binding the keys to the responder that
    /// resolves the ticket (RFC 6043 §5.1.1; mikey_config_set_ticket_key_forking).
    void set_ticket_key_forking(bool forking)
    {
        check(mikey_config_set_ticket_key_forking(handle_, forking ? 1 : 0), "mikey_config_set_ticket_key_forking");
    }
    /// MIKEY-TICKET initiator: how long our tickets should be valid, in seconds, at least 1 (an
    /// hour by default; a KMS may grant less) (mikey_config_set_ticket_lifetime).
    void set_ticket_lifetime(std::uint32_t seconds)
    {
        check(mikey_config_set_ticket_lifetime(handle_, seconds), "mikey_config_set_ticket_lifetime");
    }

private:
    explicit config(mikey_config *handle) noexcept : owner(handle) {}

    // Throws with the config's last-error text, copied at once.
    void check(mikey_result rc, const char *function) const
    {
        if (rc != MIKEY_OK) {
            throw error(rc, function, last_error());
        }
    }

};

// ---- session --------------------------------------------------------------------------------

/// One crypto session bundle as initiator or responder: owns a mikey_session
/// (mikey_session_new / mikey_session_free). Move-only; a moved-from session is empty
/// (get() == nullptr, current_state() == state::invalid) and its calls throw MIKEY_ERR_INVALID_ARGUMENT.
/// A failed call throws mikey::error with mikey_session_last_error's text. Distinct sessions may
/// be used from different threads; calls on one session must be serialised by the caller.
/// Freeing it (destructor, reset) wipes its keys.
class session : public detail::owned_handle<mikey_session, mikey_session_free> {
    using owner = detail::owned_handle<mikey_session, mikey_session_free>;

public:
    /// A new session of `cfg` as `r`, state idle; freezes `cfg` (mikey_session_new). The session
    /// may outlive `cfg`.
    session(const config &cfg, role r)
    {
        detail::check(mikey_session_new(cfg.get(), static_cast<mikey_role>(r), &handle_), "mikey_session_new");
    }
    /// An initiator of `cfg` (mikey_session_new).
    static session initiator(const config &cfg) { return session(cfg, role::initiator); }
    /// A responder of `cfg` (mikey_session_new).
    static session responder(const config &cfg) { return session(cfg, role::responder); }
    /// Takes ownership of a handle from mikey_session_new or _fork (may be NULL: empty).
    static session adopt(mikey_session *handle) noexcept { return session(handle); }


    /// SIP forking: a second session waiting for another answer to the same I_MESSAGE
    /// (mikey_session_fork).
    [[nodiscard]] session fork() const
    {
        mikey_session *forked = nullptr;
        check(mikey_session_fork(handle_, &forked), "mikey_session_fork");
        return session(forked);
    }

    /// Adds an SRTP stream (SSRC, ROC) and returns its CS ID; an initiator's SSRC 0 is a
    /// placeholder the responder fills in (mikey_session_add_srtp_stream).
    std::uint8_t add_srtp_stream(std::uint32_t ssrc, std::uint32_t roc = 0)
    {
        std::uint8_t id = 0;
        check(mikey_session_add_srtp_stream(handle_, ssrc, roc, &id), "mikey_session_add_srtp_stream");
        return id;
    }

    /// Initiator: the I_MESSAGE (re-keying once established); MIKEY-TICKET: an established
    /// responder's CSB update too (RFC 6043 §5.2) (mikey_session_create_message).
    [[nodiscard]] std::vector<std::uint8_t> create_message()
    {
        std::vector<std::uint8_t> out;
        auto call = [this](std::uint8_t *o, std::size_t cap, std::size_t *len) {
            return mikey_session_create_message(handle_, o, cap, len);
        };
        mikey_result rc = detail::fill(out, MIKEY_MAX_MESSAGE_LEN, call);
        check(rc, "mikey_session_create_message");
        return out;
    }

    /// Takes an incoming message and returns the response to send back, empty when there is
    /// none (mikey_session_process_message). On failure throws mikey::error; its response()
    /// holds an error message for the peer when the library made one. A rejected message
    /// leaves the session unchanged.
    [[nodiscard]] std::vector<std::uint8_t> process_message(const std::uint8_t *in, std::size_t in_len)
    {
        std::vector<std::uint8_t> out(MIKEY_MAX_MESSAGE_LEN);
        std::size_t len = 0;
        mikey_result rc = mikey_session_process_message(handle_, in, in_len, out.data(), out.size(), &len);
        if (rc == MIKEY_ERR_BUFFER_TOO_SMALL && len > out.size()) {
            // The response waits in the session; take_response returns the processing result.
            return take_response();
        }
        return finish_response(rc, std::move(out), len, "mikey_session_process_message");
    }
    /// Vector form of process_message.
    [[nodiscard]] std::vector<std::uint8_t> process_message(const std::vector<std::uint8_t> &in)
    {
        return process_message(in.data(), in.size());
    }

    /// Delivers a response that did not fit (process_message already does this); empty when
    /// none waits. Throws like process_message when the processing failed
    /// (mikey_session_take_response).
    [[nodiscard]] std::vector<std::uint8_t> take_response()
    {
        std::vector<std::uint8_t> out(MIKEY_MAX_MESSAGE_LEN);
        for (int attempt = 0; attempt < 4; ++attempt) {
            std::size_t len = 0;
            mikey_result rc = mikey_session_take_response(handle_, out.data(), out.size(), &len);
            if (rc == MIKEY_ERR_BUFFER_TOO_SMALL && len > out.size()) {
                out.assign(len, 0);
                continue;
            }
            return finish_response(rc, std::move(out), len, "mikey_session_take_response");
        }
        check(MIKEY_ERR_BUFFER_TOO_SMALL, "mikey_session_take_response");
        return {};
    }

    /// The session's state; state::invalid when empty (mikey_session_state).
    state current_state() const noexcept { return static_cast<state>(mikey_session_state(handle_)); }
    /// True when keys are agreed (state::established).
    bool established() const noexcept { return current_state() == state::established; }

    /// The number of crypto sessions (mikey_session_cs_count).
    std::size_t cs_count() const noexcept { return mikey_session_cs_count(handle_); }
    /// The CS ID of crypto session `index`, 0-based (mikey_session_cs_id).
    std::uint8_t cs_id(std::size_t index) const
    {
        std::uint8_t id = 0;
        check(mikey_session_cs_id(handle_, index, &id), "mikey_session_cs_id");
        return id;
    }
    /// Every CS ID, in order (mikey_session_cs_count, mikey_session_cs_id).
    std::vector<std::uint8_t> cs_ids() const
    {
        std::vector<std::uint8_t> ids;
        std::size_t n = cs_count();
        ids.reserve(n);
        for (std::size_t i = 0; i < n; ++i) {
            ids.push_back(cs_id(i));
        }
        return ids;
    }

    /// The SRTP keys of crypto session `id` (1-based for RFC 3830's SRTP-ID maps); the
    /// session must be established (mikey_session_export_srtp).
    [[nodiscard]] srtp_keys export_srtp(std::uint8_t id) const
    {
        srtp_keys keys;
        check(mikey_session_export_srtp(handle_, id, &keys.c_), "mikey_session_export_srtp");
        return keys;
    }
    /// The keys of every crypto session, in cs_ids() order (mikey_session_export_srtp).
    [[nodiscard]] std::vector<srtp_keys> export_all_srtp() const
    {
        std::vector<srtp_keys> all;
        for (std::uint8_t id : cs_ids()) {
            all.push_back(export_srtp(id));
        }
        return all;
    }

    /// The CSB ID (mikey_session_csb_id).
    std::uint32_t csb_id() const
    {
        std::uint32_t id = 0;
        check(mikey_session_csb_id(handle_, &id), "mikey_session_csb_id");
        return id;
    }
    /// Who authenticated the established CSB (a URI; "" for NULL and a PSK peer that named
    /// none) (mikey_session_peer_identity).
    std::string peer_identity() const
    {
        std::string out;
        mikey_result rc = detail::fill(out, 256, [this](char *o, std::size_t cap, std::size_t *len) {
            return mikey_session_peer_identity(handle_, reinterpret_cast<std::uint8_t *>(o), cap, len);
        });
        check(rc, "mikey_session_peer_identity");
        return out;
    }
    /// The peer's end-entity certificate (DER) for PK, DH-SIGN, RSA-R; empty for the other
    /// methods (mikey_session_peer_certificate).
    std::vector<std::uint8_t> peer_certificate() const
    {
        std::vector<std::uint8_t> out;
        mikey_result rc = detail::fill(out, 4096, [this](std::uint8_t *o, std::size_t cap, std::size_t *len) {
            return mikey_session_peer_certificate(handle_, o, cap, len);
        });
        check(rc, "mikey_session_peer_certificate");
        return out;
    }

    /// The detail of the last failed call ("" after a success; mikey_session_last_error).
    std::string last_error() const
    {
        const char *text = mikey_session_last_error(handle_);
        return text != nullptr ? text : "";
    }

    /// MIKEY-SAKKE initiator: the key (16 bytes) the next I_MESSAGE sends, its ID, optional key
    /// parameters, group ID and text (mikey_session_set_mcptt_key).
    void set_mcptt_key(std::uint32_t key_id, byte_view key,
                       const std::optional<mikey_mcptt_key_parameters> &parameters = std::nullopt,
                       const std::optional<std::string> &group_id = std::nullopt,
                       const std::optional<std::string> &text = std::nullopt)
    {
        const char *fn = "mikey_session_set_mcptt_key";
        check(mikey_session_set_mcptt_key(handle_, key_id, key.data(), key.size(), parameters ? &*parameters : nullptr,
                                          detail::c_string(group_id, fn), detail::c_string(text, fn)),
              fn);
    }
    /// MIKEY-SAKKE: the other user's URI, of the KMS `kms_uri` (std::nullopt: ours)
    /// (mikey_session_set_mcptt_peer).
    void set_mcptt_peer(const std::string &uri, const std::optional<std::string> &kms_uri = std::nullopt)
    {
        const char *fn = "mikey_session_set_mcptt_peer";
        check(mikey_session_set_mcptt_peer(handle_, detail::c_string(uri, fn), detail::c_string(kms_uri, fn)), fn);
    }
    /// MIKEY-SAKKE: the established key, its ID and parameters (mikey_session_mcptt_key).
    [[nodiscard]] mcptt_key export_mcptt_key() const
    {
        mcptt_key key;
        check(mikey_session_mcptt_key(handle_, &key.c_), "mikey_session_mcptt_key");
        return key;
    }
    /// MIKEY-SAKKE: MC group ID number `index` of the key's parameters (mikey_session_mcptt_group_id).
    std::string mcptt_group_id(std::uint32_t index) const
    {
        std::string out;
        mikey_result rc = detail::fill(out, 256, [this, index](char *o, std::size_t cap, std::size_t *len) {
            return mikey_session_mcptt_group_id(handle_, index, reinterpret_cast<std::uint8_t *>(o), cap, len);
        });
        check(rc, "mikey_session_mcptt_group_id");
        return out;
    }
    /// MIKEY-SAKKE: the text of the key's parameters (mikey_session_mcptt_key_text).
    std::string mcptt_key_text() const
    {
        std::string out;
        mikey_result rc = detail::fill(out, 256, [this](char *o, std::size_t cap, std::size_t *len) {
            return mikey_session_mcptt_key_text(handle_, reinterpret_cast<std::uint8_t *>(o), cap, len);
        });
        check(rc, "mikey_session_mcptt_key_text");
        return out;
    }

private:
    explicit session(mikey_session *handle) noexcept : owner(handle) {}

    // Throws with the session's last-error text, copied before any other call on the session.
    void check(mikey_result rc, const char *function) const
    {
        if (rc != MIKEY_OK) {
            throw error(rc, function, last_error());
        }
    }

    // The output of process_message / take_response: `len` bytes of `out` to send, with the
    // processing result `rc` (an error keeps the bytes in error::response()).
    std::vector<std::uint8_t> finish_response(mikey_result rc, std::vector<std::uint8_t> out, std::size_t len,
                                              const char *function) const
    {
        out.resize(len <= out.size() ? len : 0);
        if (rc != MIKEY_OK) {
            throw error(rc, function, last_error(), std::move(out));
        }
        return out;
    }

};

// ---- MIKEY-TICKET KMS -----------------------------------------------------------------------

/// A MIKEY-TICKET KMS (RFC 6043): owns a mikey_kms (mikey_kms_new / mikey_kms_free) and the
/// function given to set_authorize. Move-only; a moved-from kms is empty (get() == nullptr) and
/// its calls throw MIKEY_ERR_INVALID_ARGUMENT. Configure it first (a TPK, its clients): its
/// first process_message starts it, and the setters then throw MIKEY_ERR_STATE. A failure
/// throws mikey::error with mikey_kms_last_error's text (the calling thread's, copied at once).
/// Not synchronised while it is being set up; once started, process_message may be called by
/// several threads at once (while none moves, resets or destroys the object).
class kms : public detail::owned_handle<mikey_kms, mikey_kms_free> {
    using owner = detail::owned_handle<mikey_kms, mikey_kms_free>;

public:
    /// Decides whether the KMS grants an exchange: true allows (see mikey_kms_authorize_fn).
    /// For kms_exchange::request it is asked once per responder the initiator asks for
    /// (`client` and `initiator` are then the same); for kms_exchange::resolve once, with
    /// `responder` the client. The identities are the authenticated ones (UTF-8 bytes). It may
    /// be called from several threads at once and must not call the KMS; an exception it
    /// throws is caught (it never reaches the library) and denies.
    using authorize_fn = std::function<bool(kms_exchange exchange, const std::string &client,
                                            const std::string &initiator, const std::string &responder)>;

    /// A KMS named `identity` (its IDRkms): system clock and randomness, tickets valid a day
    /// at most, only the responders a ticket names may resolve it (mikey_kms_new).
    explicit kms(const std::string &identity)
    {
        const char *fn = "mikey_kms_new";
        check(mikey_kms_new(detail::c_string(identity, fn), &handle_), fn);
    }
    /// Takes ownership of a handle from mikey_kms_new (may be NULL: an empty kms).
    static kms adopt(mikey_kms *handle) noexcept { return kms(handle); }

    /// Frees the handle before the authorize function it may call.
    ~kms() { owner::reset(); }
    kms(kms &&) noexcept = default;
    /// Frees this KMS (then its authorize function) and takes `other`'s.
    kms &operator=(kms &&) noexcept = default;

    /// Frees the handle, then the authorize function, and takes `handle` (default: becomes
    /// empty; mikey_kms_free).
    void reset(mikey_kms *handle = nullptr) noexcept
    {
        owner::reset(handle);
        authorize_.reset();
    }
    /// Gives up ownership: returns the handle (the caller frees it). Throws mikey::error
    /// (MIKEY_ERR_STATE) when set_authorize gave it a function: that function lives in this
    /// object, and the handle would outlive it.
    [[nodiscard]] mikey_kms *release()
    {
        if (authorize_) {
            throw error(MIKEY_ERR_STATE, "mikey::kms::release",
                        "the KMS has an authorize function of this object, which the handle would outlive");
        }
        return owner::release();
    }

    /// The detail of the calling thread's last failed mikey_kms_* call ("" after a success;
    /// mikey_kms_last_error).
    static std::string last_error()
    {
        const char *text = mikey_kms_last_error();
        return text != nullptr ? text : "";
    }

    /// Adds a Ticket Protection Key (at least 16 bytes) named `id` (the IDRpsk of the tickets
    /// it seals; empty for none). The first one seals new tickets; every one opens them
    /// (mikey_kms_add_tpk).
    void add_tpk(byte_view id, byte_view key)
    {
        check(mikey_kms_add_tpk(handle_, id.data(), id.size(), key.data(), key.size()), "mikey_kms_add_tpk");
    }
    /// Adds a client: its identity (the IDRi or IDRr it sends) and the PSK (at least 16 bytes)
    /// it shares with the KMS (mikey_kms_add_client).
    void add_client(const std::string &identity, byte_view psk)
    {
        const char *fn = "mikey_kms_add_client";
        check(mikey_kms_add_client(handle_, detail::c_string(identity, fn), psk.data(), psk.size()), fn);
    }
    /// The public-key forms of Request and Resolve (RFC 6043 §4.2.1.3, §4.2.3.3): the KMS's RSA
    /// private key, PKCS#8 or PKCS#1, PEM or DER, whose certificate the clients pin and encrypt
    /// their envelope keys to. Without it the KMS takes the PSK forms only
    /// (mikey_kms_set_private_key).
    void set_private_key(byte_view key)
    {
        check(mikey_kms_set_private_key(handle_, key.data(), key.size()), "mikey_kms_set_private_key");
    }
    /// The public-key forms: trust anchors (a PEM bundle or one DER certificate) the clients'
    /// certificate chains must lead to; a client's certificate names the identity it sends
    /// (mikey_kms_add_trust_anchor).
    void add_trust_anchor(byte_view anchors)
    {
        check(mikey_kms_add_trust_anchor(handle_, anchors.data(), anchors.size()), "mikey_kms_add_trust_anchor");
    }
    /// Whether the responders hold the TPK too (mode 2 of RFC 6043 §4.1.1), so that they open
    /// tickets without the KMS unless keys are forked (mikey_kms_set_responders_hold_tpk).
    void set_responders_hold_tpk(bool hold)
    {
        check(mikey_kms_set_responders_hold_tpk(handle_, hold ? 1 : 0), "mikey_kms_set_responders_hold_tpk");
    }
    /// The longest validity a ticket gets, in seconds, at least 1 (a day by default)
    /// (mikey_kms_set_max_lifetime).
    void set_max_lifetime(std::uint32_t seconds)
    {
        check(mikey_kms_set_max_lifetime(handle_, seconds), "mikey_kms_set_max_lifetime");
    }
    /// Sets the function deciding who may have and resolve which ticket, on top of the default
    /// rules; an empty function removes it (mikey_kms_set_authorize). This object keeps the
    /// function (moves keep it where it is) and frees the handle before it. When the call
    /// fails (MIKEY_ERR_STATE once started), the function set before stays.
    void set_authorize(authorize_fn authorize)
    {
        const char *fn = "mikey_kms_set_authorize";
        if (!authorize) {
            check(mikey_kms_set_authorize(handle_, nullptr, nullptr), fn);
            authorize_.reset();
            return;
        }
        auto kept = std::make_unique<authorize_fn>(std::move(authorize));
        check(mikey_kms_set_authorize(handle_, &call_authorize, kept.get()), fn);
        authorize_ = std::move(kept);
    }
    /// Replaces the KMS's system clock by `now(user_data)` (tests, simulations;
    /// mikey_kms_set_clock). `now` is called from the library: it must not throw, must be
    /// thread-safe, and `user_data` must outlive the KMS.
    void set_clock(mikey_clock_fn now, void *user_data)
    {
        check(mikey_kms_set_clock(handle_, now, user_data), "mikey_kms_set_clock");
    }

    /// Takes one REQUEST_INIT or RESOLVE_INIT and returns the answer to send back, the
    /// REQUEST_RESP or RESOLVE_RESP (mikey_kms_process_message). The first call starts the KMS.
    /// A refusal throws mikey::error; when the refused message was authenticated, its
    /// response() holds the error message to send back to the client (RFC 6043 §5.4), and is
    /// empty otherwise (a message that does not authenticate, a replay).
    [[nodiscard]] std::vector<std::uint8_t> process_message(byte_view in)
    {
        const char *fn = "mikey_kms_process_message";
        std::vector<std::uint8_t> out(MIKEY_MAX_MESSAGE_LEN);
        std::size_t len = 0;
        mikey_result rc = mikey_kms_process_message(handle_, in.data(), in.size(), out.data(), out.size(), &len);
        // Read before anything else could call the library on this thread.
        std::string text = rc != MIKEY_OK ? last_error() : std::string();
        // A short buffer (not ours: it has MIKEY_MAX_MESSAGE_LEN bytes) writes a size, not a message.
        out.resize(rc != MIKEY_ERR_BUFFER_TOO_SMALL && len <= out.size() ? len : 0);
        if (rc != MIKEY_OK) {
            throw error(rc, fn, std::move(text), std::move(out));
        }
        return out;
    }

private:
    explicit kms(mikey_kms *handle) noexcept : owner(handle) {}

    // Throws with the calling thread's KMS last-error text, copied at once.
    static void check(mikey_result rc, const char *function)
    {
        if (rc != MIKEY_OK) {
            throw error(rc, function, last_error());
        }
    }

    // The mikey_kms_authorize_fn handed to the library: calls the authorize_fn at `user_data`;
    // no exception leaves it (one denies).
    static int call_authorize(void *user_data, mikey_kms_exchange exchange, const std::uint8_t *client,
                              std::size_t client_len, const std::uint8_t *initiator, std::size_t initiator_len,
                              const std::uint8_t *responder, std::size_t responder_len) noexcept
    {
        try {
            auto text = [](const std::uint8_t *p, std::size_t n) {
                return p != nullptr ? std::string(reinterpret_cast<const char *>(p), n) : std::string();
            };
            const authorize_fn &authorize = *static_cast<const authorize_fn *>(user_data);
            return authorize(static_cast<kms_exchange>(exchange), text(client, client_len),
                             text(initiator, initiator_len), text(responder, responder_len))
                       ? 1
                       : 0;
        } catch (...) {
            return 0;
        }
    }

    // On the heap, so that the pointer the library holds survives moves of this object.
    std::unique_ptr<authorize_fn> authorize_;
};

// ---- SDP and RTSP (RFC 4567) ----------------------------------------------------------------

/// The value of an SDP a=key-mgmt attribute for `message`: "mikey <base64>", without the
/// "a=key-mgmt:" prefix (mikey_sdp_key_mgmt_encode).
inline std::string sdp_key_mgmt_encode(const std::vector<std::uint8_t> &message)
{
    std::string out;
    auto call = [&message](char *o, std::size_t cap, std::size_t *len) {
        return mikey_sdp_key_mgmt_encode(message.data(), message.size(), o, cap, len);
    };
    mikey_result rc = detail::fill(out, 64 + message.size() * 4 / 3, call);
    detail::check(rc, "mikey_sdp_key_mgmt_encode");
    return out;
}

/// The MIKEY message of an SDP key-mgmt value, with or without the "a=key-mgmt:" prefix
/// (mikey_sdp_key_mgmt_decode).
inline std::vector<std::uint8_t> sdp_key_mgmt_decode(const std::string &value)
{
    const char *fn = "mikey_sdp_key_mgmt_decode";
    const char *text = detail::c_string(value, fn);
    std::vector<std::uint8_t> out;
    mikey_result rc = detail::fill(out, value.size(), [text](std::uint8_t *o, std::size_t cap, std::size_t *len) {
        return mikey_sdp_key_mgmt_decode(text, o, cap, len);
    });
    detail::check(rc, fn);
    return out;
}

/// The value of an RTSP KeyMgmt header for `message`: prot=mikey; uri="<uri>"; data="<base64>"
/// (no uri with std::nullopt) (mikey_rtsp_key_mgmt_encode).
inline std::string rtsp_key_mgmt_encode(const std::vector<std::uint8_t> &message,
                                        const std::optional<std::string> &uri = std::nullopt)
{
    const char *fn = "mikey_rtsp_key_mgmt_encode";
    const char *uri_text = detail::c_string(uri, fn);
    std::string out;
    std::size_t initial = 64 + (uri ? uri->size() : 0) + message.size() * 4 / 3;
    mikey_result rc = detail::fill(out, initial, [&message, uri_text](char *o, std::size_t cap, std::size_t *len) {
        return mikey_rtsp_key_mgmt_encode(message.data(), message.size(), uri_text, o, cap, len);
    });
    detail::check(rc, fn);
    return out;
}

/// The number of MIKEY specs in an RTSP KeyMgmt header value (mikey_rtsp_key_mgmt_count).
inline std::size_t rtsp_key_mgmt_count(const std::string &value)
{
    const char *fn = "mikey_rtsp_key_mgmt_count";
    std::size_t count = 0;
    detail::check(mikey_rtsp_key_mgmt_count(detail::c_string(value, fn), &count), fn);
    return count;
}

/// The MIKEY message of the `index`-th (0-based) MIKEY spec of an RTSP KeyMgmt header value
/// (mikey_rtsp_key_mgmt_decode).
inline std::vector<std::uint8_t> rtsp_key_mgmt_decode(const std::string &value, std::size_t index = 0)
{
    const char *fn = "mikey_rtsp_key_mgmt_decode";
    const char *text = detail::c_string(value, fn);
    std::vector<std::uint8_t> out;
    auto call = [text, index](std::uint8_t *o, std::size_t cap, std::size_t *len) {
        return mikey_rtsp_key_mgmt_decode(text, index, o, cap, len);
    };
    mikey_result rc = detail::fill(out, value.size(), call);
    detail::check(rc, fn);
    return out;
}

/// The uri parameter of the `index`-th MIKEY spec of an RTSP KeyMgmt header value, "" when it
/// has none (mikey_rtsp_key_mgmt_uri).
inline std::string rtsp_key_mgmt_uri(const std::string &value, std::size_t index = 0)
{
    const char *fn = "mikey_rtsp_key_mgmt_uri";
    const char *text = detail::c_string(value, fn);
    std::string out;
    mikey_result rc = detail::fill(out, value.size() + 1, [text, index](char *o, std::size_t cap, std::size_t *len) {
        return mikey_rtsp_key_mgmt_uri(text, index, o, cap, len);
    });
    detail::check(rc, fn);
    return out;
}

// ---- MCPTT helpers (TS 33.180) ---------------------------------------------------------------

/// The parameters of a new, not revoked key of the purpose `key_id` names
/// (mikey_mcptt_key_parameters_init).
inline mikey_mcptt_key_parameters mcptt_key_parameters(std::uint32_t key_id)
{
    mikey_mcptt_key_parameters parameters;
    std::memset(&parameters, 0, sizeof parameters);
    detail::check(mikey_mcptt_key_parameters_init(key_id, &parameters), "mikey_mcptt_key_parameters_init");
    return parameters;
}

/// The UID of `user_uri` under the KMS `kms_uri` in a key period (mikey_mcptt_uid).
inline std::array<std::uint8_t, MIKEY_MCPTT_UID_LEN> mcptt_uid(const std::string &user_uri, const std::string &kms_uri,
                                                               std::uint64_t key_period_secs,
                                                               std::uint64_t key_period_offset_secs,
                                                               std::uint64_t key_period_number)
{
    const char *fn = "mikey_mcptt_uid";
    std::array<std::uint8_t, MIKEY_MCPTT_UID_LEN> uid{};
    detail::check(mikey_mcptt_uid(detail::c_string(user_uri, fn), detail::c_string(kms_uri, fn), key_period_secs,
                                  key_period_offset_secs, key_period_number, uid.data()),
                  fn);
    return uid;
}

/// The key period a 64-bit NTP timestamp falls in (mikey_mcptt_key_period_number).
inline std::uint64_t mcptt_key_period_number(std::uint64_t ntp_timestamp, std::uint64_t key_period_secs,
                                             std::uint64_t key_period_offset_secs)
{
    std::uint64_t number = 0;
    detail::check(mikey_mcptt_key_period_number(ntp_timestamp, key_period_secs, key_period_offset_secs, &number),
                  "mikey_mcptt_key_period_number");
    return number;
}

/// The GUK-ID under which the GMK `gmk` (ID `gmk_id`) goes to `receiver_uri` (mikey_mcptt_guk_id).
inline std::uint32_t mcptt_guk_id(byte_view gmk, std::uint32_t gmk_id, const std::string &receiver_uri)
{
    const char *fn = "mikey_mcptt_guk_id";
    std::uint32_t guk_id = 0;
    detail::check(mikey_mcptt_guk_id(gmk.data(), gmk.size(), gmk_id, detail::c_string(receiver_uri, fn), &guk_id), fn);
    return guk_id;
}

/// The GMK-ID behind a GUK-ID (mikey_mcptt_gmk_id).
inline std::uint32_t mcptt_gmk_id(byte_view gmk, std::uint32_t guk_id, const std::string &receiver_uri)
{
    const char *fn = "mikey_mcptt_gmk_id";
    std::uint32_t gmk_id = 0;
    detail::check(mikey_mcptt_gmk_id(gmk.data(), gmk.size(), guk_id, detail::c_string(receiver_uri, fn), &gmk_id), fn);
    return gmk_id;
}

} // namespace mikey

#endif // MIKEY_HPP
