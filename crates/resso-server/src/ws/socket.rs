//! An upgraded connection: the TCP stream itself, read and written through readiness (`readable`,
//! `try_read`, `writable`, `try_write_vectored`) so that an idle connection holds no buffer at all.
//! Reads go through a stack buffer and only a partial frame is kept; whole pre-encoded frames are
//! written straight from the shared broadcast buffers, several in one `writev`, and only what the
//! kernel refused is copied aside until the socket drains.
//!
//! Both [`Socket::recv`] and [`Socket::send`] are cancel-safe: they only wait for readiness, and
//! every byte read or not yet written lives in `self`.

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use tokio::net::TcpStream;

use super::frame::{Decoder, Incoming, Violation};

/// Stack space for one read; a client's frames are small (subscribes, client events, pongs).
const READ_CHUNK: usize = 4096;
/// Frames gathered into one `writev`.
const MAX_SLICES: usize = 64;

/// Why reading ended.
#[derive(Debug)]
pub enum ReadEnd {
    /// End of stream or a transport error.
    Gone,
    /// The client broke the protocol.
    Violation(Violation),
}

/// One WebSocket connection, server side.
pub struct Socket {
    stream: TcpStream,
    decoder: Decoder,
    /// Received bytes not yet decoded (a partial frame); empty and unallocated when idle.
    unread: Vec<u8>,
    /// Encoded bytes the kernel did not take yet; empty and unallocated when drained.
    unsent: Vec<u8>,
}

impl Socket {
    /// Wraps an upgraded stream; `early` is what the client sent after its upgrade request.
    #[must_use]
    pub fn new(stream: TcpStream, early: &[u8], max_message: usize) -> Self {
        Self {
            stream,
            decoder: Decoder::new(max_message),
            unread: early.to_vec(),
            unsent: Vec::new(),
        }
    }

    /// Puts `bytes` (the 101 response) before anything sent later, so that they leave together.
    #[must_use]
    pub fn with_unsent(mut self, bytes: Vec<u8>) -> Self {
        self.unsent = bytes;
        self
    }

    /// The next message from the client.
    ///
    /// # Errors
    /// How reading ended.
    pub async fn recv(&mut self) -> Result<Incoming, ReadEnd> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next message: decodes what is buffered, else reads what the kernel has.
    /// Readiness is polled directly (one waker slot in the stream) rather than through a
    /// `readable()` future, which would queue a waiter on every wake-up and add its state to the
    /// connection task.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<Incoming, ReadEnd>> {
        loop {
            match self.decoder.decode(&mut self.unread) {
                Ok(Some(message)) => {
                    if self.unread.is_empty() {
                        self.unread = Vec::new();
                    }
                    return Poll::Ready(Ok(message));
                }
                Ok(None) => {}
                Err(violation) => return Poll::Ready(Err(ReadEnd::Violation(violation))),
            }
            if ready!(self.stream.poll_read_ready(cx)).is_err() {
                return Poll::Ready(Err(ReadEnd::Gone));
            }
            match self.fill() {
                Ok(0) => return Poll::Ready(Err(ReadEnd::Gone)),
                Err(e) if e.kind() != io::ErrorKind::WouldBlock => {
                    return Poll::Ready(Err(ReadEnd::Gone))
                }
                // Read something, or readiness was stale (and is cleared now): go round.
                _ => {}
            }
        }
    }

    /// Reads what the kernel has into `unread`, through a stack buffer.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; READ_CHUNK];
        let n = self.stream.try_read(&mut chunk)?;
        self.unread.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    /// Writes whole encoded frames, in order, after anything still unsent.
    ///
    /// # Errors
    /// The transport's error; the connection is then gone.
    pub async fn send(&mut self, frames: &[Bytes]) -> io::Result<()> {
        self.write_or_keep(frames)?;
        self.drain().await
    }

    /// Writes what the kernel takes now and keeps the rest in `unsent`; once something is kept,
    /// later frames are kept behind it.
    fn write_or_keep(&mut self, frames: &[Bytes]) -> io::Result<()> {
        for group in frames.chunks(MAX_SLICES) {
            if self.unsent.is_empty() {
                let written = self.write_now(group)?;
                self.keep_unsent(group, written);
            } else {
                self.keep_unsent(group, 0);
            }
        }
        Ok(())
    }

    /// One `writev` of `frames`, however much the kernel takes (0 if it would block).
    fn write_now(&self, frames: &[Bytes]) -> io::Result<usize> {
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        for (slice, frame) in slices.iter_mut().zip(frames) {
            *slice = IoSlice::new(frame);
        }
        match self.stream.try_write_vectored(&slices[..frames.len()]) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            other => other,
        }
    }

    /// Copies the part of `frames` past the first `written` bytes into `unsent`.
    fn keep_unsent(&mut self, frames: &[Bytes], mut written: usize) {
        for frame in frames {
            if written >= frame.len() {
                written -= frame.len();
                continue;
            }
            self.unsent.extend_from_slice(&frame[written..]);
            written = 0;
        }
    }

    /// Waits until everything unsent is written.
    async fn drain(&mut self) -> io::Result<()> {
        if !self.unsent.is_empty() {
            poll_fn(|cx| self.poll_drain(cx)).await?;
        }
        self.unsent = Vec::new();
        Ok(())
    }

    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.unsent.is_empty() {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_write(&self.unsent) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    self.unsent.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }
}
