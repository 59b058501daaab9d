//! The device store: registration ids with their tags and alias.

use std::collections::HashMap;

use crate::config::Device;

/// Devices by registration id.
#[derive(Debug, Default)]
pub(crate) struct Store {
    devices: HashMap<String, Device>,
}

impl Store {
    /// A store holding `devices` (a later duplicate id replaces an earlier one).
    pub fn seeded(devices: &[Device]) -> Self {
        let mut store = Store::default();
        for device in devices {
            store.put(device.clone());
        }
        store
    }

    /// Adds the device, replacing any with the same registration id.
    pub fn put(&mut self, device: Device) {
        self.devices.insert(device.registration_id.clone(), device);
    }

    /// The device with this registration id.
    pub fn get(&self, registration_id: &str) -> Option<&Device> {
        self.devices.get(registration_id)
    }

    /// Removes the device; whether it was there.
    pub fn remove(&mut self, registration_id: &str) -> bool {
        self.devices.remove(registration_id).is_some()
    }

    /// The sorted ids of the devices bound to `alias` on one of `platforms` (every device
    /// bound to it when `platforms` is empty; a device of no known platform only then).
    pub fn bound_to(&self, alias: &str, platforms: &[&str]) -> Vec<String> {
        let mut ids: Vec<String> = self
            .devices
            .values()
            .filter(|d| d.alias.as_deref() == Some(alias))
            .filter(|d| {
                platforms.is_empty()
                    || d.platform
                        .as_deref()
                        .is_some_and(|p| platforms.contains(&p))
            })
            .map(|d| d.registration_id.clone())
            .collect();
        ids.sort();
        ids
    }

    /// All registration ids, sorted.
    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.devices.keys().cloned().collect();
        ids.sort();
        ids
    }
}
