//! The guardian module's unit tests.

use std::error::Error as _;
use std::io;

use super::{not_started, ById};

#[test]
fn a_guardian_that_cannot_start_keeps_the_cause_as_source() {
    let cause = io::Error::new(io::ErrorKind::PermissionDenied, "the cause");
    let error = not_started(cause);
    assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
    assert_eq!(
        error.to_string(),
        "on-exit could not start its guardian process: the cause"
    );
    let source = error.source().expect("the cause is the source");
    let source = source.downcast_ref::<io::Error>().expect("an io::Error");
    assert_eq!(source.kind(), io::ErrorKind::PermissionDenied);
    assert_eq!(source.to_string(), "the cause");
}

#[test]
fn by_id_keeps_the_order_of_ids_whatever_the_order_of_inserts_and_takes() {
    let mut items = ById::default();
    for id in [3, 1, 4, 0, 2] {
        items.insert(id, id * 10);
    }
    items.insert(4, 41);
    assert_eq!(items.remove(1), Some(10));
    assert_eq!(items.remove(1), None);
    assert_eq!(items.remove(9), None);
    assert_eq!(items.ids(), [0, 2, 3, 4]);
    assert_eq!(items.get(4), Some(&41));
    assert_eq!(items.get(1), None);
    *items.get_mut(3).unwrap() += 1;
    assert_eq!(items.get_mut(1), None);
    assert_eq!(
        items.take_where(|v| *v == 20 || *v == 41),
        [(2, 20), (4, 41)]
    );
    assert!(items.take_where(|_| false).is_empty());
    assert_eq!(items.into_values(), [0, 31]);
}
