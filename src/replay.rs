//! The replay cache of RFC 3830 §5.4: remembers every authenticated message whose timestamp is
//! still inside the accepted window, so a copy of it is rejected.
//!
//! Memory is bounded. When the cache is full, the entry with the smallest timestamp is evicted
//! and its timestamp becomes a floor: from then on, messages with a timestamp at or below the
//! floor are refused as out of window, because the cache can no longer prove they are not
//! replays. This is the "decrease the looseness" strategy of §5.4 and keeps the guarantee under
//! load. Timestamps ahead of the clock are accepted only by a few seconds (`future_secs`), so a
//! flood of future-dated messages lifts the floor at most that far past "now".
//!
//! The cache remembers the latest "now" it was given: after the clock steps back, the window
//! still ends where it did, so messages pruned as too old do not become acceptable again.
//!
//! Replayed and out-of-window messages are discarded without an error message (§5.3).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Mutex;

use crate::clock::{ntp_diff, ntp_from_seconds};
use crate::crypto::{SipHashKey, SystemRandomSource};
use crate::error::{Error, ErrorKind, MikeyErrorCode, Result};
use crate::wire::{Message, Payload, Timestamp, TimestampType};

/// The identity of a message in the cache: a keyed hash of its data type, CSB ID and timestamp
/// and the first 19 bytes of what authenticates it.
///
/// §5.4 caches successfully authenticated messages, and such a message is named by its
/// authenticator: the signature, else the KEMAC or V MAC, computed over everything before it. Nobody
/// without the key can make another accepted message with the same one, and a copy with other
/// unauthenticated bytes (a trailing padding byte) is still recognised. NULL messages have no
/// authenticator, so their RAND stands in (which is no weaker: anyone may forge them anyway).
///
/// The identity is the SipHash-2-4 of those bytes under the cache's key, drawn from aws-lc's
/// generator when the cache is made: 64 bits, 16 bytes
/// of cache per message with its timestamp, so a full cache stays in the CPU's caches. Two
/// distinct messages share an identity with probability 2^-64 per pair, and the later one would
/// be refused as a replay; without the key nobody can aim for that, and only authenticated
/// messages are recorded (NULL messages are anyone's anyway). The key also keeps the hash set
/// closed to flooding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MessageId(u64);

impl Hash for MessageId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.0);
    }
}

/// The hasher of the cache's set: it takes the identity, already a keyed hash, as it is.
#[derive(Default)]
struct PrecomputedHash(u64);

impl Hasher for PrecomputedHash {
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (by `MessageId::hash`); fold anything else in anyway.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type IdSet = HashSet<MessageId, BuildHasherDefault<PrecomputedHash>>;

impl MessageId {
    /// Bytes of the authenticator kept: the rest of the 32.
    const AUTHENTICATOR_LEN: usize = 19;

    /// The identity, under `key`, of a decoded message whose 64-bit NTP timestamp is
    /// `timestamp`.
    fn of(message: &Message, timestamp: u64, key: &SipHashKey) -> Self {
        let authenticator = message
            .payloads
            .iter()
            .rev()
            .find_map(|payload| match payload {
                Payload::Sign(signature) => Some(&*signature.data),
                Payload::Kemac(kemac) if !kemac.mac.is_empty() => Some(&*kemac.mac),
                // MIKEY-TICKET's messages end with V (RFC 6043 §4.2).
                Payload::Verification(verification) if !verification.mac.is_empty() => Some(&*verification.mac),
                _ => None,
            })
            .or_else(|| message.find(Payload::as_rand).map(|rand| &**rand))
            .unwrap_or_default();
        let kept = &authenticator[..authenticator.len().min(Self::AUTHENTICATOR_LEN)];
        let mut id = [0u8; 32];
        id[0] = message.header.data_type.code();
        id[1..5].copy_from_slice(&message.header.csb_id.to_be_bytes());
        id[5..13].copy_from_slice(&timestamp.to_be_bytes());
        id[13..13 + kept.len()].copy_from_slice(kept);
        MessageId(key.hash(&id))
    }
}

/// A thread-safe, bounded replay cache shared by every session of one config.
#[derive(Debug)]
pub struct ReplayCache {
    /// Keys the message identities: nobody without it can aim two messages at one identity.
    key: SipHashKey,
    state: Mutex<CacheState>,
}

#[derive(Debug)]
struct CacheState {
    capacity: usize,
    ids: IdSet,
    /// (NTP timestamp, identity), smallest timestamp first.
    order: BinaryHeap<Reverse<(u64, MessageId)>>,
    /// Timestamps at or below this were evicted and can no longer be checked.
    floor: Option<u64>,
    /// The latest "now" recorded: the window's end, whatever the clock says later.
    high_water: u64,
}

/// Where a message stands against the window and the cache.
#[derive(Clone, Copy, Debug)]
pub struct ReplayCheck {
    /// The message's identity.
    pub id: MessageId,
    /// The message's 64-bit NTP timestamp.
    pub timestamp: u64,
    /// The current time, 64-bit NTP.
    pub now: u64,
    /// How old a timestamp may be, in seconds.
    pub window_secs: u32,
    /// How far ahead of the clock a timestamp may be, in seconds (at most `window_secs`).
    pub future_secs: u32,
}

impl ReplayCache {
    /// A cache holding at most `capacity` messages (at least 1), its identity key drawn from
    /// aws-lc's generator. That is the generator's first use in many processes, which seeds it
    /// then (about 60 ms, once), so the cost falls here, at set-up, not on the first message.
    /// The key is not the config's randomness source: it decides nothing a peer or a test sees.
    pub fn new(capacity: usize) -> Result<Self> {
        Ok(ReplayCache {
            key: SipHashKey::random(&SystemRandomSource)?,
            state: Mutex::new(CacheState {
                capacity: capacity.max(1),
                ids: IdSet::default(),
                order: BinaryHeap::new(),
                floor: None,
                high_water: 0,
            }),
        })
    }

