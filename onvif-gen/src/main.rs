//! `cargo run -p onvif-gen` regenerates `src/onvif/generated/` from `wsdl/`.

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    // Defaults regenerate the committed code; `onvif-gen CONFIG OUTDIR` generates elsewhere
    // (used to measure the budget of services not implemented yet, see docs/soap.md).
    let root = workspace_root();
    let mut args = std::env::args_os().skip(1);
    let config = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("onvif-gen/onvif-gen.toml"));
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("src/onvif/generated"));
    let files = onvif_gen::generate(&config, &root.join("wsdl"))?;
    std::fs::create_dir_all(&out)?;
    // Remove stale modules so the directory is exactly the generator's output.
    for e in std::fs::read_dir(&out)? {
        let p = e?.path();
        if p.extension().is_some_and(|x| x == "rs")
            && !files.contains_key(p.file_name().unwrap().to_str().unwrap())
        {
            std::fs::remove_file(p)?;
        }
    }
    let mut lines = 0;
    for (name, text) in &files {
        lines += text.lines().count();
        std::fs::write(out.join(name), text)?;
    }
    eprintln!(
        "onvif-gen: {} files, {lines} lines in {}",
        files.len(),
        out.display()
    );
    Ok(())
}

/// The workspace to regenerate. `cargo run` sets CARGO_MANIFEST_DIR for the process, which
/// is right even when the binary was built in another checkout (a copied or hard-linked
/// `target/`); the path baked in at build time is the last resort.
fn workspace_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..")
}
