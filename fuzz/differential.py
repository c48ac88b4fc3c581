#!/usr/bin/env python3
"""Differential check of `#[on_exit]` against the README's builder line.

Generates `main` variants, each twice: with the attribute, and with the equivalent
`let _guard = on_exit::Config::new(H).OPTIONS.install();` first in `main` (an invalid
attribute's twin is a program that cannot compile). Each is type-checked with rustc
(`--emit=metadata`, borrowck included) in editions 2015, 2018, 2021 and 2024; the two must
agree on accept/reject, a rejection must not be a macro panic, and the attribute's
rejection of an invalid attribute must be one error.

    python3 fuzz/differential.py DEPS_DIR [--limit N] [--jobs 2]

DEPS_DIR is a `target/debug/deps` of any crate that depends on on-exit and on tokio (with
its `rt-multi-thread` and `macros` features), built with `cargo build`; the script uses the
newest `libon_exit-*.rlib` and `libtokio-*.rlib` in it. Each program is compiled alone
(`--emit=metadata`), two at a time by default: about a minute per 500 programs.
"""

import argparse
import concurrent.futures
import glob
import itertools
import os
import random
import subprocess
import sys
import tempfile

EDITIONS = ["2015", "2018", "2021", "2024"]

PRELUDE = """#![allow(dead_code, unused, non_upper_case_globals)]
use std::fmt::Debug;
#[derive(Debug)] struct MyError;
impl std::fmt::Display for MyError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { write!(f, "my error") }
}
impl std::error::Error for MyError {}
fn cleanup() {}
fn with_reason(_: on_exit::Reason) {}
fn generic<T>() {}
struct Holder;
impl Holder { fn cleanup() {} }
mod app { pub fn cleanup() {} }
type Res = Result<(), Box<dyn std::error::Error>>;
macro_rules! n { () => { 2 } }
const union: u32 = 1;
"""

# (attribute handler, builder handler, extra items at module level)
HANDLERS = [
    ("cleanup", "cleanup", ""),
    ("|| ()", "|| ()", ""),
    ("|| cleanup()", "|| cleanup()", ""),
    ("move || { cleanup(); }", "move || { cleanup(); }", ""),
    ("|r: on_exit::Reason| drop(r)", "|r: on_exit::Reason| drop(r)", ""),
    ("with_reason", "with_reason", ""),
    ("generic::<u8>", "generic::<u8>", ""),
    ("generic::<Result<u8, u16>>", "generic::<Result<u8, u16>>", ""),
    ("Holder::cleanup", "Holder::cleanup", ""),
    ("<Holder>::cleanup", "<Holder>::cleanup", ""),
    ("app::cleanup", "app::cleanup", ""),
    ("|| if 1 < 2 { cleanup() }", "|| if 1 < 2 { cleanup() }", ""),
    ("|| { let (a, b) = (1, 2); let _ = a < b; }", "|| { let (a, b) = (1, 2); let _ = a < b; }", ""),
    ("signals(1)", "signals(1)", "fn signals(_: u8) -> fn() { cleanup }"),
    ("signals(interrupt)", "signals(interrupt)",
     "const interrupt: u8 = 1; fn signals(_: u8) -> fn() { cleanup }"),
    ("signals(interrupt, quit)", "signals(interrupt, quit)",
     "fn interrupt() {} fn quit() {} fn signals(_: fn(), _: fn()) -> fn() { cleanup }"),
    ("signals()", "signals()", "fn signals() -> fn() { cleanup }"),
    ("signals(terminate)", "signals(terminate)", ""),  # a forgotten handler: both reject
    ("graceful", "graceful", "fn graceful() {}"),
    ("inner", "inner", None),  # declared in main's body
    ("Local::c", "Local::c", None),  # an associated function declared in main's body
    ("used", "used", None),  # a `use` in main's body
    ("|| drop(&STATIC)", "|| drop(&STATIC)", None),  # a static in main's body
    ("5", "5", ""),  # not a handler: both reject
    ("missing", "missing", ""),  # unknown: both reject
    ("|| 1u8", "|| 1u8", ""),  # returns a value: both reject
]

