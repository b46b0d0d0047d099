//! Load a chart from arbitrary `.tgz` bytes and render it; any panic, hang or unbounded memory
//! is a bug. Bad archives (absolute paths, `..`, links, oversized files) must end in an error.
//!
//! Raw bytes rarely form a valid gzip stream, so inputs not starting with the gzip magic are
//! treated as a tar stream and gzipped first: the fuzzer then explores tar headers and chart
//! contents rather than deflate.
#![no_main]

use std::io::Write as _;

use kokumi_render::chart::load::{LoadOptions, load_archive};
use kokumi_render::render::{RenderOptions, render_chart};
use kokumi_render::template::Limits;
use libfuzzer_sys::fuzz_target;

const SLOW_BY_DESIGN: &[&str] = &[
    "genPrivateKey",
    "genCA",
    "genSelfSigned",
    "genSignedCert",
    "bcrypt",
    "htpasswd",
    "derivePassword",
    "AES",
];

fuzz_target!(|data: &[u8]| {
    let bytes = if data.starts_with(b"\x1f\x8b") {
        data.to_vec()
    } else {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        if gz.write_all(data).is_err() {
            return;
        }
        match gz.finish() {
            Ok(b) => b,
            Err(_) => return,
        }
    };
    let load = LoadOptions {
        max_chart_size: 4 << 20,
        max_file_size: 1 << 20,
    };
    let Ok(chart) = load_archive(&bytes, &load) else {
        return;
    };
    // Key generation and password hashing are slow by design; they would only show up as
    // timeouts.
    let slow = mentions_slow(&chart);
    if slow {
        return;
    }
    let opts = RenderOptions {
        limits: Limits::default()
            .with_max_steps(200_000)
            .with_max_output(1 << 20)
            .with_max_depth(500),
        ..RenderOptions::default()
    };
    let _ = render_chart(&chart, &opts).map(|r| r.output());
});

fn mentions_slow(chart: &kokumi_render::chart::Chart) -> bool {
    chart.templates.iter().any(|t| {
        let text = String::from_utf8_lossy(&t.data);
        SLOW_BY_DESIGN.iter().any(|f| text.contains(f))
    }) || chart.dependencies.iter().any(mentions_slow)
}
