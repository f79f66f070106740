//! The library files (ARCHITECTURE.md, "The C API contract": library files), Linux only: `libmikey.so` has the SONAME
//! `libmikey.so.<major>` and exports exactly the functions of `include/mikey.h`, all `mikey_*`;
//! a C program links against the .so and against the .a (with the documented native static
//! libraries) and runs a MIKEY exchange.
//!
//! Static linking (Linux, glibc): link `libmikey.a` together with
//! `-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc`, the list printed by
//! `cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs`.
//!
//! The test first runs `cargo build --lib` for its own profile (`cargo test` alone does not
//! refresh libmikey.so / libmikey.a) and then uses `target/<profile>/`. The tools
//! (readelf, nm, gcc) are skipped with a message when missing, unless `CI` or
//! `MIKEY_REQUIRE_TOOLS` is set.
#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The native libraries `libmikey.a` needs on Linux (glibc), as rustc prints them.
const NATIVE_STATIC_LIBS: &[&str] = &["-lgcc_s", "-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"];

/// `target/<profile>`, where cargo puts libmikey.so and libmikey.a.
fn profile_dir() -> PathBuf {
    let exe = env::current_exe().unwrap();
    // target/<profile>/deps/ffi_symbols-<hash>
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// A library file in `target/<profile>`, rebuilt first: `cargo test` builds the crate as an rlib
/// for the tests and leaves libmikey.so and libmikey.a as they were.
fn library(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let profile_dir = profile_dir();
        let mut build = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build.current_dir(env!("CARGO_MANIFEST_DIR")).args(["build", "--lib", "--target-dir"]);
        build.arg(profile_dir.parent().unwrap());
        match profile_dir.file_name().and_then(|name| name.to_str()) {
            Some("debug") => {}
            Some("release") => drop(build.arg("--release")),
            Some(other) => drop(build.args(["--profile", other])),
            None => panic!("unexpected target directory {}", profile_dir.display()),
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "cargo build --lib failed");
    });
    let path = profile_dir().join(name);
    assert!(path.exists(), "{} is missing after cargo build --lib", path.display());
    path
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a tool and returns its standard output, or `None` (after a skip message) when missing.
fn tool_output(program: &str, args: &[&str], file: &Path) -> Option<String> {
    match Command::new(program).args(args).arg(file).output() {
        Ok(output) => {
            assert!(output.status.success(), "{program} failed: {}", String::from_utf8_lossy(&output.stderr));
            Some(String::from_utf8(output.stdout).unwrap())
        }
        Err(_) => {
            missing_tool(program);
            None
        }
    }
}

fn missing_tool(what: &str) {
    let required = env::var_os("CI").is_some() || env::var_os("MIKEY_REQUIRE_TOOLS").is_some();
    assert!(!required, "{what} is missing, and CI / MIKEY_REQUIRE_TOOLS demands it");
    eprintln!("SKIPPED: {what} is missing");
}

/// The functions `include/mikey.h` declares.
fn header_functions() -> BTreeSet<String> {
    let header = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/mikey.h")).unwrap();
    header
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()) && !line.starts_with("typedef"))
        .flat_map(|line| {
            // Every "mikey_<name>(" of a declaration's first line: the function's name.
            line.match_indices("mikey_").filter_map(|(start, _)| {
                let name: String =
                    line[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                line[start + name.len()..].starts_with('(').then_some(name)
            })
        })
        .collect()
}

#[test]
fn the_shared_library_has_a_versioned_soname() {
    let Some(dynamic) = tool_output("readelf", &["-d"], &library("libmikey.so")) else { return };
    let expected = format!("[libmikey.so.{}]", env!("CARGO_PKG_VERSION_MAJOR"));
    let soname = dynamic.lines().find(|line| line.contains("(SONAME)")).expect("the library has a SONAME");
    assert!(soname.trim_end().ends_with(&expected), "{soname}");
}

#[test]
fn the_shared_library_exports_exactly_the_header_functions() {
    let Some(symbols) = tool_output("nm", &["-D", "--defined-only"], &library("libmikey.so")) else { return };
    let mut exported = BTreeSet::new();
    for line in symbols.lines() {
        // "<address> <type> <name>[@@version]"
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, kind, name] = fields[..] else { panic!("unexpected nm line {line:?}") };
        let name = name.split('@').next().unwrap();
        assert!(name.starts_with("mikey_"), "only mikey_* may be exported, found {kind} {name}");
        assert_eq!(kind, "T", "{name} should be a function");
        exported.insert(name.to_owned());
    }
    assert_eq!(exported, header_functions(), "exported functions vs include/mikey.h");
    assert!(exported.len() >= 28, "{exported:?}");
}

/// A C program that runs a NULL-method exchange with verification through the C API.
const EXCHANGE_PROGRAM: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mikey.h"

#define CHECK(call, expected) do { \
        mikey_result result_ = (call); \
        if (result_ != (expected)) { \
            fprintf(stderr, "%s:%d: %s = %s, expected %s\n", __FILE__, __LINE__, #call, \
                    mikey_result_str(result_), mikey_result_str(expected)); \
            return 1; \
        } \
    } while (0)

