//! The regular expressions of JSON Schema's `pattern` keyword, for the
//! subset of ECMA-262 our schemas use, without a regex crate.
//!
//! Supported: literals and escaped punctuation, `.`, character classes
//! (`[a-z0-9]`, `[^…]`), the escapes `\d \D \s \S \w \W` and `\p{L}` / `\P{L}`
//! (a letter: Rust's `char::is_alphabetic`), groups `( … )` and `(?: … )`
//! with alternation `|`, the anchors `^` and `$` (of the whole text: no
//! multi-line mode), and the quantifiers `* + ? {n} {n,} {n,m}` (a trailing
//! `?` for laziness is accepted: it does not change whether a text matches).
//! Anything else (back-references, look-around, other `\p{…}` classes) is
//! refused when the pattern is compiled.
//!
//! As JSON Schema says, a pattern is not anchored: it matches when it
//! matches anywhere in the text. Matching simulates the automaton (Pike's
//! method), so its time is linear in the text whatever the pattern: no text
//! can make it backtrack without end.

use std::fmt;

/// A pattern that could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unsupported pattern: {}", self.0)
    }
}

/// The most instructions a compiled pattern may have (counted repeats are
/// copied out).
const MAX_PROGRAM: usize = 20_000;

#[derive(Debug, Clone, PartialEq)]
enum Item {
    Range(char, char),
    Digit,
    Space,
    Word,
    Letter,
    /// Any character but a line terminator (`.`).
    NotNewline,
}

impl Item {
    fn matches(&self, c: char) -> bool {
        match self {
            Item::Range(a, b) => (*a..=*b).contains(&c),
            Item::Digit => c.is_ascii_digit(),
            Item::Space => c.is_whitespace() || c == '\u{feff}',
            Item::Word => c.is_ascii_alphanumeric() || c == '_',
            Item::Letter => c.is_alphabetic(),
            Item::NotNewline => !matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}'),
        }
    }
}

/// A set of characters: its items, or everything but them.
#[derive(Debug, Clone, PartialEq)]
struct Set {
    negated: bool,
    items: Vec<Item>,
}

impl Set {
    fn one(item: Item, negated: bool) -> Set {
        Set {
            negated,
            items: vec![item],
        }
    }
    fn matches(&self, c: char) -> bool {
        self.items.iter().any(|i| i.matches(c)) != self.negated
    }
}

#[derive(Debug, Clone)]
enum Node {
    Set(Set),
    Start,
    End,
    /// Alternatives, each a sequence of repeated nodes.
    Group(Vec<Vec<Piece>>),
}

