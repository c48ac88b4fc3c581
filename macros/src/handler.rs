//! Where the handler ends: at the first comma that is not inside it.
//!
//! The handler is any expression, kept as opaque tokens; a comma outside its groups can be
//! inside it only in a closure's parameters (`|a, b|`) or in generic arguments
//! (`f::<A, B>`, `<T as U<A, B>>::f`, `|m: HashMap<K, V>|`, `|| -> Result<A, B> {..}`,
//! `x as Foo<A, B>`). Generic arguments open at a `<` where an operand starts (after `::`, at
//! the start of an expression) or in a type (closure parameters, a closure's return type,
//! after `as`); any other `<` compares. A `|` opens a closure's parameters where an operand
//! starts; any other `|` is an operator. An invisible group (a `macro_rules!` fragment) is
//! one operand: no fragment holds a comma outside its groups.
//!
//! A name or a literal right after a whole operand (`cleanup graceful`, `|| () graceful`)
//! continues no expression (but `as`, `else`, `in`, a label's name, and `&raw const`), nor
//! does a `;`, a `=>` or a `~` anywhere outside groups (closure parameters and generic
//! arguments included): the comma is missing there, and the handler ends before it.

use crate::token::{is_any_ident, is_group, is_ident, is_punct};
use crate::tokens::{Delimiter, Spacing, TokenTree};

/// The index of the comma that ends the handler at the start of `tokens`, or of the token
/// that follows it without a comma (their length if neither).
pub(crate) fn end(tokens: &[TokenTree]) -> usize {
    let mut scan = Scan::default();
    let mut at = 0;
    while at < tokens.len() {
        match scan.step(tokens, at) {
            Step::End => return at,
            Step::Next(next) => at = next,
        }
    }
    tokens.len()
}

enum Step {
    End,
    Next(usize),
}

#[derive(Default)]
struct Scan {
    /// The last token ended an operand: a `|` or `<` now is an operator.
    operand: bool,
    /// Depth of generic arguments' `<`.
    generics: usize,
    place: Place,
    /// The previous token was a joint `-` (so a `>` is `->`; a `=>` ends the handler).
    arrow: bool,
    /// The previous token.
    previous: Option<TokenTree>,
    /// In a cast's type, the last token ended a path's segment.
    cast_segment: bool,
}

/// Where the scan is, outside generic arguments.
#[derive(Default, Clone, Copy, PartialEq)]
enum Place {
    /// In an expression.
    #[default]
    Expression,
    /// Inside a closure's `|...|`.
    Params,
    /// Right after a closure's parameters, where `->` starts its return type.
    AfterParams,
    /// `-` of a `->` right after a closure's parameters.
    Arrow,
    /// In a closure's return type, which ends at its block.
    ReturnType,
    /// In a cast's type, which ends at the first token that cannot continue a path.
    Cast,
}

/// Keywords that start a type, with more of it after them.
const TYPE_PREFIXES: [&str; 8] = [
    "dyn", "mut", "const", "impl", "fn", "unsafe", "extern", "for",
];

/// Keywords after which an operand starts (`become`: a tail call, reserved, which syn reads).
const OPERAND_STARTS: [&str; 20] = [
    "move", "return", "break", "in", "if", "match", "while", "let", "else", "mut", "ref", "box",
    "async", "unsafe", "loop", "for", "yield", "static", "const", "become",
];

fn is_joint(token: &TokenTree) -> bool {
    matches!(token, TokenTree::Punct(p) if p.spacing() == Spacing::Joint)
}

impl Scan {
    fn step(&mut self, tokens: &[TokenTree], at: usize) -> Step {
        let step = self.step_from(tokens, at);
        if let Step::Next(next) = step {
            self.previous = tokens.get(next.wrapping_sub(1)).cloned();
        }
        step
    }

