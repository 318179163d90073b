//! A server-side TLS stream over TCP on rustls's unbuffered API, so that the buffers are ours and
//! an idle connection holds none: rustls's buffered connection keeps a 4 KiB receive buffer for
//! the life of every connection, more than the rest of an idle connection together. Reads go
//! through a stack buffer (as [`crate::ws::Socket`]'s do) and only a partial record is kept;
//! written plaintext is encrypted into a buffer that lives until the kernel has taken it. Several
//! frames of one vectored write are gathered into one record, as one `writev` sends them on TCP.

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use rustls::server::{ServerConnectionData, UnbufferedServerConnection};
use rustls::unbuffered::{
    ConnectionState, EncodeError, EncryptError, UnbufferedConnectionCommon, UnbufferedStatus,
};
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

mod traits;

/// Stack space for one read: a client's records are small.
const READ_CHUNK: usize = 4096;
/// Largest plaintext of one record.
const MAX_RECORD: usize = 16 * 1024;
/// Room for a record's header, content type, padding and tag, more than any cipher suite needs.
const RECORD_OVERHEAD: usize = 64;

/// A TLS connection, server side, past its handshake (see [`accept`]).
pub struct TlsStream {
    tcp: TcpStream,
    conn: UnbufferedServerConnection,
    /// TLS bytes received but not yet a whole record; empty and unallocated when idle.
    incoming: Vec<u8>,
    /// Decrypted bytes the reader has not taken yet; empty and unallocated when idle.
    plaintext: Vec<u8>,
    /// Encrypted bytes the kernel has not taken yet; empty and unallocated when drained.
    outgoing: Vec<u8>,
    /// The client sent close_notify, or its TCP stream ended.
    read_closed: bool,
    /// close_notify is queued or sent.
    close_sent: bool,
}

/// Where driving rustls over the received bytes stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The handshake needs more bytes from the client.
    Handshaking,
    /// Application data can flow; whole records are all read.
    Traffic,
    /// Both sides closed.
    Closed,
}

/// Makes the TLS handshake over `tcp`; what the client sends after it is kept for the first read.
///
/// # Errors
/// The handshake failed or the client left.
pub async fn accept(tcp: TcpStream, config: Arc<ServerConfig>) -> io::Result<TlsStream> {
    let conn = UnbufferedServerConnection::new(config).map_err(invalid)?;
    let mut stream = TlsStream {
        tcp,
        conn,
        incoming: Vec::new(),
        plaintext: Vec::new(),
        outgoing: Vec::new(),
        read_closed: false,
        close_sent: false,
    };
    poll_fn(|cx| stream.poll_handshake(cx)).await?;
    Ok(stream)
}

fn invalid(error: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error)
}

