//! Offline sources: `mongodump` output (`.bson`, a plain concatenation of BSON documents, and
//! its gzipped form `.bson.gz`) and `mongoexport` output (JSON lines or `--jsonArray`, in
//! canonical or relaxed Extended JSON v2). Files are read in the order given, each front to
//! back, streaming: memory holds one document at a time, whatever the file size.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use bson::{Bson, Document, RawDocumentBuf};

use super::doc::SourceDoc;
use super::error::MongoError;
use super::filter::TimeWindow;

/// BSON's own limit is 16 MiB; mongodump never writes more per document.
const MAX_DOC_BYTES: usize = 48 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bson,
    BsonGz,
    Json,
}

fn kind_of(path: &Path) -> Result<Kind, MongoError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if name.ends_with(".bson") {
        Ok(Kind::Bson)
    } else if name.ends_with(".bson.gz") {
        Ok(Kind::BsonGz)
    } else if [".json", ".jsonl", ".ndjson"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        Ok(Kind::Json)
    } else if name.ends_with(".archive") || name.ends_with(".archive.gz") {
        Err(MongoError::BadFile {
            path: path.to_path_buf(),
            reason: "mongodump --archive files are not supported; dump with --out DIR and pass DIR/DB/COLLECTION.bson".into(),
        })
    } else {
        Err(MongoError::BadFile {
            path: path.to_path_buf(),
            reason: "unknown kind of file: expected .bson or .bson.gz (mongodump) or .json/.jsonl (mongoexport)".into(),
        })
    }
}

/// Documents of several files, in order, restricted to a time window.
pub struct FileSource {
    files: Vec<PathBuf>,
    window: TimeWindow,
    next_file: usize,
    current: Option<Reader>,
}

impl FileSource {
    /// Checks every file exists and has a known kind before anything is read.
    pub fn open(files: &[PathBuf], window: TimeWindow) -> Result<FileSource, MongoError> {
        for f in files {
            kind_of(f)?;
            if !f.is_file() {
                return Err(MongoError::BadFile {
                    path: f.clone(),
                    reason: "no such file".into(),
                });
            }
        }
        Ok(FileSource {
            files: files.to_vec(),
            window,
            next_file: 0,
            current: None,
        })
    }

    /// The next document in the window, with how many documents (in or out of the window)
    /// were consumed to reach it; None at the end of the last file.
    pub fn next_doc(&mut self) -> Result<Option<(SourceDoc, u64)>, MongoError> {
        let mut consumed = 0;
        loop {
            if self.current.is_none() {
                let Some(path) = self.files.get(self.next_file) else {
                    return Ok(None);
                };
                self.next_file += 1;
                self.current = Some(Reader::open(path)?);
            }
            let reader = self.current.as_mut().expect("just opened");
            match reader.next_document()? {
                Some(d) => {
                    consumed += 1;
                    if self.window.contains_raw(&d) {
                        let index = reader.index - 1;
                        let doc = SourceDoc::from_raw(d).map_err(|e| MongoError::BadDocument {
                            path: reader.path.clone(),
                            index,
                            reason: format!("not valid BSON: {e}"),
                        })?;
                        return Ok(Some((doc, consumed)));
                    }
                }
                None => self.current = None,
            }
        }
    }

