//! The fleet's plan: every database's own request, checked, named and placed in its wave and
//! queue, before anything starts.
//!
//! Concurrency is shaped here rather than by a scheduler: each wave's databases are dealt, per
//! account and Region, into at most `perAccountRegion` queues that run one database after
//! another; the state machine runs at most `maxConcurrency` queues at once. So neither limit
//! can be exceeded, whatever order the queues start in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::request::{FleetRequest, FleetTarget};
use crate::error::Error;
use crate::input::Request;

/// The plan the state machine runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// What every later step and message needs, without the children's inputs.
    pub summary: Summary,
    pub waves: Vec<Wave>,
    /// Every database with its wave and child name, so the end can tell what never started.
    pub roster: Vec<Entry>,
}

/// The fleet in figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub fleet: String,
    pub action: String,
    pub max_concurrency: u32,
    pub per_account_region: u32,
    pub tolerated_failures: u32,
    pub soak_seconds: u32,
    pub database_count: usize,
    pub wave_count: usize,
    /// Databases a selection found but passed over, and why.
    pub skipped: Vec<Skipped>,
}

/// A database of the roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub database: String,
    pub wave: u32,
    pub name: String,
}

/// One wave: its queues, which run side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wave {
    pub wave: u32,
    pub databases: usize,
    pub queues: Vec<Queue>,
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

/// A target and where it came from (`targets[2]`, `manifest row 5`, `selection[0]`), for errors.
#[derive(Debug)]
pub struct Sourced {
    pub target: FleetTarget,
    pub origin: String,
}

/// A wave's databases must fit one Map result in the 256 KB state (about 2 KB each).
pub const MAX_WAVE_DATABASES: usize = 100;
/// The plan must leave room in the 256 KB state for the waves' results.
pub const MAX_PLAN_BYTES: usize = 150_000;
/// Child names stay within 47 characters, so `bluegreen-<kind>-<name>` is a whole CloudTrail
/// session name (64).
pub const MAX_CHILD_NAME: usize = 47;

/// Builds the plan; every database's request is validated as a single execution would be.
pub fn build(
    request: &FleetRequest,
    targets: Vec<Sourced>,
    skipped: Vec<Skipped>,
) -> Result<Plan, Error> {
    if targets.is_empty() {
        return Err(Error::invalid(
            "selection",
            format!(
                "found no database to act on{}",
                if skipped.is_empty() { String::new() } else { format!(" ({} passed over: {})", skipped.len(), skipped.iter().map(|s| format!("{} {}", s.database, s.reason)).collect::<Vec<_>>().join("; ")) }
            ),
            "enrol the databases (tag rds-bluegreen:enrolled = true) or check the accounts and Regions",
        ));
    }
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut by_wave: BTreeMap<u32, BTreeMap<String, Vec<Item>>> = BTreeMap::new();
    for Sourced { target, origin } in targets {
        let database = database_label(&target);
        if let Some(first) = seen.insert(database.clone(), origin.clone()) {
            return Err(Error::invalid(
                origin,
                format!("names {database} again (first at {first})"),
                "list each database once",
            ));
        }
        let wave = target.wave.unwrap_or(1);
        if wave == 0 {
            return Err(Error::invalid(
                format!("{origin} wave"),
                "is 0",
                "number waves from 1",
            ));
        }
        let input = child_request(request, &target, &origin)?;
        let lane = lane(&target);
        by_wave
            .entry(wave)
            .or_default()
            .entry(lane)
            .or_default()
            .push(Item {
                name: child_name(request, &target),
                database,
                wave,
                input,
            });
    }
    let per_lane = request.waves.per_account_region as usize;
    let mut waves = Vec::new();
    for (wave, lanes) in by_wave {
        let databases: usize = lanes.values().map(Vec::len).sum();
        if databases > MAX_WAVE_DATABASES {
            return Err(Error::invalid(
                format!("wave {wave}"),
                format!("has {databases} databases, more than {MAX_WAVE_DATABASES}"),
                "split it into several waves (a wave's results must fit Step Functions' 256 KB state)",
            ));
        }
        let mut queues: Vec<Queue> = lanes
            .into_iter()
            .flat_map(|(lane, mut items)| {
                items.sort_by(|a, b| a.database.cmp(&b.database));
                deal(&lane, items, per_lane)
            })
            .collect();
        // Longest queues first: the wave ends soonest when they start first.
        queues.sort_by(|a, b| b.items.len().cmp(&a.items.len()).then(a.lane.cmp(&b.lane)));
        waves.push(Wave {
            wave,
            databases,
            queues,
        });
    }
    let roster = waves
        .iter()
        .flat_map(|w| &w.queues)
        .flat_map(|q| &q.items)
        .map(|i| Entry {
            database: i.database.clone(),
            wave: i.wave,
            name: i.name.clone(),
        })
        .collect();
    let plan = Plan {
        summary: Summary {
            fleet: request.fleet.clone(),
            action: request.action.name().to_owned(),
            max_concurrency: request.waves.max_concurrency,
            per_account_region: request.waves.per_account_region,
            tolerated_failures: request.waves.tolerated_failures,
            soak_seconds: request.waves.soak_seconds,
            database_count: seen.len(),
            wave_count: waves.len(),
            skipped,
        },
        waves,
        roster,
    };
    let bytes = serde_json::to_vec(&plan)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if bytes > MAX_PLAN_BYTES {
        return Err(Error::invalid(
            "fleet",
            format!("plans {} databases in {bytes} bytes, more than {MAX_PLAN_BYTES}", plan.summary.database_count),
            "split the fleet into several executions (e.g. one per wave or per account): Step Functions keeps an execution's state under 256 KB",
        ));
    }
    Ok(plan)
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

    fn target(account: &str, region: &str, id: &str, wave: u32) -> Sourced {
        Sourced {
            target: FleetTarget {
                account_id: Some(account.into()),
                region: region.into(),
                identifier: id.into(),
                engine: Engine::Postgres,
                role_arn: None,
                wave: Some(wave),
                options: Map::new(),
            },
            origin: format!("targets[{id}]"),
        }
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
        let plan = build(&r, targets, vec![]).unwrap();
        assert_eq!(
            plan.waves.iter().map(|w| w.wave).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let wave2 = &plan.waves[1];
        assert_eq!(wave2.databases, 3);
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
        match build(&r, vec![bad], vec![]).unwrap_err() {
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
        assert!(matches!(
            build(&r, dup, vec![]),
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            build(&r, vec![], vec![]),
            Err(Error::InvalidInput { .. })
        ));
    }

    #[test]
    fn per_lane_queues_split_a_lane() {
        let r = request(json!({"waves": {"maxConcurrency": 4, "perAccountRegion": 2}}));
        let targets = (0..5)
            .map(|i| target("111111111111", "us-east-1", &format!("d{i}"), 1))
            .collect();
        let plan = build(&r, targets, vec![]).unwrap();
        let sizes: Vec<usize> = plan.waves[0].queues.iter().map(|q| q.items.len()).collect();
        assert_eq!(sizes, vec![3, 2]);
    }
}