#[derive(Debug, Clone)]
struct Piece {
    node: Node,
    min: u32,
    max: Option<u32>,
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.pos += usize::from(c.is_some());
        c
    }
    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        self.pos += usize::from(hit);
        hit
    }
    fn fail<T>(&self, what: &str) -> Result<T, PatternError> {
        Err(PatternError(format!("{what} at {}", self.pos)))
    }

    fn alternation(&mut self) -> Result<Vec<Vec<Piece>>, PatternError> {
        let mut branches = vec![self.sequence()?];
        while self.eat('|') {
            branches.push(self.sequence()?);
        }
        Ok(branches)
    }

    fn sequence(&mut self) -> Result<Vec<Piece>, PatternError> {
        let mut pieces = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let node = self.atom()?;
            let (min, max) = self.quantifier()?;
            pieces.push(Piece { node, min, max });
        }
        Ok(pieces)
    }

    fn number(&mut self) -> Option<u32> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.chars[start..self.pos]
            .iter()
            .collect::<String>()
            .parse()
            .ok()
    }

    fn quantifier(&mut self) -> Result<(u32, Option<u32>), PatternError> {
        let q = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => {
                self.pos += 1;
                let min = match self.number() {
                    Some(n) => n,
                    None => return self.fail("a count"),
                };
                let max = if self.eat(',') { self.number() } else { Some(min) };
                if !self.eat('}') || max.is_some_and(|m| m < min) {
                    return self.fail("a counted repeat");
                }
                self.pos -= 1;
                (min, max)
            }
            _ => return Ok((1, Some(1))),
        };
        self.pos += 1;
        self.eat('?');
        Ok(q)
    }

    fn atom(&mut self) -> Result<Node, PatternError> {
        match self.next() {
            Some('(') => {
                if self.eat('?') && !self.eat(':') {
                    return self.fail("look-around or a named group");
                }
                let inner = self.alternation()?;
                if !self.eat(')') {
                    return self.fail("an unclosed group");
                }
                Ok(Node::Group(inner))
            }
            Some('[') => self.class().map(Node::Set),
            Some('.') => Ok(Node::Set(Set::one(Item::NotNewline, false))),
            Some('^') => Ok(Node::Start),
            Some('$') => Ok(Node::End),
            Some('\\') => self.escape().map(Node::Set),
            Some(c @ ('*' | '+' | '?' | '{' | ')')) => self.fail(&format!("a misplaced '{c}'")),
            Some(c) => Ok(Node::Set(Set::one(Item::Range(c, c), false))),
            None => self.fail("the end"),
        }
    }

    /// After a backslash: a class escape, a control character or a literal.
    fn escape(&mut self) -> Result<Set, PatternError> {
        let c = match self.next() {
            Some(c) => c,
            None => return self.fail("a trailing backslash"),
        };
        let lit = |c: char| Ok(Set::one(Item::Range(c, c), false));
        match c {
            'd' | 'D' => Ok(Set::one(Item::Digit, c == 'D')),
            's' | 'S' => Ok(Set::one(Item::Space, c == 'S')),
            'w' | 'W' => Ok(Set::one(Item::Word, c == 'W')),
            'p' | 'P' => {
                let name: String = ['{', 'L', '}'].iter().collect();
                let here: String = self.chars.iter().skip(self.pos).take(3).collect();
                if here != name {
                    return self.fail("a Unicode class other than \\p{L}");
                }
                self.pos += 3;
                Ok(Set::one(Item::Letter, c == 'P'))
            }
            'n' => lit('\n'),
            't' => lit('\t'),
            'r' => lit('\r'),
            'f' => lit('\u{c}'),
            'v' => lit('\u{b}'),
            '0' => lit('\0'),
            c if c.is_ascii_alphanumeric() => self.fail(&format!("the escape \\{c}")),
            c => lit(c),
        }
    }

    fn class(&mut self) -> Result<Set, PatternError> {
        let negated = self.eat('^');
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let c = match self.next() {
                Some(']') if !first => break,
                Some(c) => c,
                None => return self.fail("an unclosed class"),
            };
            first = false;
            let lo = if c == '\\' {
                let set = self.escape()?;
                match (set.negated, set.items.as_slice()) {
                    (false, [Item::Range(a, b)]) if a == b => *a,
                    (false, _) => {
                        items.extend(set.items);
                        continue;
                    }
                    (true, _) => return self.fail("a negated escape inside a class"),
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|c| *c != ']') {
                self.pos += 1;
                let hi = match self.next() {
                    Some('\\') => match self.escape()?.items.as_slice() {
                        [Item::Range(a, b)] if a == b => *a,
                        _ => return self.fail("a range ending in a class"),
                    },
                    Some(c) => c,
                    None => return self.fail("an unclosed class"),
                };
                if hi < lo {
                    return self.fail("a reversed range");
                }
                items.push(Item::Range(lo, hi));
            } else {
                items.push(Item::Range(lo, lo));
            }
        }
        Ok(Set { negated, items })
    }
}

#[derive(Debug, Clone)]
enum Inst {
    Char(Set),
    /// Continue at both.
    Split(usize, usize),
    Jmp(usize),
    Start,
    End,
    Match,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    prog: Vec<Inst>,
}

struct Compiler {
    prog: Vec<Inst>,
}