BODY_ITEMS = {
    "inner": "fn inner() {}",
    "Local::c": "struct Local; impl Local { fn c() {} }",
    "used": "use app::cleanup as used;",
    "|| drop(&STATIC)": "static STATIC: u8 = 1;",
}

# (attribute options, builder calls or None when the attribute is invalid)
OPTIONS = [
    ("", ""),
    (", graceful", ".graceful()"),
    (", timeout = \"5s\"", ".timeout(std::time::Duration::from_millis(5000))"),
    (", timeout = \"\\x35s\"", ".timeout(std::time::Duration::from_millis(5000))"),
    (", timeout = \"5\\u{73}\"", ".timeout(std::time::Duration::from_millis(5000))"),
    (", timeout = \"5\\\n  00ms\"", ".timeout(std::time::Duration::from_millis(500))"),
    (", timeout = r#\"2m\"#", ".timeout(std::time::Duration::from_millis(120000))"),
    (", signals(interrupt, terminate)",
     ".signals(&[on_exit::Signal::Interrupt, on_exit::Signal::Terminate])"),
    (", signals(interrupt,)", ".signals(&[on_exit::Signal::Interrupt])"),
    (", graceful, timeout = \"1s\",", ".graceful().timeout(std::time::Duration::from_millis(1000))"),
    (", crate = on_exit", ""),
    (", crate = \"on_exit\"", ""),
    (", crate = \"::on_exit\"", ""),
    (", crate = \"\\x6fn_exit\"", ""),
    # invalid
    (", 5", None),
    (", graceful, 5", None),
    (", graceful timeout = \"1s\"", None),
    (", timeout = \"0s\"", None),
    (", timeout = \"5\"", None),
    (", timeout = 5", None),
    (", bogus", None),
    (", graceful, graceful", None),
    (", graceful = true", None),
    (", signals(sigint)", None),
    (", signals(interrupt interrupt)", None),
    (", signals(interrupt, interrupt)", None),
    (", crate = \"\\\"x\"", None),
    (", crate = \"/*\"", None),
    (", crate = \"'\"", None),
    (", crate = \"(\"", None),
    (", crate = \"a::\"", None),
    (", crate = not_a_crate", None),
    (",, graceful", None),
    (", graceful, signals(interrupt) | x", None),
    (", crate = \"on_exit\" graceful", None),
    ("; graceful", None),
    (" => graceful", None),
    (" ~ graceful", None),
]

# (return type or "", body, whether the body needs the 2024 edition, needs >=2018)
SHAPES = [
    ("", "", None),
    ("", "let x = 1; let _ = x;", None),
    ("", "let x = std::sync::Mutex::new(1); *x.lock().unwrap() += 1", "2024"),
    ("", "let x = std::cell::RefCell::new(1); x.borrow().clone();", None),
    ("-> Result<(), Box<dyn std::error::Error>>",
     "if std::env::args().count() > 5 { return Err(Box::new(MyError)); } Ok(())", None),
    ("-> Result<(), Box<dyn std::error::Error>>",
     "if std::env::args().count() > 5 { Err(Box::new(MyError)) } else { Ok(()) }", None),
    ("-> Result<(), Box<dyn std::error::Error>>",
     "match std::env::args().count() { 9 => Err(Box::new(MyError)), _ => Ok(()) }", None),
    ("-> Result<(), &'static dyn Debug>", "if false { return Err(&1u8); } Ok(())", None),
    ("-> Result<impl std::process::Termination, Box<dyn std::error::Error>>",
     "if std::env::args().count() > 5 { return Err(Box::new(MyError)); } Ok(())", None),
    ("-> Result<(), impl Debug>",
     "match std::env::args().count() { 9 => Err(MyError), _ => Ok(()) }", None),
    ("-> Res", "std::fs::metadata(\"/\")?; Ok(())", None),
    ("-> std::io::Result<()>", "std::fs::metadata(\"/\")?; Ok(())", None),
    ("-> std::process::ExitCode", "std::process::ExitCode::SUCCESS", None),
    ("-> impl std::process::Termination", "Ok::<(), String>(())", None),
    ("-> (impl std::process::Termination)", "()", None),
    ("-> Result<(), impl Debug>", "Err::<(), u8>(1)", None),
    ("-> !", "std::process::exit(0)", None),
    ("-> !", "loop {}", None),
    ("-> (!)", "panic!()", None),
    ("-> Result<(), String>", "let v: u8 = \"1\".parse().map_err(|e| format!(\"{:?}\", e))?; let _ = v; Ok(())", None),
    ("", "return;", None),
    ("-> Result<(), String>", "Ok(1)", None),  # wrong: both reject
    ("-> u8", "1", None),  # not Termination: both reject
    ("", "let x = String::new(); let r = &x; std::mem::drop(x); let _ = r;", None),  # borrowck: both reject
    # Leading constants with a shift or a comparison, then a local named like the handler.
    ("", "const A: u32 = 1 << 3; let cleanup = A; const B: u32 = A >> 1; let _ = (cleanup, B);", None),
    ("", "const A: bool = 1 < 2; let cleanup = A; let _ = 3 > 2;", None),
    # The user's own async block named like tokio's, with an early return.
    ("", "let body = async {}; if std::env::args().count() > 9 { return; } let _ = body;", "2018"),
    ("-> Result<(), [impl Debug; 2]>", "if false { return Err([1, 2]); } Ok(())", None),
    ("", "union as u32 + { 0 };", None),
    ("-> Result<(), [u8; { struct S; impl S { const N: usize = 2; } S::N }]>", "Ok(())", None),
    ("-> Result<(), (Box<dyn std::error::Error>, [u8; n!()])>",
     "if false { return Err((Box::new(MyError), [0; 2])); } Ok(())", None),
]

