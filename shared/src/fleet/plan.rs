//! The fleet's plan: every database's own request, checked, named and placed in its wave,
//! queue and batch, before anything starts.
//!
//! Concurrency is shaped here rather than by a scheduler: each wave's databases are dealt, per
//! account and Region, into at most `perAccountRegion` queues that run one database after
//! another; the Distributed Map runs at most `maxConcurrency` queues at once. So neither limit
//! can be exceeded, whatever order the queues start in. A queue holds at most
//! [`QUEUE_CHUNK`] databases per batch (one child workflow of the Map stays far inside its
//! history and output limits); a wave's batches run one after another, batch `b` holding the
//! `b`-th chunk of every queue, so a lane never has more than `perAccountRegion` queues at once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::lifecycle::SupportFacts;
use super::request::{FleetRequest, FleetTarget, Tolerance, WaveSource};
use super::store;
use crate::error::Error;
use crate::input::Request;

/// The plan: what the state carries (`summary`), what S3 holds (`batches`, `roster`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub summary: Summary,
    pub batches: Vec<Batch>,
    /// Every database with its wave, child name and facts, so the end can tell what never
    /// started and the dry run can show support dates.
    pub roster: Roster,
}

/// The roster file (`roster.json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Roster {
    pub databases: Vec<Entry>,
    pub passed_over: Vec<Skipped>,
}

/// The fleet in figures: all the state machine carries, whatever the fleet's size (a few
/// dozen bytes per batch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub fleet: String,
    pub action: String,
    pub max_concurrency: u32,
    pub per_account_region: u32,
    pub tolerated_failures: Tolerance,
    pub soak_seconds: u32,
    #[serde(default)]
    pub pause_after_wave: bool,
    /// `waves.approveBetweenWaves` and how long each approval waits (the state machine's
    /// TimeoutSecondsPath).
    #[serde(default)]
    pub approve_between_waves: bool,
    #[serde(default = "default_approval_timeout")]
    pub approval_timeout_seconds: u32,
    pub database_count: usize,
    pub wave_count: usize,
    /// Each wave's number and size (a percentage tolerance counts against it).
    pub waves: Vec<WaveSize>,
    /// Every batch in the order they run.
    pub batches: Vec<BatchRef>,
    pub batch_count: usize,
    /// How many databases a selection passed over; the first few, with the reason.
    pub skipped_count: usize,
    pub skipped: Vec<Skipped>,
    /// The report bucket and this execution's folder in it.
    pub bucket: String,
    pub prefix: String,
    /// The manifest as read (its version), when the fleet has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<ManifestRead>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
}

fn default_approval_timeout() -> u32 {
    crate::input::DEFAULT_APPROVAL_TIMEOUT_SECONDS
}

/// A wave's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaveSize {
    pub wave: u32,
    pub databases: usize,
}

/// The manifest this fleet read: the version S3 served (recorded in the report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestRead {
    pub bucket: String,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// One batch as the state machine sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchRef {
    pub wave: u32,
    /// Its place in its wave, from 0.
    pub batch: usize,
    /// The queues' file (the Map's `ItemReader`).
    pub key: String,
    pub databases: usize,
    /// The first batch of a wave after the first: the soak comes before it.
    pub soak_before: bool,
    pub last_of_wave: bool,
}

/// One batch: its reference and its queues (written to `key`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    pub reference: BatchRef,
    pub queues: Vec<Queue>,
}

/// A database of the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub database: String,
    pub wave: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    #[serde(flatten)]
    pub support: SupportFacts,
}

/// Databases of one account and Region that run one after another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Queue {
    /// `account/Region`.
    pub lane: String,
    pub items: Vec<Item>,
}

/// One database: the child execution's name and input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub name: String,
    /// `account/Region/identifier`.
    pub database: String,
    pub wave: u32,
    pub input: Value,
}

/// A database passed over, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    pub database: String,
    pub reason: String,
}

/// What RDS says of a database, when the plan read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub engine_version: Option<String>,
    /// `first`, `second` or `last` (`UpgradeRolloutOrder`).
    pub rollout_order: Option<String>,
}

