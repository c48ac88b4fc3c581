//! The state machine's unit tests (Miri runs them too).

use super::*;
use std::sync::Arc;
use std::thread;

const MS: u64 = 1_000_000;

#[test]
fn first_begin_runs_and_later_ones_see_it() {
    let machine = Machine::new();
    assert_eq!(machine.begin(Reason::Returned), Begin::Run);
    assert_eq!(
        machine.begin(Reason::Exited),
        Begin::Running(Reason::Returned)
    );
    machine.finish();
    assert_eq!(
        machine.begin(Reason::Panicked),
        Begin::Done(Reason::Returned)
    );
    assert_eq!(machine.wait_done(), Reason::Returned);
}

#[test]
fn first_delivery_starts_and_burst_repeats() {
    let machine = Machine::new();
    assert_eq!(machine.request(), None);
    assert_eq!(
        machine.deliver(Signal::Terminate, 1_000 * MS),
        Delivery::Start
    );
    assert_eq!(machine.request(), Some(Signal::Terminate));
    // 300 deliveries 1 ms apart: a burst slides its window, so none forces.
    for i in 1..=300 {
        assert_eq!(
            machine.deliver(Signal::Terminate, 1_000 * MS + i * MS),
            Delivery::Repeat
        );
    }
    // A pause longer than the window, then the same signal: a second request.
    assert_eq!(
        machine.deliver(Signal::Terminate, 2_000 * MS),
        Delivery::Force
    );
    assert_eq!(machine.request(), Some(Signal::Terminate));
}

#[test]
fn a_burst_of_mixed_signals_is_one_request() {
    // Ctrl-C reaches the whole group; a process manager forwards SIGTERM 5 ms later.
    let machine = Machine::new();
    assert_eq!(machine.deliver(Signal::Interrupt, 10 * MS), Delivery::Start);
    assert_eq!(
        machine.deliver(Signal::Terminate, 15 * MS),
        Delivery::Repeat
    );
    assert_eq!(machine.deliver(Signal::Hangup, 16 * MS), Delivery::Repeat);
    assert_eq!(machine.request(), Some(Signal::Interrupt));
    // A separate request after a pause: a different signal forces as the same one would.
    assert_eq!(
        machine.deliver(Signal::Terminate, 500 * MS),
        Delivery::Force
    );
}

#[test]
fn the_clock_read_late_by_a_racing_handler_does_not_force() {
    let machine = Machine::new();
    assert_eq!(
        machine.deliver(Signal::Terminate, 1_000 * MS),
        Delivery::Start
    );
    // A second handler read the clock before the first one but recorded after it.
    assert_eq!(
        machine.deliver(Signal::Terminate, 999 * MS),
        Delivery::Repeat
    );
    assert_eq!(
        machine.deliver(Signal::Terminate, 1_050 * MS),
        Delivery::Repeat
    );
}

#[test]
fn hangup_and_quit_never_force() {
    let machine = Machine::new();
    assert_eq!(machine.deliver(Signal::Hangup, 0), Delivery::Start);
    assert_eq!(
        machine.deliver(Signal::Hangup, 5_000 * MS),
        Delivery::Repeat
    );
    assert_eq!(machine.deliver(Signal::Quit, 6_000 * MS), Delivery::Repeat);
    assert_eq!(machine.request(), Some(Signal::Hangup));
}

#[test]
fn graceful_escalates_once_then_forces() {
    let machine = Machine::new();
    machine.set_graceful();
    assert_eq!(machine.deliver(Signal::Interrupt, 0), Delivery::Start);
    assert_eq!(machine.deliver(Signal::Interrupt, 5 * MS), Delivery::Repeat);
    assert!(!machine.escalated());
    assert_eq!(
        machine.deliver(Signal::Interrupt, 500 * MS),
        Delivery::Escalate
    );
    assert!(machine.escalated());
    // A SIGTERM forwarded a moment after that Ctrl-C is part of it...
    assert_eq!(
        machine.deliver(Signal::Terminate, 501 * MS),
        Delivery::Repeat
    );
    // ...a separate one forces.
    assert_eq!(
        machine.deliver(Signal::Terminate, 900 * MS),
        Delivery::Force
    );
}

#[test]
fn graceful_forces_once_the_cleanup_runs() {
    let machine = Machine::new();
    machine.set_graceful();
    assert_eq!(machine.deliver(Signal::Terminate, 0), Delivery::Start);
    assert_eq!(machine.begin(Reason::Signal(Signal::Terminate)), Begin::Run);
    assert_eq!(
        machine.deliver(Signal::Terminate, 500 * MS),
        Delivery::Force
    );
}

#[test]
fn waiters_wake_when_the_cleanup_finishes() {
    let machine = Arc::new(Machine::new());
    assert_eq!(machine.begin(Reason::Signal(Signal::Interrupt)), Begin::Run);
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let machine = Arc::clone(&machine);
            thread::spawn(move || machine.wait_done())
        })
        .collect();
    thread::sleep(Duration::from_millis(20));
    machine.finish();
    for waiter in waiters {
        assert_eq!(waiter.join().unwrap(), Reason::Signal(Signal::Interrupt));
    }
}

#[test]
fn overran_reports_only_signal_cleanups_that_overrun() {
    let slow = Arc::new(Machine::new());
    let watchdog = {
        let slow = Arc::clone(&slow);
        thread::spawn(move || slow.overran(Duration::from_millis(10)))
    };
    assert_eq!(slow.begin(Reason::Signal(Signal::Terminate)), Begin::Run);
    assert_eq!(watchdog.join().unwrap(), Some(Signal::Terminate));

    let quick = Machine::new();
    assert_eq!(quick.begin(Reason::Signal(Signal::Terminate)), Begin::Run);
    quick.finish();
    assert_eq!(quick.overran(Duration::from_secs(60)), None);

    let returned = Machine::new();
    assert_eq!(returned.begin(Reason::Returned), Begin::Run);
    assert_eq!(returned.overran(Duration::from_millis(1)), None);
}

#[test]
fn exactly_one_of_many_racing_callers_runs() {
    for _ in 0..100 {
        let machine = Arc::new(Machine::new());
        let callers: Vec<_> = [
            Reason::Returned,
            Reason::Exited,
            Reason::Panicked,
            Reason::Signal(Signal::Terminate),
        ]
        .into_iter()
        .map(|reason| {
            let machine = Arc::clone(&machine);
            thread::spawn(move || {
                let won = machine.begin(reason) == Begin::Run;
                if won {
                    machine.finish();
                }
                machine.wait_done();
                won
            })
        })
        .collect();
        let winners = callers
            .into_iter()
            .map(|c| c.join().unwrap())
            .filter(|won| *won)
            .count();
        assert_eq!(winners, 1);
    }
}