# Whole programs after the prelude: (first edition, with the attribute, with the builder).
B = "let _guard = on_exit::Config::new(cleanup)"
SPECIALS = [
    ("2015", "macro_rules! m { ($h:expr) => { #[on_exit::on_exit($h)] fn main() {} } } m!(cleanup);",
     "macro_rules! m { ($h:expr) => { fn main() { let _guard = on_exit::Config::new($h).install(); } } } m!(cleanup);"),
    ("2015", "macro_rules! m { ($h:expr) => { #[on_exit::on_exit($h, graceful)] fn main() {} } } m!(|| ());",
     "fn main() { let _guard = on_exit::Config::new(|| ()).graceful().install(); }"),
    ("2015", "macro_rules! m { ($h:path) => { #[on_exit::on_exit($h)] fn main() {} } } m!(app::cleanup);",
     "fn main() { let _guard = on_exit::Config::new(app::cleanup).install(); }"),
    ("2015", "macro_rules! m { ($l:literal) => { #[on_exit::on_exit(cleanup, timeout = $l)] fn main() {} } } m!(\"5s\");",
     "fn main() { %s.install(); }" % B),
    ("2015", "macro_rules! m { ($l:expr) => { #[on_exit::on_exit(cleanup, timeout = $l)] fn main() {} } } m!(\"5s\");",
     "fn main() { %s.install(); }" % B),
    ("2015", "macro_rules! m { ($m:meta) => { #[on_exit::on_exit(cleanup, $m)] fn main() {} } } m!(graceful);",
     "fn main() { %s.graceful().install(); }" % B),
    ("2015", "macro_rules! m { ($m:meta) => { #[on_exit::on_exit(cleanup, $m)] fn main() {} } } m!(timeout = \"1s\");",
     "fn main() { %s.install(); }" % B),
    ("2015", "macro_rules! m { ($m:meta) => { #[on_exit::on_exit(cleanup, $m)] fn main() {} } } m!(signals(interrupt));",
     "fn main() { %s.install(); }" % B),
    ("2015", "macro_rules! m { ($p:path) => { #[on_exit::on_exit(cleanup, crate = $p)] fn main() {} } } m!(on_exit);",
     "fn main() { %s.install(); }" % B),
    ("2015", "macro_rules! m { ($v:vis) => { #[on_exit::on_exit(cleanup)] $v fn main() {} } } m!(pub);",
     "pub fn main() { %s.install(); }" % B),
    ("2015", "macro_rules! m { ($b:block) => { #[on_exit::on_exit(cleanup)] fn main() $b } } m!({ cleanup(); });",
     "fn main() { %s.install(); cleanup(); }" % B),
    ("2015", "macro_rules! m { ($t:ty) => { #[on_exit::on_exit(cleanup)] fn main() -> $t { Ok(()) } } } m!(Result<(), String>);",
     "fn main() -> Result<(), String> { %s.install(); Ok(()) }" % B),
    ("2015", "macro_rules! m { ($t:ty) => { #[on_exit::on_exit(cleanup)] fn main() -> $t { Err(Box::new(MyError)) } } } m!(Res);",
     "fn main() -> Res { %s.install(); Err(Box::new(MyError)) }" % B),
    ("2015", "macro_rules! m { ($i:item) => { #[on_exit::on_exit(cleanup)] $i } } m!(fn main() {});",
     "fn main() { %s.install(); }" % B),
    ("2015", "macro_rules! m { ($($t:tt)*) => { #[on_exit::on_exit($($t)*)] fn main() {} } } m!(cleanup, graceful);",
     "fn main() { %s.graceful().install(); }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { #![allow(unused)] let x = 1; }",
     "fn main() { #![allow(unused)] %s.install(); let x = 1; }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] #[inline] fn main() { }",
     "#[inline] fn main() { %s.install(); }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() where { }",
     "fn main() where { %s.install(); }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { fn cleanup() {} }",
     "fn main() { %s.install(); fn cleanup() {} }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { let cleanup = 5; let _ = cleanup; }",
     "fn main() { %s.install(); let cleanup = 5; let _ = cleanup; }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() -> Result<(), std::num::ParseIntError> { let _: u8 = \"1\".parse()?; Ok(()) }",
     "fn main() -> Result<(), std::num::ParseIntError> { %s.install(); let _: u8 = \"1\".parse()?; Ok(()) }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() -> Result<(), Box<dyn std::error::Error>> { let _: u8 = \"1\".parse()?; Ok(()) }",
     "fn main() -> Result<(), Box<dyn std::error::Error>> { %s.install(); let _: u8 = \"1\".parse()?; Ok(()) }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { let v = vec![1]; let r = &v; drop(v); r.len(); }",
     "fn main() { %s.install(); let v = vec![1]; let r = &v; drop(v); r.len(); }" % B),
    ("2018", "#[on_exit::on_exit(cleanup)] #[tokio::main] async fn main() { tokio::task::yield_now().await; }",
     "#[tokio::main] async fn main() { %s.install(); tokio::task::yield_now().await; }" % B),
    ("2018", "#[tokio::main] #[on_exit::on_exit(cleanup)] async fn main() { tokio::task::yield_now().await; }",
     "#[tokio::main] async fn main() { %s.install(); tokio::task::yield_now().await; }" % B),
    ("2018", "#[on_exit::on_exit(cleanup)] #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> { if 1 > 2 { return Err(Box::new(MyError)); } Ok(()) }",
     "#[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> { %s.install(); if 1 > 2 { return Err(Box::new(MyError)); } Ok(()) }" % B),
    ("2018", "#[tokio::main] #[on_exit::on_exit(cleanup)] async fn main() -> Result<(), Box<dyn std::error::Error>> { if 1 > 2 { return Err(Box::new(MyError)); } Ok(()) }",
     "#[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> { %s.install(); if 1 > 2 { return Err(Box::new(MyError)); } Ok(()) }" % B),
    ("2018", "#[on_exit::on_exit(cleanup)] #[tokio::main] async fn main() { fn cleanup() {} let m = std::sync::Mutex::new(1); *m.lock().unwrap() += 1 }",
     "#[tokio::main] async fn main() { %s.install(); fn cleanup() {} let m = std::sync::Mutex::new(1); *m.lock().unwrap() += 1 }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { let x = std::sync::Mutex::new(1); *x.lock().unwrap() += 1 }",
     "fn main() { %s.install(); let x = std::sync::Mutex::new(1); *x.lock().unwrap() += 1 }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() -> u32 { let x = std::sync::Mutex::new(1); let v = *x.lock().unwrap(); v }",
     "fn main() -> u32 { %s.install(); let x = std::sync::Mutex::new(1); let v = *x.lock().unwrap(); v }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() -> std::process::ExitCode { let x = std::sync::Mutex::new(1); std::process::ExitCode::from(*x.lock().unwrap()) }",
     "fn main() -> std::process::ExitCode { %s.install(); let x = std::sync::Mutex::new(1); std::process::ExitCode::from(*x.lock().unwrap()) }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { let s = String::new(); let l = s.as_str().len(); let _ = l; }",
     "fn main() { %s.install(); let s = String::new(); let l = s.as_str().len(); let _ = l; }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { let c = std::cell::RefCell::new(vec![1]); c.borrow().len(); }",
     "fn main() { %s.install(); let c = std::cell::RefCell::new(vec![1]); c.borrow().len(); }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { let c = std::cell::RefCell::new(vec![1]); c.borrow().len() }",
     "fn main() { %s.install(); let c = std::cell::RefCell::new(vec![1]); c.borrow().len() }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { let c = std::cell::RefCell::new(1); let _n = *c.borrow(); }",
     "fn main() { %s.install(); let c = std::cell::RefCell::new(1); let _n = *c.borrow(); }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { let c = std::cell::RefCell::new(1); match *c.borrow() { _ => () } }",
     "fn main() { %s.install(); let c = std::cell::RefCell::new(1); match *c.borrow() { _ => () } }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { let x = 1; if let Some(_) = Some(&x) { } }",
     "fn main() { %s.install(); let x = 1; if let Some(_) = Some(&x) { } }" % B),
    ("2015", "#[on_exit::on_exit(cleanup)] fn main() { let x = std::sync::Mutex::new(Some(1)); if let Some(_) = *x.lock().unwrap() { } }",
     "fn main() { %s.install(); let x = std::sync::Mutex::new(Some(1)); if let Some(_) = *x.lock().unwrap() { } }" % B),
]