    fn step_from(&mut self, tokens: &[TokenTree], at: usize) -> Step {
        let token = &tokens[at];
        // `;`, `=>` and `~` continue no expression, closure parameters nor generic arguments:
        // `cleanup; graceful` lacks a comma.
        let fat_arrow = is_punct(token, '=')
            && is_joint(token)
            && matches!(tokens.get(at + 1), Some(next) if is_punct(next, '>'));
        if is_punct(token, ';') || is_punct(token, '~') || fat_arrow {
            return Step::End;
        }
        let arrow = self.arrow;
        self.arrow = is_joint(token) && is_punct(token, '-');
        if self.generics > 0 {
            self.in_generics(token, arrow);
            return Step::Next(at + 1);
        }
        match self.place {
            Place::Params => {
                if is_punct(token, '|') {
                    self.place = Place::AfterParams;
                    self.operand = false;
                } else if is_punct(token, '<') {
                    self.generics = 1;
                }
                return Step::Next(at + 1);
            }
            Place::ReturnType => {
                if is_punct(token, '<') {
                    self.generics = 1;
                } else if is_group(token, Delimiter::Brace) {
                    self.place = Place::Expression;
                    self.operand = true;
                }
                return Step::Next(at + 1);
            }
            Place::Cast => {
                if is_punct(token, '<') && !compares(tokens, at) {
                    self.generics = 1;
                    return Step::Next(at + 1);
                }
                // After a path's segment only `::` continues the type (`x as u8 & m` is
                // a bitwise and); before one, a name, `&`, `*`, a lifetime or an ABI.
                let segment = self.cast_segment;
                let continues = match token {
                    TokenTree::Punct(p) if segment => {
                        self.cast_segment = false;
                        p.as_char() == ':'
                    }
                    TokenTree::Ident(_) => {
                        let lifetime = matches!(&self.previous, Some(p) if is_punct(p, '\''));
                        self.cast_segment = !lifetime && !is_any_ident(token, &TYPE_PREFIXES);
                        !segment
                    }
                    TokenTree::Punct(p) => {
                        self.cast_segment = false;
                        matches!(p.as_char(), ':' | '&' | '*' | '\'')
                    }
                    TokenTree::Literal(_) => {
                        !segment && matches!(&self.previous, Some(p) if is_ident(p, "extern"))
                    }
                    TokenTree::Group(_) => false,
                };
                if continues {
                    return Step::Next(at + 1);
                }
                self.place = Place::Expression;
                self.operand = true;
            }
            Place::Arrow if is_punct(token, '>') => {
                self.place = Place::ReturnType;
                return Step::Next(at + 1);
            }
            Place::AfterParams if is_punct(token, '-') && arrow_next(tokens, at) => {
                self.place = Place::Arrow;
                return Step::Next(at + 1);
            }
            Place::AfterParams | Place::Arrow | Place::Expression => {
                self.place = Place::Expression;
            }
        }
        self.in_expression(tokens, at)
    }

    fn in_generics(&mut self, token: &TokenTree, arrow: bool) {
        if is_punct(token, '<') {
            self.generics += 1;
        } else if is_punct(token, '>') && !arrow {
            self.generics -= 1;
            if self.generics == 0 {
                self.operand = true;
                if self.place == Place::Cast {
                    self.place = Place::Expression;
                }
            }
        }
    }