impl TlsStream {
    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_send(cx))?;
            let mut incoming = std::mem::take(&mut self.incoming);
            let driven = drive(self.parts(), &mut incoming, &[]);
            if let Err(e) = driven {
                // The alert rustls queued for the client, if the kernel takes it now.
                let _ = drive(self.parts(), &mut [], &[]);
                let _ = self.poll_send(cx);
                return Poll::Ready(Err(e));
            }
            let (used, stop) = driven?;
            incoming.drain(..used);
            self.incoming = incoming;
            match stop {
                Stop::Traffic if self.outgoing.is_empty() => {
                    self.incoming.shrink_to_fit();
                    return Poll::Ready(Ok(()));
                }
                Stop::Traffic => {}
                Stop::Closed => return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into())),
                Stop::Handshaking if !self.outgoing.is_empty() => {}
                Stop::Handshaking => {
                    if ready!(self.poll_fill(cx))? == 0 {
                        return Poll::Ready(Err(io::ErrorKind::UnexpectedEof.into()));
                    }
                }
            }
        }
    }

    fn parts(&mut self) -> Parts<'_> {
        Parts {
            conn: &mut self.conn,
            plaintext: &mut self.plaintext,
            outgoing: &mut self.outgoing,
            read_closed: &mut self.read_closed,
        }
    }

    /// Reads what TCP has into `incoming`; `Ok(0)` at its end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let mut chunk = [0u8; READ_CHUNK];
        let mut buf = ReadBuf::new(&mut chunk);
        ready!(Pin::new(&mut self.tcp).poll_read(cx, &mut buf))?;
        self.incoming.extend_from_slice(buf.filled());
        Poll::Ready(Ok(buf.filled().len()))
    }

    /// Reads from TCP and decrypts what whole records came; a partial one is kept. Records are
    /// decrypted straight from the stack unless a partial one is waiting.
    fn poll_receive(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut chunk = [0u8; READ_CHUNK];
        let mut buf = ReadBuf::new(&mut chunk);
        ready!(Pin::new(&mut self.tcp).poll_read(cx, &mut buf))?;
        let n = buf.filled().len();
        if n == 0 {
            self.read_closed = true;
            return Poll::Ready(Ok(()));
        }
        if self.incoming.is_empty() {
            let (used, _) = drive(self.parts(), &mut chunk[..n], &[])?;
            self.incoming.extend_from_slice(&chunk[used..n]);
        } else {
            self.incoming.extend_from_slice(&chunk[..n]);
            let mut incoming = std::mem::take(&mut self.incoming);
            let (used, _) = drive(self.parts(), &mut incoming, &[])?;
            incoming.drain(..used);
            if !incoming.is_empty() {
                self.incoming = incoming;
            }
        }
        // A reply rustls queued (a key update) leaves if the kernel takes it now.
        if let Poll::Ready(Err(e)) = self.poll_send(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(()))
    }

    /// Writes `outgoing` until the kernel has taken it all, then gives the buffer back.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.outgoing.is_empty() {
            match ready!(Pin::new(&mut self.tcp).poll_write(cx, &self.outgoing))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => {
                    self.outgoing.drain(..n);
                }
            }
        }
        self.outgoing = Vec::new();
        Poll::Ready(Ok(()))
    }

    /// Encrypts `bufs` into `outgoing`.
    fn encrypt(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<()> {
        let mut incoming = std::mem::take(&mut self.incoming);
        let driven = drive(self.parts(), &mut incoming, bufs);
        if let Ok((used, _)) = driven {
            incoming.drain(..used);
        }
        self.incoming = incoming;
        match driven?.1 {
            Stop::Traffic => Ok(()),
            Stop::Closed => Err(io::ErrorKind::BrokenPipe.into()),
            // A handshake is over before the stream is handed out.
            Stop::Handshaking => Err(io::Error::other("TLS handshake not complete")),
        }
    }
}

/// The fields [`drive`] works on, borrowed apart from the buffer it reads.
struct Parts<'a> {
    conn: &'a mut UnbufferedConnectionCommon<ServerConnectionData>,
    plaintext: &'a mut Vec<u8>,
    outgoing: &'a mut Vec<u8>,
    read_closed: &'a mut bool,
}