SIGNATURES = [
    ("fn main()", None),
    ("pub fn main()", None),
    ("fn r#main()", "2018"),
    ("fn main<T>()", None),  # both reject
    ("fn main(x: u8)", None),  # both reject
    ("fn mane()", None),  # not main: both reject
]


def program(edition, handler, options, shape, signature, extra, style):
    """The program's source with the attribute (`style == 'attr'`) or the builder line."""
    h_attr, h_builder, h_items = handler
    o_attr, o_builder = options
    ret, body, _ = shape
    sig, _ = signature
    sig = sig.replace("()", "() " + ret, 1) if ret and "(x" not in sig else sig + (" " + ret if "(x" in sig and ret else "")
    items = h_items if h_items else ""
    body_items = BODY_ITEMS.get(h_attr, "")
    outer = PRELUDE + items + "\n" + extra + "\n"
    if style == "attr":
        return outer + "#[on_exit::on_exit(%s%s)]\n%s {\n    %s\n    %s\n}\n" % (
            h_attr, o_attr, sig, body_items, body)
    if o_builder is None:
        return None
    krate = "on_exit"
    if "crate" in o_attr:
        krate = "::on_exit" if "::" in o_attr else "on_exit"
    line = "let _guard = %s::Config::new(%s)%s.install();" % (krate, h_builder, o_builder)
    return outer + "%s {\n    %s\n    %s\n    %s\n}\n" % (sig, line, body_items, body)