    fn in_expression(&mut self, tokens: &[TokenTree], at: usize) -> Step {
        let token = &tokens[at];
        let joint_with = |char: char| {
            is_joint(token) && matches!(tokens.get(at + 1), Some(next) if is_punct(next, char))
        };
        match token {
            TokenTree::Punct(punct) => match punct.as_char() {
                ',' => return Step::End,
                '|' if joint_with('|') => {
                    // `||`: an empty closure's parameters, or a logical or.
                    if !self.operand {
                        self.place = Place::AfterParams;
                    }
                    self.operand = false;
                    return Step::Next(at + 2);
                }
                '|' if joint_with('=') => self.operand = false,
                '|' => {
                    // After `let`, a `|` leads a pattern's alternatives (`let | A = x`).
                    let after_let = matches!(&self.previous, Some(p) if is_ident(p, "let"));
                    if !self.operand && !after_let {
                        self.place = Place::Params;
                    }
                    self.operand = false;
                }
                '<' if self.operand => {
                    // A comparison or a shift: `<`, `<=`, `<<`, `<<=`.
                    self.operand = false;
                    let mut skip = at + 1;
                    while skip < tokens.len()
                        && is_joint(&tokens[skip - 1])
                        && (is_punct(&tokens[skip], '<') || is_punct(&tokens[skip], '='))
                    {
                        skip += 1;
                    }
                    return Step::Next(skip);
                }
                // `<=` and `<<=` never open generic arguments (`break <<= x`).
                '<' if joint_with('=') => return Step::Next(at + 2),
                '<' if joint_with('<')
                    && is_joint(&tokens[at + 1])
                    && matches!(tokens.get(at + 2), Some(t) if is_punct(t, '=')) =>
                {
                    return Step::Next(at + 3);
                }
                '<' => self.generics = 1,
                '?' => self.operand = true,
                _ => self.operand = false,
            },
            TokenTree::Ident(_) if is_ident(token, "as") => {
                self.place = Place::Cast;
                self.cast_segment = false;
                self.operand = false;
            }
            TokenTree::Ident(_) | TokenTree::Literal(_) if self.operand && !continues(token) => {
                return Step::End;
            }
            TokenTree::Ident(_) if matches!(&self.previous, Some(p) if is_punct(p, '\'')) => {
                // A label: `'a: loop {}`, `break 'a value`.
                self.operand = false;
            }
            TokenTree::Ident(_)
                if is_ident(token, "raw")
                    && matches!(&self.previous, Some(p) if is_punct(p, '&')) =>
            {
                // `&raw const x`, `&raw mut x`.
                self.operand = false;
            }
            TokenTree::Ident(_) => {
                self.operand = !is_any_ident(token, &OPERAND_STARTS);
            }
            TokenTree::Group(group)
                if group.delimiter() == Delimiter::Bracket
                    && matches!(&self.previous, Some(p) if is_punct(p, '#')) =>
            {
                // An attribute on what follows: `#[allow(unused)] x`.
                self.operand = false;
            }
            // `x.0.y` lexes as `x`, `.`, `0.`, `y`: the literal's dot is a field's. After
            // `..` (`g..1.`) the literal is a range's end, a whole operand.
            TokenTree::Literal(literal)
                if literal.to_string().ends_with('.') && after_field_dot(tokens, at) =>
            {
                self.operand = false;
            }
            TokenTree::Literal(_) | TokenTree::Group(_) => self.operand = true,
        }
        Step::Next(at + 1)
    }
}

/// Whether a name or a literal after a whole operand continues the expression.
fn continues(token: &TokenTree) -> bool {
    is_any_ident(token, &["else", "in"])
}

/// Whether the token at `at` follows a field access's `.` (not the end of a range's `..`).
fn after_field_dot(tokens: &[TokenTree], at: usize) -> bool {
    let dot = |at: usize| matches!(tokens.get(at), Some(t) if is_punct(t, '.'));
    at >= 1 && dot(at - 1) && !(at >= 2 && dot(at - 2) && is_joint(&tokens[at - 2]))
}

/// Whether the `<` at `at` is the start of `<=` or `<<=`, which never open generic
/// arguments (`x as u32 <= 2`).
fn compares(tokens: &[TokenTree], at: usize) -> bool {
    let joint_to = |at: usize, char: char| {
        is_joint(&tokens[at]) && matches!(tokens.get(at + 1), Some(next) if is_punct(next, char))
    };
    joint_to(at, '=') || (joint_to(at, '<') && joint_to(at + 1, '='))
}