int main(void) {
    mikey_config *config = NULL;
    mikey_session *initiator = NULL, *responder = NULL;
    mikey_srtp_policy policy;
    mikey_srtp_keys sender, receiver;
    uint8_t *message, response[1024];
    size_t message_len = 0, response_len = 0;
    uint8_t cs_id = 0;

    if (strcmp(mikey_version(), EXPECTED_VERSION) != 0) {
        fprintf(stderr, "version %s\n", mikey_version());
        return 1;
    }
    CHECK(mikey_config_new(MIKEY_METHOD_NULL, &config), MIKEY_OK);
    CHECK(mikey_srtp_policy_init(&policy), MIKEY_OK);
    policy.profile = 2;
    policy.mki_len = 4;
    CHECK(mikey_config_set_srtp_policy(config, &policy), MIKEY_OK);
    CHECK(mikey_config_set_request_verification(config, 1), MIKEY_OK);
    CHECK(mikey_session_new(config, MIKEY_ROLE_INITIATOR, &initiator), MIKEY_OK);
    CHECK(mikey_session_new(config, MIKEY_ROLE_RESPONDER, &responder), MIKEY_OK);
    mikey_config_free(config);

    CHECK(mikey_session_add_srtp_stream(initiator, 0xCAFE, 3, &cs_id), MIKEY_OK);
    CHECK(mikey_session_create_message(initiator, NULL, 0, &message_len), MIKEY_ERR_BUFFER_TOO_SMALL);
    message = malloc(message_len);
    CHECK(mikey_session_create_message(initiator, message, message_len, &message_len), MIKEY_OK);
    CHECK(mikey_session_process_message(responder, message, message_len, response, sizeof response, &response_len),
          MIKEY_OK);
    CHECK(mikey_session_process_message(initiator, response, response_len, NULL, 0, &response_len), MIKEY_OK);
    if (response_len != 0 || mikey_session_state(initiator) != MIKEY_STATE_ESTABLISHED) {
        return 1;
    }
    CHECK(mikey_session_export_srtp(initiator, cs_id, &sender), MIKEY_OK);
    CHECK(mikey_session_export_srtp(responder, cs_id, &receiver), MIKEY_OK);
    if (sender.ssrc != 0xCAFE || sender.roc != 3 || sender.profile != 2 || sender.auth_tag_len != 4
        || sender.mki_len != 4 || receiver.mki_len != 4 || sender.master_key_len != 16
        || memcmp(sender.master_key, receiver.master_key, 16) != 0
        || memcmp(sender.master_salt, receiver.master_salt, 14) != 0) {
        fprintf(stderr, "exported keys differ\n");
        return 1;
    }
    mikey_srtp_keys_clear(&sender);
    mikey_srtp_keys_clear(&receiver);
    CHECK(mikey_session_process_message(responder, message, message_len, response, sizeof response, &response_len),
          MIKEY_ERR_REPLAY);
    if (strlen(mikey_session_last_error(responder)) == 0) {
        return 1;
    }
    free(message);
    mikey_session_free(initiator);
    mikey_session_free(responder);
    mikey_session_free(NULL);
    mikey_config_free(NULL);
    puts("ok");
    return 0;
}
"#;

/// Compiles the exchange program with `link` arguments and runs it; false when gcc is missing.
fn build_and_run(name: &str, link: &[&std::ffi::OsStr], environment: &[(&str, &Path)]) -> bool {
    let dir = scratch("ffi_symbols");
    let source = dir.join("exchange.c");
    fs::write(&source, EXCHANGE_PROGRAM).unwrap();
    let program = dir.join(name);
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let compiled = Command::new(env::var("CC").unwrap_or_else(|_| "gcc".into()))
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror"])
        .arg(format!("-DEXPECTED_VERSION=\"{}\"", env!("CARGO_PKG_VERSION")))
        .arg("-I")
        .arg(include)
        .arg(&source)
        .args(link)
        .arg("-o")
        .arg(&program)
        .output();
    let Ok(compiled) = compiled else {
        missing_tool("gcc (or CC)");
        return false;
    };
    assert!(compiled.status.success(), "{name}: {}", String::from_utf8_lossy(&compiled.stderr));
    let mut run = Command::new(&program);
    for (key, value) in environment {
        run.env(key, value);
    }
    let output = run.output().unwrap();
    assert!(
        output.status.success() && output.stdout == b"ok\n",
        "{name} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    true
}

#[test]
fn a_c_program_links_against_the_shared_library_by_its_soname() {
    // Install-like layout: libmikey.so.<major> plus the development symlink.
    let lib = scratch("ffi_symbols_lib");
    let soname = format!("libmikey.so.{}", env!("CARGO_PKG_VERSION_MAJOR"));
    fs::copy(library("libmikey.so"), lib.join(&soname)).unwrap();
    let link = lib.join("libmikey.so");
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink(&soname, &link).unwrap();
    let args = [std::ffi::OsStr::new("-L"), lib.as_os_str(), "-lmikey".as_ref()];
    if !build_and_run("exchange_shared", &args, &[("LD_LIBRARY_PATH", &lib)]) {
        return;
    }
    if let Some(dynamic) = tool_output("readelf", &["-d"], &scratch("ffi_symbols").join("exchange_shared")) {
        assert!(dynamic.contains(&format!("[{soname}]")), "the program needs the SONAME:\n{dynamic}");
    }
}

#[test]
fn a_c_program_links_statically_with_the_documented_native_libraries() {
    let archive = library("libmikey.a");
    let mut args = vec![archive.as_os_str()];
    args.extend(NATIVE_STATIC_LIBS.iter().map(std::ffi::OsStr::new));
    build_and_run("exchange_static", &args, &[]);
}

#[test]
fn the_debian_symbols_file_lists_exactly_the_header_functions() {
    let symbols =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/debian/libmikey0.symbols")).unwrap();
    let listed: BTreeSet<String> = symbols
        .lines()
        .filter_map(|line| line.strip_prefix(' '))
        .map(|line| line.split('@').next().unwrap().to_owned())
        .collect();
    assert_eq!(listed, header_functions(), "packaging/debian/libmikey0.symbols is stale");
    assert!(symbols.starts_with("libmikey.so.0 libmikey0 #MINVER#\n"));
}
