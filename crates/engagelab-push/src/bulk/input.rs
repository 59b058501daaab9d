//! The ids of a bulk run: where they come from, how a line becomes an id, and
//! the compact set that keeps an id from being sent twice.

use std::collections::HashSet;
use std::fs::File;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, Write};
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use super::error::{BulkError, BulkErrorKind};

/// Where a bulk run reads its ids: one id per line (a file, a reader) or per
/// item (an iterator).
///
/// Whitespace around an id is trimmed; blank entries and entries starting
/// with `#` are skipped; a UTF-8 byte-order mark at the start is removed.
///
/// Every input is read **once**, in a first pass that counts and
/// fingerprints it while copying its entries to an anonymous temporary file
/// (in the system's temporary directory, deleted when the run ends); the run
/// then reads that copy. So an iterator or a pipe is consumed once, memory
/// stays flat however long the input is, and a file changed during the run
/// cannot slip past the guard.
pub enum BulkInput {
    /// A file of ids, one per line.
    File(PathBuf),
    /// Any reader of ids, one per line (e.g. standard input).
    Reader(Box<dyn Read + Send>),
    /// Any iterator of ids, one per item.
    Ids(Box<dyn Iterator<Item = String> + Send>),
    /// An iterator whose items may fail (e.g. one driven by another
    /// language): the first `Err` stops the run before anything is sent,
    /// with its text in a [`BulkErrorKind::Io`](super::BulkErrorKind::Io).
    TryIds(Box<dyn Iterator<Item = Result<String, String>> + Send>),
}

impl BulkInput {
    /// The ids in a file, one per line.
    pub fn file(path: impl Into<PathBuf>) -> BulkInput {
        BulkInput::File(path.into())
    }

    /// The ids read from `reader`, one per line.
    pub fn reader(reader: impl Read + Send + 'static) -> BulkInput {
        BulkInput::Reader(Box::new(reader))
    }

    /// The ids an iterator yields, one per item.
    pub fn ids<I>(ids: I) -> BulkInput
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: Into<String> + 'static,
    {
        BulkInput::Ids(Box::new(ids.into_iter().map(Into::into)))
    }
}

impl std::fmt::Debug for BulkInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BulkInput::File(p) => f.debug_tuple("File").field(p).finish(),
            BulkInput::Reader(_) => f.write_str("Reader(..)"),
            BulkInput::Ids(_) => f.write_str("Ids(..)"),
            BulkInput::TryIds(_) => f.write_str("TryIds(..)"),
        }
    }
}

impl<S: Into<String>> From<Vec<S>> for BulkInput
where
    S: Send + 'static,
{
    fn from(ids: Vec<S>) -> BulkInput {
        BulkInput::ids(ids)
    }
}

/// One entry of the input that is not skipped: its position (1-based line or
/// item number) and its trimmed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub position: u64,
    pub text: String,
}

/// The trimmed entry, or `None` for a blank or `#` comment entry.
pub(crate) fn normalize(raw: &str, first: bool) -> Option<&str> {
    let raw = if first {
        raw.strip_prefix('\u{feff}').unwrap_or(raw)
    } else {
        raw
    };
    let text = raw.trim();
    if text.is_empty() || text.starts_with('#') {
        None
    } else {
        Some(text)
    }
}

/// A set of 64-bit hashes (SipHash-1-3, fixed keys) of ids: about 9–18
/// bytes per id. Two different ids with the same hash (odds about n²/2⁶⁵,
/// 3·10⁻⁸ at a million ids) would make the second count as a duplicate.
#[derive(Default)]
pub(crate) struct IdSet {
    hashes: HashSet<u64, BuildHasherDefault<IdentityHasher>>,
}

impl IdSet {
    /// Adds the id; false when it was already there.
    pub fn insert(&mut self, id: &str) -> bool {
        self.hashes.insert(key(id))
    }

    pub fn contains(&self, id: &str) -> bool {
        self.hashes.contains(&key(id))
    }

    pub fn clear(&mut self) {
        self.hashes = HashSet::default();
    }
}

fn key(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// The set's keys are already hashes: they are used as they are.
#[derive(Default)]
pub(crate) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// What the first pass learnt about the input.
pub(crate) struct Counted {
    /// Entries (blank and `#` lines not counted).
    pub entries: u64,
    /// Valid ids, each counted once.
    pub unique_valid: u64,
    /// SHA-256 over the entries in order, hex.
    pub fingerprint: String,
    /// The copy read by the run.
    pub spool: Spool,
}

/// The input's entries, copied once to a temporary file.
pub(crate) struct Spool {
    file: File,
}

impl Spool {
    /// Reads the copy from its start.
    pub fn entries(&mut self) -> Result<SpoolReader<'_>, BulkError> {
        self.file
            .rewind()
            .map_err(|e| BulkError::io("cannot read the input's temporary copy", &e))?;
        Ok(SpoolReader {
            lines: BufReader::new(&self.file),
            line: String::new(),
        })
    }
}

/// The entries of a [`Spool`], in input order.
pub(crate) struct SpoolReader<'a> {
    lines: BufReader<&'a File>,
    line: String,
}

