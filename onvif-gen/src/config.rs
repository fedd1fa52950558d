//! The generator's configuration (`onvif-gen/onvif-gen.toml`): namespace prefixes, and per
//! service the WSDL, the operations to generate and each operation's access class.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
pub struct Config {
    /// prefix -> namespace URI. The prefix names the generated module and is the prefix
    /// responses are written with.
    pub namespaces: BTreeMap<String, String>,
    pub services: Vec<Service>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Service {
    /// Generated module name (`src/onvif/generated/<module>.rs`).
    pub module: String,
    pub trait_name: String,
    /// WSDL path relative to the wsdl/ directory.
    pub wsdl: String,
    /// Target namespace of the service's messages.
    pub namespace: String,
    /// The WSDL portType to take the operations from, when operations of the same name
    /// exist in several port types of that namespace (event.wsdl: `Unsubscribe`).
    #[serde(default)]
    pub port_type: Option<String>,
    /// Operation name -> access class (ONVIF Core default access policy). Only these
    /// operations are generated.
    pub operations: BTreeMap<String, String>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
        Ok(toml::from_str(&text)?)
    }

    pub fn prefix_of(&self, ns: &str) -> Option<&str> {
        self.namespaces
            .iter()
            .find(|(_, u)| *u == ns)
            .map(|(p, _)| p.as_str())
    }
}
