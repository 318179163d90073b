//! The Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` once per family,
//! then one `name{label="value",…} number` line per series. Label values are escaped as the format
//! says (`\\`, `\"`, `\n`).

use std::fmt::Write;

/// A page being written.
pub struct Text {
    /// Prepended to every name (the standard `process_*` names go without it).
    pub(super) prefix: String,
    out: String,
}

impl Text {
    #[must_use]
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
            out: String::with_capacity(16 * 1024),
        }
    }

    /// Starts a family: its help line and its type (`counter` or `gauge`).
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let p = &self.prefix;
        let _ = writeln!(self.out, "# HELP {p}{name} {help}\n# TYPE {p}{name} {kind}");
    }

    /// One series of the family begun last.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let _ = write!(self.out, "{}{name}", self.prefix);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{key}=\"");
                escape(&mut self.out, value);
                self.out.push('"');
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    #[must_use]
    pub fn finish(self) -> String {
        self.out
    }
}

fn escape(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}
