//! Gives the shared library a SONAME on Linux, so programs linked against it
//! record `libengagelab_push.so` rather than the path they were linked with.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libengagelab_push.so");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
