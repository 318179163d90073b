//! The WebSocket frame decoder: never panics, and decodes a stream the same however the bytes are
//! split across reads (the first input byte picks the split points), with the size limit on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use resso_server::fuzzing::Decoder;

const MAX: usize = 4096;

/// Every outcome of decoding `chunks` in turn, as text (messages, then the error that ends it).
fn run(chunks: &[&[u8]]) -> Vec<String> {
    let mut decoder = Decoder::new(MAX);
    let mut buf = Vec::new();
    let mut seen = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(message)) => seen.push(format!("{message:?}")),
                Ok(None) => break,
                Err(violation) => {
                    seen.push(format!("error {violation:?}"));
                    return seen;
                }
            }
        }
    }
    seen
}

fuzz_target!(|data: &[u8]| {
    let Some((&step, stream)) = data.split_first() else {
        return;
    };
    let whole = run(&[stream]);
    let step = usize::from(step % 31) + 1;
    let pieces: Vec<&[u8]> = stream.chunks(step).collect();
    assert_eq!(whole, run(&pieces), "split every {step} bytes");
});
