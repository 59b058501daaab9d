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
/// In lines, whitespace around an id is trimmed; blank lines and lines
/// starting with `#` are skipped, and so is a comment after an id
/// (`ID # note`); a UTF-8 byte-order mark at the start is removed. Lines end
/// with `\n`, `\r\n` or a lone `\r`. A line longer than [`MAX_LINE_BYTES`]
/// is an invalid entry whatever it holds (a comment line excepted), read in
/// pieces and never held whole. A UTF-16 file is refused before anything is
/// sent.
///
/// An item of an iterator is one entry exactly as given, as a single call
/// takes an id: one that is not a registration id (empty, padded with
/// spaces, `ID # note`) is an invalid entry, never trimmed into another id.
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
    /// A valid id seen earlier in the input (decided by the first pass, so
    /// the second needs no set of its own).
    pub duplicate: bool,
    /// A line longer than [`MAX_LINE_BYTES`]: invalid, whatever `text` (its
    /// first bytes, trimmed) holds.
    pub too_long: bool,
}

pub use crate::settings::MAX_LINE_BYTES;

/// How many entries the first pass reads between two looks at the cancel
/// token.
const CANCEL_EVERY: u64 = 1024;

/// The trimmed entry, or `None` for a blank or `#` comment entry; a comment
/// after whitespace (`ID # note`) is cut off (ids hold no whitespace).
pub(crate) fn normalize(raw: &str, first: bool) -> Option<&str> {
    let raw = if first {
        raw.strip_prefix('\u{feff}').unwrap_or(raw)
    } else {
        raw
    };
    let mut text = raw.trim();
    let mut prev_space = false;
    if let Some((at, _)) = text.char_indices().find(|&(_, c)| {
        let cut = c == '#' && prev_space;
        prev_space = c.is_whitespace();
        cut
    }) {
        text = text[..at].trim_end();
    }
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
    /// A hash of the set of distinct valid ids, whatever their order, hex.
    pub fingerprint: String,
    /// The first invalid entry's position and what is wrong with it (the
    /// core's message, which never repeats the entry).
    pub first_invalid: Option<(u64, String)>,
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
            lines: BufReader::new(SpoolFile {
                file: &self.file,
                #[cfg(test)]
                left: FAIL_SPOOL_AFTER.get(),
            }),
            line: String::new(),
        })
    }
}

/// A spool's file as its reader reads it; in this crate's tests, reads fail
/// after [`FAIL_SPOOL_AFTER`] bytes.
struct SpoolFile<'a> {
    file: &'a File,
    #[cfg(test)]
    left: Option<usize>,
}

impl Read for SpoolFile<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(test)]
        if let Some(left) = &mut self.left {
            if *left == 0 {
                return Err(std::io::Error::other("injected read failure"));
            }
            let room = buf.len().min(*left);
            let n = self.file.read(&mut buf[..room])?;
            *left -= n;
            return Ok(n);
        }
        self.file.read(buf)
    }
}

#[cfg(test)]
thread_local! {
    /// For tests: the spools this thread opens for reading fail after this
    /// many bytes, as a disk that fails mid-run would.
    pub(crate) static FAIL_SPOOL_AFTER: std::cell::Cell<Option<usize>> =
        const { std::cell::Cell::new(None) };
}

/// The entries of a [`Spool`], in input order. An error (the copy cannot be
/// read back, or a line of it is not what the first pass wrote) stops the
/// run: [`BulkErrorKind::WriteFailed`].
pub(crate) struct SpoolReader<'a> {
    lines: BufReader<SpoolFile<'a>>,
    line: String,
}

impl Iterator for SpoolReader<'_> {
    type Item = Result<Entry, BulkError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.line.clear();
        match self.lines.read_line(&mut self.line) {
            Ok(0) => None,
            Ok(_) => Some(parse_spooled(&self.line).ok_or_else(|| {
                BulkError::new(
                    BulkErrorKind::WriteFailed,
                    "stopped: the input's temporary copy is damaged",
                )
            })),
            Err(e) => Some(Err(BulkError::mid_run(
                "cannot read the input's temporary copy",
                &e,
            ))),
        }
    }
}

