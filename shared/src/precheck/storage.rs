//! Green's storage for RDS instances: the request's target storage options laid over blue's
//! storage must form a combination RDS accepts, or creation fails after the wait.

use super::rule::Rule;
use super::{Context, Severity};
use crate::aws::database::Database;

pub const STORAGE_CONFIG: Rule = Rule {
    id: "storage-config",
    severity: Severity::Block,
    checks: "RDS green storage: io1/io2 IOPS between 0.5 and 50 (io1) or 1000 (io2) per GiB; gp3 IOPS/throughput only from 400 GiB, then IOPS >= 12000, throughput >= 500 MiB/s and throughput/IOPS <= 0.25",
    fix: "adjust options.targetStorageType, targetAllocatedStorage, targetIops and targetStorageThroughput to a valid combination",
    source: "AWS: Amazon RDS DB instance storage (CHAP_Storage); CreateDBInstance Iops constraints; terraform-provider-aws #28382 (gp3 baseline above 400 GiB)",
};

/// gp3 for MySQL, MariaDB and PostgreSQL: below this size IOPS and throughput are fixed.
const GP3_THRESHOLD_GIB: i32 = 400;

/// Green's storage as it would be created.
#[derive(Debug, Clone, PartialEq)]
struct Storage {
    kind: String,
    gib: i32,
    iops: Option<i32>,
    throughput: Option<i32>,
}

pub fn check(ctx: &mut Context<'_>, db: &Database) {
    let options = &ctx.request.options;
    let asked = options.target_storage_type.is_some()
        || options.target_allocated_storage.is_some()
        || options.target_iops.is_some()
        || options.target_storage_throughput.is_some();
    let Some(blue) = db
        .instances
        .first()
        .filter(|_| db.cluster.is_none() && asked)
    else {
        return; // Aurora storage is the cluster's; no storage option means blue's own storage
    };
    let blue_kind = blue.storage_type().unwrap_or("gp2");
    let kind = options
        .target_storage_type
        .clone()
        .unwrap_or_else(|| blue_kind.to_owned());
    let same_kind = kind == blue_kind;
    let green = Storage {
        gib: options
            .target_allocated_storage
            .or(blue.allocated_storage())
            .unwrap_or(0),
        iops: options.target_iops.or(blue.iops().filter(|_| same_kind)),
        throughput: options
            .target_storage_throughput
            .or(blue.storage_throughput().filter(|_| same_kind)),
        kind,
    };
    for problem in problems(&green) {
        ctx.flag(
            &STORAGE_CONFIG,
            format!(
                "{}: green storage {} {} GiB{}{}: {problem}",
                db.identifier,
                green.kind,
                green.gib,
                describe(" IOPS", green.iops),
                describe(" MiB/s", green.throughput)
            ),
        );
    }
}

fn describe(unit: &str, value: Option<i32>) -> String {
    value.map(|v| format!(", {v}{unit}")).unwrap_or_default()
}

/// What RDS would refuse in this combination.
fn problems(s: &Storage) -> Vec<String> {
    let mut out = Vec::new();
    match s.kind.as_str() {
        "io1" | "io2" => {
            let max_ratio = if s.kind == "io1" { 50.0 } else { 1000.0 };
            match s.iops {
                None => out.push(format!(
                    "{} needs provisioned IOPS (options.targetIops)",
                    s.kind
                )),
                Some(iops) => {
                    let ratio = f64::from(iops) / f64::from(s.gib.max(1));
                    if !(0.5..=max_ratio).contains(&ratio) {
                        out.push(format!(
                            "IOPS per GiB is {ratio:.2}, outside 0.5-{max_ratio}"
                        ));
                    }
                }
            }
        }
        "gp3" if s.gib < GP3_THRESHOLD_GIB => {
            let fixed = s.iops.is_none_or(|i| i == 3000) && s.throughput.is_none_or(|t| t == 125);
            if !fixed {
                out.push(format!("below {GP3_THRESHOLD_GIB} GiB gp3 has a fixed 3000 IOPS and 125 MiB/s; IOPS and throughput cannot be set"));
            }
        }
        "gp3" => {
            if let Some(iops) = s.iops.filter(|i| *i < 12000) {
                out.push(format!(
                    "from {GP3_THRESHOLD_GIB} GiB gp3 IOPS must be at least 12000, not {iops}"
                ));
            }
            if let Some(mibs) = s.throughput.filter(|t| *t < 500) {
                out.push(format!("from {GP3_THRESHOLD_GIB} GiB gp3 throughput must be at least 500 MiB/s, not {mibs}"));
            }
            if let (Some(iops), Some(mibs)) = (s.iops, s.throughput) {
                if f64::from(mibs) / f64::from(iops.max(1)) > 0.25 {
                    out.push(format!(
                        "throughput/IOPS is {:.3}, above 0.25",
                        f64::from(mibs) / f64::from(iops)
                    ));
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(kind: &str, gib: i32, iops: Option<i32>, throughput: Option<i32>) -> Storage {
        Storage {
            kind: kind.into(),
            gib,
            iops,
            throughput,
        }
    }

    #[test]
    fn io_ratios() {
        assert!(problems(&s("io1", 100, Some(5000), None)).is_empty());
        assert_eq!(problems(&s("io1", 100, Some(6000), None)).len(), 1);
        assert_eq!(problems(&s("io1", 100, Some(40), None)).len(), 1);
        assert!(problems(&s("io2", 100, Some(60000), None)).is_empty());
        assert_eq!(problems(&s("io2", 100, None, None)).len(), 1);
    }

    #[test]
    fn gp3_thresholds() {
        assert!(problems(&s("gp3", 100, None, None)).is_empty());
        assert_eq!(problems(&s("gp3", 100, Some(6000), None)).len(), 1);
        assert!(problems(&s("gp3", 500, Some(12000), Some(500))).is_empty());
        assert_eq!(problems(&s("gp3", 500, Some(3000), None)).len(), 1);
        assert_eq!(problems(&s("gp3", 500, Some(12000), Some(4000))).len(), 1);
        assert_eq!(problems(&s("gp3", 500, None, Some(200))).len(), 1);
        assert!(problems(&s("gp2", 100, None, None)).is_empty());
    }
}
