//! A per-stage progress line for `kokumi apply` and `kokumi render` on a terminal.
//!
//! The pipeline reports each [`Stage`] it enters to an [`Observer`]; [`StageLine`] is one: it
//! shows the latest stage as a spinner line on stderr and clears it when dropped.

use std::time::Duration;

use kokumi_core::api::Order;
use kokumi_pipeline::pipeline::{NoObserver, Observer, Stage};

use crate::progress::Progress;

/// What a user reads for `stage`.
fn describe(stage: Stage) -> &'static str {
    match stage {
        Stage::Resolve => "resolving the order",
        Stage::Fetch => "fetching the source",
        Stage::Check => "checking the stored artifact",
        Stage::Render => "rendering",
        Stage::Push => "pushing the artifact",
        Stage::Record => "recording the preparation",
        _ => stage.as_str(),
    }
}

/// The spinner line of one Order's run; cleared when dropped.
pub(crate) struct StageLine {
    bar: indicatif::ProgressBar,
}

impl StageLine {
    /// A line, or `None` when progress is off.
    pub(crate) fn start(progress: &Progress) -> Option<Self> {
        let target = progress.target()?;
        let bar = indicatif::ProgressBar::with_draw_target(None, target);
        let style = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(80));
        Some(Self { bar })
    }

    /// The observer to hand the pipeline: `line`, or one that ignores everything.
    pub(crate) fn observer(line: Option<&Self>) -> &dyn Observer {
        match line {
            Some(line) => line,
            None => &NoObserver,
        }
    }

    fn show(&self, order: &str, stage: Stage) {
        self.bar
            .set_message(format!("order {order}: {}", describe(stage)));
    }
}

#[async_trait::async_trait]
impl Observer for StageLine {
    async fn stage(&self, order: &Order, stage: Stage) {
        self.show(order.metadata.name.as_deref().unwrap_or(""), stage);
    }
}

impl Drop for StageLine {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::progress::Capture;

    #[test]
    fn the_line_shows_the_stage_and_only_when_progress_is_on() {
        assert!(StageLine::start(&Progress::Off).is_none());
        let capture = Capture::new();
        let line = StageLine::start(&Progress::Capture(capture.clone())).unwrap();
        line.show("hello", Stage::Render);
        line.bar.tick();
        drop(line);
        let text = capture.text();
        assert!(text.contains("order hello: rendering"), "{text:?}");
    }
}