/// One line of a spool, as [`count`] writes it: an optional mark (`d`
/// duplicate, `l` too long), the position, a tab and the text as JSON.
fn parse_spooled(line: &str) -> Option<Entry> {
    let (position, text) = line.strip_suffix('\n')?.split_once('\t')?;
    let (duplicate, too_long, position) = match position.as_bytes().first() {
        Some(b'd') => (true, false, &position[1..]),
        Some(b'l') => (false, true, &position[1..]),
        _ => (false, false, position),
    };
    Some(Entry {
        position: position.parse().ok()?,
        text: serde_json::from_str(text).ok()?,
        duplicate,
        too_long,
    })
}

/// The first pass: reads the whole input once, counts its unique valid ids
/// (`valid` decides), fingerprints their set and copies the entries to a
/// spool. `Ok(None)` when `cancelled` said yes (it is asked every
/// [`CANCEL_EVERY`] entries): nothing more is read.
pub(crate) fn count(
    input: BulkInput,
    valid: impl Fn(&str) -> bool,
    seen: &mut IdSet,
    cancelled: &dyn Fn() -> bool,
) -> Result<Option<Counted>, BulkError> {
    let spool = tempfile::tempfile()
        .map_err(|e| BulkError::io("cannot create a temporary file for the input", &e))?;
    let mut out = BufWriter::new(spool);
    let mut set = SetHash::default();
    let mut unique_valid = 0u64;
    let mut entries = 0u64;
    let mut stop = false;
    let mut first_invalid = None;
    let mut add = |position: u64, text: &str, too_long: bool| -> Result<bool, BulkError> {
        entries += 1;
        let mut mark = "";
        if first_invalid.is_none() && (too_long || !valid(text)) {
            let why = if too_long {
                format!("a line longer than {MAX_LINE_BYTES} bytes")
            } else {
                crate::validate::registration_id(text).err().map_or_else(
                    || "not a registration id".to_owned(),
                    |e| e.message().to_owned(),
                )
            };
            first_invalid = Some((position, why));
        }
        if too_long {
            mark = "l";
        } else if valid(text) {
            if seen.insert(text) {
                unique_valid += 1;
                set.add(text);
            } else {
                mark = "d";
            }
        }
        let quoted = serde_json::to_string(text).unwrap_or_default();
        writeln!(out, "{mark}{position}\t{quoted}")
            .map_err(|e| BulkError::io("cannot write the input's temporary copy", &e))?;
        if entries.is_multiple_of(CANCEL_EVERY) && cancelled() {
            stop = true;
        }
        Ok(!stop)
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
            for (i, id) in ids.enumerate() {
                if !add(i as u64 + 1, &id, false)? {
                    break;
                }
            }
        }
        BulkInput::TryIds(ids) => {
            for (i, id) in ids.enumerate() {
                let id = id.map_err(|e| {
                    BulkError::new(BulkErrorKind::Io, format!("cannot read the input: {e}"))
                })?;
                if !add(i as u64 + 1, &id, false)? {
                    break;
                }
            }
        }
    }
    if stop || cancelled() {
        return Ok(None);
    }
    let spool = out
        .into_inner()
        .map_err(|e| BulkError::io("cannot write the input's temporary copy", e.error()))?;
    Ok(Some(Counted {
        entries,
        unique_valid,
        fingerprint: set.finish(unique_valid),
        first_invalid,
        spool: Spool { file: spool },
    }))
}

/// An order-insensitive hash of a set of ids: the SHA-256 of each id, added
/// lane by lane (wrapping), then hashed with the count.
#[derive(Default)]
struct SetHash {
    lanes: [u64; 4],
}

impl SetHash {
    fn add(&mut self, id: &str) {
        let h = Sha256::digest(id.as_bytes());
        for (lane, bytes) in self.lanes.iter_mut().zip(h.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(bytes);
            *lane = lane.wrapping_add(u64::from_le_bytes(b));
        }
    }

