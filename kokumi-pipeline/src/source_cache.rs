//! A bounded in-memory cache of sources read from OCI stores, keyed by the store's location and
//! the source's manifest digest.
//!
//! A long-running caller (the operator) renders many Orders from the same chart. With a cache
//! set ([`crate::source::Sources::with_cache`]), fetching an OCI source still resolves its tag
//! or digest in the store every time — with the caller's own credentials, so a tag that moved is
//! seen at once and access is checked by the registry — but the manifest, chart and config are
//! read only on the first fetch of that digest. The content is immutable under its digest (and
//! was verified against it when read), so a hit is exactly what a fresh read would return.
//!
//! The cache holds at most [`SourceCache::max_bytes`] of content; the least recently used
//! entries go first. A source larger than the whole budget is not kept.
//!
//! Misses are single-flighted ([`SourceCache::get_or_read`]): when many Orders of one chart are
//! reconciled at once (an operator starting, a chart version rolled out), the first caller
//! reads the source and the others wait for it and take its copy, instead of each reading the
//! same bytes from the registry. A caller whose read fails leaves the next waiter to try with
//! its own store.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use kokumi_core::digest::Digest;

use crate::source::{ChartInput, SourceContent};

/// What [`SourceCache::stats`] reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Fetches answered from the cache.
    pub hits: u64,
    /// Fetches that read the store (and filled the cache).
    pub misses: u64,
    /// Sources held now.
    pub entries: usize,
    /// Bytes of content held now.
    pub bytes: usize,
}

#[derive(Debug)]
struct Entry {
    content: SourceContent,
    size: usize,
    last_used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    entries: BTreeMap<(String, Digest), Entry>,
    bytes: usize,
    tick: u64,
    hits: u64,
    misses: u64,
    /// One lock per source being read now: the single flight of its readers.
    flights: BTreeMap<(String, Digest), Arc<tokio::sync::Mutex<()>>>,
}

/// A bounded cache of fetched OCI sources (see the module docs). Share it with `Arc`.
#[derive(Debug)]
pub struct SourceCache {
    max_bytes: usize,
    inner: Mutex<Inner>,
}

impl Default for SourceCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_BYTES)
    }
}

/// The bytes a cached content costs: its files (paths included) or its archive.
fn size_of(content: &SourceContent) -> Option<usize> {
    match content {
        SourceContent::Chart(ChartInput::Archive(bytes)) => Some(bytes.len()),
        SourceContent::Bundle(files) => Some(files.iter().map(|(p, b)| p.len() + b.len()).sum()),
        // A directory on disk is not a store's content; there is nothing to keep.
        SourceContent::Chart(ChartInput::Dir(_)) => None,
    }
}

impl SourceCache {
    /// The default budget: 64 MiB, room for hundreds of typical charts.
    pub const DEFAULT_MAX_BYTES: usize = 64 * 1024 * 1024;

    /// A cache holding at most `max_bytes` of content.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The budget in bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The content of `digest` fetched from `location` before, if it is still held. Counts a
    /// hit or a miss.
    pub fn get(&self, location: &str, digest: &Digest) -> Option<SourceContent> {
        let found = self.lookup(location, digest);
        if found.is_none() {
            self.lock().misses += 1;
        }
        found
    }

    /// The held content of `digest` from `location`, counted as a hit when found.
    fn lookup(&self, location: &str, digest: &Digest) -> Option<SourceContent> {
        let mut inner = self.lock();
        inner.tick += 1;
        let tick = inner.tick;
        let found = inner
            .entries
            .get_mut(&(location.to_owned(), *digest))
            .map(|entry| {
                entry.last_used = tick;
                entry.content.clone()
            });
        if found.is_some() {
            inner.hits += 1;
        }
        found
    }

