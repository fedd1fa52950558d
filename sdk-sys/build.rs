//! Chooses what implements `include/nvt_sdk.h` for this build.
//!
//! - feature `sim` (default): the simulated SoC in `src/sim/`, written in Rust and exporting
//!   the C symbols itself; nothing to link.
//! - `NVT_SDK_PORT_C=/path/port.c[:/path/more.c...]`: compile a vendor port file (C, against
//!   `nvt_sdk.h`) with the system C compiler and link it, plus `NVT_SDK_LIBS` if it calls
//!   into vendor libraries.
//! - `NVT_SDK_LIB_DIR` + `NVT_SDK_LIBS=name1,name2`: link a prebuilt port library.
//!
//! See sdk-sys/README.md for the porting guide.
use std::env;

fn main() {
    println!("cargo:rerun-if-changed=include/nvt_sdk.h");
    for var in ["NVT_SDK_PORT_C", "NVT_SDK_LIB_DIR", "NVT_SDK_LIBS"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    if env::var_os("CARGO_FEATURE_SIM").is_some() {
        return;
    }
    let port = env::var("NVT_SDK_PORT_C").ok().filter(|s| !s.is_empty());
    let lib_dir = env::var("NVT_SDK_LIB_DIR").ok().filter(|s| !s.is_empty());
    let libs = env::var("NVT_SDK_LIBS").ok().filter(|s| !s.is_empty());
    if port.is_none() && libs.is_none() {
        panic!(
            "sdk-sys built without the `sim` feature needs a port: set NVT_SDK_PORT_C to a C \
             port file, or NVT_SDK_LIB_DIR and NVT_SDK_LIBS to a prebuilt port library \
             (see sdk-sys/README.md)"
        );
    }
    if let Some(files) = port {
        let mut build = cc::Build::new();
        build.include("include").warnings(true).extra_warnings(true);
        for file in files.split(':') {
            println!("cargo:rerun-if-changed={file}");
            build.file(file);
        }
        build.compile("nvt_sdk_port");
    }
    if let Some(dir) = lib_dir {
        println!("cargo:rustc-link-search=native={dir}");
    }
    if let Some(libs) = libs {
        for lib in libs.split(',') {
            println!("cargo:rustc-link-lib={lib}");
        }
    }
}
