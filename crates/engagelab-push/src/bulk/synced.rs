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
    /// The file is a regular file, which `fsync` makes durable; a pipe or a
    /// terminal (`--report /dev/stdout`) has nothing to sync, and `fsync`
    /// refuses it (EINVAL): its lines are durable once written.
    syncable: bool,
    /// The first write or sync error; every later append reports it.
    failed: Option<io::ErrorKind>,
}

impl SyncedLog {
    /// Opens `path` for appending, creating it private to its owner (0600)
    /// and making its directory entry durable when missing; a last line cut
    /// short by a crash or a full disk is cut off first, so the file stays
    /// JSON Lines (a whole JSON object missing only its newline is kept and
    /// ended).
    pub fn open(path: &Path) -> io::Result<SyncedLog> {
        let file = open_private(path, true)?;
        drop_torn_tail(&file)?;
        Ok(SyncedLog::from_file(file))
    }

    pub fn from_file(file: File) -> SyncedLog {
        let syncable = file.metadata().is_ok_and(|m| m.is_file());
        SyncedLog {
            state: Mutex::new(State {
                file,
                written: 0,
                durable: 0,
                syncing: false,
                syncable,
                failed: None,
            }),
            synced: Condvar::new(),
        }
    }

    /// Appends `line` (which must end with a newline) in one write, not
    /// waiting for the disk: a crash of the process loses nothing, a crash of
    /// the machine may.
    pub fn write(&self, line: &[u8]) -> io::Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        Self::write_locked(&mut st, line)
    }

    fn write_locked(st: &mut State, line: &[u8]) -> io::Result<()> {
        if let Some(kind) = st.failed {
            return Err(kind.into());
        }
        // One write(2) per line, so no other writer (nor a crash) can cut it.
        match st.file.write(line) {
            Ok(n) if n == line.len() => Ok(()),
            Ok(_) => {
                st.failed = Some(io::ErrorKind::WriteZero);
                Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "a line was written only in part (is the disk full?)",
                ))
            }
            Err(e) => {
                st.failed = Some(e.kind());
                Err(e)
            }
        }
    }

    /// Appends `line` (which must end with a newline) in one write and
    /// returns once it is on disk.
    pub fn append(&self, line: &[u8]) -> io::Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        Self::write_locked(&mut st, line)?;
        st.written += 1;
        if !st.syncable {
            st.durable = st.written;
        }
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

/// Cuts a last line that has no newline (a crash or a full disk mid-write)
/// off a regular file, so every line left is whole.
fn drop_torn_tail(file: &File) -> io::Result<()> {
    let meta = file.metadata()?;
    if !meta.is_file() || meta.len() == 0 {
        return Ok(());
    }
    let mut end = meta.len();
    let mut buf = vec![0u8; 64 * 1024];
    let mut first = true;
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        read_exact_at(file, chunk, start)?;
        if first && chunk.last() == Some(&b'\n') {
            return Ok(());
        }
        first = false;
        if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
            return cut_at(file, start + i as u64 + 1);
        }
        end = start;
    }
    cut_at(file, 0)
}

/// The longest last line without a newline that is looked at: longer than
/// any line this tool writes, so a longer one is another's.
const MAX_TAIL: u64 = 4 << 20;

/// Cuts `file` at `at`, where its torn last line starts. A last line that
/// parses as a JSON object is whole, only its newline is missing (a file written by
/// `json.dump` or `JSON.stringify`, never a line of this tool's cut short,
/// which ends before its closing `}`): it is kept and given its newline. A
/// line that does not start as one of this tool's JSON lines, or is longer
/// than any, is another's (a user's notes named by mistake): nothing of the
/// file is cut or added.
fn cut_at(file: &File, at: u64) -> io::Result<()> {
    let len = file.metadata()?.len() - at;
    let mut tail = vec![0u8; usize::try_from(len.min(MAX_TAIL)).unwrap_or(0)];
    read_exact_at(file, &mut tail, at)?;
    if len <= MAX_TAIL
        && serde_json::from_slice::<serde_json::Value>(&tail).is_ok_and(|v| v.is_object())
    {
        let mut f = file;
        f.write_all(b"\n")?;
        return f.sync_data();
    }
    if tail.first() != Some(&b'{') || len > MAX_TAIL {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "it ends with a line that is not one of this tool's JSON lines; \
             it was left as it is: name another file",
        ));
    }
    file.set_len(at)?;
    file.sync_data()
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(not(unix))]
fn read_exact_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file;
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(buf)
}

/// Opens `path` for appending (and reading, with `read`), creating it
/// private to its owner (0600 on Unix) and making its directory entry durable
/// when missing. An existing file keeps its mode.
pub(crate) fn open_private(path: &Path, read: bool) -> io::Result<File> {
    let existed = path.exists();
    let mut options = OpenOptions::new();
    options.create(true).append(true).read(read);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    if !existed {
        file.sync_all()?;
        sync_dir(path);
    }
    Ok(file)
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

    #[test]
    fn a_whole_last_json_object_without_newline_is_kept_a_torn_one_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let whole = "{\"a\":1}\n{\"b\":{\"c\":[2]}}";
        std::fs::write(&path, whole).unwrap();
        SyncedLog::open(&path).unwrap().append(b"{}\n").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{whole}\n{{}}\n"));

        // Each strict prefix of a line is torn: cut, never kept.
        let line = "{\"b\":{\"c\":[2]}}";
        for cut in 1..line.len() {
            std::fs::write(&path, format!("{{\"a\":1}}\n{}", &line[..cut])).unwrap();
            SyncedLog::open(&path).unwrap();
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text, "{\"a\":1}\n", "cut at {cut}");
        }

        // Another's last line, JSON or not, is left as it is, and refused.
        for foreign in ["notes", "[1,2]", "42"] {
            std::fs::write(&path, format!("{{\"a\":1}}\n{foreign}")).unwrap();
            let e = SyncedLog::open(&path).err().expect(foreign);
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{foreign}");
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(text, format!("{{\"a\":1}}\n{foreign}"));
        }
    }

    #[cfg(unix)]
    #[test]
    fn lines_appended_to_a_pipe_are_not_synced() {
        let (mut reader, writer) = std::io::pipe().unwrap();
        let log = SyncedLog::from_file(File::from(std::os::fd::OwnedFd::from(writer)));
        log.append(b"one\n").unwrap();
        log.append(b"two\n").unwrap();
        drop(log);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
        assert_eq!(text, "one\ntwo\n");
    }
}
