//! Texts to vectors: request batches (by count and by bytes), several requests in flight, a
//! refused batch retried in halves so a bad text is reported alone, and every returned vector
//! checked (the handler's dimension, finite values; `--truncate-dim` cuts a longer vector and
//! re-normalises it to unit length). An answer that does not match its request (fewer
//! embeddings than texts) fails the texts of that request, not the run.

use futures::StreamExt;
use futures::future::BoxFuture;

use crate::embed::{EmbedClient, EmbedError};

/// What became of one text.
#[derive(Debug, Clone, PartialEq)]
pub enum TextResult {
    Vector(Vec<f32>),
    /// This text alone was refused or got an unusable vector.
    Failed(String),
}

/// What a group of texts came to.
#[derive(Debug, Default)]
pub struct Outcome {
    /// One per input text, in input order.
    pub results: Vec<TextResult>,
    pub requests: u64,
    pub retries: u64,
    /// The model name the endpoint reported (first non-empty).
    pub endpoint_model: String,
}

/// The endpoint answered with vectors the handler cannot take, whatever the text: the run
/// stops (nothing of that batch is written).
#[derive(Debug, Clone, thiserror::Error)]
pub enum Fatal {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(
        "the embeddings endpoint returned {got}-dimensional vectors for model `{model}`, and the handler's vector has {want}: {hint}"
    )]
    WrongDim {
        got: usize,
        want: u32,
        model: String,
        /// What to do about it (see [`wrong_dim_hint`]).
        hint: String,
    },
}

/// A vector of `got` values where the handler wants `want`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DimMismatch {
    pub got: usize,
    pub want: u32,
}

/// The way forward for a [`DimMismatch`], given the `dimensions` asked for (`--dimensions`).
/// When the answer is not of the asked size the endpoint ignored `dimensions`, so advising
/// `--dimensions` again would not help.
pub fn wrong_dim_hint(m: DimMismatch, asked: Option<u32>) -> String {
    let longer = m.got > m.want as usize;
    match asked {
        Some(a) if a as usize != m.got => {
            let cure = if longer {
                "use --truncate-dim to cut and re-normalise them"
            } else {
                "use a model of the handler's dimension, or set it (--handler-param dim=N)"
            };
            format!(
                "asked for {a}, got {}: the endpoint ignores `dimensions`; {cure}",
                m.got
            )
        }
        Some(a) => format!(
            "--dimensions {a} differs from the handler's dim {}: pass --dimensions {}, or set the handler's dim (--handler-param dim={a})",
            m.want, m.want
        ),
        None if longer => "pass --truncate-dim to cut and re-normalise them, or --dimensions if the model can shorten its vectors, or set the handler's dim (--handler-param dim=N)".into(),
        None => "set the handler's dim (--handler-param dim=N) or use a model of that dimension".into(),
    }
}

/// Splits texts (by index) into request batches of at most `batch` texts and `max_bytes`
/// UTF-8 bytes (a longer text gets a batch of its own).
pub fn plan_batches(texts: &[String], batch: usize, max_bytes: usize) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut cur: Vec<usize> = Vec::new();
    let mut bytes = 0usize;
    for (i, t) in texts.iter().enumerate() {
        if !cur.is_empty() && (cur.len() >= batch.max(1) || bytes + t.len() > max_bytes) {
            out.push(std::mem::take(&mut cur));
            bytes = 0;
        }
        cur.push(i);
        bytes += t.len();
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Checks one returned vector against `dim`.
pub fn check_vector(mut v: Vec<f32>, dim: u32, truncate: bool) -> Result<TextResult, DimMismatch> {
    let want = dim as usize;
    if v.len() > want && truncate {
        v.truncate(want);
        let norm = v
            .iter()
            .map(|x| f64::from(*x) * f64::from(*x))
            .sum::<f64>()
            .sqrt();
        if norm > 0.0 && norm.is_finite() {
            for x in &mut v {
                *x = (f64::from(*x) / norm) as f32;
            }
        }
    }
    if v.len() != want {
        return Err(DimMismatch {
            got: v.len(),
            want: dim,
        });
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Ok(TextResult::Failed(format!(
            "the endpoint returned a non-finite value at position {i}"
        )));
    }
    Ok(TextResult::Vector(v))
}

/// One request for `texts`; a refused batch is split in halves until the refused texts stand
/// alone. Any other failure is fatal.
fn embed_split<'a>(
    client: &'a EmbedClient,
    texts: Vec<String>,
    dim: u32,
    truncate: bool,
) -> BoxFuture<'a, Result<Outcome, Fatal>> {
    Box::pin(async move {
        match client.embed(&texts).await {
            Ok(e) => {
                let mut results = Vec::with_capacity(texts.len());
                for v in e.vectors {
                    results.push(check_vector(v, dim, truncate).map_err(|m| Fatal::WrongDim {
                        got: m.got,
                        want: m.want,
                        model: client.config().model.clone(),
                        hint: wrong_dim_hint(m, client.config().dimensions),
                    })?);
                }
                Ok(Outcome {
                    results,
                    requests: 1,
                    retries: e.retries,
                    endpoint_model: e.model,
                })
            }
            // An answer that does not match the request (2 embeddings for 3 texts): which text
            // got which vector is unknown, so every text of the request failed.
            Err(e) if e.is_per_request() => Ok(Outcome {
                results: vec![TextResult::Failed(e.to_string()); texts.len()],
                requests: 1,
                ..Outcome::default()
            }),
            Err(e) if e.is_per_input() && texts.len() == 1 => Ok(Outcome {
                results: vec![TextResult::Failed(e.to_string())],
                requests: 1,
                ..Outcome::default()
            }),
            Err(e) if e.is_per_input() => {
                let mut left = texts;
                let right = left.split_off(left.len() / 2);
                let a = embed_split(client, left, dim, truncate).await?;
                let b = embed_split(client, right, dim, truncate).await?;
                Ok(merge(
                    merge(
                        Outcome {
                            requests: 1,
                            ..Outcome::default()
                        },
                        a,
                    ),
                    b,
                ))
            }
            Err(e) => Err(e.into()),
        }
    })
}

