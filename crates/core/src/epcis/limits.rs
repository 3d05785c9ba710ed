//! Bounds on what one EPCIS event (and a document's header) may hold.
//!
//! Every event is stored as captured, hashed, signed, logged and shown on the
//! public pages of the units it names, so one event must not be able to cost
//! more than any sensible record does. [`check_event`] runs before the EPCIS
//! rules in [`super::validate`] (an event that breaks a bound is refused
//! without further work) and reports, for each bound broken, the JSON path of
//! the value inside the event:
//!
//! | bound | limit | code |
//! |---|---|---|
//! | characters of a string value, anywhere (standard fields, extensions such as `agri:*`, nested objects and arrays, `ilmd`, sensor data) | [`MAX_TEXT_CHARS`] = 4,096 | `value_too_long` |
//! | characters of an identifier or vocabulary URI (EPCs, `parentID`, locations, transactions, sources, destinations, `eventID`, sensor URIs, `bizStep`, ...), checked by the validator | [`MAX_URI_CHARS`] = 2,048 | `value_too_long` |
//! | characters of a field name | [`MAX_URI_CHARS`] = 2,048 | `value_too_long` |
//! | entries of one array (EPC lists, quantity lists, sensor reports, extension arrays) or fields of one object | [`MAX_ENTRIES`] = 10,000 | `too_many_entries` |
//! | nesting: the event is level 1, each object or array inside one level deeper | [`MAX_DEPTH`] = 16 | `too_deep` |
//! | the event serialised as compact JSON (UTF-8 bytes) | [`MAX_EVENT_BYTES`] = 256 KiB | `event_too_large` |
//! | C0/C1 control characters (tab and line feed allowed in values) and bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) in any string value or field name | none | `text_control_chars` |
//!
//! The size bound is what limits EPC lists in practice: 256 KiB holds about
//! 4,000 EPCs written as Digital Link URIs with serials (more as short URNs);
//! a larger set is recorded in several events. A whole capture document is
//! limited by the server's body limit. Every official GS1 EPCIS 2.0 example
//! stays far within these bounds (longest string 89 characters, deepest value
//! at level 9, longest array 10 entries, largest event about 5 KiB).
//!
//! [`check_header`] applies the same bounds to a document without its event
//! list (`@context`, header, extensions), the size bound as `header_too_large`.
//!
//! Paths name object members by their key and array entries by `[i]`, e.g.
//! `ilmd.agri:lots[3].note`; a key too long or holding control characters is
//! shown clipped and escaped, never as written.

use serde_json::{Map, Value};

use crate::codes::text::{control_error, forbidden_char};
use crate::error::Invalid;

/// Most characters of any string value in an event.
pub const MAX_TEXT_CHARS: usize = 4_096;
/// Most characters of an identifier or vocabulary URI, and of a field name.
pub const MAX_URI_CHARS: usize = 2_048;
/// Most entries of one array, or fields of one object, in an event.
pub const MAX_ENTRIES: usize = 10_000;
/// Deepest nesting: the event object is level 1.
pub const MAX_DEPTH: usize = 16;
/// Largest event, serialised as compact JSON, in bytes.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// At most this many bound problems are collected for one event.
const MAX_FOUND: usize = 20;

/// One broken bound: the path of the value inside the checked object and the
/// rule. The path is empty for the object as a whole.
pub type Found = (String, Invalid);

/// Checks the bounds of one event (see the module documentation). Empty when
/// every bound holds.
pub fn check_event(event: &Value) -> Vec<Found> {
    let mut w = Walker::default();
    let size = w.walk(event, 1);
    if size > MAX_EVENT_BYTES {
        w.push_whole(too_large("event_too_large", "event", "事件", size));
    }
    w.found
}

/// Checks the bounds of a document object without its event list
/// (`epcisBody.eventList`, `epcisBody.queryResults.resultsBody.eventList`),
/// the size bound reported as `header_too_large`.
pub fn check_header(document: &Map<String, Value>) -> Vec<Found> {
    let mut w = Walker {
        skip_event_lists: true,
        ..Walker::default()
    };
    let size = w.object(document, 1);
    if size > MAX_EVENT_BYTES {
        w.push_whole(too_large(
            "header_too_large",
            "document without its events",
            "文档（不含事件）",
            size,
        ));
    }
    w.found
}

/// The refusal of an identifier longer than [`MAX_URI_CHARS`], if it is.
pub fn uri_too_long(s: &str) -> Option<Invalid> {
    let n = s.chars().count();
    (n > MAX_URI_CHARS).then(|| too_long(n, MAX_URI_CHARS))
}

fn too_long(n: usize, max: usize) -> Invalid {
    Invalid::new(
        "value_too_long",
        format!("the value has {n} characters; at most {max} are allowed here."),
        format!("取值有 {n} 个字符，此处最多允许 {max} 个。"),
    )
}

fn too_large(code: &'static str, what_en: &str, what_zh: &str, size: usize) -> Invalid {
    Invalid::new(
        code,
        format!(
            "the {what_en} is {size} bytes as compact JSON; at most {MAX_EVENT_BYTES} bytes are allowed \
             (record a large set of EPCs in several events)."
        ),
        format!("该{what_zh}按紧凑 JSON 计为 {size} 字节，最多允许 {MAX_EVENT_BYTES} 字节（大量 EPC 请分多个事件记录）。"),
    )
}

/// A step of a path: an object key or an array index.
#[derive(Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

#[derive(Default)]
struct Walker<'a> {
    path: Vec<Step<'a>>,
    found: Vec<Found>,
    skip_event_lists: bool,
}

