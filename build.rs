//! Link settings of the C shared library (ARCHITECTURE.md, "The C API contract": library files): on Linux the cdylib
//! gets the SONAME `libmikey.so.<major>`, both symbol hash tables, and exports only `mikey_*`
//! through `mikey.map`.
//!
//! The header is not generated here: `include/mikey.h` is committed, produced by the pinned
//! cbindgen CLI (see cbindgen.toml), and tests/ffi_header.rs fails when it is stale.

use std::env;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=mikey.map");
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os != "linux" {
        return;
    }
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets CARGO_PKG_VERSION_MAJOR");
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    // The linker reads a copy in OUT_DIR: it stays where the cached build expects it when the
    // source tree moves (packaging builds a copy of it), which a path into the sources would not.
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let version_script = Path::new(&out_dir).join("mikey.map");
    std::fs::copy(Path::new(&manifest_dir).join("mikey.map"), &version_script).expect("mikey.map is readable");
    let version_script = version_script.to_str().expect("OUT_DIR is UTF-8");
    // `-Wl,` splits its argument at commas.
    assert!(!version_script.contains(','), "the path of OUT_DIR must not contain a comma: {version_script}");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmikey.so.{major}");
    // Both the GNU and the SysV symbol hash tables: some distribution checkers (rpmlint's
    // missing-hash-section) still require the SysV one.
    println!("cargo:rustc-cdylib-link-arg=-Wl,--hash-style=both");
    println!("cargo:rustc-cdylib-link-arg=-Wl,--version-script={version_script}");
}
