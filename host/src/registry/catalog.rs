//! The registry's repository catalog, `GET /v2/_catalog`, read page by page as the
//! distribution spec says: ask for `n` entries, follow the `Link: <...>; rel="next"` header
//! until a response has none (a registry may return fewer entries than asked and still have
//! more), and when the registry refuses `n` (the CNCF distribution registry answers 400
//! `PAGINATION_NUMBER_INVALID` when `n` exceeds its `catalog.maxentries`), ask again without
//! it and let the registry choose the page size.

use std::collections::HashSet;

use reqwest::Url;
use reqwest::header::LINK;

use super::auth::Credentials;
use super::error::RegistryError;

/// Repositories asked for per request (the registry may serve fewer).
pub const CATALOG_PAGE: usize = 1000;
/// Connecting, and one catalog request in all (as `oci::OciRegistry`'s client).
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);
/// Pages read before giving up on a registry whose links never end.
const MAX_PAGES: usize = 100_000;

/// Where and how to read a catalog.
pub struct Catalog<'a> {
    /// `http://HOST[:PORT]` or `https://...`: links are followed on this origin only, so the
    /// credentials never go to another host.
    pub base: &'a str,
    pub credentials: Option<&'a Credentials>,
    /// The registry reference, for errors.
    pub registry: &'a str,
}

/// One response: its entries and the next URL, if the registry gave one.
struct Page {
    repositories: Vec<String>,
    next: Option<Url>,
}

/// What a request came back with.
enum Answer {
    Page(Page),
    /// 400 `PAGINATION_NUMBER_INVALID`: the `n` we sent is more than the registry serves.
    BadPageSize,
}

impl Catalog<'_> {
    fn remote(&self, message: String) -> RegistryError {
        RegistryError::Remote {
            registry: self.registry.to_string(),
            message,
        }
    }

    /// Every repository name in the catalog, in the registry's order.
    pub async fn repositories(&self) -> Result<Vec<String>, RegistryError> {
        let origin = Url::parse(self.base)
            .map_err(|e| self.remote(format!("{}: not a URL: {e}", self.base)))?;
        let mut url = origin.join("/v2/_catalog").expect("a path joins");
        url.query_pairs_mut()
            .append_pair("n", &CATALOG_PAGE.to_string());
        // The same limits as the registry client's other requests: a registry that stops
        // answering must not hang `plugin list` for good.
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| self.remote(format!("cannot build the HTTP client: {e}")))?;
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut dropped_n = false;
        while seen.len() < MAX_PAGES {
            if !seen.insert(url.to_string()) {
                return Err(self.remote(format!(
                    "{url}: the catalog's Link header leads back to a page already read"
                )));
            }
            let page = match self.get(&http, &url).await? {
                Answer::Page(page) => page,
                Answer::BadPageSize if !dropped_n && has_n(&url) => {
                    dropped_n = true;
                    seen.remove(url.as_str());
                    url = without_n(&url);
                    continue;
                }
                Answer::BadPageSize => {
                    return Err(self.remote(format!(
                        "{url}: HTTP 400 PAGINATION_NUMBER_INVALID, also without a page size"
                    )));
                }
            };
            out.extend(page.repositories);
            match page.next {
                Some(next) if same_origin(&next, &origin) => url = next,
                Some(next) => {
                    return Err(self.remote(format!(
                        "{url}: the catalog's next page is on another host ({next}); not followed"
                    )));
                }
                None => return Ok(out),
            }
        }
        Err(self.remote(format!("the catalog did not end after {MAX_PAGES} pages")))
    }

    async fn get(&self, http: &reqwest::Client, url: &Url) -> Result<Answer, RegistryError> {
        let mut req = http.get(url.clone());
        if let Some(c) = self.credentials {
            req = req.basic_auth(&c.username, Some(&c.password));
        }
        let resp = req.send().await.map_err(|e| match e.is_timeout() {
            true => self.remote(format!(
                "{url}: the registry did not answer within {} s",
                REQUEST_TIMEOUT.as_secs()
            )),
            false => self.remote(format!("{url}: {e}")),
        })?;
        let status = resp.status().as_u16();
        let next = next_link(resp.headers().get_all(LINK), url);
        match status {
            200 => {}
            400 => {
                let body = resp.text().await.unwrap_or_default();
                if body.contains("PAGINATION_NUMBER_INVALID") {
                    return Ok(Answer::BadPageSize);
                }
                return Err(self.remote(format!("{url}: HTTP 400 {}", body.trim())));
            }
            401 | 403 => {
                return Err(RegistryError::NotAuthorized {
                    what: "the repository catalog".into(),
                    registry: self.registry.to_string(),
                    detail: String::new(),
                });
            }
            code => {
                return Err(self.remote(format!(
                    "{url}: HTTP {code} (the registry may not serve a catalog; `plugin info NAME` still works)"
                )));
            }
        }
        let body: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| self.remote(format!("{url}: {e}")))?;
        let repositories = body
            .get("repositories")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
            .filter_map(|r| r.as_str().map(str::to_string))
            .collect();
        Ok(Answer::Page(Page { repositories, next }))
    }
}

fn has_n(url: &Url) -> bool {
    url.query_pairs().any(|(k, _)| k == "n")
}

/// `url` without its `n` parameter (`last` and anything else kept).
fn without_n(url: &Url) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "n")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut out = url.clone();
    out.set_query(None);
    if !kept.is_empty() {
        out.query_pairs_mut().extend_pairs(kept);
    }
    out
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// The `rel="next"` target of RFC 8288 `Link` headers, resolved against the request URL
/// (registries send a path, e.g. `</v2/_catalog?last=b&n=2>; rel="next"`).
fn next_link<'a>(
    values: impl IntoIterator<Item = &'a reqwest::header::HeaderValue>,
    base: &Url,
) -> Option<Url> {
    values
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|link| {
            let (target, params) = link.trim().strip_prefix('<')?.split_once('>')?;
            let is_next = params.split(';').any(|p| {
                let Some((k, v)) = p.split_once('=') else {
                    return false;
                };
                k.trim().eq_ignore_ascii_case("rel")
                    && v.trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("next"))
            });
            if is_next {
                base.join(target.trim()).ok()
            } else {
                None
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn link_headers_resolve_against_the_request() {
        let base = Url::parse("http://127.0.0.1:5001/v2/_catalog?n=2").unwrap();
        let v = [HeaderValue::from_static(
            r#"</v2/_catalog?last=b&n=2>; rel="next""#,
        )];
        assert_eq!(
            next_link(&v, &base).unwrap().as_str(),
            "http://127.0.0.1:5001/v2/_catalog?last=b&n=2"
        );
        let v = [HeaderValue::from_static(
            r#"<http://x/a>; rel="prev", </v2/_catalog?last=c>; rel=next"#,
        )];
        assert_eq!(
            next_link(&v, &base).unwrap().as_str(),
            "http://127.0.0.1:5001/v2/_catalog?last=c"
        );
        let v = [HeaderValue::from_static(r#"</a>; rel="prev""#)];
        assert!(next_link(&v, &base).is_none());
        assert_eq!(
            without_n(&Url::parse("http://h/v2/_catalog?n=5&last=x").unwrap()).as_str(),
            "http://h/v2/_catalog?last=x"
        );
        assert_eq!(
            without_n(&base).as_str(),
            "http://127.0.0.1:5001/v2/_catalog"
        );
    }
}
