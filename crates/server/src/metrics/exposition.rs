//! The Prometheus text exposition format, version 0.0.4, written by hand:
//! each family once, its `# HELP` and `# TYPE` lines before its samples,
//! label values escaped (`\\`, `\"`, `\n`), numbers as Prometheus reads
//! them (`+Inf`, `-Inf`, `NaN`).

use std::fmt::Write as _;

/// The content type of a scrape.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The kinds of metric families used here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A scrape being written.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

/// A number as the format spells it.
pub fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

fn escape_label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Exposition {
    /// Starts a family: its help text and type.
    pub fn family(&mut self, name: &str, kind: Kind, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.out, "# TYPE {name} {}", kind.as_str());
    }

    /// One sample of the current family.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", number(value));
    }

    /// A family of one unlabelled sample.
    pub fn single(&mut self, name: &str, kind: Kind, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }

    /// A family of at most one unlabelled sample (none when unknown).
    pub fn optional(&mut self, name: &str, kind: Kind, help: &str, value: Option<f64>) {
        self.family(name, kind, help);
        if let Some(v) = value {
            self.sample(name, &[], v);
        }
    }

    /// A histogram's samples: `counts` per bucket (not cumulative, one per
    /// bound in `bounds`, then the overflow), their sum, under `labels`.
    pub fn histogram(
        &mut self,
        name: &str,
        labels: &[(&str, &str)],
        bounds: &[f64],
        counts: &[u64],
        sum: f64,
    ) {
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0u64;
        for (i, n) in counts.iter().enumerate() {
            cumulative += n;
            let le = bounds.get(i).map_or_else(|| "+Inf".to_owned(), |b| number(*b));
            let mut with_le: Vec<(&str, &str)> = labels.to_vec();
            with_le.push(("le", &le));
            self.sample(&bucket, &with_le, cumulative as f64);
        }
        self.sample(&format!("{name}_sum"), labels, sum);
        self.sample(&format!("{name}_count"), labels, cumulative as f64);
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_spells_numbers() {
        let mut e = Exposition::default();
        e.family("x_total", Kind::Counter, "a \\ help\nline");
        e.sample("x_total", &[("a", "q\"\\\n")], 3.0);
        e.sample("x_total", &[], f64::INFINITY);
        let text = e.finish();
        assert_eq!(
            text,
            "# HELP x_total a \\\\ help\\nline\n# TYPE x_total counter\nx_total{a=\"q\\\"\\\\\\n\"} 3\nx_total +Inf\n"
        );
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(f64::NAN), "NaN");
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        let mut e = Exposition::default();
        e.histogram("h", &[("r", "/a")], &[0.1, 1.0], &[2, 0, 1], 1.5);
        let text = e.finish();
        assert!(text.contains("h_bucket{r=\"/a\",le=\"0.1\"} 2\n"), "{text}");
        assert!(text.contains("h_bucket{r=\"/a\",le=\"1\"} 2\n"), "{text}");
        assert!(text.contains("h_bucket{r=\"/a\",le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains("h_count{r=\"/a\"} 3\n"), "{text}");
    }
}