    fn finish(&self, count: u64) -> String {
        let mut digest = Sha256::new();
        digest.update(b"engagelab-push id set\n");
        digest.update(count.to_le_bytes());
        for lane in self.lanes {
            digest.update(lane.to_le_bytes());
        }
        hex(&digest.finalize())
    }
}

/// Calls `add` for every entry of a line-oriented reader, until it returns
/// false. Lines that are not UTF-8 are kept, with the bad bytes replaced, so
/// they are reported as invalid ids rather than stopping the run; a line is
/// kept up to [`MAX_LINE_BYTES`], and a longer one is an entry marked too
/// long (unless it starts as a comment). A UTF-16 byte-order mark is refused.
fn each_line(
    mut reader: impl BufRead,
    add: &mut impl FnMut(u64, &str, bool) -> Result<bool, BulkError>,
    name: &str,
) -> Result<(), BulkError> {
    let mut buf = Vec::new();
    let mut position = 0u64;
    let read_err = |e: std::io::Error| BulkError::io(format!("cannot read {name}"), &e);
    while let Some(cut) =
        read_line_capped(&mut reader, &mut buf, MAX_LINE_BYTES).map_err(read_err)?
    {
        position += 1;
        if position == 1 && (buf.starts_with(&[0xff, 0xfe]) || buf.starts_with(&[0xfe, 0xff])) {
            return Err(BulkError::invalid(format!(
                "{name} is UTF-16 text: save it as UTF-8 (or ASCII), one id per line; \
                 nothing was sent"
            )));
        }
        let line = String::from_utf8_lossy(&buf);
        let keep_on = if cut {
            // Its first bytes cannot be trimmed into an id: the rest of the
            // line, unread, could hold anything.
            let start = line.strip_prefix('\u{feff}').unwrap_or(&line).trim();
            start.starts_with('#') || add(position, start, true)?
        } else {
            match normalize(&line, position == 1) {
                Some(text) => add(position, text, false)?,
                None => true,
            }
        };
        if !keep_on {
            return Ok(());
        }
    }
    Ok(())
}