/// A target and where it came from (`targets[2]`, `manifest row 5`, `selection[0]`), for errors.
#[derive(Debug, Clone)]
pub struct Sourced {
    pub target: FleetTarget,
    pub origin: String,
    /// The wave when neither the database nor RDS's order names one (a selection's `wave`).
    pub default_wave: Option<u32>,
    pub facts: Facts,
    pub support: SupportFacts,
}

impl Sourced {
    pub fn new(target: FleetTarget, origin: String) -> Self {
        Sourced {
            target,
            origin,
            default_wave: None,
            facts: Facts::default(),
            support: SupportFacts::default(),
        }
    }
}

/// Databases of one queue in one batch: a Map child workflow runs about a dozen history
/// events per database (25,000 allowed) and returns about 1-4 KB each (256 KB allowed).
pub const QUEUE_CHUNK: usize = 20;
/// Passed-over databases the state and the messages carry (the roster file has them all).
const SKIPPED_IN_SUMMARY: usize = 20;
/// Child names stay within 47 characters, so `bluegreen-<kind>-<name>` is a whole CloudTrail
/// session name (64).
pub const MAX_CHILD_NAME: usize = 47;

/// RDS's rollout order as a wave: first 1, second 2, last 3
/// (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/RDS.Maintenance.AMVU.UpgradeRolloutOrder.html).
pub fn rollout_wave(order: &str) -> Option<u32> {
    match order {
        "first" => Some(1),
        "second" => Some(2),
        "last" => Some(3),
        _ => None,
    }
}

/// The database's wave: its own (listed, or its `rds-bluegreen:wave` tag), else RDS's rollout
/// order when the fleet asks for it, else the selection's, else 1.
fn wave_of(request: &FleetRequest, s: &Sourced) -> u32 {
    s.target
        .wave
        .or_else(|| match request.waves.from {
            WaveSource::UpgradeRolloutOrder => {
                s.facts.rollout_order.as_deref().and_then(rollout_wave)
            }
            WaveSource::Tag => None,
        })
        .or(s.default_wave)
        .unwrap_or(1)
}

