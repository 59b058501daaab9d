//! A scratch directory under `target/xtask-tmp/`, removed when dropped.

use std::fs;
use std::path::PathBuf;

pub(crate) struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// A new empty directory `target/xtask-tmp/NAME-PID`.
    pub(crate) fn new(name: &str) -> Result<Scratch, String> {
        let dir = crate::clib::target_dir()
            .join("xtask-tmp")
            .join(format!("{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(Scratch { dir })
    }

    pub(crate) fn join(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}
