//! Fetching the `http`/`https` schemas a chart's `values.schema.json` refers to, as helm does.
//!
//! Helm 4 loads a `"$ref": "https://…"` over the network while it validates values: a plain
//! `GET` with a 15 second timeout and the proxy from `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`,
//! anything but `200 OK` an error. [`HttpSchemaFetcher`] is that loader for
//! [`kokumi_render::render::RenderOptions::schema_fetcher`]. A chart without such references
//! never touches the network.

use std::time::Duration;

use kokumi_render::schema_refs::SchemaFetcher;

use crate::pipeline::error_chain;

/// Helm's timeout for one schema request.
pub const SCHEMA_FETCH_TIMEOUT: Duration = Duration::from_secs(15);

/// The most a referenced schema may take, so that a wrong URL cannot fill the memory of a
/// long-running renderer (helm sets no bound; real schemas are kilobytes).
pub const MAX_SCHEMA_BYTES: usize = 16 << 20;

/// Fetches referenced schemas over HTTP(S), with helm's timeout, proxy and status rules.
///
/// The renderer is synchronous and may run on an async runtime's thread, so each fetch runs on
/// a thread of its own with a small runtime of its own; schema references are rare and few.
#[derive(Debug, Clone)]
pub struct HttpSchemaFetcher {
    timeout: Duration,
}

impl Default for HttpSchemaFetcher {
    fn default() -> Self {
        Self {
            timeout: SCHEMA_FETCH_TIMEOUT,
        }
    }
}

impl HttpSchemaFetcher {
    /// The fetcher with helm's 15 second timeout.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same with another timeout per request.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self { timeout }
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let failed = |e: &dyn std::fmt::Display| format!("HTTP request failed for {url}: {e}");
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .user_agent(concat!("kokumi/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| failed(&error_chain(&e)))?;
        let mut resp = client
            .get(url)
            .send()
            .await
            .map_err(|e| failed(&error_chain(&e)))?;
        let status = resp.status();
        if status != reqwest::StatusCode::OK {
            return Err(format!(
                "HTTP request to {url} returned status {} ({})",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| failed(&error_chain(&e)))? {
            if body.len() + chunk.len() > MAX_SCHEMA_BYTES {
                return Err(failed(&format!(
                    "the schema is larger than {} MiB",
                    MAX_SCHEMA_BYTES >> 20
                )));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl SchemaFetcher for HttpSchemaFetcher {
    fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| format!("HTTP request failed for {url}: {e}"))?;
                    runtime.block_on(self.get(url))
                })
                .join()
                .unwrap_or_else(|_| Err(format!("HTTP request failed for {url}: fetch panicked")))
        })
    }
}
