//! Leader election over a Lease on the fake API server.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use kokumi_operator::leader::LeaderElection;
use kube::api::Api;

use crate::support::fake;

#[tokio::test]
async fn one_leader_release_and_expiry() {
    let server = fake();
    let a = LeaderElection::new(
        server.client(),
        "kokumi-system",
        "kokumi-operator",
        "a",
        Duration::from_secs(1),
    );
    let b = LeaderElection::new(
        server.client(),
        "kokumi-system",
        "kokumi-operator",
        "b",
        Duration::from_secs(1),
    );
    assert!(
        a.try_acquire().await.unwrap(),
        "the first candidate creates the lease"
    );
    assert!(!b.try_acquire().await.unwrap(), "a held lease is not taken");
    assert!(a.try_acquire().await.unwrap(), "the holder renews");

    // Released: the other takes over at once.
    a.release().await.unwrap();
    assert!(b.try_acquire().await.unwrap());
    let leases: Api<Lease> = Api::namespaced(server.client(), "kokumi-system");
    let spec = leases.get("kokumi-operator").await.unwrap().spec.unwrap();
    assert_eq!(spec.holder_identity.as_deref(), Some("b"));
    assert_eq!(spec.lease_transitions, Some(1));

    // Not renewed for longer than its duration: expired, taken over.
    assert!(!a.try_acquire().await.unwrap());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(a.try_acquire().await.unwrap());
    assert_eq!(
        leases
            .get("kokumi-operator")
            .await
            .unwrap()
            .spec
            .unwrap()
            .holder_identity
            .as_deref(),
        Some("a")
    );
}

#[tokio::test]
async fn racing_candidates_cannot_both_win() {
    let server = fake();
    let candidates: Vec<LeaderElection> = (0..8)
        .map(|i| {
            LeaderElection::new(
                server.client(),
                "ns",
                "race",
                format!("c{i}"),
                Duration::from_secs(30),
            )
        })
        .collect();
    let results =
        futures_util::future::join_all(candidates.iter().map(LeaderElection::try_acquire)).await;
    let winners = results
        .into_iter()
        .filter(|r| matches!(r, Ok(true)))
        .count();
    assert_eq!(winners, 1);
}