impl<'a> Walker<'a> {
    fn push(&mut self, error: Invalid) {
        if self.found.len() < MAX_FOUND {
            let path = render(&self.path);
            self.found.push((path, error));
        }
    }

    fn push_whole(&mut self, error: Invalid) {
        self.found.push((String::new(), error));
    }

    /// Walks `value` at nesting `level` and returns its compact JSON size.
    fn walk(&mut self, value: &'a Value, level: usize) -> usize {
        match value {
            Value::Null => 4,
            Value::Bool(b) => 4 + usize::from(!*b),
            Value::Number(n) => n.to_string().len(),
            Value::String(s) => self.string(s),
            Value::Array(items) => {
                if !self.container(level, items.len()) {
                    return json_size(value);
                }
                let mut size = 2 + items.len().saturating_sub(1);
                for (i, item) in items.iter().enumerate() {
                    self.path.push(Step::Index(i));
                    size += self.walk(item, level + 1);
                    self.path.pop();
                }
                size
            }
            Value::Object(members) => self.object(members, level),
        }
    }

    fn object(&mut self, members: &'a Map<String, Value>, level: usize) -> usize {
        if !self.container(level, members.len()) {
            return json_size_object(members);
        }
        let mut size = 2 + members.len().saturating_sub(1);
        for (key, value) in members {
            self.path.push(Step::Key(key));
            size += string_size(key) + 1;
            let n = key.chars().count();
            if n > MAX_URI_CHARS {
                self.push(Invalid::new(
                    "value_too_long",
                    format!("the field name has {n} characters; at most {MAX_URI_CHARS} are allowed."),
                    format!("字段名有 {n} 个字符，最多允许 {MAX_URI_CHARS} 个。"),
                ));
            } else if let Some((pos, c)) = forbidden_char(key, false) {
                let e = control_error(pos, c);
                self.push(Invalid::new(
                    e.code,
                    format!("the field name is refused: {}", e.en),
                    format!("字段名不被接受：{}", e.zh),
                ));
            }
            if self.skip_event_lists && self.at_event_list() {
                // Counted as an empty list: events have bounds of their own.
                size += 2;
            } else {
                size += self.walk(value, level + 1);
            }
            self.path.pop();
        }
        size
    }

    /// Checks a container's depth and size; `false` when it is refused and
    /// its contents are not to be walked.
    fn container(&mut self, level: usize, entries: usize) -> bool {
        if level > MAX_DEPTH {
            self.push(Invalid::new(
                "too_deep",
                format!(
                    "the value is nested {level} levels deep (the event is level 1); at most {MAX_DEPTH} are allowed."
                ),
                format!("取值嵌套 {level} 层（事件本身为第 1 层），最多允许 {MAX_DEPTH} 层。"),
            ));
            return false;
        }
        if entries > MAX_ENTRIES {
            self.push(Invalid::new(
                "too_many_entries",
                format!("the value has {entries} entries; at most {MAX_ENTRIES} are allowed."),
                format!("取值有 {entries} 项，最多允许 {MAX_ENTRIES} 项。"),
            ));
            return false;
        }
        true
    }

    fn string(&mut self, s: &str) -> usize {
        let n = s.chars().count();
        if n > MAX_TEXT_CHARS {
            self.push(too_long(n, MAX_TEXT_CHARS));
        } else if let Some((pos, c)) = forbidden_char(s, true) {
            self.push(control_error(pos, c));
        }
        string_size(s)
    }

    /// Whether the path is a document's event list.
    fn at_event_list(&self) -> bool {
        let keys: Vec<&str> = self
            .path
            .iter()
            .map(|s| match s {
                Step::Key(k) => *k,
                Step::Index(_) => "",
            })
            .collect();
        matches!(
            keys.as_slice(),
            ["epcisBody", "eventList"] | ["epcisBody", "queryResults", "resultsBody", "eventList"]
        )
    }
}

/// The path as `a.b[2].c`, with keys clipped to 64 characters and control,
/// bidirectional and invisible characters escaped as `\u{…}`.
fn render(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Index(i) => out.push_str(&format!("[{i}]")),
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                for (i, c) in k.chars().enumerate() {
                    if i == 64 {
                        out.push('…');
                        break;
                    }
                    if crate::codes::text::is_forbidden(c) || crate::codes::text::is_invisible(c) {
                        out.push_str(&c.escape_unicode().to_string());
                    } else {
                        out.push(c);
                    }
                }
            }
        }
    }
    out
}

/// Bytes of `s` as a JSON string the way `serde_json` writes it: quotes,
/// two-character escapes for `"`, `\`, backspace, form feed, line feed,
/// carriage return and tab, `\u00XX` for the other C0 controls.
fn string_size(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | 0x08 | 0x0C | b'\n' | b'\r' | b'\t' => 2,
            0..=0x1F => 6,
            _ => 1,
        })
        .sum::<usize>()
}

/// Compact JSON size of a value that is not walked (refused or skipped).
fn json_size(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Bool(b) => 4 + usize::from(!*b),
        Value::Number(n) => n.to_string().len(),
        Value::String(s) => string_size(s),
        Value::Array(items) => 2 + items.len().saturating_sub(1) + items.iter().map(json_size).sum::<usize>(),
        Value::Object(members) => json_size_object(members),
    }
}

fn json_size_object(members: &Map<String, Value>) -> usize {
    2 + members.len().saturating_sub(1)
        + members
            .iter()
            .map(|(k, v)| string_size(k) + 1 + json_size(v))
            .sum::<usize>()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
