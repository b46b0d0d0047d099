//! The pipeline's I/O for local mode: the state directory's records and OCI layout.

use kokumi_oci::Store;
use kokumi_oci::layout::LayoutStore;
use kokumi_pipeline::pipeline::Pipeline;
use kokumi_pipeline::render::HelmRenderer;
use kokumi_pipeline::source::Sources;
use kokumi_pipeline::state::LocalState;

use super::{Context, Failure, exit};

/// Everything a local pipeline run needs, owned.
pub(crate) struct Env<'a> {
    pub(crate) state: &'a LocalState,
    pub(crate) layout: LayoutStore,
    pub(crate) sources: Sources,
    pub(crate) renderer: HelmRenderer,
    pub(crate) ctx: &'a Context,
    runtime: tokio::runtime::Runtime,
}

impl<'a> Env<'a> {
    /// Opens (creating if needed) the artifact layout of `state`.
    pub(crate) fn open(state: &'a LocalState, ctx: &'a Context) -> Result<Self, Failure> {
        let runtime = ctx.runtime()?;
        let dir = state.artifacts_dir();
        let layout = runtime.block_on(LayoutStore::create(&dir)).map_err(|e| {
            Failure::new(
                exit::CORRUPT,
                format!("cannot open the artifact store {}: {e}", dir.display()),
            )
        })?;
        Ok(Self {
            state,
            layout,
            sources: Sources::default(),
            renderer: HelmRenderer::new(),
            ctx,
            runtime,
        })
    }

    /// The pipeline over this environment, pushing to `destination` (the layout, or the
    /// layout mirrored to the Order's destination).
    pub(crate) fn pipeline<'s>(&'s self, destination: &'s dyn Store) -> Pipeline<'s, LocalState> {
        Pipeline {
            records: self.state,
            sources: &self.sources,
            renderer: &self.renderer,
            destination: Some(destination),
            clock: &*self.ctx.clock,
        }
    }

    /// Runs a future to completion.
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}
