//! Field paths inside a document: `spec.autoscaling.schedules[0].cron`.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        FieldPath(Vec::new())
    }

    /// Parse a dotted path of plain keys: `spec.autoscaling.mode`.
    pub fn parse(dotted: &str) -> Self {
        FieldPath(
            dotted
                .split('.')
                .filter(|s| !s.is_empty())
                .map(|s| Segment::Key(s.to_string()))
                .collect(),
        )
    }

    /// From a JSON pointer (`/spec/schedules/0/cron`); numeric segments become indices.
    pub fn from_pointer(pointer: &str) -> Self {
        FieldPath(
            pointer
                .split('/')
                .skip(1)
                .map(|raw| {
                    let key = raw.replace("~1", "/").replace("~0", "~");
                    match key.parse::<usize>() {
                        Ok(i) if !key.starts_with('+') => Segment::Index(i),
                        _ => Segment::Key(key),
                    }
                })
                .collect(),
        )
    }

    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_string()));
        next
    }

    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// This path followed by `other`'s segments.
    #[must_use]
    pub fn join(mut self, other: &FieldPath) -> Self {
        self.0.extend(other.0.iter().cloned());
        self
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) if is_plain(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => write!(f, "[{}]", serde_json::Value::String(k.clone()))?,
            }
        }
        Ok(())
    }
}

fn is_plain(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(pointer: &str, expected: &str) {
        assert_eq!(FieldPath::from_pointer(pointer).to_string(), expected);
    }

    #[test]
    fn display() {
        case("", "");
        case("/spec", "spec");
        case("/spec/autoscaling/mode", "spec.autoscaling.mode");
        case(
            "/spec/autoscaling/schedules/0/cron",
            "spec.autoscaling.schedules[0].cron",
        );
        case(
            "/spec/flinkConfiguration/pipeline.max-parallelism",
            "spec.flinkConfiguration[\"pipeline.max-parallelism\"]",
        );
        case("/metadata/labels/a~1b", "metadata.labels[\"a/b\"]");
    }
}