/// Builds the plan; every database's request is validated as a single execution would be.
/// `prefix` is the execution's folder in `bucket`.
pub fn build(
    request: &FleetRequest,
    targets: Vec<Sourced>,
    skipped: Vec<Skipped>,
    bucket: &str,
    prefix: &str,
) -> Result<Plan, Error> {
    if targets.is_empty() {
        return Err(Error::invalid(
            "selection",
            format!(
                "found no database to act on{}",
                if skipped.is_empty() { String::new() } else { format!(" ({} passed over: {})", skipped.len(), skipped.iter().take(SKIPPED_IN_SUMMARY).map(|s| format!("{} {}", s.database, s.reason)).collect::<Vec<_>>().join("; ")) }
            ),
            "enrol the databases (tag rds-bluegreen:enrolled = true) or check the accounts and Regions",
        ));
    }
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut by_wave: BTreeMap<u32, BTreeMap<String, Vec<(Item, Entry)>>> = BTreeMap::new();
    for sourced in targets {
        let (target, origin) = (&sourced.target, &sourced.origin);
        let database = database_label(target);
        if let Some(first) = seen.insert(identity_of(target), origin.clone()) {
            return Err(Error::invalid(
                origin.clone(),
                format!("names {database} again (first at {first})"),
                "list each database once",
            ));
        }
        if target.wave == Some(0) {
            return Err(Error::invalid(
                format!("{origin} wave"),
                "is 0",
                "number waves from 1",
            ));
        }
        let wave = wave_of(request, &sourced);
        let input = child_request(request, target, origin)?;
        let name = child_name(request, target);
        let entry = Entry {
            database: database.clone(),
            wave,
            name: name.clone(),
            engine_version: sourced.facts.engine_version.clone(),
            support: sourced.support.clone(),
        };
        by_wave
            .entry(wave)
            .or_default()
            .entry(lane(target))
            .or_default()
            .push((
                Item {
                    name,
                    database,
                    wave,
                    input,
                },
                entry,
            ));
    }
    let per_lane = request.waves.per_account_region as usize;
    let by_deadline = request.deadline.is_some();
    let mut batches = Vec::new();
    let mut waves = Vec::new();
    let mut roster = Vec::new();
    for (wave, lanes) in by_wave {
        let databases: usize = lanes.values().map(Vec::len).sum();
        waves.push(WaveSize { wave, databases });
        let mut queues: Vec<Queue> = Vec::new();
        for (lane, mut items) in lanes {
            // With a deadline, the databases whose standard support ends first go first.
            items.sort_by(|(a, ea), (b, eb)| {
                let end = |e: &Entry| {
                    (by_deadline)
                        .then(|| e.support.standard_support_end.clone())
                        .flatten()
                        .unwrap_or_else(|| "9999".into())
                };
                end(ea).cmp(&end(eb)).then(a.database.cmp(&b.database))
            });
            roster.extend(items.iter().map(|(_, e)| e.clone()));
            queues.extend(deal(
                &lane,
                items.into_iter().map(|(i, _)| i).collect(),
                per_lane,
            ));
        }
        // Longest queues first: the wave ends soonest when they start first.
        queues.sort_by(|a, b| b.items.len().cmp(&a.items.len()).then(a.lane.cmp(&b.lane)));
        let first_wave = waves.len() == 1;
        let count = queues
            .iter()
            .map(|q| q.items.len().div_ceil(QUEUE_CHUNK))
            .max()
            .unwrap_or(1);
        for b in 0..count {
            let chunk: Vec<Queue> = queues
                .iter()
                .filter_map(|q| {
                    let items: Vec<Item> = q
                        .items
                        .iter()
                        .skip(b * QUEUE_CHUNK)
                        .take(QUEUE_CHUNK)
                        .cloned()
                        .collect();
                    (!items.is_empty()).then(|| Queue {
                        lane: q.lane.clone(),
                        items,
                    })
                })
                .collect();
            batches.push(Batch {
                reference: BatchRef {
                    wave,
                    batch: b,
                    key: store::batch_key(prefix, wave, b),
                    databases: chunk.iter().map(|q| q.items.len()).sum(),
                    soak_before: b == 0 && !first_wave,
                    last_of_wave: b + 1 == count,
                },
                queues: chunk,
            });
        }
    }
    let summary = Summary {
        fleet: request.fleet.clone(),
        action: request.action.name().to_owned(),
        max_concurrency: request.waves.max_concurrency,
        per_account_region: request.waves.per_account_region,
        tolerated_failures: request.waves.tolerated_failures,
        soak_seconds: request.waves.soak_seconds,
        pause_after_wave: request.waves.pause_after_wave,
        approve_between_waves: request.waves.approve_between_waves,
        approval_timeout_seconds: request.waves.approval_timeout_seconds,
        database_count: seen.len(),
        wave_count: waves.len(),
        waves,
        batch_count: batches.len(),
        batches: batches.iter().map(|b| b.reference.clone()).collect(),
        skipped_count: skipped.len(),
        skipped: skipped.iter().take(SKIPPED_IN_SUMMARY).cloned().collect(),
        bucket: bucket.to_owned(),
        prefix: prefix.to_owned(),
        manifest: None,
        deadline: request.deadline.clone(),
    };
    Ok(Plan {
        summary,
        batches,
        roster: Roster {
            databases: roster,
            passed_over: skipped,
        },
    })
}

/// Deals a lane's items into at most `queues` queues, round robin.
fn deal(lane: &str, items: Vec<Item>, queues: usize) -> Vec<Queue> {
    let count = queues.min(items.len()).max(1);
    let mut out: Vec<Queue> = (0..count)
        .map(|_| Queue {
            lane: lane.to_owned(),
            items: Vec::new(),
        })
        .collect();
    for (i, item) in items.into_iter().enumerate() {
        out[i % count].items.push(item);
    }
    out
}

