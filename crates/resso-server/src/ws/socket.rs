//! An upgraded connection over any byte stream — today the TCP stream itself; the seam is there for
//! TLS. Reads go through a stack buffer and only a partial frame is kept, so an idle connection holds
//! no buffer at all; whole pre-encoded frames are written straight from the shared broadcast
//! buffers, several in one vectored write, and only what the stream refused is copied aside until
//! it drains. On a `TcpStream` the poll methods are readiness plus one non-blocking syscall, with
//! one waker slot in the stream: no future or buffer per wait.
//!
//! Both [`Socket::recv`] and [`Socket::send`] are cancel-safe: they only wait for readiness, and
//! every byte read or not yet written lives in `self`.

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::frame::{self, Decoder, Incoming, Violation};

/// Stack space for one read; a client's frames are small (subscribes, client events, pongs).
const READ_CHUNK: usize = 4096;
/// Frames gathered into one `writev`.
const MAX_SLICES: usize = 64;
/// How long a closing handshake may take before the socket is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// A byte stream a WebSocket connection runs over.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for T {}

/// Why reading ended.
#[derive(Debug)]
pub enum ReadEnd {
    /// End of stream or a transport error.
    Gone,
    /// The client broke the protocol.
    Violation(Violation),
}

/// One WebSocket connection, server side.
pub struct Socket<S = TcpStream> {
    stream: S,
    decoder: Decoder,
    /// Received bytes not yet decoded (a partial frame); empty and unallocated when idle.
    unread: Vec<u8>,
    /// Encoded bytes the kernel did not take yet; empty and unallocated when drained.
    unsent: Vec<u8>,
}

/// Why a write that had to wait ended before everything was sent.
#[derive(Debug)]
pub(crate) enum Unsent<T> {
    /// The transport failed: the connection is gone.
    Failed,
    /// The client did not take it all within the stall time (a slow consumer: 4100).
    Stalled,
    /// The caller's `cancel` finished first, with this.
    Cancelled(T),
}

impl<S: Stream> Socket<S> {
    /// Wraps an upgraded stream; `early` is what the client sent after its upgrade request.
    #[must_use]
    pub fn new(stream: S, early: &[u8], max_message: usize) -> Self {
        Self {
            stream,
            decoder: Decoder::new(max_message),
            unread: early.to_vec(),
            unsent: Vec::new(),
        }
    }

    /// The same socket over its stream with the type erased, for a place that must hold sockets
    /// from any listener.
    #[must_use]
    pub fn erased(self) -> Socket<Box<dyn Stream>> {
        Socket {
            stream: Box::new(self.stream),
            decoder: self.decoder,
            unread: self.unread,
            unsent: self.unsent,
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

    /// Polls for the next message: decodes what is buffered, else reads what the stream has.
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
            if ready!(self.poll_fill(cx)).unwrap_or(0) == 0 {
                return Poll::Ready(Err(ReadEnd::Gone));
            }
        }
    }

