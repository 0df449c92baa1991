//! Error text from a store, made fit for one line: object_store puts the server's whole
//! response body into its errors (an XML `<Error>` document from S3, GCS and Azure, sometimes a
//! JSON one from GCS), spread over several lines. Users need the error code and the message.

/// `text` with an XML or JSON error body replaced by `Code: message`, and every run of
/// whitespace (including newlines) collapsed to one space.
pub fn one_line(text: &str) -> String {
    // Azure starts its XML bodies with a byte-order mark.
    let text = &text.replace('\u{feff}', "");
    let compact = match body_start(text) {
        Some(start) => {
            let (before, body) = text.split_at(start);
            match summarize(body) {
                Some(summary) => format!("{before}{summary}"),
                None => text.to_string(),
            }
        }
        None => text.to_string(),
    };
    compact.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Where an XML or JSON error body starts in `text`.
fn body_start(text: &str) -> Option<usize> {
    ["<?xml", "<Error>", "{\"error\""]
        .iter()
        .filter_map(|marker| text.find(marker))
        .min()
}

/// `Code: message` of an error body. Azure appends `RequestId:`/`Time:` lines to its
/// message; they identify the request, not the problem, so only the first line is kept.
fn summarize(body: &str) -> Option<String> {
    if body.starts_with('{') {
        return json_summary(body);
    }
    let code = xml_element(body, "Code");
    let message = xml_element(body, "Message")
        .map(|m| m.lines().next().unwrap_or("").trim().to_string())
        .filter(|m| !m.is_empty());
    // Azure says *what* was wrong with a signature or token in a separate element.
    let detail = xml_element(body, "AuthenticationErrorDetail")
        .map(|d| d.lines().next().unwrap_or("").trim().to_string())
        .filter(|d| !d.is_empty() && d.len() <= 200);
    match (code, message) {
        (Some(code), Some(message)) => Some(match detail {
            Some(detail) => format!("{code}: {message} ({detail})"),
            None => format!("{code}: {message}"),
        }),
        (Some(code), None) => Some(code),
        (None, Some(message)) => Some(message),
        (None, None) => None,
    }
}

fn xml_element(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&close)? + start;
    Some(unescape(body[start..end].trim()))
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// GCS JSON API errors: `{"error": {"code": 404, "message": "...", "errors": [{"reason": ...}]}}`.
fn json_summary(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::Deserializer::from_str(body)
        .into_iter::<serde_json::Value>()
        .next()?
        .ok()?;
    let error = value.get("error")?;
    let message = error.get("message").and_then(|m| m.as_str());
    let reason = error
        .pointer("/errors/0/reason")
        .and_then(|r| r.as_str())
        .or_else(|| error.get("status").and_then(|s| s.as_str()));
    match (reason, message) {
        (Some(reason), Some(message)) => Some(format!("{reason}: {message}")),
        (None, Some(message)) => Some(message.to_string()),
        (Some(reason), None) => Some(reason.to_string()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azure_xml_becomes_code_and_first_message_line() {
        let text = "Error performing put request data/x.parquet: Server returned non-2xx status code: 400 Bad Request: \u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error>\n  <Code>InvalidMetadata</Code>\n  <Message>The metadata specified is invalid. It has characters that are not permitted.\nRequestId:0c2f\nTime:2026-11-29T08:40:00.000Z</Message>\n</Error>";
        assert_eq!(
            one_line(text),
            "Error performing put request data/x.parquet: Server returned non-2xx status code: 400 Bad Request: InvalidMetadata: The metadata specified is invalid. It has characters that are not permitted."
        );
        let denied = "403 Forbidden: <?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.\nRequestId:1</Message><AuthenticationErrorDetail>Signature did not match</AuthenticationErrorDetail></Error>";
        assert_eq!(
            one_line(denied),
            "403 Forbidden: AuthenticationFailed: Server failed to authenticate the request. (Signature did not match)"
        );
    }

    #[test]
    fn s3_xml_json_and_plain_text() {
        assert_eq!(
            one_line(
                "404: <Error><Code>NoSuchBucket</Code><Message>Bucket &quot;b&quot; not found</Message><Resource>/b</Resource></Error>"
            ),
            "404: NoSuchBucket: Bucket \"b\" not found"
        );
        assert_eq!(
            one_line(
                "400 Bad Request: {\"error\": {\"code\": 400, \"message\": \"invalid uploadType\", \"errors\": [{\"reason\": \"invalid\"}]}}"
            ),
            "400 Bad Request: invalid: invalid uploadType"
        );
        assert_eq!(
            one_line("connection refused\n  at x"),
            "connection refused at x"
        );
    }
}