impl Compiler {
    fn push(&mut self, i: Inst) -> Result<usize, PatternError> {
        if self.prog.len() >= MAX_PROGRAM {
            return Err(PatternError("too many repeats".into()));
        }
        self.prog.push(i);
        Ok(self.prog.len() - 1)
    }

    fn patch(&mut self, at: usize, to: usize) {
        match &mut self.prog[at] {
            Inst::Split(_, b) => *b = to,
            Inst::Jmp(a) => *a = to,
            _ => {}
        }
    }

    fn alternation(&mut self, branches: &[Vec<Piece>]) -> Result<(), PatternError> {
        let mut exits = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            let last = i + 1 == branches.len();
            let split = if last {
                None
            } else {
                let at = self.prog.len();
                Some(self.push(Inst::Split(at + 1, 0))?)
            };
            for piece in branch {
                self.piece(piece)?;
            }
            if let Some(split) = split {
                exits.push(self.push(Inst::Jmp(0))?);
                let next = self.prog.len();
                self.patch(split, next);
            }
        }
        let end = self.prog.len();
        for e in exits {
            self.patch(e, end);
        }
        Ok(())
    }

    fn node(&mut self, node: &Node) -> Result<(), PatternError> {
        match node {
            Node::Set(s) => self.push(Inst::Char(s.clone())).map(|_| ()),
            Node::Start => self.push(Inst::Start).map(|_| ()),
            Node::End => self.push(Inst::End).map(|_| ()),
            Node::Group(branches) => self.alternation(branches),
        }
    }

    fn piece(&mut self, p: &Piece) -> Result<(), PatternError> {
        for _ in 0..p.min {
            self.node(&p.node)?;
        }
        match p.max {
            None => {
                let split = self.prog.len();
                self.push(Inst::Split(split + 1, 0))?;
                self.node(&p.node)?;
                self.push(Inst::Jmp(split))?;
                let end = self.prog.len();
                self.patch(split, end);
            }
            Some(max) => {
                let mut splits = Vec::new();
                for _ in p.min..max {
                    let at = self.prog.len();
                    splits.push(self.push(Inst::Split(at + 1, 0))?);
                    self.node(&p.node)?;
                }
                let end = self.prog.len();
                for s in splits {
                    self.patch(s, end);
                }
            }
        }
        Ok(())
    }
}

impl Pattern {
    /// Compiles a pattern of the supported subset.
    pub fn new(source: &str) -> Result<Pattern, PatternError> {
        let mut p = Parser {
            chars: source.chars().collect(),
            pos: 0,
        };
        let ast = p.alternation()?;
        if p.pos < p.chars.len() {
            return p.fail("an unopened ')'");
        }
        let mut c = Compiler { prog: Vec::new() };
        c.alternation(&ast)?;
        c.push(Inst::Match)?;
        Ok(Pattern { prog: c.prog })
    }

    /// Whether the pattern matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let n = chars.len();
        let mut seen = vec![usize::MAX; self.prog.len()];
        let (mut now, mut next) = (Vec::new(), Vec::new());
        for pos in 0..=n {
            // A new attempt starts at every position (the pattern is not anchored).
            if self.add(&mut now, &mut seen, 0, pos, n) {
                return true;
            }
            let Some(&c) = chars.get(pos) else { break };
            next.clear();
            for &pc in &now {
                if let Inst::Char(set) = &self.prog[pc] {
                    if set.matches(c) && self.add(&mut next, &mut seen, pc + 1, pos + 1, n) {
                        return true;
                    }
                }
            }
            std::mem::swap(&mut now, &mut next);
        }
        false
    }

    /// Adds the threads reachable from `pc` without reading a character at
    /// `pos`; answers whether one of them matched.
    fn add(&self, list: &mut Vec<usize>, seen: &mut [usize], pc: usize, pos: usize, n: usize) -> bool {
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            if seen[pc] == pos {
                continue;
            }
            seen[pc] = pos;
            match &self.prog[pc] {
                Inst::Char(_) => list.push(pc),
                Inst::Split(a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Inst::Jmp(a) => stack.push(*a),
                Inst::Start if pos == 0 => stack.push(pc + 1),
                Inst::End if pos == n => stack.push(pc + 1),
                Inst::Start | Inst::End => {}
                Inst::Match => return true,
            }
        }
        false
    }
}