fn merge(mut a: Outcome, b: Outcome) -> Outcome {
    a.results.extend(b.results);
    a.requests += b.requests;
    a.retries += b.retries;
    if a.endpoint_model.is_empty() {
        a.endpoint_model = b.endpoint_model;
    }
    a
}

/// Embeds `texts` in batches with up to `concurrency` requests in flight; results in input
/// order.
pub async fn embed_all(
    client: &EmbedClient,
    texts: &[String],
    batch: usize,
    max_bytes: usize,
    concurrency: usize,
    dim: u32,
    truncate: bool,
) -> Result<Outcome, Fatal> {
    let plan = plan_batches(texts, batch, max_bytes);
    let mut stream = futures::stream::iter(plan.into_iter().map(|idx| {
        let group: Vec<String> = idx.iter().map(|&i| texts[i].clone()).collect();
        embed_split(client, group, dim, truncate)
    }))
    .buffered(concurrency.max(1));
    let mut out = Outcome::default();
    while let Some(o) = stream.next().await {
        out = merge(out, o?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_by_count_and_bytes() {
        let t: Vec<String> = ["aa", "bb", "cccccc", "d", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            plan_batches(&t, 2, 100),
            vec![vec![0, 1], vec![2, 3], vec![4]]
        );
        assert_eq!(
            plan_batches(&t, 10, 5),
            vec![vec![0, 1], vec![2], vec![3, 4]]
        );
        assert!(plan_batches(&[], 3, 10).is_empty());
    }

    #[test]
    fn vectors_are_checked_and_truncated_to_unit_length() {
        assert_eq!(
            check_vector(vec![3.0, 4.0], 2, false).unwrap(),
            TextResult::Vector(vec![3.0, 4.0])
        );
        assert_eq!(
            check_vector(vec![1.0, 2.0, 3.0], 2, false),
            Err(DimMismatch { got: 3, want: 2 })
        );
        assert_eq!(
            check_vector(vec![1.0], 2, true),
            Err(DimMismatch { got: 1, want: 2 })
        );
        let TextResult::Vector(v) = check_vector(vec![3.0, 4.0, 12.0], 2, true).unwrap() else {
            panic!()
        };
        assert!((v[0] - 0.6).abs() < 1e-6 && (v[1] - 0.8).abs() < 1e-6);
        assert!(matches!(
            check_vector(vec![1.0, f32::NAN], 2, false).unwrap(),
            TextResult::Failed(_)
        ));
    }

    #[test]
    fn the_hint_says_when_dimensions_was_ignored() {
        let m = DimMismatch {
            got: 384,
            want: 128,
        };
        assert_eq!(
            wrong_dim_hint(m, Some(128)),
            "asked for 128, got 384: the endpoint ignores `dimensions`; use --truncate-dim to cut and re-normalise them"
        );
        assert!(wrong_dim_hint(m, None).contains("--dimensions"));
        let honoured = DimMismatch {
            got: 256,
            want: 128,
        };
        assert!(wrong_dim_hint(honoured, Some(256)).contains("pass --dimensions 128"));
    }
}
