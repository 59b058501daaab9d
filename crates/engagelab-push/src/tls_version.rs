//! The TLS version a connection negotiated, read from the server's
//! ServerHello as it passes below the TLS layer, and reported to the call
//! running on the thread (see [`crate::call::Trace::tls_version`]).
//!
//! ureq's rustls transport does not expose its session, so the link below it
//! reads the one cleartext message that names the version: the ServerHello's
//! `supported_versions` extension (TLS 1.3) or its `legacy_version` (TLS 1.2
//! and older). It only looks at a connection's first bytes from the server
//! and never changes them.

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

use crate::call;

/// Wraps each connection below the TLS layer in a [`Sniffed`].
#[derive(Debug, Default)]
pub(crate) struct SniffTls;

impl<In: Transport> Connector<In> for SniffTls {
    type Out = Sniffed<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        Ok(chained.map(|inner| Sniffed {
            inner,
            looked: false,
            version: None,
        }))
    }
}

/// A connection whose first answer bytes are read for a ServerHello.
#[derive(Debug)]
pub(crate) struct Sniffed<T> {
    inner: T,
    /// Whether the first bytes from the server were looked at.
    looked: bool,
    /// The version the ServerHello chose.
    version: Option<u16>,
}

impl<T: Transport> Transport for Sniffed<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        if let Some(v) = self.version {
            call::note_tls_version(v);
        }
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let more = self.inner.await_input(timeout)?;
        if !self.looked {
            let input = self.inner.buffers().input();
            if input.len() >= 5 {
                self.looked = true;
                self.version = server_hello_version(input);
                if let Some(v) = self.version {
                    call::note_tls_version(v);
                }
            }
        }
        Ok(more)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

/// The version a TLS ServerHello at the start of `bytes` chose; `None` when
/// the bytes are not one (plain HTTP, a proxy's answer) or are cut short.
pub(crate) fn server_hello_version(bytes: &[u8]) -> Option<u16> {
    let u16_at = |i: usize| -> Option<u16> {
        Some(u16::from_be_bytes([*bytes.get(i)?, *bytes.get(i + 1)?]))
    };
    // Record: type 22 (handshake), version, length; handshake: type 2
    // (ServerHello), 3-byte length.
    if bytes.first() != Some(&22) || bytes.get(5) != Some(&2) {
        return None;
    }
    let legacy = u16_at(9)?;
    // legacy_version (2) and random (32) follow the 4-byte handshake header.
    let mut i = 9 + 2 + 32;
    let session_len = usize::from(*bytes.get(i)?);
    i += 1 + session_len + 2 + 1; // session id, cipher suite, compression
    let Some(ext_len) = u16_at(i) else {
        return Some(legacy); // no extensions: TLS 1.2 or older
    };
    let end = (i + 2 + usize::from(ext_len)).min(bytes.len());
    i += 2;
    while i + 4 <= end {
        let kind = u16_at(i)?;
        let len = usize::from(u16_at(i + 2)?);
        if kind == 0x002b && len == 2 {
            return u16_at(i + 4);
        }
        i += 4 + len;
    }
    Some(legacy)
}

/// `TLS 1.3` for `0x0304`, and so on.
pub(crate) fn name(version: u16) -> String {
    match version {
        0x0300 => "SSL 3.0".to_owned(),
        0x0301..=0x0304 => format!("TLS 1.{}", version - 0x0301),
        other => format!("TLS 0x{other:04x}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hello(legacy: u16, extensions: &[u8]) -> Vec<u8> {
        let mut body = legacy.to_be_bytes().to_vec();
        body.extend([7u8; 32]);
        body.extend([0u8]); // no session id
        body.extend([0x13, 0x01, 0]);
        if !extensions.is_empty() {
            body.extend((extensions.len() as u16).to_be_bytes());
            body.extend(extensions);
        }
        let mut out = vec![22, 3, 3, 0, 0, 2, 0, 0, body.len() as u8];
        out.extend(body);
        out
    }

    #[test]
    fn reads_the_chosen_version() {
        let tls13 = hello(0x0303, &[0, 0x33, 0, 1, 9, 0, 0x2b, 0, 2, 3, 4]);
        assert_eq!(server_hello_version(&tls13), Some(0x0304));
        assert_eq!(server_hello_version(&hello(0x0303, &[])), Some(0x0303));
        assert_eq!(server_hello_version(b"HTTP/1.1 200 OK\r\n"), None);
        assert_eq!(name(0x0304), "TLS 1.3");
        assert_eq!(name(0x0303), "TLS 1.2");
    }
}