/// Runs rustls over the TLS bytes in `data`, decrypting what whole records hold into `plaintext`
/// and encoding what it has to send into `outgoing`; once application data can flow, encrypts
/// `send` into `outgoing`. Returns how many bytes of `data` are done with, and where it stopped.
fn drive(p: Parts<'_>, data: &mut [u8], mut send: &[IoSlice<'_>]) -> io::Result<(usize, Stop)> {
    let mut start = 0;
    loop {
        let UnbufferedStatus { discard, state } = p.conn.process_tls_records(&mut data[start..]);
        let stop = match state.map_err(invalid)? {
            ConnectionState::ReadTraffic(mut traffic) => {
                while let Some(record) = traffic.next_record() {
                    p.plaintext
                        .extend_from_slice(record.map_err(invalid)?.payload);
                }
                None
            }
            ConnectionState::EncodeTlsData(mut encode) => {
                append(
                    p.outgoing,
                    RECORD_OVERHEAD,
                    |out| encode.encode(out),
                    encode_size,
                )?;
                None
            }
            // Sent in order with everything after it: `outgoing` is one queue.
            ConnectionState::TransmitTlsData(transmit) => {
                transmit.done();
                None
            }
            ConnectionState::PeerClosed => {
                *p.read_closed = true;
                None
            }
            ConnectionState::BlockedHandshake => Some(Stop::Handshaking),
            ConnectionState::WriteTraffic(mut traffic) => {
                gather(std::mem::take(&mut send), |plain| {
                    let room = plain.len() + RECORD_OVERHEAD * (plain.len() / MAX_RECORD + 1);
                    append(
                        p.outgoing,
                        room,
                        |out| traffic.encrypt(plain, out),
                        encrypt_size,
                    )
                })?;
                Some(Stop::Traffic)
            }
            ConnectionState::Closed => {
                *p.read_closed = true;
                Some(Stop::Closed)
            }
            // Early data is off (no `max_early_data_size`); nothing else exists today.
            _ => return Err(io::Error::other("unexpected TLS connection state")),
        };
        start += discard;
        if let Some(stop) = stop {
            return Ok((start, stop));
        }
    }
}

/// Hands `encrypt` the frames of one vectored write: a lone frame where it lies (rustls cuts it
/// into records), several copied together up to a record's size, so that they share a record.
fn gather(
    bufs: &[IoSlice<'_>],
    mut encrypt: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<()> {
    if let [one] = bufs {
        return encrypt(one);
    }
    let mut record = [0u8; MAX_RECORD];
    let mut filled = 0;
    for buf in bufs {
        let mut rest: &[u8] = buf;
        while !rest.is_empty() {
            let take = rest.len().min(MAX_RECORD - filled);
            record[filled..filled + take].copy_from_slice(&rest[..take]);
            (filled, rest) = (filled + take, &rest[take..]);
            if filled == MAX_RECORD {
                encrypt(&record)?;
                filled = 0;
            }
        }
    }
    if filled > 0 {
        encrypt(&record[..filled])?;
    }
    Ok(())
}

fn encode_size(e: &EncodeError) -> Option<usize> {
    match e {
        EncodeError::InsufficientSize(size) => Some(size.required_size),
        EncodeError::AlreadyEncoded => None,
    }
}

fn encrypt_size(e: &EncryptError) -> Option<usize> {
    match e {
        EncryptError::InsufficientSize(size) => Some(size.required_size),
        _ => None,
    }
}

/// Lets `write` put its bytes at the end of `out`, growing it to the size rustls asks for.
fn append<E: std::error::Error + Send + Sync + 'static>(
    out: &mut Vec<u8>,
    room: usize,
    mut write: impl FnMut(&mut [u8]) -> Result<usize, E>,
    required: fn(&E) -> Option<usize>,
) -> io::Result<()> {
    let start = out.len();
    out.resize(start + room, 0);
    let written = match write(&mut out[start..]) {
        Ok(n) => n,
        Err(e) => {
            let Some(size) = required(&e) else {
                out.truncate(start);
                return Err(io::Error::other(e));
            };
            out.resize(start + size, 0);
            write(&mut out[start..]).map_err(io::Error::other)?
        }
    };
    out.truncate(start + written);
    Ok(())
}

/// Queues close_notify into `outgoing`.
fn close_notify(p: Parts<'_>, data: &mut [u8]) -> io::Result<()> {
    let UnbufferedStatus { state, .. } = p.conn.process_tls_records(data);
    if let ConnectionState::WriteTraffic(mut traffic) = state.map_err(invalid)? {
        append(
            p.outgoing,
            RECORD_OVERHEAD,
            |out| traffic.queue_close_notify(out),
            encrypt_size,
        )?;
    }
    Ok(())
}
