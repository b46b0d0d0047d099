//! `values.schema.json` files that refer to schemas by `http` URL: `kokumi template` fetches
//! them as helm does, and says what helm says when it cannot. Compared with a real helm over a
//! loopback HTTP server, through the binary (`template` is the binary's own command).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use crate::support::Project;

/// The definitions the chart's schema refers to, served at `/defs.json`.
const DEFS: &str = r#"{"$defs": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}}}"#;

/// Serves `/defs.json` (and 404 for anything else) on loopback until the test process ends.
fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = String::new();
            let mut reader = BufReader::new(&stream);
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            // The headers, up to the empty line.
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("");
            let response = if path == "/defs.json" {
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{DEFS}",
                    DEFS.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_owned()
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    base
}

/// A chart whose schema takes `.port` from the schema at `reference`.
fn write_chart(p: &Project, name: &str, reference: &str) {
    p.write(
        &format!("{name}/Chart.yaml"),
        &format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
    );
    p.write(&format!("{name}/values.yaml"), "port: 8080\n");
    p.write(
        &format!("{name}/values.schema.json"),
        &format!(r#"{{"type": "object", "properties": {{"port": {{"$ref": "{reference}"}}}}}}"#),
    );
    p.write(
        &format!("{name}/templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  port: {{ .Values.port | quote }}\n",
    );
}

/// helm's exit status, stdout and the message after `Error: ` (all of stderr when it
/// succeeds).
fn helm_template(helm: &Path, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(helm)
        .arg("template")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running helm");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let message = message(&stderr);
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        message,
    )
}

/// The message after `Error: `, or all of `stderr` (warnings) when there is none.
fn message(stderr: &str) -> String {
    stderr
        .split_once("Error: ")
        .map_or(stderr, |(_, m)| m)
        .trim_end()
        .to_owned()
}

#[test]
fn remote_schema_references_are_fetched_as_helm_fetches_them() {
    let Some(helm) = crate::oci::helm() else {
        return;
    };
    let base = serve();
    let p = Project::new();
    write_chart(&p, "remote", &format!("{base}/defs.json#/$defs/port"));
    write_chart(&p, "missing", &format!("{base}/missing.json#/$defs/port"));
    // A URN helm cannot resolve: anything goes, with a warning.
    write_chart(&p, "urn", "urn:example:port");

    let cases: &[&[&str]] = &[
        // The referenced schema passes the chart's values: the same manifests.
        &["rel", "remote"],
        // It refuses a value: the same report.
        &["rel", "remote", "--set", "port=70000"],
        // It is not there: the same 404.
        &["rel", "missing"],
        &["rel", "urn", "--set", "port=text"],
    ];
    for args in cases {
        let (helm_ok, helm_out, helm_err) = helm_template(&helm, p.dir.path(), args);
        let ours = assert_cmd::Command::cargo_bin("kokumi")
            .unwrap()
            .arg("template")
            .args(*args)
            .current_dir(p.dir.path())
            .output()
            .unwrap();
        let (out, err) = (
            String::from_utf8(ours.stdout).unwrap(),
            String::from_utf8(ours.stderr).unwrap(),
        );
        assert_eq!(
            ours.status.success(),
            helm_ok,
            "{args:?}: exit; ours {err}, helm {helm_err}"
        );
        assert_eq!(out, helm_out, "{args:?}: stdout");
        assert_eq!(message(&err), helm_err, "{args:?}: stderr");
    }
    let (_, _, refused) = helm_template(&helm, p.dir.path(), cases[1]);
    assert!(
        refused.contains("maximum: got 70,000, want 65,535"),
        "{refused}"
    );
    let (_, _, warned) = helm_template(&helm, p.dir.path(), cases[3]);
    assert!(
        warned.contains("unresolved URN reference ignored"),
        "{warned}"
    );
}
