//! An error and its causes as one line, for messages built from library errors (object_store
//! nests the HTTP status and body in sources, rustls and hyper nest the TLS alert).

/// `error`, then each cause whose text the line does not already hold, joined by ": ".
pub fn one_line(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        push_new(&mut text, &s.to_string());
        source = s.source();
    }
    text
}

/// Appends ": {part}" unless `text` already says it.
pub fn push_new(text: &mut String, part: &str) {
    if !text.contains(part) {
        text.push_str(": ");
        text.push_str(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct E(&'static str, Option<Box<E>>);
    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    #[test]
    fn causes_are_joined_once() {
        let e = E(
            "request failed: timed out",
            Some(Box::new(E(
                "timed out",
                Some(Box::new(E("os error 110", None))),
            ))),
        );
        assert_eq!(one_line(&e), "request failed: timed out: os error 110");
    }
}
