//! Reading an Auth0 Deploy CLI export: the YAML format (one `tenant.yaml`) or the directory
//! format (a folder per resource type, a JSON file per resource), with the Deploy CLI's keyword
//! replacement (`@@KEY@@` becomes the value as JSON, `##KEY##` the value as text).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

/// The resources of an export that the import reads, as the Deploy CLI wrote them.
#[derive(Debug, Default)]
pub struct Export {
    pub clients: Vec<Value>,
    pub resource_servers: Vec<Value>,
    pub client_grants: Vec<Value>,
    pub roles: Vec<Value>,
    pub databases: Vec<Value>,
    pub tenant: Option<Value>,
    /// The other resource types present, with how many of each (rules, hooks, actions…).
    pub others: Vec<(String, usize)>,
}

/// The Deploy CLI's keyword mappings (`AUTH0_KEYWORD_REPLACE_MAPPINGS`).
#[derive(Debug, Default)]
pub struct Keywords(Map<String, Value>);

impl Keywords {
    /// The mappings of a Deploy CLI `config.json` (its `AUTH0_KEYWORD_REPLACE_MAPPINGS`), or of
    /// a file that holds only the mappings.
    pub fn parse(text: &str) -> Result<Keywords, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("the keywords file: {e}"))?;
        let mappings = match value {
            Value::Object(mut config) => match config.remove("AUTH0_KEYWORD_REPLACE_MAPPINGS") {
                Some(Value::Object(mappings)) => mappings,
                Some(_) => {
                    return Err(
                        "the keywords file: AUTH0_KEYWORD_REPLACE_MAPPINGS is not an object".into(),
                    )
                }
                None => config,
            },
            _ => return Err("the keywords file is not a JSON object".into()),
        };
        Ok(Keywords(mappings))
    }

    /// `text` with every known keyword replaced; an error names those left unreplaced.
    fn replace(&self, text: &str, file: &str) -> Result<String, String> {
        let mut out = text.to_owned();
        for (key, value) in &self.0 {
            let as_text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            out = out
                .replace(&format!("@@{key}@@"), &value.to_string())
                .replace(&format!("##{key}##"), &as_text);
        }
        let left = unreplaced(&out);
        if !left.is_empty() {
            return Err(format!(
                "{file} uses keywords with no value: {}\nhint: pass the Deploy CLI's config.json \
                 (AUTH0_KEYWORD_REPLACE_MAPPINGS) with --keywords FILE",
                left.join(", ")
            ));
        }
        Ok(out)
    }
}

/// The keywords (`@@KEY@@`, `##KEY##`) still in `text`, each once, in order.
fn unreplaced(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for marker in ["@@", "##"] {
        let mut rest = text;
        while let Some(start) = rest.find(marker) {
            let after = &rest[start + 2..];
            let Some(end) = after.find(marker) else { break };
            let key = &after[..end];
            let is_keyword =
                !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if is_keyword {
                let keyword = format!("{marker}{key}{marker}");
                if !found.contains(&keyword) {
                    found.push(keyword);
                }
                rest = &after[end + 2..];
            } else {
                rest = after;
            }
        }
    }
    found
}

/// Reads the export at `path`: a YAML file, or a directory in the Deploy CLI's layout.
pub fn read(path: &Path, keywords: &Keywords) -> Result<Export, String> {
    if path.is_dir() {
        read_directory(path, keywords)
    } else {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        yaml(&keywords.replace(&text, &path.display().to_string())?)
    }
}

/// The YAML format's top-level keys, as the Deploy CLI names them.
fn yaml(text: &str) -> Result<Export, String> {
    let value: Value =
        serde_saphyr::from_str(text).map_err(|e| format!("the export is not valid YAML: {e}"))?;
    let Value::Object(top) = value else {
        return Err("the export is not a YAML mapping of resource types".into());
    };
    let mut export = Export::default();
    for (key, value) in top {
        match key.as_str() {
            "clients" => export.clients = list(&key, value)?,
            "resourceServers" => export.resource_servers = list(&key, value)?,
            "clientGrants" => export.client_grants = list(&key, value)?,
            "roles" => export.roles = list(&key, value)?,
            "databases" => export.databases = list(&key, value)?,
            "tenant" => export.tenant = Some(value),
            _ => {
                let count = match &value {
                    Value::Array(items) => items.len(),
                    Value::Null => 0,
                    _ => 1,
                };
                if count > 0 {
                    export.others.push((key, count));
                }
            }
        }
    }
    export.others.sort();
    Ok(export)
}

fn list(key: &str, value: Value) -> Result<Vec<Value>, String> {
    match value {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        _ => Err(format!("`{key}` in the export is not a list")),
    }
}

