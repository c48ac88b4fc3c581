//! What the program tells its guardian, as frames on a byte stream: a length (`u32`, little
//! endian) and then a tag, the item's id (`u64`) and the tag's fields. An item's frame carries
//! the rights the program claims when it arms it ([`Rights`]: capabilities as a `u64`, then a
//! `u32` count of groups and the groups). A child's pidfd, a path's parent directory and a
//! terminal travel beside their frame, as a descriptor attached to the frame's first byte
//! (Unix only).

use std::path::PathBuf;

use super::sys::{self, Rights};

/// One frame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Message {
    /// Stop child `pid` (its pidfd comes with the frame) at the end.
    Child {
        id: u64,
        rights: Rights,
        pid: i32,
        group: bool,
    },
    /// Remove this path at the end (on Unix its parent directory comes with the frame, and
    /// the guardian uses only the path's last component).
    Path {
        id: u64,
        rights: Rights,
        path: PathBuf,
    },
    /// The program did item `id` itself: forget it.
    Done { id: u64 },
    /// Put this terminal state back at the end, on the terminal whose descriptor comes with
    /// the frame (Unix only: the termios as bytes).
    Terminal { id: u64, state: Vec<u8> },
}

const CHILD: u8 = b'C';
const PATH: u8 = b'P';
const DONE: u8 = b'D';
const TERMINAL: u8 = b'T';

/// The frame for `message`.
pub(crate) fn encode(message: &Message) -> Vec<u8> {
    let mut body = Vec::with_capacity(32);
    match message {
        Message::Child {
            id,
            rights,
            pid,
            group,
        } => {
            body.push(CHILD);
            body.extend_from_slice(&id.to_le_bytes());
            encode_rights(rights, &mut body);
            body.extend_from_slice(&pid.to_le_bytes());
            body.push(u8::from(*group));
        }
        Message::Path { id, rights, path } => {
            body.push(PATH);
            body.extend_from_slice(&id.to_le_bytes());
            encode_rights(rights, &mut body);
            body.extend_from_slice(&sys::path_bytes(path));
        }
        Message::Done { id } => {
            body.push(DONE);
            body.extend_from_slice(&id.to_le_bytes());
        }
        Message::Terminal { id, state } => {
            body.push(TERMINAL);
            body.extend_from_slice(&id.to_le_bytes());
            body.extend_from_slice(state);
        }
    }
    let length = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let mut frame = length.to_le_bytes().to_vec();
    frame.append(&mut body);
    frame
}

fn encode_rights(rights: &Rights, body: &mut Vec<u8>) {
    body.extend_from_slice(&rights.capabilities.to_le_bytes());
    let count = u32::try_from(rights.groups.len()).unwrap_or(0);
    body.extend_from_slice(&count.to_le_bytes());
    for group in rights.groups.iter().take(count as usize) {
        body.extend_from_slice(&group.to_le_bytes());
    }
}

/// Takes the first whole frame off `bytes`: `None` until one has arrived; then the message,
/// and the frame's length in bytes. A frame that does not parse is no message: the program
/// and its guardian are the same build, so that would be a bug, and the rest of the stream
/// still reads.
pub(crate) fn decode(bytes: &mut Vec<u8>) -> Option<(Option<Message>, usize)> {
    let length = usize::try_from(u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?)).ok()?;
    let body = bytes.get(4..4usize.checked_add(length)?)?;
    let message = parse(body);
    let frame = 4 + length;
    // What follows the frame moves to the front.
    bytes.copy_within(frame.., 0);
    bytes.truncate(bytes.len() - frame);
    Some((message, frame))
}

fn parse(body: &[u8]) -> Option<Message> {
    let (&tag, rest) = body.split_first()?;
    let id = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
    let rest = &rest[8..];
    let rights = |rest: &[u8]| -> Option<(Rights, usize)> {
        let capabilities = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?);
        let count = usize::try_from(u32::from_le_bytes(rest.get(8..12)?.try_into().ok()?)).ok()?;
        let end = count.checked_mul(4)?.checked_add(12)?;
        let listed = rest.get(12..end)?;
        let mut groups = Vec::with_capacity(count);
        for group in listed.chunks_exact(4) {
            groups.push(u32::from_le_bytes([group[0], group[1], group[2], group[3]]));
        }
        Some((
            Rights {
                groups,
                capabilities,
            },
            end,
        ))
    };
    match tag {
        CHILD => {
            let (rights, used) = rights(rest)?;
            let rest = &rest[used..];
            if rest.len() != 5 {
                return None;
            }
            Some(Message::Child {
                id,
                rights,
                pid: i32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]),
                group: rest[4] != 0,
            })
        }
        PATH => {
            let (rights, used) = rights(rest)?;
            let rest = &rest[used..];
            if rest.is_empty() {
                return None;
            }
            Some(Message::Path {
                id,
                rights,
                path: sys::path_from_bytes(rest.to_vec()),
            })
        }
        DONE if rest.is_empty() => Some(Message::Done { id }),
        TERMINAL => Some(Message::Terminal {
            id,
            state: rest.to_vec(),
        }),
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
                rights: Rights {
                    groups: vec![0, 27, u32::MAX],
                    capabilities: u64::MAX,
                },
                pid: 4242,
                group: true,
            },
            Message::Path {
                id: 2,
                rights: Rights::default(),
                path: PathBuf::from("/tmp/on-exit ü/x"),
            },
            Message::Done { id: u64::MAX },
            Message::Terminal {
                id: 5,
                state: vec![0, 1, 2, 255],
            },
            Message::Child {
                id: 3,
                rights: Rights {
                    groups: vec![65534],
                    capabilities: 1 << 1,
                },
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
                while let Some((message, _)) = decode(&mut bytes) {
                    read.push(message.unwrap());
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
        assert_eq!(decode(&mut bytes), Some((None, 7)));
        assert_eq!(
            decode(&mut bytes),
            Some((Some(Message::Done { id: 7 }), 13))
        );
        assert_eq!(decode(&mut bytes), None);
        assert!(bytes.is_empty());
    }
}
