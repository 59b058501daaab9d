//! Standard input as a run's input, read on a thread of its own. The core
//! looks for a cancel between lines, so a Ctrl-C while a slow producer
//! (`kafkacat ... | engagelab-push delete --from - --yes`) has not written the
//! next line would wait for that line; this reader ends the input instead.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};

use engagelab_push::{CANCEL_CHECK_INTERVAL, CancelToken};

/// Standard input until `token` is cancelled: then the end of the input, so
/// the run ends as interrupted with nothing sent. The reading thread stays
/// blocked until its read returns; the command exits before that.
pub struct UntilCancelled {
    chunks: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
    token: CancelToken,
}

impl UntilCancelled {
    pub fn new(token: CancelToken) -> UntilCancelled {
        // A few chunks ahead at most: the input is read as fast as it is
        // counted, not into memory.
        let (send, chunks) = sync_channel(4);
        std::thread::spawn(move || {
            let mut stdin = io::stdin().lock();
            loop {
                let mut chunk = vec![0u8; 64 * 1024];
                let read = match stdin.read(&mut chunk) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Ok(n) => {
                        chunk.truncate(n);
                        Ok(chunk)
                    }
                    Err(e) => Err(e),
                };
                let end = !matches!(&read, Ok(c) if !c.is_empty());
                if send.send(read).is_err() || end {
                    return;
                }
            }
        });
        UntilCancelled {
            chunks,
            chunk: Vec::new(),
            at: 0,
            token,
        }
    }
}

impl Read for UntilCancelled {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            if self.token.is_cancelled() {
                return Ok(0);
            }
            match self.chunks.recv_timeout(CANCEL_CHECK_INTERVAL) {
                Ok(Ok(chunk)) if chunk.is_empty() => return Ok(0),
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
