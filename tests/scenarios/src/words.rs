//! The scenario language: the words of `ON_EXIT_MAIN`, `ON_EXIT_THEN`, `ON_EXIT_CLEANUP`,
//! `ON_EXIT_STDOUT` and `ON_EXIT_CONSOLE` (see the crate's docs), read into values. A word it
//! does not know, or a bad argument, panics with the setting, the value and the words it
//! expected: a typo in a test must fail the test, never fall back to a default that may pass
//! for the wrong reason.

/// How `main` ends: the words of `ON_EXIT_MAIN` and `ON_EXIT_THEN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    Return,
    Err,
    Code(u8),
    Panic,
    Abort,
    Exit(i32),
    OnExit(i32),
    Sleep(u64),
    ExitThread(i32),
    ExitThreads(i32),
}

/// `ON_EXIT_MAIN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Main {
    End(End),
    /// Until the cleanup starts (or 60 s), then `ON_EXIT_THEN`.
    Wait,
    /// Until `on_exit::requested()` (or 60 s), then `ON_EXIT_THEN`.
    UntilRequested,
}

/// `ON_EXIT_THEN`: what `main` does after its wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Then {
    End(End),
    /// Keep running for 60 s, then return.
    Ignore,
}

/// `ON_EXIT_CLEANUP`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cleanup {
    Quick,
    Slow(u64),
    Panic,
    Exit(i32),
    Tokio,
    /// Uses this many KiB of its thread's stack.
    Deep(usize),
}

/// `ON_EXIT_STDOUT`: what `main` does with stdout before `ready`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stdout {
    Untouched,
    /// `print!`s without a newline: it stays in std's buffer.
    Partial,
    /// Another thread holds stdout's lock, blocked on a full pipe.
    Stuck,
}

/// `ON_EXIT_CONSOLE` (read on every platform, so that a typo fails everywhere; acted on only
/// on Windows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(windows), allow(dead_code))]
pub(crate) enum Console {
    Nothing,
    Generate(u32),
    GenerateTwice(u32),
    Handler(u32),
}

const END_WORDS: &str =
    "return, err, code:N, panic, abort, exit:N, on-exit:N, sleep:MS, exit-thread:N, exit-threads:N";

/// Reads `value` of `setting` as `word` or `word:ARG` with `read`; panics if `read` knows
/// neither the word nor its argument.
fn read<T>(
    setting: &str,
    value: &str,
    expected: &str,
    read: impl FnOnce(&str, Option<&str>) -> Option<T>,
) -> T {
    let (word, argument) = match value.split_once(':') {
        Some((word, argument)) => (word, Some(argument)),
        None => (value, None),
    };
    read(word, argument)
        .unwrap_or_else(|| panic!("unknown {setting} value {value:?}: expected {expected}"))
}

/// The argument, as a number of type `T`.
fn number<T: std::str::FromStr>(argument: Option<&str>) -> Option<T> {
    argument?.parse().ok()
}

fn end(word: &str, argument: Option<&str>) -> Option<End> {
    Some(match (word, argument) {
        ("return", None) => End::Return,
        ("err", None) => End::Err,
        ("code", _) => End::Code(number(argument)?),
        ("panic", None) => End::Panic,
        ("abort", None) => End::Abort,
        ("exit", _) => End::Exit(number(argument)?),
        ("on-exit", _) => End::OnExit(number(argument)?),
        ("sleep", _) => End::Sleep(number(argument)?),
        ("exit-thread", _) => End::ExitThread(number(argument)?),
        ("exit-threads", _) => End::ExitThreads(number(argument)?),
        _ => return None,
    })
}

/// `ON_EXIT_MAIN`; unset or empty is `return`.
pub(crate) fn main(value: &str) -> Main {
    let expected = format!("{END_WORDS}, wait or until-requested");
    read("ON_EXIT_MAIN", value, &expected, |word, argument| {
        match (word, argument) {
            ("", None) => Some(Main::End(End::Return)),
            ("wait", None) => Some(Main::Wait),
            ("until-requested", None) => Some(Main::UntilRequested),
            _ => end(word, argument).map(Main::End),
        }
    })
}

/// `ON_EXIT_THEN`; unset or empty is `ignore`.
pub(crate) fn then(value: &str) -> Then {
    let expected = format!("{END_WORDS} or ignore");
    read("ON_EXIT_THEN", value, &expected, |word, argument| {
        match (word, argument) {
            ("" | "ignore", None) => Some(Then::Ignore),
            _ => end(word, argument).map(Then::End),
        }
    })
}

