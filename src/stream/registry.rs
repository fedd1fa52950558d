//! The streams the daemon serves, by path name (the ONVIF profile token): filled by the
//! daemon, read by RTSP on every DESCRIBE/SETUP and by HLS on every request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::hub::StreamHub;
use super::packing::Packer;

#[derive(Debug)]
pub struct StreamRegistry<P: Packer> {
    hubs: RwLock<HashMap<String, Arc<StreamHub<P>>>>,
}

impl<P: Packer> Default for StreamRegistry<P> {
    fn default() -> Self {
        Self {
            hubs: RwLock::new(HashMap::new()),
        }
    }
}

impl<P: Packer> StreamRegistry<P> {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Registers (or replaces) the hub served at `<name>` (`rtsp://host:port/<name>`).
    pub fn register(&self, name: impl Into<String>, hub: Arc<StreamHub<P>>) {
        self.hubs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.into(), hub);
    }

    pub(crate) fn unregister(&self, name: &str) -> Option<Arc<StreamHub<P>>> {
        self.hubs
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(name)
    }

    pub(crate) fn get(&self, name: &str) -> Option<Arc<StreamHub<P>>> {
        self.hubs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// Registered names, sorted.
    pub(crate) fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .hubs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::StreamConfig;
    use crate::stream::packing::Unpacked;

    #[test]
    fn registry_maps_names() {
        let r = StreamRegistry::<Unpacked>::new();
        r.register("main", StreamHub::new("main", StreamConfig::default()));
        r.register("sub", StreamHub::new("sub", StreamConfig::default()));
        assert_eq!(r.names(), vec!["main", "sub"]);
        assert!(r.get("main").is_some());
        assert!(r.get("nope").is_none());
        assert!(r.unregister("main").is_some());
        assert_eq!(r.names(), vec!["sub"]);
    }
}
