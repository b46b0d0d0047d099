//! Wall time of in-process renders, as the minimum over rounds: on a shared or small machine the
//! minimum is what a build can do, while medians move with whatever else runs. Criterion's
//! statistics assume a quiet machine; this loop does not, and `scripts/bench-ab` runs two builds
//! of it in turns so that both see the same noise.
//!
//! ```text
//! cargo bench -p kokumi-render --bench timing -- [--rounds N] [--per N] CHART[:warm]...
//! ```
//!
//! Each chart (a name under `$KOKUMI_SHARED/helm-corpus/charts`, default `podinfo
//! ingress-nginx argo-cd`) is loaded once and rendered `per` times before measuring; then each
//! of `rounds` rounds times `per` renders. `:warm` renders through one [`ParseCache`] (filled by
//! the first render), like the operator rendering the same chart again. One line per chart:
//! `CHART min MS med MS` (per render). The global allocator is mimalloc, as in `kokumi`.

use std::process::ExitCode;
use std::time::Instant;

mod support;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use kokumi_render::render::{RenderOptions, render_chart, render_chart_cached};
use kokumi_render::template::ParseCache;

#[allow(clippy::print_stdout, clippy::print_stderr)]
fn main() -> ExitCode {
    let mut rounds = 20;
    let mut per = 10;
    let mut charts = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let count = match a.as_str() {
            "--rounds" => &mut rounds,
            "--per" => &mut per,
            // What cargo passes to every bench.
            "--bench" => continue,
            _ => {
                charts.push(a);
                continue;
            }
        };
        match args.next().and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n > 0 => *count = n,
            _ => {
                eprintln!("error: {a} takes a positive number");
                return ExitCode::FAILURE;
            }
        }
    }
    if charts.is_empty() {
        charts = ["podinfo", "ingress-nginx", "argo-cd"]
            .map(String::from)
            .into();
    }
    let opts = RenderOptions {
        release_name: "rel".into(),
        namespace: "ns".into(),
        ..RenderOptions::default()
    };
    for arg in &charts {
        let (name, warm) = match arg.strip_suffix(":warm") {
            Some(n) => (n, true),
            None => (arg.as_str(), false),
        };
        let chart = match support::load_chart(name) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let cache = warm.then(ParseCache::new);
        let render = || {
            match &cache {
                Some(c) => render_chart_cached(&chart, &opts, c),
                None => render_chart(&chart, &opts),
            }
            .map(|r| r.output().len())
        };
        for _ in 0..per {
            if let Err(e) = render() {
                eprintln!("error: {name} does not render: {e}");
                return ExitCode::FAILURE;
            }
        }
        let mut times = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let start = Instant::now();
            for _ in 0..per {
                // Rendered once above without an error; the same input renders the same.
                let _ = std::hint::black_box(render());
            }
            times.push(start.elapsed().as_secs_f64() * 1e3 / per as f64);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{arg} min {:.3} med {:.3}",
            times[0],
            times[times.len() / 2]
        );
    }
    ExitCode::SUCCESS
}