    /// The content of `digest` from `location`: held, or read by `read` and kept. Callers
    /// asking for the same source at the same time share one read (see the module docs): one
    /// reads, the others wait and count a hit. A failed read is returned to its caller only.
    pub async fn get_or_read<E, F: Future<Output = Result<SourceContent, E>>>(
        &self,
        location: &str,
        digest: Digest,
        read: impl FnOnce() -> F,
    ) -> Result<SourceContent, E> {
        if let Some(content) = self.lookup(location, &digest) {
            return Ok(content);
        }
        let key = (location.to_owned(), digest);
        let flight = self.lock().flights.entry(key.clone()).or_default().clone();
        let turn = flight.lock().await;
        let result = match self.lookup(location, &digest) {
            Some(content) => Ok(content),
            None => {
                self.lock().misses += 1;
                let read = read().await;
                if let Ok(content) = &read {
                    self.insert(location, digest, content);
                }
                read
            }
        };
        drop(turn);
        let mut inner = self.lock();
        // Clones of the flight are only taken under this lock: two left (the map's and ours)
        // means no one else is waiting, and no one can start to.
        if Arc::strong_count(&flight) == 2 {
            inner.flights.remove(&key);
        }
        result
    }

    /// Keeps `content`, read from `location` and verified against `digest`, evicting the least
    /// recently used entries to stay within budget.
    pub fn insert(&self, location: &str, digest: Digest, content: &SourceContent) {
        let Some(size) = size_of(content) else {
            return;
        };
        if size > self.max_bytes {
            return;
        }
        let mut inner = self.lock();
        inner.tick += 1;
        let entry = Entry {
            content: content.clone(),
            size,
            last_used: inner.tick,
        };
        if let Some(old) = inner.entries.insert((location.to_owned(), digest), entry) {
            inner.bytes -= old.size;
        }
        inner.bytes += size;
        while inner.bytes > self.max_bytes {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(gone) = inner.entries.remove(&oldest) {
                inner.bytes -= gone.size;
            }
        }
    }

    /// Hits, misses and what is held.
    pub fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            hits: inner.hits,
            misses: inner.misses,
            entries: inner.entries.len(),
            bytes: inner.bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(n: usize, fill: u8) -> SourceContent {
        SourceContent::Chart(ChartInput::Archive(vec![fill; n]))
    }

    #[test]
    fn hits_are_per_location_and_digest() {
        let cache = SourceCache::new(1000);
        let (a, b) = (Digest::of_bytes(b"a"), Digest::of_bytes(b"b"));
        assert_eq!(cache.get("oci://h/r", &a), None);
        cache.insert("oci://h/r", a, &archive(10, 1));
        assert_eq!(cache.get("oci://h/r", &a), Some(archive(10, 1)));
        // Another digest, or the same digest in another repository: not cached.
        assert_eq!(cache.get("oci://h/r", &b), None);
        assert_eq!(cache.get("oci://h/other", &a), None);
        assert_eq!(
            cache.stats(),
            CacheStats {
                hits: 1,
                misses: 3,
                entries: 1,
                bytes: 10
            }
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_misses_share_one_read_and_a_failed_read_is_retried() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cache = Arc::new(SourceCache::new(1000));
        let reads = Arc::new(AtomicUsize::new(0));
        let d = Digest::of_bytes(b"x");
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, reads) = (cache.clone(), reads.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_read("l", d, || async {
                        reads.fetch_add(1, Ordering::SeqCst);
                        // Long enough for every other caller to arrive and wait.
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        Ok::<_, String>(archive(10, 7))
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(archive(10, 7)));
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        assert_eq!((cache.stats().hits, cache.stats().misses), (7, 1));
        assert!(cache.lock().flights.is_empty());

        // A failing reader's error is its own; the next caller reads again.
        let e = Digest::of_bytes(b"e");
        let failed = cache
            .get_or_read("l", e, || async { Err::<SourceContent, _>("denied") })
            .await;
        assert_eq!(failed, Err("denied"));
        let read = cache
            .get_or_read("l", e, || async { Ok::<_, &str>(archive(5, 1)) })
            .await;
        assert_eq!(read, Ok(archive(5, 1)));
        assert_eq!(cache.stats().misses, 3);
        assert!(cache.lock().flights.is_empty());
    }

    #[test]
    fn stays_within_budget_evicting_the_least_recently_used() {
        let cache = SourceCache::new(100);
        let d = |i: u8| Digest::of_bytes(&[i]);
        cache.insert("l", d(1), &archive(40, 1));
        cache.insert("l", d(2), &archive(40, 2));
        // Use 1, so 2 is the oldest when 3 needs room.
        assert!(cache.get("l", &d(1)).is_some());
        cache.insert("l", d(3), &archive(40, 3));
        assert!(cache.get("l", &d(2)).is_none());
        assert!(cache.get("l", &d(1)).is_some());
        assert!(cache.get("l", &d(3)).is_some());
        assert_eq!(cache.stats().bytes, 80);
        // Re-inserting an entry does not count it twice.
        cache.insert("l", d(3), &archive(40, 3));
        assert_eq!(cache.stats().bytes, 80);
        // Larger than the whole budget: not kept, nothing evicted.
        cache.insert("l", d(4), &archive(101, 4));
        assert!(cache.get("l", &d(4)).is_none());
        assert_eq!(cache.stats().entries, 2);
        // A bundle counts its paths and bytes; a directory is never kept.
        let bundle = SourceContent::Bundle(BTreeMap::from([("a.yaml".to_owned(), vec![0; 4])]));
        cache.insert("l", d(5), &bundle);
        assert_eq!(cache.get("l", &d(5)), Some(bundle));
        cache.insert(
            "l",
            d(6),
            &SourceContent::Chart(ChartInput::Dir("/x".into())),
        );
        assert!(cache.get("l", &d(6)).is_none());
    }

    /// A chart `.tgz` holding one ConfigMap that says `text`.
    fn chart(text: &str) -> Vec<u8> {
        let files = [
            (
                "demo/Chart.yaml",
                "apiVersion: v2\nname: demo\nversion: 1.0.0\n".to_owned(),
            ),
            (
                "demo/templates/cm.yaml",
                format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  text: {text}\n"
                ),
            ),
        ];
        let mut tar = tar::Builder::new(Vec::new());
        for (path, body) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, path, body.as_bytes()).unwrap();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
        gz.finish().unwrap()
    }