/// Reads the next line into `buf`, without its ending (`\n`, `\r\n` or a
/// lone `\r`), keeping at most `cap` bytes of it and dropping the rest
/// unread into memory: whether it was longer than `cap`, or `None` at the
/// end of the input.
fn read_line_capped(
    reader: &mut impl BufRead,
    buf: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<Option<bool>> {
    buf.clear();
    let mut any = false;
    let mut cut = false;
    loop {
        let (used, ended_by) = {
            let chunk = match reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Ok(any.then_some(cut));
            }
            any = true;
            let end = chunk.iter().position(|b| *b == b'\n' || *b == b'\r');
            let body = &chunk[..end.unwrap_or(chunk.len())];
            let room = cap.saturating_sub(buf.len());
            cut |= body.len() > room;
            buf.extend_from_slice(&body[..body.len().min(room)]);
            match end {
                Some(i) => (i + 1, Some(chunk[i])),
                None => (chunk.len(), None),
            }
        };
        reader.consume(used);
        match ended_by {
            None => continue,
            Some(b'\r') => loop {
                match reader.fill_buf() {
                    Ok(next) => {
                        if next.first() == Some(&b'\n') {
                            reader.consume(1);
                        }
                        return Ok(Some(cut));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            },
            Some(_) => return Ok(Some(cut)),
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
            "\u{feff}a\n\n# c\n b \na\nbad id\nc # a note\n"
                .as_bytes()
                .to_vec(),
        ));
        let mut counted = count(input, |id| !id.contains(' '), &mut seen, &|| false)
            .unwrap()
            .unwrap();
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

    fn entries_of(bytes: Vec<u8>) -> Vec<(u64, String)> {
        let mut seen = IdSet::default();
        let mut counted = count(
            BulkInput::reader(io::Cursor::new(bytes)),
            |_| true,
            &mut seen,
            &|| false,
        )
        .unwrap()
        .unwrap();
        counted
            .spool
            .entries()
            .unwrap()
            .map(|e| e.map(|e| (e.position, e.text)).unwrap())
            .collect()
    }

    #[test]
    fn the_fingerprint_follows_the_set_of_ids_not_their_order_or_layout() {
        let fp = |text: &str| {
            let mut seen = IdSet::default();
            count(
                BulkInput::reader(io::Cursor::new(text.as_bytes().to_vec())),
                |id| !id.contains(' '),
                &mut seen,
                &|| false,
            )
            .unwrap()
            .unwrap()
            .fingerprint
        };
        assert_eq!(fp("a\nb\n"), fp("# x\n a\r\n\nb"));
        assert_eq!(fp("a\nb\n"), fp("b\na\n"));
        assert_eq!(fp("a\nb\n"), fp("b\na\na\nbad id\n"));
        assert_ne!(fp("a\nb\n"), fp("a\nc\n"));
        assert_ne!(fp("a\nb\n"), fp("a\n"));
        assert_ne!(fp("a\nb\n"), fp("a\nb\nc\n"));
    }

    #[test]
    fn cr_only_endings_and_comments_after_an_id_are_read() {
        assert_eq!(
            entries_of(b"a\rb # note\r\rc\r\nd".to_vec()),
            [
                (1, "a".into()),
                (2, "b".into()),
                (4, "c".into()),
                (5, "d".into())
            ]
        );
        assert_eq!(normalize("a#b", false), Some("a#b"));
        assert_eq!(normalize("a\t# x", false), Some("a"));
    }

    #[test]
    fn a_line_longer_than_any_id_is_never_held_whole() {
        let mut bytes = vec![b'x'; 8 * 1024 * 1024];
        bytes.extend_from_slice(b"\nok\n");
        let got = entries_of(bytes);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.len(), MAX_LINE_BYTES);
        assert_eq!(got[1], (2, "ok".into()));
    }

    #[test]
    fn a_line_of_exactly_the_limit_is_still_read_as_an_id() {
        let line = format!("{}id-5\n", " ".repeat(MAX_LINE_BYTES - 4));
        let mut seen = IdSet::default();
        let input = BulkInput::reader(io::Cursor::new(line.into_bytes()));
        let mut counted = count(input, |_| true, &mut seen, &|| false)
            .unwrap()
            .unwrap();
        let entry = counted.spool.entries().unwrap().next().unwrap().unwrap();
        assert_eq!((entry.text.as_str(), entry.too_long), ("id-5", false));
    }

    #[test]
    fn utf16_is_refused_and_a_cancel_stops_the_first_pass() {
        let mut seen = IdSet::default();
        let utf16: Vec<u8> = "\u{feff}a\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let e = count(
            BulkInput::reader(io::Cursor::new(utf16)),
            |_| true,
            &mut seen,
            &|| false,
        )
        .err()
        .unwrap();
        assert!(e.message().contains("UTF-16"), "{e}");
        let ids = (0..10_000).map(|i| format!("id{i}"));
        let got = count(BulkInput::ids(ids), |_| true, &mut seen, &|| true).unwrap();
        assert!(got.is_none());
    }

    #[test]
    fn a_long_input_is_read_whole_and_a_late_cancel_still_stops_it() {
        let ids = || (0..3000).map(|i| format!("id{i}"));
        let mut seen = IdSet::default();
        let done = count(BulkInput::ids(ids()), |_| true, &mut seen, &|| false).unwrap();
        assert_eq!(done.map(|c| c.entries), Some(3000));
        let mut seen = IdSet::default();
        let got = count(BulkInput::ids(["a"]), |_| true, &mut seen, &|| true).unwrap();
        assert!(got.is_none());
    }

    #[test]
    fn fallible_items_are_numbered_and_the_first_error_stops_the_first_pass() {
        let items = |items: Vec<Result<&str, &str>>| {
            let owned: Vec<Result<String, String>> = items
                .into_iter()
                .map(|r| r.map(str::to_owned).map_err(str::to_owned))
                .collect();
            BulkInput::TryIds(Box::new(owned.into_iter()))
        };
        let mut seen = IdSet::default();
        let mut counted = count(
            items(vec![Ok("a"), Ok("b"), Ok("a")]),
            |_| true,
            &mut seen,
            &|| false,
        )
        .unwrap()
        .unwrap();
        assert_eq!((counted.entries, counted.unique_valid), (3, 2));
        let got: Vec<Entry> = counted
            .spool
            .entries()
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        let got: Vec<(u64, &str, bool)> = got
            .iter()
            .map(|e| (e.position, e.text.as_str(), e.duplicate))
            .collect();
        assert_eq!(got, [(1, "a", false), (2, "b", false), (3, "a", true)]);
        let mut seen = IdSet::default();
        let e = count(
            items(vec![Ok("a"), Err("gone")]),
            |_| true,
            &mut seen,
            &|| false,
        )
        .err()
        .unwrap();
        assert_eq!(
            (e.kind(), e.message()),
            (BulkErrorKind::Io, "cannot read the input: gone")
        );
    }

    /// A reader that gives these chunks and errors one by one, then its end.
    struct Steps(Vec<Result<&'static [u8], io::ErrorKind>>);

    impl Read for Steps {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            match self.0.remove(0) {
                Ok(chunk) => {
                    buf[..chunk.len()].copy_from_slice(chunk);
                    Ok(chunk.len())
                }
                Err(kind) => Err(kind.into()),
            }
        }
    }

    #[test]
    fn an_interrupted_read_is_retried_and_any_other_error_stops_the_run() {
        use io::ErrorKind::{Interrupted, Other};
        let read = |steps| {
            let mut seen = IdSet::default();
            let mut counted = count(
                BulkInput::reader(Steps(steps)),
                |_| true,
                &mut seen,
                &|| false,
            )?
            .unwrap();
            let ids: Vec<String> = counted.spool.entries()?.map(|e| e.unwrap().text).collect();
            Ok::<_, BulkError>(ids)
        };
        let steps = vec![
            Ok(&b"a\r"[..]),
            Err(Interrupted),
            Ok(b"\nb"),
            Err(Interrupted),
            Ok(b"\n"),
        ];
        assert_eq!(read(steps).unwrap(), ["a", "b"]);
        for steps in [vec![Err(Other)], vec![Ok(&b"a\r"[..]), Err(Other)]] {
            let e = read(steps).unwrap_err();
            assert!(e.message().contains("cannot read the input"), "{e}");
        }
    }

    #[test]
    fn a_spool_line_is_read_as_written_and_a_damaged_one_is_refused() {
        let entry = parse_spooled("d12\t\"a b\"\n").unwrap();
        assert_eq!((entry.position, entry.text.as_str()), (12, "a b"));
        assert!(entry.duplicate && !entry.too_long);
        assert!(parse_spooled("l3\t\"x\"\n").unwrap().too_long);
        for damaged in ["12\t\"a\"", "12 \"a\"\n", "x\t\"a\"\n", "12\ta\n"] {
            assert!(parse_spooled(damaged).is_none(), "{damaged:?}");
        }
    }

    /// A key of the set is its own hash: ids spread over the table rather
    /// than all landing in one bucket.
    #[test]
    fn the_set_hashes_a_key_to_itself() {
        let mut h = IdentityHasher::default();
        h.write_u64(0x0123_4567_89ab_cdef);
        assert_eq!(h.finish(), 0x0123_4567_89ab_cdef);
    }

    #[test]
    fn inputs_debug_without_their_contents() {
        let debug = |input: BulkInput| format!("{input:?}");
        assert_eq!(debug(BulkInput::file("ids.txt")), r#"File("ids.txt")"#);
        assert_eq!(debug(BulkInput::reader(io::empty())), "Reader(..)");
        assert_eq!(debug(BulkInput::ids(["secret-id"])), "Ids(..)");
        let try_ids = BulkInput::TryIds(Box::new(std::iter::empty()));
        assert_eq!(debug(try_ids), "TryIds(..)");
    }
}