/// Whether the `-` at `at` is the start of `->`.
fn arrow_next(tokens: &[TokenTree], at: usize) -> bool {
    is_joint(&tokens[at]) && matches!(tokens.get(at + 1), Some(next) if is_punct(next, '>'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::TokenStream;
    use std::str::FromStr;

    fn handler(source: &str) -> String {
        let tokens: Vec<TokenTree> = TokenStream::from_str(source).unwrap().into_iter().collect();
        let end = end(&tokens);
        tokens[..end]
            .iter()
            .cloned()
            .collect::<TokenStream>()
            .to_string()
            .replace(' ', "")
    }

    #[test]
    fn the_handler_ends_at_its_first_own_comma() {
        for (source, expected) in [
            ("cleanup, graceful", "cleanup"),
            ("|| (), 5", "||()"),
            ("|| (), graceful, signals(interrupt) | x", "||()"),
            ("|a, b| a < b, graceful", "|a,b|a<b"),
            (
                "move |a: HashMap<K, V>, b| x, graceful",
                "move|a:HashMap<K,V>,b|x",
            ),
            ("f::<A, B>, graceful", "f::<A,B>"),
            (
                "<HashMap<A, B> as T<C, D>>::f, x",
                "<HashMap<A,B>asT<C,D>>::f",
            ),
            (
                "|| -> Result<A, B> { Ok(()) }, x",
                "||->Result<A,B>{Ok(())}",
            ),
            ("|| a < b, c > d", "||a<b"),
            ("|| a << b, c", "||a<<b"),
            ("|| a <= b, c", "||a<=b"),
            ("|| x as Foo<A, B>, c", "||xasFoo<A,B>"),
            ("|| x as u8, c", "||xasu8"),
            // Found by an outside tester: `<=` after a cast compares.
            (
                "|| *&mut false = 1 as u32 <= 2, graceful",
                "||*&mutfalse=1asu32<=2",
            ),
            ("|| 1 as u32 <<= 2, graceful", "||1asu32<<=2"),
            // Found by the fuzzer: a pattern's leading `|` after `let` opens no closure.
            ("let | QS = ewV, c", "let|QS=ewV"),
            // `continue` takes no value: a `|` after it is an operator.
            ("continue | a & g, c", "continue|a&g"),
            // An attribute on an operand is no operand (fuzzer).
            ("a & #[allow(unused)] b, c", "a&#[allow(unused)]b"),
            ("|| e.0.1.f, c", "||e.0.1.f"),
            ("r || E00e . 000010139. cleF, c", "r||E00e.000010139.cleF"),
            ("22. < .., c", "22.<.."),
            // Found by the fuzzer: `&` after a cast's type is an operator.
            ("x as Fo & c & 6cc | o < A, c", "xasFo&c&6cc|o<A"),
            ("x as &'a mut dyn T, c", "xas&'amutdynT"),
            ("x as *const u8 as usize, c", "xas*constu8asusize"),
            (
                "x as unsafe extern \"C\" fn(), c",
                "xasunsafeextern\"C\"fn()",
            ),
            ("x as ::a::B, c", "xas::a::B"),
            ("x as u8 graceful", "xasu8"),
            ("a + b || |t| c | d, graceful", "a+b|||t|c|d"),
            ("|| |a, b| a, graceful", "|||a,b|a"),
            (
                "|| if LEVEL < 2 { stop() }, timeout = \"1s\"",
                "||ifLEVEL<2{stop()}",
            ),
            ("|x: fn(u8) -> u8| x, c", "|x:fn(u8)->u8|x"),
            ("|| x?, c", "||x?"),
            ("signals(1)", "signals(1)"),
            // Valid handlers with a name right after an operand.
            ("|| for x in y {}, c", "||forxiny{}"),
            ("|| if a { b } else { c }, c", "||ifa{b}else{c}"),
            ("|| 'a: loop { break 'a }, c", "||'a:loop{break'a}"),
            ("|| loop { break 'a 5 }, c", "||loop{break'a5}"),
            ("|| drop(&raw const X), c", "||drop(&rawconstX)"),
            ("|| &raw const X, c", "||&rawconstX"),
            ("|| &raw mut X, c", "||&rawmutX"),
            ("|| const { 1 }, c", "||const{1}"),
            // A missing comma: the handler ends before the name or literal.
            ("cleanup graceful", "cleanup"),
            ("|| () graceful", "||()"),
            ("m::cleanup timeout = \"1s\"", "m::cleanup"),
            ("|| -> u8 { 1 } graceful", "||->u8{1}"),
            ("cleanup \"x\"", "cleanup"),
            // Found by the fuzzer in CI: a literal after a range's `..` is no field, and
            // the `<` after it compares.
            ("g..122.<011egr, graceful", "g..122.<011egr"),
            ("g..=1.<x, c", "g..=1.<x"),
            // Found by the fuzzer: `break` with no value, then `<<=`.
            ("p|break<<=&::rR, graceful", "p|break<<=&::rR"),
        ] {
            assert_eq!(handler(source), expected, "{source}");
        }
    }
}
