//! The pages' static files, built into the binary: nothing is fetched from another site, and the pages work
//! with no network. Each is addressed with a hash of its bytes (`/assets/app.css?v=…`), so a browser may keep
//! it for a year and still never runs an old one after an upgrade; each is served gzip-compressed to a
//! browser that takes it (compressed once, on first use).

use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::io::Write as _;
use std::sync::OnceLock;

/// A static file.
#[derive(Debug)]
pub struct Asset {
    /// Its name under `/assets/`.
    pub name: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
    /// Its media type.
    pub content_type: &'static str,
    gzip: OnceLock<Vec<u8>>,
    hash: OnceLock<String>,
}

impl Asset {
    const fn new(name: &'static str, body: &'static [u8], content_type: &'static str) -> Asset {
        Asset { name, body, content_type, gzip: OnceLock::new(), hash: OnceLock::new() }
    }

    /// Its bytes gzip-compressed, or `None` for files that are compressed already (fonts).
    pub fn gzipped(&self) -> Option<&[u8]> {
        if self.content_type.starts_with("font/") {
            return None;
        }
        Some(self.gzip.get_or_init(|| {
            let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            // writing to a Vec cannot fail
            let _ = z.write_all(self.body);
            z.finish().unwrap_or_default()
        }))
    }

    /// A short hash of its bytes: its version in URLs, and its ETag.
    pub fn hash(&self) -> &str {
        self.hash.get_or_init(|| {
            let mut h = DefaultHasher::new();
            self.body.hash(&mut h);
            format!("{:016x}", h.finish())
        })
    }

    /// The URL pages link it by.
    pub fn url(&self) -> String {
        format!("/assets/{}?v={}", self.name, self.hash())
    }
}

static ASSETS: [Asset; 7] = [
    Asset::new("app.css", include_bytes!("../assets/app.css"), "text/css; charset=utf-8"),
    Asset::new("app.js", include_bytes!("../assets/app.js"), "text/javascript; charset=utf-8"),
    Asset::new("htmx.js", include_bytes!("../assets/vendor/htmx-2.0.11.min.js"), "text/javascript; charset=utf-8"),
    Asset::new(
        "echarts.js",
        include_bytes!("../assets/vendor/echarts-6.1.0.common.min.js"),
        "text/javascript; charset=utf-8",
    ),
    Asset::new("inter-400.woff2", include_bytes!("../assets/vendor/inter-latin-400.woff2"), "font/woff2"),
    Asset::new("inter-600.woff2", include_bytes!("../assets/vendor/inter-latin-600.woff2"), "font/woff2"),
    Asset::new("favicon.svg", include_bytes!("../assets/favicon.svg"), "image/svg+xml"),
];

/// The asset named `name`.
pub fn get(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The URL of the asset named `name` (templates link assets through this; an unknown name is a bug caught by
/// the tests, and links nowhere).
pub fn url(name: &str) -> String {
    get(name).map_or_else(|| format!("/assets/{name}"), Asset::url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_found_by_name_and_compresses_to_what_it_was() {
        use std::io::Read as _;
        for a in &ASSETS {
            assert!(std::ptr::eq(get(a.name).unwrap_or(&ASSETS[0]), a), "{}", a.name);
            assert!(url(a.name).starts_with(&format!("/assets/{}?v=", a.name)));
            if let Some(z) = a.gzipped() {
                let mut back = Vec::new();
                flate2::read::GzDecoder::new(z).read_to_end(&mut back).unwrap_or_default();
                assert_eq!(back, a.body, "{}", a.name);
            }
        }
        assert!(get("../Cargo.toml").is_none());
    }
}
