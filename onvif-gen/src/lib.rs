//! onvif-gen: reads the ONVIF WSDL/XSD (`wsdl/`) and emits Rust for the operations listed in
//! `onvif-gen.toml`: only the types those operations reach, `FromXml`/`ToXml` impls that match
//! by namespace URI and write declared prefixes, one async trait per service, a dispatcher and
//! per-operation metadata (action URIs, access class). Output goes to `src/onvif/generated/`
//! and is committed; `tests/onvif_gen_drift.rs` regenerates it and fails on any difference.

pub mod config;
pub mod emit;
pub mod schema;
pub mod xmltree;

use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::path::Path;

/// Generates every file: name (relative to the output directory) -> contents.
pub fn generate(config: &Path, wsdl_root: &Path) -> Result<BTreeMap<String, String>> {
    let cfg = config::Config::load(config)?;
    let mut model = schema::Model::default();
    for s in &cfg.services {
        model.load_wsdl(&wsdl_root.join(&s.wsdl))?;
    }
    let mut em = emit::Emitter::new(&model, &cfg);
    let mut services = Vec::new();
    for s in &cfg.services {
        let mut ops = Vec::new();
        for name in s.operations.keys() {
            let op = match &s.port_type {
                Some(pt) => {
                    model
                        .port_operations
                        .get(&(s.namespace.clone(), pt.clone(), name.clone()))
                }
                None => model.operations.get(&(s.namespace.clone(), name.clone())),
            }
            .with_context(|| format!("operation {name} not in {}", s.wsdl))?
            .clone();
            let i = em.element(&op.input)?;
            let r = em.element(&op.output)?;
            ops.push((op, i, r));
        }
        services.push((s.clone(), ops));
    }
    em.render(&services)
}
