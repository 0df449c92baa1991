//! Parsing sizes like `256MB`, `1GiB` or a bare number (megabytes, as the predecessor did).

pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if let Ok(mb) = t.parse::<f64>() {
        if mb <= 0.0 {
            return Err(format!("`{text}` must be greater than 0"));
        }
        return Ok((mb * 1024.0 * 1024.0) as u64);
    }
    // Binary units either way: "256MB" means 256 MiB, like most data tools.
    let upper = t.to_ascii_uppercase().replace("IB", "B");
    let parsed: bytesize::ByteSize = upper
        .replace("KB", "KiB")
        .replace("MB", "MiB")
        .replace("GB", "GiB")
        .replace("TB", "TiB")
        .parse()
        .map_err(|_| format!("`{text}` is not a size; write e.g. 256MB, 1GB or 512 (MB)"))?;
    if parsed.as_u64() == 0 {
        return Err(format!("`{text}` must be greater than 0"));
    }
    Ok(parsed.as_u64())
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("256MB").unwrap(), 256 << 20);
        assert_eq!(parse_size("1GB").unwrap(), 1 << 30);
        assert_eq!(parse_size("1gib").unwrap(), 1 << 30);
        assert_eq!(parse_size("512").unwrap(), 512 << 20);
        assert_eq!(parse_size("100KB").unwrap(), 100 << 10);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("0").is_err());
    }
}