    /// Skips the first `n` documents of the files (in or out of the window): where a resumed
    /// run starts.
    pub fn skip(&mut self, n: u64) -> Result<(), MongoError> {
        let window = std::mem::replace(
            &mut self.window,
            TimeWindow {
                field: String::new(),
                from_ms: None,
                until_ms: None,
            },
        );
        let mut left = n;
        let result = loop {
            if left == 0 {
                break Ok(());
            }
            match self.next_doc() {
                Ok(Some(_)) => left -= 1,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.window = window;
        result
    }
}

struct Reader {
    path: PathBuf,
    input: Box<dyn BufRead + Send>,
    kind: Kind,
    index: u64,
    /// JSON only: inside a `[...]` array (mongoexport --jsonArray).
    array: Option<bool>,
}

impl Reader {
    fn open(path: &Path) -> Result<Reader, MongoError> {
        let io = |source| MongoError::Io {
            path: path.to_path_buf(),
            source,
        };
        let kind = kind_of(path)?;
        let file = File::open(path).map_err(io)?;
        let input: Box<dyn BufRead + Send> = match kind {
            Kind::BsonGz => Box::new(BufReader::with_capacity(
                1 << 20,
                flate2::read::MultiGzDecoder::new(BufReader::new(file)),
            )),
            _ => Box::new(BufReader::with_capacity(1 << 20, file)),
        };
        Ok(Reader {
            path: path.to_path_buf(),
            input,
            kind,
            index: 0,
            array: None,
        })
    }

    fn bad(&self, reason: impl Into<String>) -> MongoError {
        MongoError::BadDocument {
            path: self.path.clone(),
            index: self.index,
            reason: reason.into(),
        }
    }

    fn io(&self, source: std::io::Error) -> MongoError {
        MongoError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn next_document(&mut self) -> Result<Option<RawDocumentBuf>, MongoError> {
        let d = match self.kind {
            Kind::Bson | Kind::BsonGz => self.next_bson()?,
            Kind::Json => match self.next_json()? {
                Some(d) => Some(
                    RawDocumentBuf::from_document(&d)
                        .map_err(|e| self.bad(format!("cannot be stored as BSON: {e}")))?,
                ),
                None => None,
            },
        };
        if d.is_some() {
            self.index += 1;
        }
        Ok(d)
    }

    fn next_bson(&mut self) -> Result<Option<RawDocumentBuf>, MongoError> {
        let mut len = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            let n = self.input.read(&mut len[got..]).map_err(|e| self.io(e))?;
            if n == 0 {
                return if got == 0 {
                    Ok(None)
                } else {
                    Err(self.bad("truncated: the file ends inside a document's length"))
                };
            }
            got += n;
        }
        let size = i32::from_le_bytes(len);
        if size < 5 || size as usize > MAX_DOC_BYTES {
            return Err(self.bad(format!(
                "not BSON: a document cannot be {size} bytes long (is this a mongodump .bson file?)"
            )));
        }
        let mut bytes = vec![0u8; size as usize];
        bytes[..4].copy_from_slice(&len);
        self.input
            .read_exact(&mut bytes[4..])
            .map_err(|_| self.bad("truncated: the file ends inside a document"))?;
        // Only the framing is checked here; `SourceDoc::from_raw` walks the elements.
        RawDocumentBuf::from_bytes(bytes)
            .map(Some)
            .map_err(|e| self.bad(format!("not valid BSON: {e}")))
    }

    fn skip_whitespace(&mut self) -> Result<Option<u8>, MongoError> {
        loop {
            let path = &self.path;
            let buf = self.input.fill_buf().map_err(|source| MongoError::Io {
                path: path.clone(),
                source,
            })?;
            if buf.is_empty() {
                return Ok(None);
            }
            let ws = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            if ws < buf.len() {
                let b = buf[ws];
                self.input.consume(ws);
                return Ok(Some(b));
            }
            let n = buf.len();
            self.input.consume(n);
        }
    }

    fn next_json(&mut self) -> Result<Option<Document>, MongoError> {
        let mut first = self.skip_whitespace()?;
        if self.array.is_none() {
            let is_array = first == Some(b'[');
            self.array = Some(is_array);
            if is_array {
                self.input.consume(1);
                first = self.skip_whitespace()?;
            }
        } else if self.array == Some(true) && self.index > 0 {
            // Between elements: a comma, or the closing bracket.
            match first {
                Some(b',') => {
                    self.input.consume(1);
                    first = self.skip_whitespace()?;
                }
                Some(b']') => {
                    self.input.consume(1);
                    return match self.skip_whitespace()? {
                        None => Ok(None),
                        Some(_) => Err(self.bad("text after the closing `]`")),
                    };
                }
                None => return Err(self.bad("the array is not closed with `]`")),
                Some(c) => {
                    return Err(self.bad(format!("expected `,` or `]`, found `{}`", c as char)));
                }
            }
        }
        match first {
            None if self.array == Some(true) => Err(self.bad("the array is not closed with `]`")),
            None => Ok(None),
            Some(b']') if self.array == Some(true) && self.index == 0 => {
                self.input.consume(1);
                Ok(None)
            }
            Some(b'{') => {
                // A fresh deserializer per document: an object ends at its `}`, so nothing past
                // it is consumed and the next document starts where this one ended.
                let mut de = serde_json::Deserializer::from_reader(&mut self.input);
                let value: serde_json::Value = serde::Deserialize::deserialize(&mut de)
                    .map_err(|e| self.bad(format!("not valid JSON: {e}")))?;
                match Bson::try_from(value) {
                    Ok(Bson::Document(d)) => Ok(Some(d)),
                    Ok(_) => Err(self.bad("not a document")),
                    Err(e) => Err(self.bad(format!("not valid Extended JSON: {e}"))),
                }
            }
            Some(c) => Err(self.bad(format!(
                "expected a JSON object (one per line, or a `[...]` array), found `{}`",
                c as char
            ))),
        }
    }
}

/// Everything the files hold, for small inputs and tests.
pub fn read_all(files: &[PathBuf]) -> Result<Vec<SourceDoc>, MongoError> {
    let mut source = FileSource::open(
        files,
        TimeWindow {
            field: String::new(),
            from_ms: None,
            until_ms: None,
        },
    )?;
    let mut out = Vec::new();
    while let Some((d, _)) = source.next_doc()? {
        out.push(d);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::doc;
    use std::io::Write;

    fn docs() -> Vec<Document> {
        (0..3)
            .map(|i| doc! {"_id": i, "text": format!("文档 {i}"), "at": bson::DateTime::from_millis(1000 * i as i64), "x": 1.5})
            .collect()
    }

    #[test]
    fn dumps_and_exports_read_back_the_same_documents() {
        let dir = tempfile::tempdir().unwrap();
        let mut raw = Vec::new();
        for d in docs() {
            d.to_writer(&mut raw).unwrap();
        }
        std::fs::write(dir.path().join("a.bson"), &raw).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        std::fs::write(dir.path().join("a.bson.gz"), gz.finish().unwrap()).unwrap();
        let canonical: Vec<String> = docs()
            .into_iter()
            .map(|d| Bson::Document(d).into_canonical_extjson().to_string())
            .collect();
        std::fs::write(dir.path().join("a.json"), canonical.join("\n") + "\n").unwrap();
        let relaxed: Vec<String> = docs()
            .into_iter()
            .map(|d| Bson::Document(d).into_relaxed_extjson().to_string())
            .collect();
        std::fs::write(
            dir.path().join("b.json"),
            format!("[\n{}\n]\n", relaxed.join(",\n")),
        )
        .unwrap();
        std::fs::write(dir.path().join("empty.json"), "[]").unwrap();
        let want: Vec<String> = docs()
            .into_iter()
            .map(|d| SourceDoc::from_document(d).json())
            .collect();
        for f in ["a.bson", "a.bson.gz", "a.json", "b.json"] {
            let got: Vec<String> = read_all(&[dir.path().join(f)])
                .unwrap()
                .into_iter()
                .map(|d| d.json())
                .collect();
            assert_eq!(got, want, "{f}");
        }
        assert!(
            read_all(&[dir.path().join("empty.json")])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn broken_files_name_the_file_and_document() {
        let dir = tempfile::tempdir().unwrap();
        let mut raw = Vec::new();
        docs()[0].to_writer(&mut raw).unwrap();
        raw.extend_from_slice(&[40, 0, 0, 0, 1]);
        let p = dir.path().join("t.bson");
        std::fs::write(&p, &raw).unwrap();
        let e = read_all(&[p]).unwrap_err().to_string();
        assert!(
            e.contains("t.bson") && e.contains("document 1") && e.contains("truncated"),
            "{e}"
        );
        // Well framed, but the second document's element type is unknown: found when read
        // (not later in a conversion thread), with the file and the document named.
        let mut raw = Vec::new();
        for d in docs() {
            d.to_writer(&mut raw).unwrap();
        }
        let second = i32::from_le_bytes(raw[..4].try_into().unwrap()) as usize;
        raw[second + 4] = 0x7e;
        let p = dir.path().join("v.bson");
        std::fs::write(&p, &raw).unwrap();
        let e = read_all(&[p]).unwrap_err().to_string();
        assert!(
            e.contains("v.bson") && e.contains("document 1") && e.contains("not valid BSON"),
            "{e}"
        );
        let p = dir.path().join("t.json");
        std::fs::write(&p, "{\"a\": 1}\n{\"b\": \n").unwrap();
        let e = read_all(&[p]).unwrap_err().to_string();
        assert!(e.contains("document 1") && e.contains("JSON"), "{e}");
        let p = dir.path().join("u.json");
        std::fs::write(&p, "[{\"a\": 1} {\"b\": 2}]").unwrap();
        assert!(
            read_all(&[p])
                .unwrap_err()
                .to_string()
                .contains("expected `,`")
        );
        assert!(
            FileSource::open(
                &[dir.path().join("x.csv")],
                TimeWindow {
                    field: String::new(),
                    from_ms: None,
                    until_ms: None
                }
            )
            .is_err()
        );
    }
}
