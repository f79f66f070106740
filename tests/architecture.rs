//! The architecture invariants of ARCHITECTURE.md that code cannot show by itself, checked on
//! the source text (as rust-analyzer's tidy tests do): which layer imports which, where
//! `unsafe` may be, and that only the method registry names methods. Test modules and comments
//! are not checked.

use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/`, with its library code: lines before any `#[cfg(test)]`,
/// comment lines left out.
fn library_sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    // Test modules in files of their own (`#[cfg(test)] mod tests;`).
    files.retain(|path| !path.ends_with("tests.rs"));
    files.sort();
    assert!(files.len() > 30, "found only {} source files", files.len());
    files
        .into_iter()
        .map(|path| {
            let text = fs::read_to_string(&path).expect("a readable source file");
            let code: Vec<&str> = text
                .lines()
                .take_while(|line| line.trim() != "#[cfg(test)]")
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect();
            let name = path.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
            (name, code.join("\n"))
        })
        .collect()
}

/// The crate modules a file's code refers to (`crate::name`).
fn crate_modules(code: &str) -> Vec<String> {
    code.match_indices("crate::")
        .map(|(at, _)| code[at + 7..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .filter(|name| name.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect()
}

/// Occurrences of `word` as a whole identifier.
fn mentions(code: &str, word: &str) -> usize {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(word)
        .filter(|(at, _)| {
            let before = code[..*at].chars().next_back().is_none_or(|c| !is_ident(c));
            let after = code[at + word.len()..].chars().next().is_none_or(|c| !is_ident(c));
            before && after
        })
        .count()
}

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    // (files starting with, the crate modules they must not use)
    let rules: [(&str, &[&str]); 11] = [
        ("src/wire/", &["crypto", "srtp", "bundle", "config", "replay", "exchange", "method", "session", "ffi"]),
        ("src/crypto/", &["srtp", "bundle", "config", "replay", "exchange", "method", "session", "ffi"]),
        ("src/srtp.rs", &["crypto", "bundle", "config", "replay", "exchange", "method", "session", "ffi"]),
        ("src/mcptt.rs", &["srtp", "bundle", "config", "replay", "exchange", "method", "session", "ffi"]),
        // The KMS XML reader stands alone: only errors and secrets.
        ("src/kms_xml.rs", &["wire", "crypto", "srtp", "bundle", "config", "replay", "exchange", "method", "session"]),
        ("src/replay.rs", &["srtp", "bundle", "config", "exchange", "method", "session", "ffi"]),
        ("src/bundle.rs", &["config", "replay", "exchange", "method", "session", "ffi"]),
        ("src/config.rs", &["bundle", "exchange", "session", "ffi"]),
        ("src/exchange/", &["session", "ffi"]),
        ("src/method/", &["session", "ffi"]),
        ("src/session.rs", &["exchange", "ffi"]),
    ];
    let mut broken = Vec::new();
    for (file, code) in library_sources() {
        for (_, forbidden) in rules.iter().filter(|(prefix, _)| file.starts_with(prefix)) {
            for module in crate_modules(&code).into_iter().filter(|module| forbidden.contains(&module.as_str())) {
                broken.push(format!("{file} uses crate::{module}"));
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn the_c_abi_sees_only_the_public_rust_api() {
    let mut broken = Vec::new();
    for (file, code) in library_sources().into_iter().filter(|(file, _)| file.starts_with("src/ffi/")) {
        // The crate root's re-exports (`crate::Session`), the SDP and MCPTT helpers, and ffi itself.
        let public = ["sdp", "mcptt", "ffi"];
        for module in crate_modules(&code).into_iter().filter(|module| !public.contains(&module.as_str())) {
            broken.push(format!("{file} uses crate::{module}"));
        }
    }
    assert!(broken.is_empty(), "ffi reaches past the public API:\n{}", broken.join("\n"));
}

#[test]
fn only_the_method_registry_names_methods() {
    let variants = ["Psk", "Null", "Pk", "DhSign", "DhHmac", "RsaR", "Ticket", "Sakke"];
    let mut broken = Vec::new();
    for (file, code) in library_sources() {
        // The registry; the C API's numbering of the methods, pinned at compile time; and the
        // `mikey` tool (src/bin/), a client of the public API that offers methods by name.
        if file == "src/method/mod.rs" || file == "src/ffi/types.rs" || file.starts_with("src/bin/") {
            continue;
        }
        for variant in variants {
            if mentions(&code, &format!("Method::{variant}")) > 0 {
                broken.push(format!("{file} names Method::{variant}"));
            }
        }
    }
    let session = library_sources().into_iter().find(|(file, _)| file == "src/session.rs").expect("src/session.rs");
    if mentions(&session.1, "Method") > 0 {
        broken.push("src/session.rs names the Method type".to_owned());
    }
    assert!(broken.is_empty(), "methods named outside the registry:\n{}", broken.join("\n"));
}

#[test]
fn unsafe_code_lives_only_in_crypto_and_ffi() {
    let outside: Vec<String> = library_sources()
        .into_iter()
        .filter(|(file, code)| {
            !file.starts_with("src/crypto/") && !file.starts_with("src/ffi/") && mentions(code, "unsafe") > 0
        })
        .map(|(file, _)| file)
        .collect();
    assert!(outside.is_empty(), "unsafe outside crypto/ and ffi/: {outside:?}");
}

/// The `/` and `%` operators in code (not in `//` comments or `/*`), whose time may depend on
/// their operands.
fn divisions(code: &str) -> usize {
    let bytes = code.as_bytes();
    (0..bytes.len())
        .filter(|&at| {
            let operator = bytes[at] == b'/' || bytes[at] == b'%';
            let neighbour = |i: Option<usize>| i.and_then(|i| bytes.get(i)).is_some_and(|&c| c == b'/' || c == b'*');
            operator && !neighbour(at.checked_sub(1)) && !neighbour(Some(at + 1))
        })
        .count()
}

/// The constant-time helpers that check RSA padding never divide (issue 13: the shift once
/// divided by a secret-dependent step).
#[test]
fn constant_time_code_never_divides() {
    let sources = library_sources();
    let ct = &sources.iter().find(|(file, _)| file == "src/crypto/ct.rs").expect("src/crypto/ct.rs").1;
    assert_eq!(divisions(ct), 0, "a division or remainder in src/crypto/ct.rs");
}

/// The hazardous primitives (the codec, the crypto backend with its raw RSA operations, the exchange pieces and the methods) are no documented API: the crate root
/// hides them, for tests, benches and fuzzing only.
#[test]
fn the_hazardous_modules_are_hidden() {
    let lib = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).expect("src/lib.rs");
    let lines: Vec<&str> = lib.lines().map(str::trim).collect();
    for module in ["crypto", "wire", "exchange", "method"] {
        let at = lines.iter().position(|line| *line == format!("pub mod {module};")).expect("declared in lib.rs");
        assert!(at > 0 && lines[at - 1] == "#[doc(hidden)]", "pub mod {module} is not #[doc(hidden)]");
    }
}

/// The project is its own reference: no file cites a document outside the repository or a
/// path of one machine (issue 13: a test read a machine's spec directory and skipped itself
/// elsewhere). The patterns are split so that this file does not match itself.
#[test]
fn no_file_cites_paths_outside_the_repository() {
    let forbidden = [concat!("/wo", "rk/"), concat!("../sha", "red"), concat!("DESI", "GN.md")];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = [
        "src",
        "tests",
        "include",
        "ffi-tests",
        "bindings",
        "cmake",
        "packaging",
        "benches",
        "fuzz/fuzz_targets",
        ".ci",
    ]
    .iter()
    .map(|dir| root.join(dir))
    .chain(
        ["README.md", "ARCHITECTURE.md", "Cargo.toml", "cbindgen.toml", "build.rs"].iter().map(|file| root.join(file)),
    )
    .collect();
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                fs::read_dir(&path).expect("a readable directory").map(|entry| entry.expect("an entry").path()),
            );
        } else if let Ok(text) = fs::read_to_string(&path) {
            files.push((path, text));
        }
    }
    assert!(files.len() > 50, "found only {} files", files.len());
    let citing: Vec<String> = files
        .iter()
        .filter(|(_, text)| forbidden.iter().any(|pattern| text.contains(pattern)))
        .map(|(path, _)| path.strip_prefix(root).expect("under the root").display().to_string())
        .collect();
    assert!(citing.is_empty(), "files citing paths outside the repository: {citing:?}");
}

#[test]
fn the_checks_see_what_they_look_for() {
    // Each rule above can fail: the helpers find what the rules forbid.
    assert_eq!(crate_modules("use crate::wire::{A};\nuse crate::Session; crate::exchange::x()"), ["wire", "exchange"]);
    assert_eq!(mentions("Method::Psk, Method::PskX, SomeMethod::Psk", "Method::Psk"), 1);
    assert_eq!(mentions("unsafe { } // unsafe_code", "unsafe"), 1);
    assert_eq!(divisions("let half = len / 2; // a comment /* */ let odd = n % 2;"), 2);
    let sources = library_sources();
    let lib = &sources.iter().find(|(file, _)| file == "src/lib.rs").expect("src/lib.rs").1;
    assert!(mentions(lib, "Method") > 0, "lib.rs re-exports Method");
}

#[test]
fn the_protocol_code_does_not_need_the_kms_xml_reader() {
    // The reader is an optional feature: nothing else in the library may use it.
    let users: Vec<String> = library_sources()
        .into_iter()
        .filter(|(file, code)| file != "src/lib.rs" && crate_modules(code).iter().any(|module| module == "kms_xml"))
        .map(|(file, _)| file)
        .collect();
    assert!(users.is_empty(), "these files use crate::kms_xml: {users:?}");
}
