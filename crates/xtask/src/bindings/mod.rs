//! The language bindings over the C ABI (`bindings/<language>/`): each one is
//! a module here whose `test` and `demo` functions run that language's own
//! tools. `cargo xtask binding LANG test|demo` calls them.
//!
//! What every binding is given ([`Env`]):
//! - `lib_dir`: `cargo xtask lib --release` output, with
//!   `libengagelab_push.so.VERSION`, its links and `libengagelab_push.a`;
//! - `mock_bin`: the `engagelab-mock` binary, which the binding's tests start
//!   themselves (see tests/contract/scenarios/README.md for the contract).
//!
//! The same values reach the language's tools as the environment variables
//! `ENGAGELAB_LIB_DIR` and `ENGAGELAB_MOCK_BIN`.

pub(crate) mod go;
pub(crate) mod java;
pub(crate) mod node;
pub(crate) mod php;

use std::path::PathBuf;
use std::process::Command;

/// What a binding's test or demo needs, already built.
pub(crate) struct Env {
    /// The workspace root.
    pub root: PathBuf,
    /// The directory of the C library, laid out as it ships.
    pub lib_dir: PathBuf,
    /// The engagelab-mock binary.
    pub mock_bin: PathBuf,
}

impl Env {
    /// Builds the release library and the mock.
    pub(crate) fn build() -> Result<Env, String> {
        let lib_dir = crate::clib::build(true)?;
        Ok(Env {
            root: crate::root(),
            lib_dir,
            mock_bin: crate::mock::binary()?,
        })
    }

    /// A command run in `bindings/<dir>` with `ENGAGELAB_LIB_DIR` and
    /// `ENGAGELAB_MOCK_BIN` set.
    pub(crate) fn command(&self, dir: &str, program: &str) -> Command {
        let mut cmd = Command::new(program);
        // `cargo run` (which runs xtask) points LD_LIBRARY_PATH at target/;
        // a binding must find the library its own way, as users' would.
        cmd.env_remove("LD_LIBRARY_PATH");
        cmd.current_dir(self.root.join("bindings").join(dir))
            .env("ENGAGELAB_LIB_DIR", &self.lib_dir)
            .env("ENGAGELAB_MOCK_BIN", &self.mock_bin);
        cmd
    }

    /// A binding's demo: `program ARGS… device` run in `bindings/<dir>`
    /// against a fresh engagelab-mock seeded with `device`, with the mock's
    /// credentials; fails unless it exits 0 and the device is gone.
    pub(crate) fn demo(
        &self,
        dir: &str,
        program: &str,
        args: &[&str],
        device: &str,
    ) -> Result<(), String> {
        let mock = crate::mock::Mock::spawn(&self.mock_bin, &["--device", device])?;
        let url = mock.url();
        println!("{dir} demo: engagelab-mock at {url}, seeded with {device}");
        println!("{dir} demo: {program} {} {device}", args.join(" "));
        run(self
            .command(dir, program)
            .args(args)
            .arg(device)
            .env("ENGAGELAB_APP_KEY", crate::mock::APP_KEY)
            .env("ENGAGELAB_MASTER_SECRET", crate::mock::MASTER_SECRET)
            .env("ENGAGELAB_BASE_URL", url)
            .env_remove("ENGAGELAB_REGION"))?;
        if mock.devices()?.iter().any(|d| d == device) {
            return Err(format!("{dir} demo: {device} is still on the mock"));
        }
        Ok(())
    }
}

// Its messages show the program and its arguments, not the environment the
// demos give the mock's Master Secret in.
pub(crate) use crate::process::run;

/// A binding's `test` or `demo`.
pub(crate) type Action = fn(&Env) -> Result<(), String>;

/// Every binding: its name, its `test` and its `demo`.
pub(crate) fn known() -> &'static [(&'static str, Action, Action)] {
    &[
        ("go", go::test, go::demo),
        ("java", java::test, java::demo),
        ("node", node::test, node::demo),
        ("php", php::test, php::demo),
    ]
}

/// `cargo xtask binding LANG ACTION`.
pub(crate) fn main(language: &str, action: &str) -> Result<(), String> {
    let known = known();
    let Some((_, test, demo)) = known.iter().find(|(name, _, _)| *name == language) else {
        let names: Vec<&str> = known.iter().map(|(n, _, _)| *n).collect();
        return Err(format!(
            "no binding {language:?}; the bindings are: {}",
            names.join(", ")
        ));
    };
    let env = Env::build()?;
    match action {
        "test" => test(&env),
        "demo" => demo(&env),
        _ => Err(format!("binding actions are test and demo, not {action:?}")),
    }
}