/// The directory format: `clients/`, `resource-servers/`, `grants/` (client grants), `roles/`,
/// `database-connections/<name>/database.json` and `tenant.json`; other folders are counted.
fn read_directory(dir: &Path, keywords: &Keywords) -> Result<Export, String> {
    let mut export = Export::default();
    let mut others = BTreeMap::new();
    for entry in sorted_entries(dir)? {
        let name = file_name(&entry);
        if entry.is_dir() {
            match name.as_str() {
                "clients" => export.clients = json_files(&entry, keywords)?,
                "resource-servers" => export.resource_servers = json_files(&entry, keywords)?,
                "grants" => export.client_grants = json_files(&entry, keywords)?,
                "roles" => export.roles = json_files(&entry, keywords)?,
                "database-connections" => {
                    for connection in sorted_entries(&entry)? {
                        let file = connection.join("database.json");
                        if file.is_file() {
                            export.databases.push(json_file(&file, keywords)?);
                        }
                    }
                }
                _ => {
                    // A resource is a JSON file (its code, if any, sits beside it).
                    let count = sorted_entries(&entry)?
                        .iter()
                        .filter(|path| path.extension().is_some_and(|e| e == "json"))
                        .count();
                    if count > 0 {
                        others.insert(name, count);
                    }
                }
            }
        } else if name == "tenant.json" {
            export.tenant = Some(json_file(&entry, keywords)?);
        } else if let Some(kind) = name.strip_suffix(".json") {
            others.insert(kind.to_owned(), 1);
        }
    }
    if export.clients.is_empty()
        && export.resource_servers.is_empty()
        && export.tenant.is_none()
        && others.is_empty()
    {
        return Err(format!(
            "{} holds no Deploy CLI export (no clients/, resource-servers/ or tenant.json)",
            dir.display()
        ));
    }
    export.others = others.into_iter().collect();
    Ok(export)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn sorted_entries(dir: &Path) -> Result<Vec<std::path::PathBuf>, String> {
    let unreadable = |e: std::io::Error| format!("cannot read {}: {e}", dir.display());
    let mut entries = std::fs::read_dir(dir)
        .map_err(unreadable)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    entries.sort();
    Ok(entries)
}

/// Every `*.json` file of `dir`, in name order.
fn json_files(dir: &Path, keywords: &Keywords) -> Result<Vec<Value>, String> {
    sorted_entries(dir)?
        .into_iter()
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| json_file(&path, keywords))
        .collect()
}

fn json_file(path: &Path, keywords: &Keywords) -> Result<Value, String> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    serde_json::from_str(&keywords.replace(&text, &shown)?)
        .map_err(|e| format!("{shown} is not valid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn keywords(json: &str) -> Keywords {
        Keywords::parse(json).unwrap()
    }

    #[test]
    fn keywords_are_replaced_as_json_or_as_text() {
        let mappings = keywords(
            r#"{"AUTH0_KEYWORD_REPLACE_MAPPINGS": {"URLS": ["https://a.example/cb"], "HOST": "a.example"}}"#,
        );
        let text = mappings
            .replace(
                "callbacks: @@URLS@@\nname: 'api at ##HOST##'",
                "tenant.yaml",
            )
            .unwrap();
        assert_eq!(
            text,
            "callbacks: [\"https://a.example/cb\"]\nname: 'api at a.example'"
        );
    }

    #[test]
    fn a_file_of_only_mappings_is_read_as_the_mappings() {
        let text = keywords(r#"{"HOST": "b.example"}"#)
            .replace("##HOST##", "x")
            .unwrap();
        assert_eq!(text, "b.example");
    }

    #[test]
    fn keywords_left_without_a_value_are_named() {
        let error = Keywords::default()
            .replace(
                "a: @@URLS@@\nb: ##HOST##\nc: ##HOST##\nd: '## not one ##'",
                "t.yaml",
            )
            .unwrap_err();
        assert!(error.contains("@@URLS@@, ##HOST##"), "{error}");
        assert!(error.contains("--keywords"), "{error}");
    }

    #[test]
    fn yaml_resources_are_read_and_the_others_counted() {
        let export = yaml(
            "tenant:\n  friendly_name: Acme\nclients:\n  - name: Web\nresourceServers: []\n\
             rules:\n  - name: a\n  - name: b\nhooks: []\n",
        )
        .unwrap();
        assert_eq!(export.clients.len(), 1);
        assert_eq!(export.clients[0]["name"], "Web");
        assert!(export.resource_servers.is_empty());
        assert_eq!(export.others, vec![("rules".to_owned(), 2)]);
        assert_eq!(export.tenant.unwrap()["friendly_name"], "Acme");
    }

    #[test]
    fn a_yaml_resource_type_that_is_not_a_list_is_refused() {
        let error = yaml("clients:\n  name: Web\n").unwrap_err();
        assert!(error.contains("`clients`"), "{error}");
        let error = yaml("- a\n- b\n").unwrap_err();
        assert!(error.contains("mapping"), "{error}");
    }
}