def corpus(limit, seed):
    rng = random.Random(seed)
    cases = []
    # Every handler, every option and every shape, in each edition, against a plain rest.
    for edition in EDITIONS:
        for handler in HANDLERS:
            cases.append((edition, handler, OPTIONS[0], SHAPES[0], SIGNATURES[0], ""))
        for options in OPTIONS:
            cases.append((edition, HANDLERS[0], options, SHAPES[0], SIGNATURES[0], ""))
        for shape in SHAPES:
            cases.append((edition, HANDLERS[0], OPTIONS[0], shape, SIGNATURES[0], ""))
        for signature in SIGNATURES:
            cases.append((edition, HANDLERS[0], OPTIONS[0], SHAPES[0], signature, ""))
        for name in ["__on_exit_guard", "__on_exit_result"]:
            cases.append((edition, HANDLERS[0], OPTIONS[0], SHAPES[4], SIGNATURES[0],
                          "struct %s;" % name))
    for edition in EDITIONS:
        for first, attr, builder in SPECIALS:
            if int(edition) >= int(first):
                cases.append((edition, attr, builder))
    strict = len(cases)
    # Then random combinations.
    everything = list(itertools.product(EDITIONS, HANDLERS, OPTIONS, SHAPES, SIGNATURES))
    rng.shuffle(everything)
    for combo in everything[: max(0, limit - len(cases))]:
        cases.append(combo + ("",))
    return cases, strict


