//! Reading the CA file of [`ClientBuilder::ca_file`](crate::ClientBuilder::ca_file),
//! bounded: a device, a FIFO or a huge file is refused instead of read.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use ureq::tls::{Certificate, PemItem};

use crate::error::Error;

pub use crate::settings::MAX_CA_FILE_BYTES;

/// Reads the PEM certificates of a CA file.
///
/// Only a regular file (a symlink to one is followed) of at most
/// [`MAX_CA_FILE_BYTES`] is read: its metadata is checked before it is opened
/// (so a device such as `/dev/zero`, which never ends, is not opened), the
/// open never blocks (a FIFO swapped in after that check is opened and
/// refused, not waited on), the opened file is checked again, and at most one
/// byte past the cap is read in any case. Every certificate must be one the
/// TLS stack can trust (not just PEM framing). Anything else is
/// `InvalidArgument` naming `ca_file`.
pub(crate) fn load(path: &Path) -> Result<Vec<Certificate<'static>>, Error> {
    let shown = crate::validate::shown_url(&path.to_string_lossy());
    let bad = |why: String| Error::invalid_argument(format!("ca_file {shown}: {why}"));
    let check = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            return Err(bad(
                "is not a regular file (a device, FIFO or directory is not read)".to_owned(),
            ));
        }
        if meta.len() > MAX_CA_FILE_BYTES {
            return Err(bad(format!(
                "is {} bytes; at most {MAX_CA_FILE_BYTES} are read",
                meta.len()
            )));
        }
        Ok(())
    };
    let cannot = |e: std::io::Error| bad(format!("cannot read it ({})", e.kind()));
    check(&std::fs::metadata(path).map_err(cannot)?)?;
    let file = open_without_blocking(path).map_err(cannot)?;
    check(&file.metadata().map_err(cannot)?)?;
    let mut pem = Vec::new();
    file.take(MAX_CA_FILE_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(cannot)?;
    if pem.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(bad(format!(
            "is over {MAX_CA_FILE_BYTES} bytes; at most that many are read"
        )));
    }
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => {
                // What the TLS stack will do with it: a certificate it cannot
                // parse as a trust anchor would be dropped without a word
                // when the first call builds its root store.
                let der = rustls::pki_types::CertificateDer::from(cert.der());
                if rustls::RootCertStore::empty().add(der).is_err() {
                    return Err(bad(format!(
                        "certificate {} is not a valid X.509 certificate",
                        certs.len() + 1
                    )));
                }
                certs.push(cert);
            }
            Ok(_) => {}
            Err(_) => return Err(bad("not valid PEM".to_owned())),
        }
    }
    if certs.is_empty() {
        return Err(bad("contains no PEM certificate".to_owned()));
    }
    Ok(certs)
}

/// Opens `path` for reading with `O_NONBLOCK` (and `O_NOCTTY`): opening a
/// FIFO with no writer returns at once. Reading a regular file is unchanged.
fn open_without_blocking(path: &Path) -> std::io::Result<File> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NONBLOCK | OFlags::NOCTTY).bits() as i32)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(path: &str, says: &str) {
        let e = load(Path::new(path)).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
        assert!(e.message().starts_with("ca_file"), "{}", e.message());
        assert!(e.message().contains(says), "{}", e.message());
    }

    #[test]
    fn devices_and_directories_are_not_read() {
        refused("/dev/zero", "not a regular file");
        refused("/dev/null", "not a regular file");
        refused("/", "not a regular file");
        refused("/no/such/file.pem", "cannot read it");
    }
}
