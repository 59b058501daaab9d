//! The PHP binding (`bindings/php`, Composer package
//! `engagelab-push/engagelab-push`): PHP's FFI over the shared library,
//! copied into `bindings/php/lib/linux-x86_64/` (gitignored: a release
//! commits it into its tag). The tests are Debian's PHPUnit under the CLI;
//! they drive php-fpm through cgi-fcgi and Composer through a path
//! repository themselves, and run the fault matrix through a toxiproxy
//! server started here. The demo deletes one device through PHP against a
//! fresh engagelab-mock.

use super::{Env, run};
use crate::apt::Package;

const DIR: &str = "php";

/// What the binding's tests and demo run on, from Debian.
const PACKAGES: &[Package] = &[
    Package::program("php-cli", "php"),
    Package::dpkg("php-fpm"),
    Package::program("phpunit", "phpunit"),
    Package::program("libfcgi-bin", "cgi-fcgi"),
    Package::program("composer", "composer"),
    Package::dpkg("php-curl"),
];

/// The system packages installed, and the library copied into the package.
pub(crate) fn prepare(env: &Env) -> Result<(), String> {
    crate::apt::ensure(
        PACKAGES,
        "the PHP binding (PHP CLI with FFI, php-fpm, PHPUnit, cgi-fcgi, Composer, curl)",
    )?;
    let dir = env.root.join("bindings/php/lib/linux-x86_64");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    // The real file behind the SONAME link: the package holds bytes, not a link.
    let source = env.lib_dir.join("libengagelab_push.so.0");
    let real = std::fs::canonicalize(&source).map_err(|e| format!("{}: {e}", source.display()))?;
    crate::clib::copy(&real, &dir.join("libengagelab_push.so"))?;
    println!(
        "php: placed {} in bindings/php/lib/linux-x86_64/",
        real.display()
    );
    Ok(())
}

/// PHPUnit over every test, with a toxiproxy server for the fault matrix
/// (`TOXIPROXY_URL`; FaultsTest skips itself without one).
pub(crate) fn test(env: &Env) -> Result<(), String> {
    prepare(env)?;
    let toxiproxy = crate::toxiproxy::Toxiproxy::start()?;
    println!("php: phpunit");
    run(env
        .command(DIR, "phpunit")
        .args(["--configuration", "phpunit.xml.dist"])
        .env("TOXIPROXY_URL", toxiproxy.url()))
}

pub(crate) fn demo(env: &Env) -> Result<(), String> {
    prepare(env)?;
    env.demo(
        DIR,
        "php",
        &["examples/delete_device.php"],
        "demo-php-device",
    )
}