impl Iterator for SpoolReader<'_> {
    type Item = Result<Entry, BulkError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.line.clear();
        match self.lines.read_line(&mut self.line) {
            Ok(0) => None,
            Ok(_) => {
                let (position, text) = self.line.trim_end_matches('\n').split_once('\t')?;
                let position = position.parse().ok()?;
                let text: String = serde_json::from_str(text).ok()?;
                Some(Ok(Entry { position, text }))
            }
            Err(e) => Some(Err(BulkError::io(
                "cannot read the input's temporary copy",
                &e,
            ))),
        }
    }
}

/// The first pass: reads the whole input once, counts its unique valid ids
/// (`valid` decides), fingerprints it and copies its entries to a spool.
pub(crate) fn count(
    input: BulkInput,
    valid: impl Fn(&str) -> bool,
    seen: &mut IdSet,
) -> Result<Counted, BulkError> {
    let spool = tempfile::tempfile()
        .map_err(|e| BulkError::io("cannot create a temporary file for the input", &e))?;
    let mut out = BufWriter::new(spool);
    let mut digest = Sha256::new();
    let mut unique_valid = 0u64;
    let mut entries = 0u64;
    let mut add = |position: u64, text: &str| -> Result<(), BulkError> {
        entries += 1;
        digest.update(text.as_bytes());
        digest.update(b"\n");
        if valid(text) && seen.insert(text) {
            unique_valid += 1;
        }
        let quoted = serde_json::to_string(text).unwrap_or_default();
        writeln!(out, "{position}\t{quoted}")
            .map_err(|e| BulkError::io("cannot write the input's temporary copy", &e))
    };
    match input {
        BulkInput::File(path) => {
            let file = File::open(&path).map_err(|e| {
                BulkError::io(format!("cannot open the input {}", path.display()), &e)
            })?;
            each_line(
                BufReader::new(file),
                &mut add,
                &format!("{}", path.display()),
            )?;
        }
        BulkInput::Reader(reader) => each_line(BufReader::new(reader), &mut add, "the input")?,
        BulkInput::Ids(ids) => {
            for (i, raw) in ids.enumerate() {
                if let Some(text) = normalize(&raw, i == 0) {
                    add(i as u64 + 1, text)?;
                }
            }
        }
        BulkInput::TryIds(ids) => {
            for (i, raw) in ids.enumerate() {
                let raw = raw.map_err(|e| {
                    BulkError::new(BulkErrorKind::Io, format!("cannot read the input: {e}"))
                })?;
                if let Some(text) = normalize(&raw, i == 0) {
                    add(i as u64 + 1, text)?;
                }
            }
        }
    }
    let spool = out
        .into_inner()
        .map_err(|e| BulkError::io("cannot write the input's temporary copy", e.error()))?;
    Ok(Counted {
        entries,
        unique_valid,
        fingerprint: hex(&digest.finalize()),
        spool: Spool { file: spool },
    })
}

/// Calls `add` for every entry of a line-oriented reader. Lines that are not
/// UTF-8 are kept, with the bad bytes replaced, so they are reported as
/// invalid ids rather than stopping the run.
fn each_line(
    mut reader: impl BufRead,
    add: &mut impl FnMut(u64, &str) -> Result<(), BulkError>,
    name: &str,
) -> Result<(), BulkError> {
    let mut buf = Vec::new();
    let mut position = 0u64;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| BulkError::io(format!("cannot read {name}"), &e))?;
        if n == 0 {
            return Ok(());
        }
        position += 1;
        let line = String::from_utf8_lossy(&buf);
        if let Some(text) = normalize(&line, position == 1) {
            add(position, text)?;
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn lines_are_trimmed_and_comments_skipped() {
        assert_eq!(normalize("\u{feff}  abc \r\n", true), Some("abc"));
        assert_eq!(normalize("\u{feff}abc", false), Some("\u{feff}abc"));
        assert_eq!(normalize("   ", false), None);
        assert_eq!(normalize("# note", false), None);
        assert_eq!(normalize("  #x", false), None);
    }

    #[test]
    fn the_first_pass_counts_unique_valid_ids_and_keeps_every_entry() {
        let mut seen = IdSet::default();
        let input = BulkInput::reader(io::Cursor::new(
            "\u{feff}a\n\n# c\n b \na\nbad id\nc".as_bytes().to_vec(),
        ));
        let mut counted = count(input, |id| !id.contains(' '), &mut seen).unwrap();
        assert_eq!(counted.unique_valid, 3);
        let entries: Vec<Entry> = counted
            .spool
            .entries()
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        let got: Vec<(u64, &str)> = entries
            .iter()
            .map(|e| (e.position, e.text.as_str()))
            .collect();
        assert_eq!(got, [(1, "a"), (4, "b"), (5, "a"), (6, "bad id"), (7, "c")]);
    }

    #[test]
    fn the_fingerprint_follows_the_entries_not_the_layout() {
        let fp = |text: &str| {
            let mut seen = IdSet::default();
            count(
                BulkInput::reader(io::Cursor::new(text.as_bytes().to_vec())),
                |_| true,
                &mut seen,
            )
            .unwrap()
            .fingerprint
        };
        assert_eq!(fp("a\nb\n"), fp("# x\n a\r\n\nb"));
        assert_ne!(fp("a\nb\n"), fp("a\nc\n"));
        assert_ne!(fp("a\nb\n"), fp("b\na\n"));
    }
}
