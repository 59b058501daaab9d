//! Gives the shared library the SONAME of its ABI major version on Linux,
//! `libengagelab_push.so.MAJOR`, so programs linked against it record that
//! name (and `cargo xtask lib` installs the file under it), and marks it
//! never to be unloaded.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libengagelab_push.so.{major}");
        // Never unmapped once loaded: a host that dlclose()s it (koffi at
        // Node's exit, a Java class loader) would otherwise leave threads
        // whose thread-local destructors point into unmapped code.
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,nodelete");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
