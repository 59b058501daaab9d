//! An append-only file whose every line is on disk (fsync'd) before
//! [`SyncedLog::append`] returns. Writers that arrive while a sync runs share
//! the next one (group commit), so many threads cost few syncs.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Condvar, Mutex};

pub(crate) struct SyncedLog {
    state: Mutex<State>,
    synced: Condvar,
}

struct State {
    file: File,
    /// Lines written to the file so far.
    written: u64,
    /// Lines known to be on disk.
    durable: u64,
    /// A thread is syncing.
    syncing: bool,
    /// The first write or sync error; every later append reports it.
    failed: Option<io::ErrorKind>,
}

impl SyncedLog {
    /// Opens `path` for appending, creating it (and making its directory
    /// entry durable) when missing.
    pub fn open(path: &Path) -> io::Result<SyncedLog> {
        let existed = path.exists();
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        if !existed {
            file.sync_all()?;
            sync_dir(path);
        }
        Ok(SyncedLog::from_file(file))
    }

    pub fn from_file(file: File) -> SyncedLog {
        SyncedLog {
            state: Mutex::new(State {
                file,
                written: 0,
                durable: 0,
                syncing: false,
                failed: None,
            }),
            synced: Condvar::new(),
        }
    }

    /// Appends `line` (which must end with a newline) in one write and
    /// returns once it is on disk.
    pub fn append(&self, line: &[u8]) -> io::Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(kind) = st.failed {
            return Err(kind.into());
        }
        if let Err(e) = st.file.write_all(line) {
            st.failed = Some(e.kind());
            return Err(e);
        }
        st.written += 1;
        let mine = st.written;
        loop {
            if let Some(kind) = st.failed {
                return Err(kind.into());
            }
            if st.durable >= mine {
                return Ok(());
            }
            if st.syncing {
                st = self.synced.wait(st).unwrap_or_else(|p| p.into_inner());
                continue;
            }
            st.syncing = true;
            let target = st.written;
            let file = st.file.try_clone();
            drop(st);
            let result = file.and_then(|f| f.sync_data());
            st = self.state.lock().unwrap_or_else(|p| p.into_inner());
            st.syncing = false;
            match result {
                Ok(()) => st.durable = st.durable.max(target),
                Err(e) => st.failed = Some(e.kind()),
            }
            self.synced.notify_all();
        }
    }
}

/// Makes a new file's directory entry durable (POSIX); elsewhere a no-op.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn lines_from_many_threads_all_arrive_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = Arc::new(SyncedLog::open(&path).unwrap());
        std::thread::scope(|s| {
            for t in 0..8 {
                let log = log.clone();
                s.spawn(move || {
                    for i in 0..50 {
                        log.append(format!("{t}-{i}\n").as_bytes()).unwrap();
                    }
                });
            }
        });
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.sort();
        lines.dedup();
        assert_eq!(lines.len(), 400);
    }
}
