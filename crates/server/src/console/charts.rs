//! Charts drawn on the server as inline SVG (no script, nothing loaded):
//! stacked bars over time and horizontal bars, with their legends. Every
//! label goes through [`esc`]; colours are presentation attributes, not
//! style attributes, so a strict Content-Security-Policy allows them.

use std::fmt::Write as _;

use super::esc;

/// The colours of the series, in order (the last repeats).
const PALETTE: &[&str] = &[
    "#2f7d4f", "#c0392b", "#e67e22", "#2c6fbb", "#8e44ad", "#7f8c8d", "#16a085", "#b7950b",
];

fn colour(i: usize) -> &'static str {
    PALETTE[i.min(PALETTE.len() - 1)]
}

/// Stacked bars: one bar per bucket (`labels`), one colour per series
/// (`series`: name and a count per bucket).
pub(crate) fn stacked(title: &str, labels: &[String], series: &[(String, Vec<i64>)]) -> String {
    let (w, h, left, bottom) = (640.0_f64, 220.0_f64, 36.0_f64, 24.0_f64);
    let n = labels.len().max(1) as f64;
    let totals: Vec<i64> = (0..labels.len())
        .map(|i| series.iter().map(|(_, v)| v.get(i).copied().unwrap_or(0)).sum())
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1) as f64;
    let slot = (w - left) / n;
    let mut s = format!(
        "<figure class=\"chart\"><svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" \
         aria-label=\"{t}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>\
         <line x1=\"{left}\" y1=\"{y0}\" x2=\"{w}\" y2=\"{y0}\" stroke=\"#999\"/>\
         <text x=\"2\" y=\"12\" font-size=\"10\">{max}</text><text x=\"2\" y=\"{y0}\" font-size=\"10\">0</text>",
        t = esc(title),
        y0 = h - bottom,
    );
    for (i, label) in labels.iter().enumerate() {
        let x = left + slot * i as f64 + slot * 0.1;
        let mut y = h - bottom;
        for (k, (name, values)) in series.iter().enumerate() {
            let v = values.get(i).copied().unwrap_or(0);
            if v == 0 {
                continue;
            }
            let bh = (v as f64 / max) * (h - bottom - 16.0);
            y -= bh;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" fill=\"{c}\"><title>{l} · {n}: {v}</title></rect>",
                bw = slot * 0.8,
                c = colour(k),
                l = esc(label),
                n = esc(name),
            );
        }
        if labels.len() <= 12 || i % (labels.len() / 6).max(1) == 0 {
            let _ = write!(
                s,
                "<text x=\"{x:.1}\" y=\"{ty}\" font-size=\"9\">{l}</text>",
                ty = h - 8.0,
                l = esc(label)
            );
        }
    }
    s.push_str("</svg>");
    s.push_str(&legend(
        series.iter().map(|(n, v)| (n.as_str(), v.iter().sum::<i64>())),
    ));
    s.push_str("</figure>");
    s
}

/// Horizontal bars: a label and a count each, most first.
pub(crate) fn bars(title: &str, items: &[(String, i64)]) -> String {
    let (w, row) = (640.0_f64, 22.0_f64);
    let h = row * items.len().max(1) as f64 + 8.0;
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1) as f64;
    let mut s = format!(
        "<figure class=\"chart\"><svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" \
         aria-label=\"{t}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>",
        t = esc(title)
    );
    if items.is_empty() {
        s.push_str("<text x=\"4\" y=\"16\" font-size=\"11\">—</text>");
    }
    for (i, (label, n)) in items.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let bw = (*n as f64 / max) * (w - 260.0);
        let _ = write!(
            s,
            "<text x=\"4\" y=\"{ty:.1}\" font-size=\"11\">{l}</text>\
             <rect x=\"200\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{bh:.1}\" fill=\"{c}\"/>\
             <text x=\"{nx:.1}\" y=\"{ty:.1}\" font-size=\"11\">{n}</text>",
            ty = y + 14.0,
            l = esc(&label.chars().take(32).collect::<String>()),
            bh = row - 6.0,
            c = colour(0),
            nx = 204.0 + bw,
        );
    }
    s.push_str("</svg></figure>");
    s
}

fn legend<'a>(items: impl Iterator<Item = (&'a str, i64)>) -> String {
    let mut s = String::from("<figcaption>");
    for (i, (name, total)) in items.enumerate() {
        let _ = write!(
            s,
            "<svg width=\"10\" height=\"10\" aria-hidden=\"true\"><rect width=\"10\" height=\"10\" fill=\"{}\"/></svg> {} ({total}) ",
            colour(i),
            esc(name)
        );
    }
    s.push_str("</figcaption>");
    s
}
