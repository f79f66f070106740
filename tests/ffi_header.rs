//! `include/mikey.h` (ARCHITECTURE.md, "The C API contract": header): it is what the pinned cbindgen generates from
//! src/ffi, its version macros equal Cargo's version, and it compiles cleanly as C99 and C++17
//! with `-Wall -Wextra -Wpedantic -Werror`.
//!
//! The regeneration check needs the pinned cbindgen CLI
//! (`cargo install cbindgen --version =0.29.4 --locked`). Without it the check is skipped with a
//! message, unless `CI` or `MIKEY_REQUIRE_TOOLS` is set, which makes a missing tool a failure.
//! The compile checks need gcc and g++ (or `CC` / `CXX`) under the same rule.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cbindgen version the committed header is generated with (also in cbindgen.toml).
const CBINDGEN_VERSION: &str = "0.29.4";

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn header_path() -> PathBuf {
    manifest_dir().join("include").join("mikey.h")
}

fn committed_header() -> String {
    fs::read_to_string(header_path()).expect("include/mikey.h is committed")
}

/// A scratch directory for this test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Skips (prints why and returns) when a tool is missing, unless CI demands every tool.
fn missing_tool(what: &str) {
    let required = env::var_os("CI").is_some() || env::var_os("MIKEY_REQUIRE_TOOLS").is_some();
    assert!(!required, "{what} is missing, and CI / MIKEY_REQUIRE_TOOLS demands it");
    eprintln!("SKIPPED: {what} is missing");
}

/// The cbindgen binary: `CBINDGEN`, else `cbindgen` on the PATH, else `$CARGO_HOME/bin`.
fn cbindgen() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = env::var_os("CBINDGEN").map(PathBuf::from).into_iter().collect();
    candidates.push(PathBuf::from("cbindgen"));
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| Path::new(&home).join(".cargo")));
    candidates.extend(cargo_home.map(|home| home.join("bin").join("cbindgen")));
    candidates.into_iter().find(|candidate| Command::new(candidate).arg("--version").output().is_ok())
}

#[test]
fn the_committed_header_is_what_the_pinned_cbindgen_generates() {
    let Some(cbindgen) = cbindgen() else {
        return missing_tool(&format!(
            "cbindgen {CBINDGEN_VERSION} (cargo install cbindgen --version ={CBINDGEN_VERSION} --locked)"
        ));
    };
    let version = Command::new(&cbindgen).arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout);
    assert_eq!(
        version.trim(),
        format!("cbindgen {CBINDGEN_VERSION}"),
        "the header is pinned to cbindgen {CBINDGEN_VERSION}; install it with \
         `cargo install cbindgen --version ={CBINDGEN_VERSION} --locked`"
    );
    let generated = scratch("ffi_header").join("mikey.h");
    let status = Command::new(&cbindgen)
        .current_dir(manifest_dir())
        .args(["--quiet", "--config", "cbindgen.toml", "--output"])
        .arg(&generated)
        .arg("src/ffi/mod.rs")
        .status()
        .unwrap();
    assert!(status.success(), "cbindgen failed");
    let generated = fs::read_to_string(generated).unwrap();
    let committed = committed_header();
    if generated != committed {
        let first_difference = generated
            .lines()
            .zip(committed.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| generated.lines().count().min(committed.lines().count()));
        panic!(
            "include/mikey.h is stale (first difference at line {}); regenerate it with\n    \
             cbindgen --config cbindgen.toml --output include/mikey.h src/ffi/mod.rs",
            first_difference + 1
        );
    }
}

/// The value of `#define NAME value` in the header.
fn define(header: &str, name: &str) -> Option<String> {
    header.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        (words.next() == Some("#define") && words.next() == Some(name)).then(|| words.collect::<Vec<_>>().join(" "))
    })
}