def check(args):
    rustc_args, source = args
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "main.rs")
        with open(path, "w") as f:
            f.write(source)
        out = subprocess.run(
            rustc_args + [path, "--out-dir", tmp],
            capture_output=True, text=True)
    stderr = out.stderr
    errors = sum(1 for line in stderr.splitlines()
                 if line.startswith("error") and not line.startswith("error: aborting"))
    return out.returncode == 0, "panicked" in stderr, errors, stderr


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("deps")
    parser.add_argument("--limit", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--show", type=int, default=5)
    options = parser.parse_args()
    rlib = max(glob.glob(os.path.join(options.deps, "libon_exit-*.rlib")), key=os.path.getmtime)
    base = ["rustc", "--crate-type", "bin", "--crate-name", "case", "--emit=metadata",
            "--extern", "on_exit=" + rlib, "-L", "dependency=" + options.deps]
    cases, strict = corpus(options.limit, options.seed)
    jobs = []
    tokio = glob.glob(os.path.join(options.deps, "libtokio-*.rlib"))
    if tokio:
        base += ["--extern", "tokio=" + max(tokio, key=os.path.getmtime)]
    for case in cases:
        args = base + ["--edition", case[0]]
        if len(case) == 3:
            attr, builder = PRELUDE + case[1], PRELUDE + case[2]
        else:
            attr = program(*case, "attr")
            builder = program(*case, "builder")
        jobs.append((args, attr))
        jobs.append((args, builder))
    with concurrent.futures.ThreadPoolExecutor(options.jobs) as pool:
        results = list(pool.map(lambda job: check(job) if job[1] is not None else None, jobs))
    disagree, panics, noisy = [], [], []
    for index, case in enumerate(cases):
        attr, builder = results[2 * index], results[2 * index + 1]
        builder_ok = builder[0] if builder else False
        if attr[0] != builder_ok:
            disagree.append((case, jobs[2 * index][1], attr[3], builder[3] if builder else ""))
        if attr[1]:
            panics.append((case, jobs[2 * index][1], attr[3]))
        # One error per mistake: checked where the attribute is the only mistake.
        if index < strict and builder is None and not attr[0] and attr[2] != 1:
            noisy.append((case, jobs[2 * index][1], attr[3]))
    accepted = sum(1 for index in range(len(cases)) if results[2 * index][0])
    print("programs: %d (x2 compiled; %d accepted with the attribute), disagreements: %d, "
          "panics: %d, invalid attributes (alone) with other than one error: %d"
          % (len(cases), accepted, len(disagree), len(panics), len(noisy)))
    for title, found in [("DISAGREE", disagree), ("PANIC", panics), ("NOISY", noisy)]:
        for item in found[: options.show]:
            source = item[1].split(PRELUDE, 1)[-1].strip().replace("\n", " ")
            errors = [line for line in item[2].splitlines() if line.startswith("error")]
            print("%s %s: %s\n    attr: %s (%s)" % (title, item[0][0], source, errors[:1] or "accepted", len(errors)),
                  file=sys.stderr)
            if len(item) > 3:
                errors = [line for line in item[3].splitlines() if line.startswith("error")]
                print("    builder: %s" % (errors[:1] or "accepted"), file=sys.stderr)
    return 1 if disagree or panics or noisy else 0


if __name__ == "__main__":
    sys.exit(main())
