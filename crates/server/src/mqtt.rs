//! The MQTT bridge (R-5.3.2.1): with `--mqtt-url`, `suyuan serve`
//! subscribes to `suyuan/devices/+/readings` on the broker (Mosquitto,
//! EMQX or any MQTT 3.1.1/5 broker), as `$share/suyuan/suyuan/devices/+/readings`
//! with `--mqtt-shared`, so that several servers share the load.
//!
//! A broker may be shared and let anyone publish, so every message is
//! authenticated per device. The message on `suyuan/devices/{id}/readings`
//! is the envelope
//!
//! ```json
//! {"device": "<id>", "payload": "<the body, as a string>", "hmac": "<hex>"}
//! ```
//!
//! where `payload` is the same body the HTTP endpoint takes (the plain
//! JSON form, or a SenML pack when it is a JSON array), and `hmac` is
//! HMAC-SHA256 over the UTF-8 bytes of `payload` with the device's key
//! K = SHA-256("suyuan-device-hmac/v1" || token): the device derives K
//! from its token; the server keeps K sealed with the platform secret and
//! never the token. A forged message (bad HMAC), an unknown or disabled
//! device, a topic naming another device than the envelope, or a message
//! that is no envelope is refused, recorded (`device_refusals`, channel
//! `mqtt`) and dropped; an invalid batch is dropped with a warning. An
//! accepted batch is stored and logged exactly as over HTTP (duplicates
//! dropped, so a QoS 1 redelivery is harmless).

use std::time::Duration;

use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde::Deserialize;
use suyuan_store::devices::readings::Ingested;
use suyuan_store::devices::{Channel, Proof, Refusal};
use suyuan_store::{now_ms, Store};

/// The topic filter of readings.
pub const TOPIC: &str = "suyuan/devices/+/readings";
/// Messages stored at once.
const PARALLEL: usize = 8;
/// The shared-subscription group.
pub const SHARE_GROUP: &str = "suyuan";

/// Where and how to subscribe.
#[derive(Debug, Clone)]
pub struct MqttConfig {
    pub host: String,
    pub port: u16,
    /// Subscribe as a member of the shared group `$share/suyuan/…`.
    pub shared: bool,
    /// The client id (unique per server).
    pub client_id: String,
}

impl MqttConfig {
    /// Parses `mqtt://host:port` (port 1883 when left out).
    pub fn parse(url: &str, shared: bool) -> Result<Self, String> {
        let rest = url
            .strip_prefix("mqtt://")
            .ok_or_else(|| format!("'{url}' is not an mqtt://host:port URL"))?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("'{p}' is not a port"))?),
            None => (rest, 1883),
        };
        if host.is_empty() {
            return Err(format!("'{url}' names no host"));
        }
        Ok(MqttConfig {
            host: host.to_owned(),
            port,
            shared,
            client_id: format!("suyuan-{}", uuid::Uuid::now_v7().simple()),
        })
    }

    /// The filter to subscribe to.
    pub fn filter(&self) -> String {
        if self.shared {
            format!("$share/{SHARE_GROUP}/{TOPIC}")
        } else {
            TOPIC.to_owned()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    device: String,
    payload: String,
    hmac: String,
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Stored(Ingested),
    Refused(Refusal),
    /// Authenticated, but not a valid batch: the field and rule.
    Invalid(String),
}

/// The device id a topic names, if it is a readings topic.
fn topic_device(topic: &str) -> Option<&str> {
    topic.strip_prefix("suyuan/devices/")?.strip_suffix("/readings")
}

/// Handles one message: authenticates, checks and stores it.
pub async fn handle(store: &Store, topic: &str, message: &[u8]) -> suyuan_store::Result<Outcome> {
    let claimed = topic_device(topic).unwrap_or("");
    let envelope: Option<Envelope> = serde_json::from_slice(message).ok();
    let Some(env) = envelope.filter(|e| e.device == claimed) else {
        store
            .record_refusal(claimed, None, Channel::Mqtt, Refusal::Malformed)
            .await?;
        return Ok(Outcome::Refused(Refusal::Malformed));
    };
    let proof = Proof::Hmac {
        payload: env.payload.as_bytes(),
        mac_hex: env.hmac.trim(),
    };
    let device = match store
        .authenticate_device(&env.device, proof, Channel::Mqtt)
        .await?
    {
        Ok(d) => d,
        Err(r) => return Ok(Outcome::Refused(r)),
    };
    let senml = env.payload.trim_start().starts_with('[');
    match crate::api::devices::parse_batch(senml, env.payload.as_bytes(), now_ms()) {
        Ok(readings) => Ok(Outcome::Stored(store.ingest_readings(&device, readings).await?)),
        Err(e) => Ok(Outcome::Invalid(format!(
            "{}: {}",
            e.field.unwrap_or_default(),
            e.en
        ))),
    }
}

/// Subscribes and handles messages until the task is aborted; reconnects
/// (and subscribes again) after a lost connection.
pub async fn run(store: Store, config: MqttConfig) {
    let mut opts = MqttOptions::new(config.client_id.clone(), config.host.clone(), config.port);
    opts.set_keep_alive(Duration::from_secs(30));
    opts.set_max_packet_size(2 * 1024 * 1024, 2 * 1024 * 1024);
    let (client, mut events) = AsyncClient::new(opts, 64);
    let filter = config.filter();
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(PARALLEL));
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                tracing::info!(host = %config.host, port = config.port, %filter, "MQTT connected");
                if let Err(e) = client.try_subscribe(filter.clone(), QoS::AtLeastOnce) {
                    tracing::error!(error = %e, "MQTT subscribe failed");
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                // Several messages are stored at once (order does not
                // matter: late readings are accepted, repeats dropped); the
                // loop waits for a free slot, so the broker is read no
                // faster than messages are stored.
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let store = store.clone();
                tokio::spawn(async move {
                    log(&p.topic, handle(&store, &p.topic, &p.payload).await);
                    drop(slot);
                });
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "MQTT connection lost; retrying in 2 s");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        }
    }
}

/// Logs what became of a message.
fn log(topic: &str, outcome: suyuan_store::Result<Outcome>) {
    match outcome {
        Ok(Outcome::Stored(done)) => {
            tracing::debug!(%topic, accepted = done.accepted, duplicates = done.duplicates, "MQTT readings")
        }
        Ok(Outcome::Refused(r)) => tracing::warn!(%topic, reason = r.as_str(), "MQTT message refused"),
        Ok(Outcome::Invalid(why)) => tracing::warn!(%topic, %why, "MQTT readings invalid"),
        Err(e) => tracing::error!(%topic, error = %e, "MQTT readings not stored"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_filters() {
        let c = MqttConfig::parse("mqtt://127.0.0.1:1883", false).unwrap();
        assert_eq!((c.host.as_str(), c.port), ("127.0.0.1", 1883));
        assert_eq!(c.filter(), "suyuan/devices/+/readings");
        let c = MqttConfig::parse("mqtt://broker", true).unwrap();
        assert_eq!(c.port, 1883);
        assert_eq!(c.filter(), "$share/suyuan/suyuan/devices/+/readings");
        assert!(MqttConfig::parse("http://x:1", false).is_err());
        assert!(MqttConfig::parse("mqtt://x:port", false).is_err());
        assert_eq!(topic_device("suyuan/devices/abc/readings"), Some("abc"));
        assert_eq!(topic_device("other/abc"), None);
    }
}