#[test]
fn the_version_macros_equal_cargos_version() {
    let header = committed_header();
    for (name, value) in [
        ("MIKEY_VERSION_MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("MIKEY_VERSION_MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("MIKEY_VERSION_PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        assert_eq!(define(&header, name).as_deref(), Some(value), "{name}");
    }
}

#[test]
fn the_result_codes_keep_their_numbers() {
    let header = committed_header();
    let codes = [
        "MIKEY_OK",
        "MIKEY_ERR_INVALID_ARGUMENT",
        "MIKEY_ERR_BUFFER_TOO_SMALL",
        "MIKEY_ERR_MALFORMED",
        "MIKEY_ERR_UNSUPPORTED",
        "MIKEY_ERR_AUTH_FAILED",
        "MIKEY_ERR_REPLAY",
        "MIKEY_ERR_TIMESTAMP",
        "MIKEY_ERR_POLICY",
        "MIKEY_ERR_STATE",
        "MIKEY_ERR_PEER_ERROR",
        "MIKEY_ERR_CRYPTO",
        "MIKEY_ERR_PANIC",
    ];
    for (number, name) in codes.iter().enumerate() {
        assert_eq!(define(&header, name), Some(number.to_string()), "{name}");
    }
}

/// A translation unit that includes the header and uses every declaration kind, so that the
/// compiler checks the prototypes, the struct layouts and the constants.
const TRANSLATION_UNIT: &str = r#"
#include "mikey.h"
#include "mikey.h" /* the include guard works */

#if MIKEY_VERSION_MAJOR != EXPECTED_MAJOR || MIKEY_VERSION_MINOR != EXPECTED_MINOR || MIKEY_VERSION_PATCH != EXPECTED_PATCH
#error "MIKEY_VERSION_* differ from Cargo's version"
#endif

typedef char check_result_width[sizeof(mikey_result) == 4 ? 1 : -1];
typedef char check_panic_code[MIKEY_ERR_PANIC == 12 ? 1 : -1];
typedef char check_key_size[sizeof(((mikey_srtp_keys *)0)->master_key) == 32 ? 1 : -1];
typedef char check_salt_size[sizeof(((mikey_srtp_keys *)0)->master_salt) == 14 ? 1 : -1];
typedef char check_mki_size[sizeof(((mikey_srtp_keys *)0)->mki) == 16 ? 1 : -1];

int mikey_header_check(void);

int mikey_header_check(void) {
    mikey_config *config = NULL;
    mikey_session *session = NULL;
    mikey_srtp_policy policy;
    mikey_srtp_keys keys;
    uint8_t buffer[256];
    size_t len = 0;
    uint8_t cs_id = 0;
    mikey_result result = mikey_config_new(MIKEY_METHOD_NULL, &config);
    result |= mikey_srtp_policy_init(&policy);
    policy.profile = 7;
    result |= mikey_config_set_srtp_policy(config, &policy);
    result |= mikey_config_set_identities(config, "sip:a@example.com", NULL);
    result |= mikey_config_set_interop(config, MIKEY_INTEROP_GSTREAMER_SP_LAYOUT | MIKEY_INTEROP_SSRC_ZERO);
    result |= mikey_config_set_replay_window(config, 60);
    result |= mikey_config_set_request_verification(config, 0);
    result |= mikey_session_new(config, MIKEY_ROLE_INITIATOR, &session);
    result |= mikey_session_add_srtp_stream(session, 1, 0, &cs_id);
    result |= mikey_session_create_message(session, buffer, sizeof buffer, &len);
    result |= mikey_session_process_message(session, buffer, len, buffer, sizeof buffer, &len);
    result |= mikey_session_take_response(session, NULL, 0, &len);
    result |= mikey_session_export_srtp(session, cs_id, &keys);
    mikey_srtp_keys_clear(&keys);
    if (mikey_session_state(session) == MIKEY_STATE_ESTABLISHED && mikey_session_cs_count(session) == 1) {
        result |= MIKEY_OK;
    }
    (void)mikey_session_last_error(session);
    (void)mikey_result_str(result);
    (void)mikey_version();
    result |= mikey_sdp_key_mgmt_encode(buffer, len, (char *)buffer, sizeof buffer, &len);
    result |= mikey_sdp_key_mgmt_decode("mikey AQAF", buffer, sizeof buffer, &len);
    result |= mikey_rtsp_key_mgmt_encode(buffer, len, "rtsp://h/s", (char *)buffer, sizeof buffer, &len);
    result |= mikey_rtsp_key_mgmt_count("prot=mikey; data=\"AQAF\"", &len);
    result |= mikey_rtsp_key_mgmt_decode("prot=mikey; data=\"AQAF\"", 0, buffer, sizeof buffer, &len);
    result |= mikey_rtsp_key_mgmt_uri("prot=mikey; data=\"AQAF\"", 0, (char *)buffer, sizeof buffer, &len);
    mikey_session_free(session);
    mikey_config_free(config);
    {
        mikey_dh_group group = MIKEY_DH_GROUP_OAKLEY5;
        mikey_method methods[8] = {MIKEY_METHOD_PSK, MIKEY_METHOD_NULL, MIKEY_METHOD_PK, MIKEY_METHOD_DH_SIGN,
                                   MIKEY_METHOD_DH_HMAC, MIKEY_METHOD_RSA_R, MIKEY_METHOD_TICKET, MIKEY_METHOD_SAKKE};
        mikey_state states[4] = {MIKEY_STATE_IDLE, MIKEY_STATE_WAIT_RESPONSE, MIKEY_STATE_ESTABLISHED, MIKEY_STATE_FAILED};
        mikey_role roles[2] = {MIKEY_ROLE_INITIATOR, MIKEY_ROLE_RESPONDER};
        uint32_t flags = MIKEY_INTEROP_TRAILING_PADDING_BYTE | MIKEY_INTEROP_MANDATORY_MKI_4
                         | MIKEY_INTEROP_TEK_WITH_CONCATENATED_SALT;
        result |= group + methods[7] + states[3] + roles[1] + flags + MIKEY_DH_GROUP_OAKLEY1 + MIKEY_DH_GROUP_OAKLEY2;
    }
    return (int)result;
}
"#;

/// A compiler: the environment variable `variable`, else `default`.
fn compiler(variable: &str, default: &str) -> Option<String> {
    let compiler = env::var(variable).unwrap_or_else(|_| default.to_owned());
    Command::new(&compiler).arg("--version").output().is_ok().then_some(compiler)
}

fn compile(compiler: &str, source_name: &str, standard: &str) {
    let dir = scratch("ffi_header_compile");
    let source = dir.join(source_name);
    fs::write(&source, TRANSLATION_UNIT).unwrap();
    let output = Command::new(compiler)
        .arg(format!("-std={standard}"))
        .args(["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-c"])
        .arg(format!("-DEXPECTED_MAJOR={}", env!("CARGO_PKG_VERSION_MAJOR")))
        .arg(format!("-DEXPECTED_MINOR={}", env!("CARGO_PKG_VERSION_MINOR")))
        .arg(format!("-DEXPECTED_PATCH={}", env!("CARGO_PKG_VERSION_PATCH")))
        .arg("-I")
        .arg(manifest_dir().join("include"))
        .arg("-o")
        .arg(dir.join(format!("{source_name}.o")))
        .arg(&source)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{compiler} -std={standard} rejected include/mikey.h:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_header_compiles_as_c99_with_every_warning_an_error() {
    match compiler("CC", "gcc") {
        Some(cc) => compile(&cc, "header_check.c", "c99"),
        None => missing_tool("a C compiler (gcc or CC)"),
    }
}

#[test]
fn the_header_compiles_as_cpp17_with_every_warning_an_error() {
    match compiler("CXX", "g++") {
        Some(cxx) => compile(&cxx, "header_check.cpp", "c++17"),
        None => missing_tool("a C++ compiler (g++ or CXX)"),
    }
}