/// Whether `pattern` matches anywhere in `text`; a pattern outside the
/// supported subset matches nothing (the schemas' own patterns are tested
/// to compile).
///
/// Compiled patterns are kept per thread (the schemas' patterns are few and
/// fixed; past [`CACHED_PATTERNS`] distinct ones, a pattern is compiled for
/// the one match).
pub fn matches(pattern: &str, text: &str) -> bool {
    use std::cell::RefCell;
    use std::collections::HashMap;
    thread_local! {
        static COMPILED: RefCell<HashMap<String, Option<Pattern>>> = RefCell::new(HashMap::new());
    }
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if !cache.contains_key(pattern) {
            if cache.len() >= CACHED_PATTERNS {
                return Pattern::new(pattern).is_ok_and(|p| p.is_match(text));
            }
            cache.insert(pattern.to_owned(), Pattern::new(pattern).ok());
        }
        cache
            .get(pattern)
            .and_then(Option::as_ref)
            .is_some_and(|p| p.is_match(text))
    })
}

/// The most compiled patterns kept per thread.
const CACHED_PATTERNS: usize = 256;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Pattern::new(p).unwrap().is_match(t)
    }

    #[test]
    fn literals_classes_and_anchors() {
        assert!(m("agri:", "x agri:dose"));
        assert!(!m("^agri:", "x agri:dose"));
        assert!(m("^agri:", "agri:dose"));
        assert!(m("^[0-9a-f]{4}$", "09af"));
        assert!(!m("^[0-9a-f]{4}$", "09afe"));
        assert!(!m("^[0-9a-f]{4}$", "09aG"));
        assert!(m("[^0-9]", "12a"));
        assert!(!m("[^0-9]", "123"));
        assert!(m(r"\S", "  x "));
        assert!(!m(r"\S", "   "));
        assert!(m(r"^\d+\.\d$", "12.5"));
        assert!(!m(r"^\d+\.\d$", "12x5"));
        assert!(m(r"\p{L}", "20 亩"));
        assert!(!m(r"\p{L}", "20 %"));
        assert!(m(r"^[+-][0-9]{2}:[0-9]{2}$", "+08:00"));
        assert!(m("^[-a]$", "-"));
        assert!(m(r"^[\d.]+$", "1.5"));
    }

    #[test]
    fn groups_alternation_and_repeats() {
        let reg = "^\\s*([Pp][Dd]|[Ll][Ss]|[Ww][PpLl])[0-9]{6,12}\\s*$";
        for ok in ["PD20080005", " pd20080005 ", "WL123456", "LS123456789012"] {
            assert!(m(reg, ok), "{ok}");
        }
        for bad in ["PD12345", "XX20080005", "PD1234567890123", "PD2008A005", ""] {
            assert!(!m(reg, bad), "{bad}");
        }
        assert!(m("^(?:ab)+$", "ababab"));
        assert!(!m("^(?:ab)+$", "ababa"));
        assert!(m("^a{2,}$", "aaaa"));
        assert!(!m("^a{2,}$", "a"));
        assert!(m("^(a|)b?$", ""));
        assert!(m("^(a*)*$", "aaaa"));
        assert!(m("^x??y$", "y"));
    }

    #[test]
    fn unsupported_patterns_are_refused() {
        for bad in ["(?=a)", "\\1", "\\p{Lu}", "a{3,1}", "(", ")", "[", "*a", "a\\"] {
            assert!(Pattern::new(bad).is_err(), "{bad}");
        }
        assert!(!matches("(?=a)", "a"));
    }

    #[test]
    fn long_texts_take_linear_time() {
        let text = "a".repeat(100_000);
        let started = std::time::Instant::now();
        assert!(!m("^(a|aa)*(a*)*b$", &text));
        assert!(started.elapsed().as_secs() < 10);
    }
}