/// The child's request: options from the fleet, then the engine's, then the database's own;
/// the role from `memberRoleName` when the database names none; validated as one execution's.
fn child_request(
    request: &FleetRequest,
    target: &FleetTarget,
    origin: &str,
) -> Result<Value, Error> {
    let mut options: Map<String, Value> = request.options.clone();
    if let Some(engine) = request.engine_options.get(&target.engine) {
        options.extend(engine.clone());
    }
    options.extend(target.options.clone());
    options.insert(
        "notifications".into(),
        json!(request.database_notifications),
    );
    let role_arn =
        target
            .role_arn
            .clone()
            .or_else(|| match (&request.member_role_name, &target.account_id) {
                (Some(role), Some(account)) => Some(format!("arn:aws:iam::{account}:role/{role}")),
                _ => None,
            });
    let mut t = Map::new();
    if let Some(a) = &target.account_id {
        t.insert("accountId".into(), json!(a));
    }
    t.insert("region".into(), json!(target.region));
    t.insert("identifier".into(), json!(target.identifier));
    t.insert("engine".into(), json!(target.engine));
    if let Some(r) = role_arn {
        t.insert("roleArn".into(), json!(r));
    }
    let value = json!({"action": request.action.name(), "target": t, "options": options});
    Request::from_value(value.clone()).map_err(|e| match e {
        Error::InvalidInput {
            field,
            problem,
            fix,
        } => Error::InvalidInput {
            field: format!("{origin} ({}): {field}", database_label(target)),
            problem,
            fix,
        },
        other => other,
    })?;
    Ok(value)
}

/// `account/Region/identifier`.
pub fn database_label(target: &FleetTarget) -> String {
    format!("{}/{}", lane(target), target.identifier)
}

/// The database as the lock knows it (docs/lock.md): the role's account when the target names
/// one, lowercase Region and identifier (RDS compares identifiers without case), so two
/// spellings of one database in one fleet are refused before anything starts. (A target
/// without account and one naming the hub's own account meet at the lock instead: the
/// plan does not ask STS who the hub is.)
fn identity_of(target: &FleetTarget) -> String {
    let account = target
        .role_arn
        .as_deref()
        .and_then(|r| r.split(':').nth(4))
        .or(target.account_id.as_deref())
        .unwrap_or("this-account");
    format!(
        "{account}/{}/{}",
        target.region.to_ascii_lowercase(),
        target.identifier.to_ascii_lowercase()
    )
}

/// `account/Region`: the unit of RDS API limits.
fn lane(target: &FleetTarget) -> String {
    format!(
        "{}/{}",
        target.account_id.as_deref().unwrap_or("this-account"),
        target.region
    )
}

/// The child execution's name: the fleet, the database and a hash of what makes it unique
/// (fleet, run key, action, account, Region, identifier). The same fleet started again gives the same
/// names, so Step Functions joins a running child or refuses a finished one instead of
/// starting a second.
pub fn child_name(request: &FleetRequest, target: &FleetTarget) -> String {
    let key = format!(
        "{}|{}|{}|{}|{}|{}",
        request.fleet,
        request.run_key.as_deref().unwrap_or(""),
        request.action.name(),
        target.account_id.as_deref().unwrap_or(""),
        target.region,
        target.identifier
    );
    let hash = fnv1a(key.as_bytes());
    let room = MAX_CHILD_NAME - request.fleet.len() - 10;
    let identifier: String = target.identifier.chars().take(room).collect();
    format!(
        "{}-{}-{hash:08x}",
        request.fleet,
        identifier.trim_end_matches('-')
    )
}