    /// Reads what the stream has into `unread`, through a stack buffer; `Ok(0)` at its end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut chunk = [0u8; READ_CHUNK];
        let mut buf = ReadBuf::new(&mut chunk);
        ready!(Pin::new(&mut self.stream).poll_read(cx, &mut buf))?;
        self.unread.extend_from_slice(buf.filled());
        Poll::Ready(Ok(buf.filled().len()))
    }

    /// Writes whole encoded frames, in order, after anything still unsent.
    ///
    /// # Errors
    /// The transport's error; the connection is then gone.
    pub fn send<'a>(
        &'a mut self,
        frames: &'a [Bytes],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        // One poll_fn, not an `async fn` awaiting two: this future lives in every connection's task.
        let mut first = true;
        poll_fn(move |cx| {
            if std::mem::take(&mut first) {
                self.write_or_keep(cx, frames)?;
            }
            self.poll_drain(cx)
        })
    }

    /// The first poll of [`Self::send`], for a caller that waits apart (and bounded) when the
    /// stream cannot take everything now: `Pending` leaves the rest in `unsent`, for
    /// [`Self::drain_within`].
    pub(crate) fn start_send(
        &mut self,
        cx: &mut Context<'_>,
        frames: &[Bytes],
    ) -> Poll<io::Result<()>> {
        self.write_or_keep(cx, frames)?;
        self.poll_drain(cx)
    }

    /// Drains what [`Self::start_send`] kept, giving up when `cancel` finishes first or the client
    /// has not taken it all within `stall` — while a write waits nothing is read and no heartbeat
    /// runs, so a client that stops reading (or floods pings) would otherwise hold its connection
    /// forever. Callers box it: made only when a write must wait, its timer stays out of every
    /// connection's task.
    ///
    /// # Errors
    /// How the wait ended short of sending everything.
    pub(crate) async fn drain_within<F: Future + ?Sized>(
        &mut self,
        stall: std::time::Duration,
        cancel: Pin<&mut F>,
    ) -> Result<(), Unsent<F::Output>> {
        tokio::select! {
            r = self.send(&[]) => r.map_err(|_| Unsent::Failed),
            out = cancel => Err(Unsent::Cancelled(out)),
            () = tokio::time::sleep(stall) => Err(Unsent::Stalled),
        }
    }

    /// Writes what the stream takes now and keeps the rest in `unsent`; once something is kept,
    /// later frames are kept behind it.
    fn write_or_keep(&mut self, cx: &mut Context<'_>, frames: &[Bytes]) -> io::Result<()> {
        for group in frames.chunks(MAX_SLICES) {
            if self.unsent.is_empty() {
                let written = self.write_now(cx, group)?;
                self.keep_unsent(group, written);
            } else {
                self.keep_unsent(group, 0);
            }
        }
        Ok(())
    }

    /// One vectored write of `frames`, however much the stream takes (0 if it would block).
    fn write_now(&mut self, cx: &mut Context<'_>, frames: &[Bytes]) -> io::Result<usize> {
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        for (slice, frame) in slices.iter_mut().zip(frames) {
            *slice = IoSlice::new(frame);
        }
        let slices = &slices[..frames.len()];
        match Pin::new(&mut self.stream).poll_write_vectored(cx, slices) {
            Poll::Ready(written) => written,
            Poll::Pending => Ok(0),
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

    /// Writes everything unsent, then flushes the stream; gives the buffer back once drained.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.unsent.is_empty() {
            match ready!(Pin::new(&mut self.stream).poll_write(cx, &self.unsent))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => {
                    self.unsent.drain(..n);
                }
            }
        }
        self.unsent = Vec::new();
        // A no-op on TCP; a buffering stream (TLS) sends here.
        Pin::new(&mut self.stream).poll_flush(cx)
    }
}

/// The closing handshake (RFC 6455 §5.5.1), the same for every protocol spoken over a socket.
impl<S: Stream> Socket<S> {
    /// Sends `first` (a protocol's goodbye, if any) and a close frame with `code`, then waits
    /// briefly for the client's close. Boxed: it runs once per connection, so its state is not
    /// carried in every connection's task.
    pub fn close<'a>(
        &'a mut self,
        first: Vec<Bytes>,
        code: u16,
        reason: &'a str,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            let mut frames = first;
            frames.push(frame::close(
                code,
                resso_protocol::close::truncate_reason(reason),
            ));
            let handshake = async {
                self.send(&frames).await.ok()?;
                while !matches!(self.recv().await.ok()?, Incoming::Close(_)) {}
                Some(())
            };
            let _ = tokio::time::timeout(CLOSE_GRACE, handshake).await;
        })
    }

    /// Answers the client's close frame with its code (1000 when it gave none).
    pub async fn answer_close(&mut self, code: Option<u16>) {
        let answer = frame::close(code.unwrap_or(1000), "");
        let _ = tokio::time::timeout(CLOSE_GRACE, self.send(&[answer])).await;
    }
}
