//! Reading Kokumi objects from YAML files and directories (`-f FILE|DIR`).

use std::fs;
use std::path::{Path, PathBuf};

use kokumi_core::api::{API_VERSION, Menu, Order, Pantry, Recipe};
use serde::Deserialize as _;

use super::{Failure, exit};

/// One object read from a file.
#[derive(Debug, Clone)]
pub(crate) enum Object {
    Order(Box<Order>),
    Menu(Box<Menu>),
    Recipe(Box<Recipe>),
    Pantry(Box<Pantry>),
}

/// An object and the file it came from.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub(crate) path: PathBuf,
    pub(crate) object: Object,
}

/// The YAML files named by `-f`: a file, or the `*.yaml`/`*.yml` of a directory (sorted).
fn expand(path: &Path) -> Result<Vec<PathBuf>, Failure> {
    let meta = fs::metadata(path).map_err(|e| {
        Failure::new(
            exit::NOT_FOUND,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let entries = fs::read_dir(path).map_err(|e| {
        Failure::new(
            exit::FAILURE,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| {
            Failure::new(
                exit::FAILURE,
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        let p = entry.path();
        let is_yaml = p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        if is_yaml && p.is_file() {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Reads every object of `paths` (files or directories), in order.
pub(crate) fn load(paths: &[PathBuf]) -> Result<Vec<Loaded>, Failure> {
    let mut out = Vec::new();
    for path in paths {
        for file in expand(path)? {
            let text = fs::read_to_string(&file).map_err(|e| {
                Failure::new(
                    exit::FAILURE,
                    format!("cannot read {}: {e}", file.display()),
                )
            })?;
            out.extend(parse(&file, &text)?);
        }
    }
    Ok(out)
}

/// Parses the documents of one file.
pub(crate) fn parse(file: &Path, text: &str) -> Result<Vec<Loaded>, Failure> {
    let bad = |index: usize, message: String| {
        Failure::new(
            exit::USAGE,
            format!("{} (document {}): {message}", file.display(), index + 1),
        )
    };
    let mut out = Vec::new();
    for (index, document) in serde_norway::Deserializer::from_str(text).enumerate() {
        let value =
            serde_json::Value::deserialize(document).map_err(|e| bad(index, e.to_string()))?;
        if value.is_null() {
            continue;
        }
        let api_version = value
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();
        let kind = value
            .get("kind")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();
        if api_version != API_VERSION {
            return Err(bad(
                index,
                format!("apiVersion is {api_version:?}; kokumi applies {API_VERSION} objects"),
            ));
        }
        let typed = |e: serde_json::Error| bad(index, format!("invalid {kind}: {e}"));
        let object = match kind.as_str() {
            "Order" => Object::Order(Box::new(serde_json::from_value(value).map_err(typed)?)),
            "Menu" => Object::Menu(Box::new(serde_json::from_value(value).map_err(typed)?)),
            "Recipe" => Object::Recipe(Box::new(serde_json::from_value(value).map_err(typed)?)),
            "Pantry" => Object::Pantry(Box::new(serde_json::from_value(value).map_err(typed)?)),
            "Preparation" | "Serving" => {
                return Err(bad(
                    index,
                    format!("{kind}s are made by kokumi, not applied (apply an Order instead)"),
                ));
            }
            other => return Err(bad(index, format!("unknown kind {other:?}"))),
        };
        out.push(Loaded {
            path: file.to_path_buf(),
            object,
        });
    }
    Ok(out)
}
