//! `spec/error-model.toml`, read and checked.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Deserialize;

/// The whole table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Model {
    pub classification: Classification,
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
}

/// How non-2xx answers are mapped to categories.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Classification {
    pub order: Vec<String>,
    pub fallback: String,
}

/// One category of the error model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Category {
    pub name: String,
    pub code: u32,
    pub rust: String,
    pub python: PythonClass,
    pub go: String,
    pub node: String,
    pub java: String,
    pub doc: String,
    pub when: String,
    pub summary: String,
    pub advice: String,
    pub retryable: bool,
    pub retried: String,
    pub maybe_deleted: String,
    #[serde(default)]
    pub http_statuses: Vec<u16>,
    #[serde(default)]
    pub http_status_ranges: Vec<[u16; 2]>,
    #[serde(default)]
    pub api_codes: Vec<i64>,
}

/// A category's Python exception class.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PythonClass {
    pub class: String,
    /// A builtin exception it also derives from (e.g. `ValueError`).
    pub also: Option<String>,
}

impl Model {
    /// Reads and checks the table.
    pub(crate) fn load(path: &Path) -> Result<Model, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let model: Model = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        model
            .check()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(model)
    }

    fn check(&self) -> Result<(), String> {
        let mut names = BTreeSet::new();
        for (i, c) in self.categories.iter().enumerate() {
            if c.code != i as u32 + 1 {
                return Err(format!(
                    "{}: codes run 1, 2, 3... in table order; expected {}",
                    c.name,
                    i + 1
                ));
            }
            if !names.insert(c.name.as_str()) {
                return Err(format!("{} appears twice", c.name));
            }
        }
        for name in self
            .classification
            .order
            .iter()
            .chain([&self.classification.fallback])
        {
            if !names.contains(name.as_str()) {
                return Err(format!("classification names unknown category {name}"));
            }
        }
        Ok(())
    }

    /// The category called `name` (checked to exist by `load`).
    pub(crate) fn category(&self, name: &str) -> &Category {
        self.categories
            .iter()
            .find(|c| c.name == name)
            .expect("checked by Model::check")
    }
}
