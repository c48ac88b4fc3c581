//! What the program tells its guardian, as frames on a byte stream: a length (`u32`, little
//! endian) and then a tag, the item's id (`u64`) and the tag's fields. A child's pidfd travels
//! beside its frame, as a descriptor attached to the frame's first byte (Unix only).

use std::path::PathBuf;

use super::sys;

/// One frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Message {
    /// Stop child `pid` (its pidfd comes with the frame) at the end.
    Child { id: u64, pid: i32, group: bool },
    /// Remove this path at the end.
    Path { id: u64, path: PathBuf },
    /// The program did item `id` itself: forget it.
    Done { id: u64 },
}

const CHILD: u8 = b'C';
const PATH: u8 = b'P';
const DONE: u8 = b'D';

/// The frame for `message`.
pub(crate) fn encode(message: &Message) -> Vec<u8> {
    let mut body = Vec::with_capacity(32);
    match message {
        Message::Child { id, pid, group } => {
            body.push(CHILD);
            body.extend_from_slice(&id.to_le_bytes());
            body.extend_from_slice(&pid.to_le_bytes());
            body.push(u8::from(*group));
        }
        Message::Path { id, path } => {
            body.push(PATH);
            body.extend_from_slice(&id.to_le_bytes());
            body.extend_from_slice(&sys::path_bytes(path));
        }
        Message::Done { id } => {
            body.push(DONE);
            body.extend_from_slice(&id.to_le_bytes());
        }
    }
    let length = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let mut frame = length.to_le_bytes().to_vec();
    frame.append(&mut body);
    frame
}

/// Takes the first whole frame off `bytes`: `None` until one has arrived. A frame that does
/// not parse is skipped: the program and its guardian are the same build, so that would be a
/// bug, and the rest of the stream still reads.
pub(crate) fn decode(bytes: &mut Vec<u8>) -> Option<Message> {
    loop {
        let length = usize::try_from(u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?)).ok()?;
        let body = bytes.get(4..4usize.checked_add(length)?)?;
        let message = parse(body);
        bytes.drain(..4 + length);
        if message.is_some() {
            return message;
        }
    }
}

fn parse(body: &[u8]) -> Option<Message> {
    let (&tag, rest) = body.split_first()?;
    let id = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
    let rest = &rest[8..];
    match tag {
        CHILD if rest.len() == 5 => Some(Message::Child {
            id,
            pid: i32::from_le_bytes(rest[..4].try_into().ok()?),
            group: rest[4] != 0,
        }),
        PATH if !rest.is_empty() => Some(Message::Path {
            id,
            path: sys::path_from_bytes(rest.to_vec()),
        }),
        DONE if rest.is_empty() => Some(Message::Done { id }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages() -> Vec<Message> {
        vec![
            Message::Child {
                id: 1,
                pid: 4242,
                group: true,
            },
            Message::Path {
                id: 2,
                path: PathBuf::from("/tmp/on-exit ü/x"),
            },
            Message::Done { id: u64::MAX },
            Message::Child {
                id: 3,
                pid: -1,
                group: false,
            },
        ]
    }

    #[test]
    fn frames_read_back_whatever_the_reads_split_them_into() {
        let stream: Vec<u8> = messages().iter().flat_map(encode).collect();
        for chunk in 1..stream.len() {
            let mut bytes = Vec::new();
            let mut read = Vec::new();
            for part in stream.chunks(chunk) {
                bytes.extend_from_slice(part);
                while let Some(message) = decode(&mut bytes) {
                    read.push(message);
                }
            }
            assert_eq!(read, messages(), "reads of {chunk} bytes");
            assert!(bytes.is_empty());
        }
    }

    #[test]
    fn a_frame_that_does_not_parse_is_skipped_and_the_next_one_reads() {
        let mut bytes = vec![3, 0, 0, 0, b'X', 1, 2];
        bytes.extend(encode(&Message::Done { id: 7 }));
        assert_eq!(decode(&mut bytes), Some(Message::Done { id: 7 }));
        assert_eq!(decode(&mut bytes), None);
        assert!(bytes.is_empty());
    }
}
