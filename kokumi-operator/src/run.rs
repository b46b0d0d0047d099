//! Running the controllers together, with graceful shutdown.

use std::sync::Arc;

use tokio::sync::watch;

use crate::context::Context;
use crate::controller;

/// A shutdown signal every part of the operator can wait on.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// The sending side of [`Shutdown`].
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// A new shutdown signal and its trigger.
pub fn shutdown() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger(tx), Shutdown(rx))
}

impl ShutdownTrigger {
    /// Asks everything to stop.
    pub fn trigger(&self) {
        // No receivers left means everything has stopped already.
        let _ = self.0.send(true);
    }
}

impl Shutdown {
    /// Resolves once shutdown was triggered (or the trigger was dropped).
    pub async fn wait(mut self) {
        let _ = self.0.wait_for(|stop| *stop).await;
    }
}

/// Runs the Order and Serving controllers until `shutdown`; in-flight reconciles finish first.
pub async fn controllers(ctx: Arc<Context>, shutdown: Shutdown) {
    tokio::join!(
        controller::order::run(ctx.clone(), shutdown.clone().wait()),
        controller::serving::run(ctx, shutdown.wait()),
    );
}