    /// The identity in this cache of a decoded message whose 64-bit NTP timestamp is
    /// `timestamp` (see [`MessageId`]).
    pub fn message_id(&self, message: &Message, timestamp: u64) -> MessageId {
        MessageId::of(message, timestamp, &self.key)
    }

    /// The capacity sized for a window: 100 messages per second of skew, within 1 Ki..1 Mi.
    pub fn capacity_for_window(window_secs: u32) -> usize {
        (window_secs as usize).saturating_mul(100).clamp(1 << 10, 1 << 20)
    }

    /// Checks the timestamp window and the cache without recording anything (cheap pre-check
    /// before the MAC is verified).
    pub fn check(&self, check: &ReplayCheck) -> Result<()> {
        check.check_window()?;
        let state = self.lock();
        state.check(check)
    }

    /// Records an authenticated message; fails if it was seen before or is out of window.
    /// Atomic: of two threads recording the same message, exactly one succeeds.
    pub fn record(&self, check: &ReplayCheck) -> Result<()> {
        check.check_window()?;
        let mut state = self.lock();
        state.high_water = state.high_water.max(check.now);
        state.prune(check);
        state.check(check)?;
        if state.order.len() >= state.capacity {
            if let Some(Reverse((evicted_timestamp, evicted))) = state.order.pop() {
                state.ids.remove(&evicted);
                if state.floor.is_none_or(|floor| ntp_diff(evicted_timestamp, floor) > 0) {
                    state.floor = Some(evicted_timestamp);
                }
            }
        }
        state.ids.insert(check.id);
        state.order.push(Reverse((check.timestamp, check.id)));
        Ok(())
    }

    /// Number of messages held.
    pub fn len(&self) -> usize {
        self.lock().order.len()
    }

    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // A panic while holding the lock cannot leave the sets inconsistent in a way that
        // weakens the check (an entry is only ever added to both or removed from both).
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl ReplayCheck {
    /// Checks the timestamp against the window alone (no lock, no cache).
    pub fn check_window(&self) -> Result<()> {
        let ahead = ntp_diff(self.timestamp, self.now);
        if ahead > ntp_from_seconds(self.future_secs) {
            return Err(Error::new(
                ErrorKind::Timestamp,
                format!(
                    "timestamp is {} s ahead of the local clock, at most {} s are accepted",
                    ahead >> 32,
                    self.future_secs
                ),
            ));
        }
        if -ahead > ntp_from_seconds(self.window_secs) {
            return Err(Error::new(
                ErrorKind::Timestamp,
                format!("timestamp is {} s behind the local clock, the window is {} s", -ahead >> 32, self.window_secs),
            ));
        }
        Ok(())
    }
}

impl CacheState {
    fn check(&self, check: &ReplayCheck) -> Result<()> {
        if self.ids.contains(&check.id) {
            return Err(Error::new(ErrorKind::Replay, "message was already accepted (replay)"));
        }
        if self.expired(check, check.timestamp) {
            return Err(Error::new(ErrorKind::Timestamp, "timestamp is behind the latest clock reading's window"));
        }
        if let Some(floor) = self.floor {
            if ntp_diff(check.timestamp, floor) <= 0 {
                return Err(Error::new(ErrorKind::Timestamp, "timestamp is older than the replay cache can vouch for"));
            }
        }
        Ok(())
    }

    /// True when `timestamp` is behind the window that ends at the latest "now" seen.
    fn expired(&self, check: &ReplayCheck, timestamp: u64) -> bool {
        ntp_diff(self.high_water.max(check.now), timestamp) > ntp_from_seconds(check.window_secs)
    }