/// `ON_EXIT_CLEANUP`; unset or empty is `quick`.
pub(crate) fn cleanup(value: &str) -> Cleanup {
    let expected = "quick, slow:MS, panic, exit:N, tokio or deep:KIB";
    read("ON_EXIT_CLEANUP", value, expected, |word, argument| {
        Some(match (word, argument) {
            ("" | "quick", None) => Cleanup::Quick,
            ("slow", _) => Cleanup::Slow(number(argument)?),
            ("panic", None) => Cleanup::Panic,
            ("exit", _) => Cleanup::Exit(number(argument)?),
            ("tokio", None) => Cleanup::Tokio,
            ("deep", _) => Cleanup::Deep(number(argument)?),
            _ => return None,
        })
    })
}

/// `ON_EXIT_STDOUT`; unset or empty leaves stdout alone.
pub(crate) fn stdout(value: &str) -> Stdout {
    read(
        "ON_EXIT_STDOUT",
        value,
        "partial or stuck",
        |word, argument| {
            Some(match (word, argument) {
                ("", None) => Stdout::Untouched,
                ("partial", None) => Stdout::Partial,
                ("stuck", None) => Stdout::Stuck,
                _ => return None,
            })
        },
    )
}

/// `ON_EXIT_CONSOLE`; unset or empty raises nothing.
pub(crate) fn console(value: &str) -> Console {
    let expected = "generate:EVENT, generate-twice:EVENT or handler:EVENT";
    read("ON_EXIT_CONSOLE", value, expected, |word, argument| {
        Some(match (word, argument) {
            ("", None) => Console::Nothing,
            ("generate", _) => Console::Generate(number(argument)?),
            ("generate-twice", _) => Console::GenerateTwice(number(argument)?),
            ("handler", _) => Console::Handler(number(argument)?),
            _ => return None,
        })
    })
}

/// A setting of a single program: `value` of `setting` must be one of `words` (the empty
/// word: unset).
pub(crate) fn one_of<'a>(setting: &str, value: &'a str, words: &[&str]) -> &'a str {
    let expected = words
        .iter()
        .map(|word| if word.is_empty() { "nothing" } else { word })
        .collect::<Vec<_>>()
        .join(", ");
    read(setting, value, &expected, |_, _| {
        words.contains(&value).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_reads() {
        assert_eq!(main(""), Main::End(End::Return));
        assert_eq!(main("code:42"), Main::End(End::Code(42)));
        assert_eq!(main("exit-threads:7"), Main::End(End::ExitThreads(7)));
        assert_eq!(main("until-requested"), Main::UntilRequested);
        assert_eq!(then(""), Then::Ignore);
        assert_eq!(then("exit:3"), Then::End(End::Exit(3)));
        assert_eq!(cleanup(""), Cleanup::Quick);
        assert_eq!(cleanup("slow:300"), Cleanup::Slow(300));
        assert_eq!(cleanup("deep:1024"), Cleanup::Deep(1024));
        assert_eq!(main("abort"), Main::End(End::Abort));
        assert_eq!(stdout("stuck"), Stdout::Stuck);
        assert_eq!(console(""), Console::Nothing);
        assert_eq!(console("generate-twice:0"), Console::GenerateTwice(0));
        assert_eq!(one_of("ON_EXIT_WORKER", "", &["", "exit"]), "");
    }

    #[test]
    #[should_panic(
        expected = "unknown ON_EXIT_MAIN value \"retrun\": expected return, err, code:N, panic, \
                    abort, exit:N, on-exit:N, sleep:MS, exit-thread:N, exit-threads:N, wait or \
                    until-requested"
    )]
    fn an_unknown_word_panics() {
        main("retrun");
    }

    #[test]
    #[should_panic(expected = "unknown ON_EXIT_CLEANUP value \"slow:fast\"")]
    fn a_bad_argument_panics() {
        cleanup("slow:fast");
    }

    #[test]
    #[should_panic(expected = "unknown ON_EXIT_THEN value \"wait\"")]
    fn a_word_of_another_setting_panics() {
        then("wait");
    }

    #[test]
    #[should_panic(expected = "unknown ON_EXIT_MAIN value \"return:3\"")]
    fn an_argument_where_none_belongs_panics() {
        main("return:3");
    }

    #[test]
    #[should_panic(expected = "unknown ON_EXIT_CONSOLE value \"generate\"")]
    fn a_missing_argument_panics() {
        console("generate");
    }

    #[test]
    #[should_panic(expected = "unknown ON_EXIT_WORKER value \"exits\": expected nothing, exit")]
    fn a_program_setting_outside_its_words_panics() {
        one_of("ON_EXIT_WORKER", "exits", &["", "exit"]);
    }
}
