//! A plain loop for profilers: loads one corpus chart and renders it N times, with nothing else
//! in the process (no criterion, no other charts), so `valgrind --tool=callgrind` or `perf`
//! attribute every instruction to the render.
//!
//! ```text
//! cargo bench -p kokumi-render --bench profile --no-run
//! valgrind --tool=callgrind target/release/deps/profile-<hash> argo-cd 3
//! ```
//!
//! Arguments: the chart name under `$KOKUMI_SHARED/helm-corpus/charts` (default `argo-cd`) and
//! the number of renders (default 1); a third argument `warm` renders through one
//! [`ParseCache`], so every render after the first skips parsing; `parse` instead only parses
//! the chart's own templates N times, on one thread (the parser's cost, without the render's
//! scheduling). Flags cargo passes (`--bench`) are ignored.

use std::process::ExitCode;

use kokumi_render::render::{RenderOptions, render_chart, render_chart_cached};
use kokumi_render::template::{ParseCache, TemplateSet};

mod support;

#[allow(clippy::print_stderr)]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let name = args.first().map_or("argo-cd", String::as_str);
    let runs: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1);
    let chart = match support::load_chart(name) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let opts = RenderOptions {
        release_name: "rel".into(),
        namespace: "ns".into(),
        ..RenderOptions::default()
    };
    if args.get(2).map(String::as_str) == Some("parse") {
        let mut parsed = 0;
        for _ in 0..runs {
            for t in &chart.templates {
                let mut set = TemplateSet::new();
                if set.add(&t.name, &t.as_text()).is_ok() {
                    parsed += 1;
                }
            }
        }
        eprintln!("{name}: {parsed} files parsed");
        return ExitCode::SUCCESS;
    }
    let cache = (args.get(2).map(String::as_str) == Some("warm")).then(ParseCache::new);
    let mut bytes = 0;
    for _ in 0..runs {
        let rendered = match &cache {
            Some(c) => render_chart_cached(&chart, &opts, c),
            None => render_chart(&chart, &opts),
        };
        match rendered {
            Ok(r) => bytes += r.output().len(),
            Err(e) => {
                eprintln!("error: {name} does not render: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    eprintln!("{name}: {runs} renders, {bytes} bytes");
    ExitCode::SUCCESS
}