    #[tokio::test]
    async fn a_cached_source_is_resolved_every_time_and_read_once() {
        use kokumi_oci::source::{HelmPushOptions, push_helm_chart};

        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("oci");
        let layout = kokumi_oci::layout::LayoutStore::create(&root)
            .await
            .unwrap();
        let first = chart("one");
        push_helm_chart(
            &layout,
            first.clone(),
            Some("1.0.0"),
            &HelmPushOptions::default(),
        )
        .await
        .unwrap();
        let cache = std::sync::Arc::new(SourceCache::default());
        let sources = crate::source::Sources::default().with_cache(cache.clone());
        let location = crate::source::SourceLocation::parse(
            &format!("oci-layout:{}", root.display()),
            "1.0.0",
            None,
        )
        .unwrap();
        let fetched = sources.fetch(&location).await.unwrap();
        assert_eq!(
            fetched.content,
            SourceContent::Chart(ChartInput::Archive(first.clone()))
        );

        // The chart's blob goes away: only the cache can still answer.
        let blob = root
            .join("blobs/sha256")
            .join(Digest::of_bytes(&first).hex());
        std::fs::remove_file(&blob).unwrap();
        assert!(
            crate::source::Sources::default()
                .fetch(&location)
                .await
                .is_err()
        );
        let again = sources.fetch(&location).await.unwrap();
        assert_eq!(
            (again.digest, &again.content),
            (fetched.digest, &fetched.content)
        );
        assert_eq!((cache.stats().hits, cache.stats().misses), (1, 1));

        // The tag moves: the new chart is read, not the cached one.
        let second = chart("two");
        push_helm_chart(
            &layout,
            second.clone(),
            Some("1.0.0"),
            &HelmPushOptions::default(),
        )
        .await
        .unwrap();
        let moved = sources.fetch(&location).await.unwrap();
        assert_ne!(moved.digest, fetched.digest);
        assert_eq!(
            moved.content,
            SourceContent::Chart(ChartInput::Archive(second))
        );
        assert_eq!((cache.stats().hits, cache.stats().misses), (1, 2));
    }
}
