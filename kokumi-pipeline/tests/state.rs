//! The local state directory: atomic writes, locking, damaged files.

use std::fs;
use std::sync::{Arc, Barrier};

use kokumi_core::api::Order;
use kokumi_pipeline::Error;
use kokumi_pipeline::record::{Kind, MemoryRecords, RecordStore};
use kokumi_pipeline::state::{LocalState, LockMode};
use kokumi_pipeline::testing::bare_order;

fn order(name: &str, version: &str) -> Order {
    bare_order(name, "oci://ghcr.io/example/charts/hello", version)
}

#[test]
fn round_trips_sorted_and_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let state = LocalState::open(dir.path().join(".kokumi")).unwrap();
    state.write(&order("b", "1")).unwrap();
    state.write(&order("a", "1")).unwrap();
    state.write(&order("a", "2")).unwrap();
    let all: Vec<Order> = state.read_all().unwrap();
    let names: Vec<_> = all
        .iter()
        .map(|o| o.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(all[0].spec.source.as_ref().unwrap().version, "2");
    assert!(state.read::<Order>("c").unwrap().is_none());
    assert!(state.remove(Kind::Order, "b").unwrap());
    assert!(!state.remove(Kind::Order, "b").unwrap());
    let text = fs::read_to_string(dir.path().join(".kokumi/orders/a.yaml")).unwrap();
    insta::assert_snapshot!(text, @r"
    apiVersion: delivery.kokumi.dev/v1alpha1
    kind: Order
    metadata:
      name: a
      namespace: default
    spec:
      source:
        oci: oci://ghcr.io/example/charts/hello
        version: '2'
    ");
}

#[test]
fn damaged_file_is_named_with_its_line_and_others_survive() {
    let dir = tempfile::tempdir().unwrap();
    let state = LocalState::open(dir.path()).unwrap();
    state.write(&order("good", "1")).unwrap();
    let bad = dir.path().join("orders/bad.yaml");
    fs::write(&bad, "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Order\nmetadata:\n  name: bad\nspec: {source: [\n").unwrap();
    let err = state.read::<Order>("bad").unwrap_err();
    match &err {
        Error::Corrupt { path, line, .. } => {
            assert_eq!(path, &bad);
            assert!(line.is_some());
        }
        other => panic!("expected Corrupt, got {other}"),
    }
    assert!(
        err.to_string()
            .starts_with(&format!("state file {} is damaged", bad.display()))
    );
    assert!(matches!(
        state.read_all::<Order>(),
        Err(Error::Corrupt { .. })
    ));
    assert!(state.read::<Order>("good").unwrap().is_some());

    // A file whose name and metadata.name disagree is damaged too.
    fs::write(
        dir.path().join("orders/bad.yaml"),
        serde_norway::to_string(&order("other", "1")).unwrap(),
    )
    .unwrap();
    let err = state.read::<Order>("bad").unwrap_err();
    assert!(
        err.to_string().contains("metadata.name is \"other\""),
        "{err}"
    );
}

#[test]
fn names_are_validated_before_touching_disk() {
    let dir = tempfile::tempdir().unwrap();
    let state = LocalState::open(dir.path()).unwrap();
    for bad in ["../escape", "UPPER", "a/b", ""] {
        assert!(
            matches!(state.read::<Order>(bad), Err(Error::InvalidName { .. })),
            "{bad}"
        );
        assert!(state.write(&order(bad, "1")).is_err(), "{bad}");
    }
}

#[test]
fn leftover_temp_files_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let state = LocalState::open(dir.path()).unwrap();
    state.write(&order("a", "1")).unwrap();
    fs::write(dir.path().join("orders/.a.yaml.tmp-1-1"), "half a wri").unwrap();
    assert_eq!(state.read_all::<Order>().unwrap().len(), 1);
}

#[test]
fn the_exclusive_lock_serialises_writers() {
    // Many threads each read-modify-write a counter under the exclusive lock; none is lost.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    LocalState::open(&root)
        .unwrap()
        .write(&order("counter", "0"))
        .unwrap();
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let root = root.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                // Each thread opens its own handle, as a separate process would.
                let state = LocalState::open(&root).unwrap();
                barrier.wait();
                for _ in 0..10 {
                    let _lock = state.lock(LockMode::Exclusive).unwrap();
                    let mut o: Order = state.read("counter").unwrap().unwrap();
                    let source = o.spec.source.as_mut().unwrap();
                    let n: u32 = source.version.parse().unwrap();
                    source.version = (n + 1).to_string();
                    state.write(&o).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let state = LocalState::open(&root).unwrap();
    let o: Order = state.read("counter").unwrap().unwrap();
    assert_eq!(o.spec.source.unwrap().version, "80");
}

#[tokio::test]
async fn memory_records_behave_like_a_store() {
    let records = MemoryRecords::new();
    records.put(&order("x", "1")).await.unwrap();
    assert_eq!(records.list::<Order>().await.unwrap().len(), 1);
    assert!(records.get::<Order>("x").await.unwrap().is_some());
    assert!(records.delete::<Order>("x").await.unwrap());
    assert!(records.get::<Order>("x").await.unwrap().is_none());
}