    /// Drops entries whose timestamps have left the window: the window check rejects them.
    fn prune(&mut self, check: &ReplayCheck) {
        while let Some(&Reverse((timestamp, id))) = self.order.peek() {
            if !self.expired(check, timestamp) {
                break;
            }
            self.order.pop();
            self.ids.remove(&id);
        }
        if self.floor.is_some_and(|floor| self.expired(check, floor)) {
            self.floor = None;
        }
    }
}

/// The one T payload of a message; COUNTER timestamps cannot be checked against a clock, so
/// they are refused (§5.4 relies on loosely synchronised clocks).
pub(crate) fn single_timestamp(message: &Message<'_>) -> Result<Timestamp> {
    if message.count(Payload::as_timestamp) != 1 {
        return Err(Error::malformed("a message must carry exactly one T payload"));
    }
    let timestamp = *message.find(Payload::as_timestamp).ok_or_else(|| Error::malformed("no T payload"))?;
    if timestamp.ts_type == TimestampType::Counter {
        return Err(Error::new(ErrorKind::Timestamp, "COUNTER timestamps cannot be checked against the clock")
            .with_peer_code(MikeyErrorCode::InvalidTimestamp));
    }
    Ok(timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::registry::{DataType, MacAlgorithmCode};
    use crate::wire::{CommonHeader, CsIdMap, Kemac, Signature};

    fn message(data_type: DataType, payloads: Vec<Payload<'_>>) -> Message<'_> {
        let cs_id_map = CsIdMap::Empty { cs_count: 1 };
        let header = CommonHeader { data_type, verification_requested: false, prf_function: 0, csb_id: 7, cs_id_map };
        Message { header, payloads }
    }

    fn kemac<'a>(mac: &'a [u8], encrypted: &'a [u8]) -> Payload<'a> {
        let mac_algorithm = if mac.is_empty() { MacAlgorithmCode::Null } else { MacAlgorithmCode::HmacSha1_160 };
        Payload::Kemac(Kemac {
            encryption_algorithm: 1,
            encrypted_data: encrypted.to_vec().into(),
            mac_algorithm,
            mac: mac.to_vec().into(),
        })
    }

    #[test]
    fn a_message_is_named_by_its_authenticator_and_header_fields() {
        let key = SipHashKey::from_bytes(&[7; 16]);
        let rand = || Payload::Rand(vec![0x55; 16].into());
        let psk = message(DataType::PskInit, vec![rand(), kemac(&[1; 20], b"keys")]);
        let other_ciphertext = message(DataType::PskInit, vec![rand(), kemac(&[1; 20], b"other")]);
        assert_eq!(MessageId::of(&psk, 9, &key), MessageId::of(&other_ciphertext, 9, &key), "the MAC names it");
        let other_mac = message(DataType::PskInit, vec![rand(), kemac(&[2; 20], b"keys")]);
        assert_ne!(MessageId::of(&psk, 9, &key), MessageId::of(&other_mac, 9, &key));
        assert_ne!(MessageId::of(&psk, 9, &key), MessageId::of(&psk, 10, &key), "the timestamp counts");
        let other_type = message(DataType::PkInit, vec![rand(), kemac(&[1; 20], b"keys")]);
        assert_ne!(MessageId::of(&psk, 9, &key), MessageId::of(&other_type, 9, &key), "the data type counts");

        let signed = |signature: u8| {
            let sign = Payload::Sign(Signature { sig_type: 0, data: vec![signature; 256].into() });
            message(DataType::PkInit, vec![rand(), kemac(&[1; 20], b"keys"), sign])
        };
        assert_ne!(MessageId::of(&signed(3), 9, &key), MessageId::of(&signed(4), 9, &key), "the signature names it");

        let null = |rand_byte: u8| {
            message(DataType::PskInit, vec![Payload::Rand(vec![rand_byte; 16].into()), kemac(&[], b"k")])
        };
        assert_ne!(MessageId::of(&null(1), 9, &key), MessageId::of(&null(2), 9, &key), "without a MAC, RAND names it");
    }

    fn at(id_byte: u8, timestamp_secs: u64, now_secs: u64) -> ReplayCheck {
        ReplayCheck {
            id: MessageId(u64::from(id_byte)),
            timestamp: timestamp_secs << 32,
            now: now_secs << 32,
            window_secs: 30,
            future_secs: 30,
        }
    }

    #[test]
    fn a_recorded_message_is_a_replay() {
        let cache = ReplayCache::new(16).unwrap();
        cache.check(&at(1, 1000, 1000)).unwrap();
        cache.record(&at(1, 1000, 1000)).unwrap();
        assert_eq!(cache.check(&at(1, 1000, 1005)).unwrap_err().kind(), ErrorKind::Replay);
        assert_eq!(cache.record(&at(1, 1000, 1005)).unwrap_err().kind(), ErrorKind::Replay);
        cache.record(&at(2, 1000, 1005)).unwrap();
    }

    #[test]
    fn timestamps_outside_the_window_are_rejected_both_ways() {
        let cache = ReplayCache::new(16).unwrap();
        assert_eq!(cache.record(&at(1, 969, 1000)).unwrap_err().kind(), ErrorKind::Timestamp);
        assert_eq!(cache.record(&at(1, 1031, 1000)).unwrap_err().kind(), ErrorKind::Timestamp);
        cache.record(&at(1, 970, 1000)).unwrap();
        cache.record(&at(2, 1030, 1000)).unwrap();
    }

    #[test]
    fn expired_entries_are_pruned() {
        let cache = ReplayCache::new(16).unwrap();
        cache.record(&at(1, 1000, 1000)).unwrap();
        cache.record(&at(2, 1100, 1100)).unwrap();
        assert_eq!(cache.len(), 1, "the first entry left the window");
    }

    #[test]
    fn a_full_cache_evicts_and_refuses_what_it_can_no_longer_vouch_for() {
        let cache = ReplayCache::new(2).unwrap();
        cache.record(&at(1, 1000, 1000)).unwrap();
        cache.record(&at(2, 1001, 1001)).unwrap();
        cache.record(&at(3, 1002, 1002)).unwrap(); // evicts 1, floor = 1000
        assert_eq!(cache.len(), 2);
        // Message 1 replayed: no longer in the cache, but below the floor.
        assert_eq!(cache.record(&at(1, 1000, 1003)).unwrap_err().kind(), ErrorKind::Timestamp);
        cache.record(&at(4, 1003, 1003)).unwrap();
    }

    #[test]
    fn the_floor_has_sub_second_resolution() {
        // Under load many messages share one second; evicting one must not block the others.
        let cache = ReplayCache::new(2).unwrap();
        let check = |id_byte: u8, fraction: u64| ReplayCheck {
            id: MessageId(u64::from(id_byte)),
            timestamp: (1000 << 32) + fraction,
            now: 1000 << 32,
            window_secs: 30,
            future_secs: 30,
        };
        for n in 1..=10u8 {
            cache.record(&check(n, u64::from(n))).unwrap();
        }
        assert_eq!(cache.record(&check(3, 3)).unwrap_err().kind(), ErrorKind::Timestamp);
    }

    #[test]
    fn a_full_cache_evicts_the_smallest_timestamp_whatever_the_arrival_order() {
        let cache = ReplayCache::new(4).unwrap();
        for (id, timestamp) in [(1, 1010), (2, 1009), (3, 1008), (4, 1007)] {
            cache.record(&at(id, timestamp, 1010)).unwrap();
        }
        cache.record(&at(5, 1011, 1011)).unwrap(); // evicts 1007: the floor is 1007, not 1010
        assert_eq!(cache.record(&at(4, 1007, 1011)).unwrap_err().kind(), ErrorKind::Timestamp);
        cache.record(&at(6, 1008, 1011)).unwrap();
    }

    #[test]
    fn timestamps_ahead_of_the_clock_are_capped_separately() {
        let cache = ReplayCache::new(16).unwrap();
        let ahead = |seconds: u64| ReplayCheck { future_secs: 5, ..at(1, 1000 + seconds, 1000) };
        assert_eq!(cache.record(&ahead(6)).unwrap_err().kind(), ErrorKind::Timestamp);
        assert_eq!(cache.check(&ahead(6)).unwrap_err().kind(), ErrorKind::Timestamp);
        cache.record(&ahead(5)).unwrap();
    }

    #[test]
    fn a_clock_stepping_back_does_not_reopen_the_window() {
        let cache = ReplayCache::new(16).unwrap();
        cache.record(&at(1, 1000, 1000)).unwrap();
        cache.record(&at(2, 1100, 1100)).unwrap(); // prunes message 1
        assert_eq!(cache.len(), 1);
        // The clock steps back to 1000: message 1, replayed, is still out of the window.
        assert_eq!(cache.record(&at(1, 1000, 1000)).unwrap_err().kind(), ErrorKind::Timestamp);
        assert_eq!(cache.check(&at(1, 1000, 1000)).unwrap_err().kind(), ErrorKind::Timestamp);
    }

    #[test]
    fn concurrent_records_of_one_message_succeed_once() {
        let cache = std::sync::Arc::new(ReplayCache::new(1024).unwrap());
        let successes: usize = (0..8)
            .map(|_| {
                let cache = cache.clone();
                std::thread::spawn(move || usize::from(cache.record(&at(9, 1000, 1000)).is_ok()))
            })
            .map(|handle| handle.join().unwrap())
            .sum();
        assert_eq!(successes, 1);
    }
}