/// FNV-1a, 32 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Engine;

    fn request(extra: Value) -> FleetRequest {
        let mut v = json!({"fleet": "dec", "targets": [{"region": "us-east-1", "identifier": "x", "engine": "mysql"}], "options": {"targetEngineVersion": "8.4.3"}, "waves": {"maxConcurrency": 2, "perAccountRegion": 1}});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        FleetRequest::from_value(v).unwrap()
    }

    pub(crate) fn target(account: &str, region: &str, id: &str, wave: u32) -> Sourced {
        Sourced::new(
            FleetTarget {
                account_id: Some(account.into()),
                region: region.into(),
                identifier: id.into(),
                engine: Engine::Postgres,
                role_arn: None,
                wave: (wave > 0).then_some(wave),
                options: Map::new(),
            },
            format!("targets[{id}]"),
        )
    }

    fn plan(r: &FleetRequest, targets: Vec<Sourced>) -> Result<Plan, Error> {
        build(r, targets, vec![], "bucket", "fleet/dec/run1")
    }

    #[test]
    fn waves_are_ordered_and_lanes_capped() {
        let r = request(json!({"memberRoleName": "rds-bluegreen"}));
        let targets = vec![
            target("111111111111", "us-east-1", "b", 2),
            target("111111111111", "us-east-1", "a", 2),
            target("222222222222", "us-east-1", "c", 2),
            target("111111111111", "us-east-1", "z", 1),
        ];
        let plan = plan(&r, targets).unwrap();
        let waves: Vec<u32> = plan.summary.batches.iter().map(|b| b.wave).collect();
        assert_eq!(waves, vec![1, 2]);
        let wave2 = &plan.batches[1];
        assert_eq!(wave2.reference.databases, 3);
        assert!(wave2.reference.soak_before && wave2.reference.last_of_wave);
        assert_eq!(
            wave2.reference.key,
            "fleet/dec/run1/plan/wave-2-batch-0.json"
        );
        // perAccountRegion 1: one queue per lane, the longer first.
        assert_eq!(wave2.queues.len(), 2);
        assert_eq!(wave2.queues[0].lane, "111111111111/us-east-1");
        let names: Vec<&str> = wave2.queues[0]
            .items
            .iter()
            .map(|i| i.database.as_str())
            .collect();
        assert_eq!(
            names,
            vec!["111111111111/us-east-1/a", "111111111111/us-east-1/b"]
        );
        let input = &wave2.queues[0].items[0].input;
        assert_eq!(
            input["target"]["roleArn"],
            "arn:aws:iam::111111111111:role/rds-bluegreen"
        );
        assert_eq!(input["options"]["notifications"], "failures");
        assert_eq!(input["options"]["targetEngineVersion"], "8.4.3");
        assert_eq!(input["action"], "upgrade");
        assert_eq!(plan.roster.databases.len(), 4);
    }

    #[test]
    fn names_are_stable_unique_and_short() {
        let r = request(json!({}));
        let long = "a".repeat(63);
        let t = target("111111111111", "us-east-1", &long, 1).target;
        let name = child_name(&r, &t);
        assert!(name.len() <= MAX_CHILD_NAME, "{name}");
        assert_eq!(name, child_name(&r, &t));
        let mut other = t.clone();
        other.region = "eu-west-1".into();
        assert_ne!(name, child_name(&r, &other));
        assert!(name.starts_with("dec-aaaa"));
        let mut next_week = r.clone();
        next_week.run_key = Some("2026-12-12T02:00:00Z".into());
        assert_ne!(
            name,
            child_name(&next_week, &t),
            "another run of the fleet, other children"
        );
    }

    #[test]
    fn a_bad_database_or_a_duplicate_is_named_before_anything_starts() {
        let r = request(json!({}));
        let mut bad = target("111111111111", "us-east-1", "a", 1);
        bad.target
            .options
            .insert("targetIops".into(), json!("many"));
        match plan(&r, vec![bad]).unwrap_err() {
            Error::InvalidInput { field, .. } => assert!(
                field.starts_with("targets[a] (111111111111/us-east-1/a): options"),
                "{field}"
            ),
            e => panic!("{e}"),
        }
        let dup = vec![
            target("111111111111", "us-east-1", "a", 1),
            target("111111111111", "us-east-1", "a", 2),
        ];
        assert!(matches!(plan(&r, dup), Err(Error::InvalidInput { .. })));
        // Two spellings of one database (RDS compares identifiers without case).
        let spelled = vec![
            target("111111111111", "us-east-1", "a", 1),
            target("111111111111", "us-east-1", "A", 1),
        ];
        assert!(matches!(plan(&r, spelled), Err(Error::InvalidInput { .. })));
        assert!(matches!(plan(&r, vec![]), Err(Error::InvalidInput { .. })));
    }

    #[test]
    fn per_lane_queues_split_a_lane() {
        let r = request(json!({"waves": {"maxConcurrency": 4, "perAccountRegion": 2}}));
        let targets = (0..5)
            .map(|i| target("111111111111", "us-east-1", &format!("d{i}"), 1))
            .collect();
        let plan = plan(&r, targets).unwrap();
        let sizes: Vec<usize> = plan.batches[0]
            .queues
            .iter()
            .map(|q| q.items.len())
            .collect();
        assert_eq!(sizes, vec![3, 2]);
    }

    #[test]
    fn rds_rollout_order_places_waves_and_the_wave_tag_wins() {
        let r = request(json!({"waves": {"from": "upgradeRolloutOrder"}}));
        let with = |id: &str, wave: u32, order: Option<&str>, default: Option<u32>| {
            let mut t = target("111111111111", "us-east-1", id, wave);
            t.facts.rollout_order = order.map(str::to_owned);
            t.default_wave = default;
            t
        };
        let plan = plan(
            &r,
            vec![
                with("a-last", 0, Some("last"), None),
                with("b-first", 0, Some("first"), Some(5)),
                with("c-second", 0, Some("second"), None),
                with("d-tagged", 2, Some("first"), None),
                with("e-none", 0, None, Some(4)),
            ],
        )
        .unwrap();
        let wave_of = |id: &str| {
            plan.roster
                .databases
                .iter()
                .find(|e| e.database.ends_with(id))
                .unwrap()
                .wave
        };
        assert_eq!(
            [
                wave_of("a-last"),
                wave_of("b-first"),
                wave_of("c-second"),
                wave_of("d-tagged"),
                wave_of("e-none")
            ],
            [3, 1, 2, 2, 4]
        );
        // Without the option, RDS's order is ignored.
        let plain = build(
            &request(json!({})),
            vec![with("a-last", 0, Some("last"), None)],
            vec![],
            "b",
            "p",
        )
        .unwrap();
        assert_eq!(plain.roster.databases[0].wave, 1);
    }

    #[test]
    fn a_deadline_runs_the_earliest_support_end_first() {
        let r = request(json!({"deadline": "2027-01-31"}));
        let with = |id: &str, end: Option<&str>| {
            let mut t = target("111111111111", "us-east-1", id, 1);
            t.support.standard_support_end = end.map(str::to_owned);
            t
        };
        let plan = plan(
            &r,
            vec![
                with("a", Some("2028-01-01")),
                with("b", None),
                with("c", Some("2026-07-31")),
            ],
        )
        .unwrap();
        let order: Vec<&str> = plan.batches[0].queues[0]
            .items
            .iter()
            .map(|i| i.database.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(order, vec!["c", "a", "b"]);
    }

    /// A lane's databases are chunked into batches; no batch gives a lane more queues than
    /// `perAccountRegion`, and every database is in exactly one batch.
    #[test]
    fn five_thousand_databases_plan_in_bounded_batches() {
        let r = request(
            json!({"waves": {"maxConcurrency": 40, "perAccountRegion": 3, "toleratedFailures": "5%"}}),
        );
        let accounts: Vec<String> = (0..25)
            .map(|a| format!("{:012}", 100_000_000_000u64 + a))
            .collect();
        let regions = ["us-east-1", "eu-west-1"];
        let targets: Vec<Sourced> = (0..5_000)
            .map(|i| {
                let account = &accounts[i % accounts.len()];
                let region = regions[(i / accounts.len()) % 2];
                target(account, region, &format!("db-{i:05}"), (i % 3 + 1) as u32)
            })
            .collect();
        let started = std::time::Instant::now();
        let plan = plan(&r, targets).unwrap();
        let elapsed = started.elapsed();
        assert_eq!(plan.summary.database_count, 5_000);
        assert_eq!(plan.roster.databases.len(), 5_000);
        let mut placed = 0;
        for b in &plan.batches {
            let mut per_lane: BTreeMap<&str, usize> = BTreeMap::new();
            for q in &b.queues {
                *per_lane.entry(&q.lane).or_default() += 1;
                assert!(q.items.len() <= QUEUE_CHUNK);
                placed += q.items.len();
            }
            assert!(per_lane.values().all(|n| *n <= 3), "{per_lane:?}");
            let bytes = serde_json::to_vec(&b.queues).unwrap().len();
            assert!(bytes < 20 * 1024 * 1024, "a batch file of {bytes} bytes");
        }
        assert_eq!(placed, 5_000);
        // The state carries the summary only: far under 256 KB whatever the fleet's size.
        let summary = serde_json::to_vec(&plan.summary).unwrap().len();
        assert!(summary < 64 * 1024, "summary {summary} bytes");
        assert_eq!(
            r.waves
                .tolerated_failures
                .allowed(plan.summary.waves[0].databases),
            83
        );
        eprintln!(
            "5,000 databases: planned in {elapsed:?}, {} batches, summary {summary} bytes",
            plan.summary.batch_count
        );
    }
}
