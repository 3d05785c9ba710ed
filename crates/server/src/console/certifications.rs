//! A product's certifications (绿色食品, 有机产品, GAP, 地理标志) on the
//! console's product list and in its create form: the form's certification
//! fields become the request body's `certifications` entry, checked by the
//! store as the API checks it (`POST /api/v1/products`), and a refusal naming
//! `certifications[0].<field>` is shown beside that field. Each certification
//! stored is a logged row state (`row_state` of `certifications`), so
//! `verify` covers it.

use std::fmt::Write as _;

use serde_json::{Map, Value};
use suyuan_core::model::CertificationKind;
use suyuan_store::products::Certification;

use super::layout::{esc, select};
use super::{Console, Fields, T};

/// The form's certification fields: (form name, the entry's JSON name,
/// Chinese, English).
const FIELDS: [(&str, &str, &str, &str); 5] = [
    ("cert_kind", "kind", "认证类别", "Certification"),
    ("cert_number", "number", "证书编号", "Certificate number"),
    ("cert_issuer", "issuer", "发证机构", "Issued by"),
    ("cert_valid_from", "valid_from", "有效期自", "Valid from"),
    ("cert_valid_until", "valid_until", "有效期至", "Valid until"),
];

/// The form field a refusal names: `certifications[0].number` is
/// `cert_number`; anything about the list is the kind's.
pub(crate) fn form_field(api_field: &str) -> Option<&'static str> {
    let rest = api_field.strip_prefix("certifications")?;
    let name = rest.strip_prefix("[0].").unwrap_or("kind");
    FIELDS
        .iter()
        .find(|(_, json, _, _)| *json == name)
        .map(|(form, _, _, _)| *form)
}

/// The `certifications` entry of the request body, when the form gives one.
pub(crate) fn entry(f: &Fields) -> Option<Value> {
    if FIELDS.iter().all(|(form, _, _, _)| f.get(form).is_none()) {
        return None;
    }
    let mut o = Map::new();
    for (form, json, _, _) in FIELDS {
        // A certification without a number or dates is refused by the
        // store, naming the missing field.
        if let Some(v) = f.get(form) {
            o.insert(json.to_owned(), Value::from(v));
        } else if json != "issuer" {
            o.insert(json.to_owned(), Value::from(""));
        }
    }
    Some(Value::Array(vec![Value::Object(o)]))
}

/// The certification inputs of the create form, each refusal beside its
/// field (`refused`: the form field and what was said).
pub(crate) fn inputs(c: &Console, f: &Fields, refused: Option<(&str, &str)>) -> String {
    let lang = c.lang;
    let mut b = format!(
        "<h2>{} <small>{}</small></h2>",
        lang.pick(
            "认证（绿色食品、有机、GAP、地理标志）",
            "Certification (green food, organic, GAP, GI)"
        ),
        c.t(T::Optional)
    );
    let kinds: Vec<(String, String)> = CertificationKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), lang.pick(k.zh(), k.en()).to_owned()))
        .collect();
    for (form, _, zh, en) in FIELDS {
        let value = f.text(form);
        let _ = write!(b, "<label for=\"{form}\">{}</label>", esc(lang.pick(zh, en)));
        let ty = if form.starts_with("cert_valid") {
            "date"
        } else {
            "text"
        };
        if form == "cert_kind" {
            b.push_str(&select(c, form, &kinds, &value));
        } else {
            let _ = write!(
                b,
                "<input id=\"{form}\" name=\"{form}\" type=\"{ty}\" value=\"{}\">",
                esc(&value)
            );
        }
        if let Some((field, said)) = refused.filter(|(field, _)| *field == form) {
            let _ = write!(b, "<p class=\"err\" data-field=\"{field}\">{said}</p>");
        }
    }
    b
}

/// A product's certifications in a list cell: kind, number and validity.
pub(crate) fn cell(c: &Console, certs: Option<&Vec<Certification>>) -> String {
    let Some(certs) = certs else {
        return String::new();
    };
    certs
        .iter()
        .map(|k| {
            format!(
                "<span class=\"tag\">{}</span> {} <small>{}–{}</small>",
                esc(c.lang.pick(k.kind.zh(), k.kind.en())),
                esc(&k.number),
                esc(&k.valid_from),
                esc(&k.valid_until)
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}
