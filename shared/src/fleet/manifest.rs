//! The fleet manifest: a CSV file in S3 with a header row, one database (or one account and
//! Region to select from) per row.
//!
//! ```csv
//! accountId,region,identifier,engine,wave,targetEngineVersion
//! 111111111111,eu-west-1,orders,aurora-postgresql,1,16.4
//! 222222222222,us-east-1,,,2,
//! ```
//!
//! A row with an identifier is a database; a row without one selects every enrolled database
//! of that account and Region (so an older toolkit's `account_id,secret_name,region` file works,
//! with `secret_name` in `manifest.ignoreColumns`). Column names are matched without case,
//! `_`, `-` or spaces (`account_id` is `accountId`). Step Functions reads the object
//! (`s3:GetObject`) and hands its text to the plan; nothing here calls AWS.

use serde_json::{Map, Value};

use super::request::{FleetTarget, Selection};
use crate::error::Error;
use crate::input::Engine;

/// A manifest's rows, split by kind, each with its line number (the header is line 1).
#[derive(Debug, Default, PartialEq)]
pub struct Rows {
    pub targets: Vec<(usize, FleetTarget)>,
    pub selections: Vec<(usize, Selection)>,
}

/// The per-database options a manifest may carry, and whether each is a number.
const OPTION_COLUMNS: [(&str, bool); 13] = [
    ("targetEngineVersion", false),
    ("targetDbParameterGroupName", false),
    ("targetDbClusterParameterGroupName", false),
    ("targetDbInstanceClass", false),
    ("targetAllocatedStorage", true),
    ("targetIops", true),
    ("targetStorageType", false),
    ("targetStorageThroughput", true),
    ("switchoverMode", false),
    ("switchoverAt", false),
    ("switchoverNotAfter", false),
    ("gracePeriodSeconds", true),
    ("deploymentName", false),
];

/// What a column is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    AccountId,
    Region,
    Identifier,
    Engine,
    RoleArn,
    Wave,
    Option(&'static str, bool),
    Ignored,
}

/// `Account_ID` → `accountid`.
fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

fn column(name: &str, ignored: &[String]) -> Option<Column> {
    let n = normalise(name);
    if ignored.iter().any(|i| normalise(i) == n) {
        return Some(Column::Ignored);
    }
    Some(match n.as_str() {
        "accountid" | "account" => Column::AccountId,
        "region" => Column::Region,
        "identifier" | "dbidentifier" | "dbclusteridentifier" | "dbinstanceidentifier" => {
            Column::Identifier
        }
        "engine" => Column::Engine,
        "rolearn" => Column::RoleArn,
        "wave" => Column::Wave,
        _ => {
            let (option, numeric) = OPTION_COLUMNS.iter().find(|(o, _)| normalise(o) == n)?;
            Column::Option(option, *numeric)
        }
    })
}

/// Parses the manifest's text. Errors name the row (1 is the header) and the column.
pub fn parse(text: &str, ignored: &[String]) -> Result<Rows, Error> {
    let records = records(text)?;
    let Some((header, body)) = records.split_first() else {
        return Err(Error::invalid(
            "manifest",
            "is empty",
            "give a CSV with a header row (accountId,region,identifier,engine,wave,...) and one row per database",
        ));
    };
    let columns = header
        .iter()
        .map(|name| {
            column(name, ignored).ok_or_else(|| {
                Error::invalid(
                    format!("manifest column `{name}`"),
                    "is not a field or a per-database option",
                    format!(
                        "use accountId, region, identifier, engine, roleArn, wave or one of {}; or list it in manifest.ignoreColumns",
                        OPTION_COLUMNS.map(|(o, _)| o).join(", ")
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !columns.contains(&Column::Region) {
        return Err(Error::invalid(
            "manifest",
            "has no `region` column",
            "add a region column (and accountId, identifier, engine as needed)",
        ));
    }
    let mut rows = Rows::default();
    for (index, record) in body.iter().enumerate() {
        let line = index + 2;
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != columns.len() {
            return Err(Error::invalid(
                format!("manifest row {line}"),
                format!("has {} fields, the header {}", record.len(), columns.len()),
                "give every row as many comma-separated fields as the header (quote fields that contain commas)",
            ));
        }
        rows.push(line, &columns, header, record)?;
    }
    if rows.targets.is_empty() && rows.selections.is_empty() {
        return Err(Error::invalid(
            "manifest",
            "has a header but no rows",
            "add one row per database (or per account and Region)",
        ));
    }
    Ok(rows)
}

impl Rows {
    fn push(
        &mut self,
        line: usize,
        columns: &[Column],
        header: &[String],
        record: &[String],
    ) -> Result<(), Error> {
        let mut account_id = None;
        let mut region = String::new();
        let mut identifier = None;
        let mut engine = None;
        let mut role_arn = None;
        let mut wave = None;
        let mut options = Map::new();
        for ((column, name), raw) in columns.iter().zip(header).zip(record) {
            let value = raw.trim();
            if value.is_empty() {
                continue;
            }
            let at = || format!("manifest row {line} column {name}");
            match column {
                Column::AccountId => account_id = Some(value.to_owned()),
                Column::Region => region = value.to_owned(),
                Column::Identifier => identifier = Some(value.to_owned()),
                Column::Engine => {
                    engine = Some(Engine::from_api_name(value).ok_or_else(|| {
                        Error::invalid(
                            at(),
                            format!("`{value}` is not an engine this product upgrades"),
                            "use aurora-mysql, aurora-postgresql, mysql, postgres or mariadb",
                        )
                    })?)
                }
                Column::RoleArn => role_arn = Some(value.to_owned()),
                Column::Wave => {
                    wave = Some(value.parse::<u32>().map_err(|_| {
                        Error::invalid(
                            at(),
                            format!("`{value}` is not a wave number"),
                            "give a whole number (1, 2, 3...)",
                        )
                    })?)
                }
                Column::Option(option, numeric) => {
                    let v = if *numeric {
                        Value::from(value.parse::<i64>().map_err(|_| {
                            Error::invalid(
                                at(),
                                format!("`{value}` is not a whole number"),
                                "give a whole number",
                            )
                        })?)
                    } else {
                        Value::from(value)
                    };
                    options.insert((*option).to_owned(), v);
                }
                Column::Ignored => {}
            }
        }
        if region.is_empty() {
            return Err(Error::invalid(
                format!("manifest row {line} column region"),
                "is empty",
                "give the Region of the database (or of the account to select from)",
            ));
        }
        match identifier {
            Some(identifier) => {
                let engine = engine.ok_or_else(|| {
                    Error::invalid(
                        format!("manifest row {line} column engine"),
                        "is empty for a database",
                        "give the engine (aurora-mysql, aurora-postgresql, mysql, postgres, mariadb)",
                    )
                })?;
                self.targets.push((
                    line,
                    FleetTarget {
                        account_id,
                        region,
                        identifier,
                        engine,
                        role_arn,
                        wave,
                        options,
                    },
                ));
            }
            None => {
                if !options.is_empty() {
                    return Err(Error::invalid(
                        format!("manifest row {line}"),
                        "selects an account and Region but sets per-database options",
                        "set options for a selection in the fleet's options or engineOptions, or name the database",
                    ));
                }
                self.selections.push((
                    line,
                    Selection {
                        account_id,
                        region,
                        role_arn,
                        engines: engine.into_iter().collect(),
                        wave,
                    },
                ));
            }
        }
        Ok(())
    }
}

/// RFC 4180 records: commas, double-quoted fields with `""` for a quote, CRLF or LF.
fn records(text: &str) -> Result<Vec<Vec<String>>, Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(Error::invalid(
            "manifest",
            "ends inside a quoted field",
            "close every opening double quote",
        ));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(e: Error) -> String {
        e.field()
            .unwrap_or_else(|| panic!("not InvalidInput: {e}"))
            .to_owned()
    }

    #[test]
    fn rows_become_targets_and_selections() {
        let text = "Account_ID,region,identifier,engine,wave,target_engine_version,targetAllocatedStorage\r\n\
                    111111111111,eu-west-1,orders,aurora-postgresql,1,16.4,\r\n\
                    222222222222,us-east-1,\"billing\",mysql,2,8.4.3,200\r\n\
                    333333333333,us-west-2,,,3,,\r\n\r\n";
        let rows = parse(text, &[]).unwrap();
        assert_eq!(rows.targets.len(), 2);
        assert_eq!(rows.targets[0].1.identifier, "orders");
        assert_eq!(rows.targets[0].1.engine, Engine::AuroraPostgresql);
        assert_eq!(
            rows.targets[0].1.options,
            json!({"targetEngineVersion": "16.4"})
                .as_object()
                .unwrap()
                .clone()
        );
        assert_eq!(
            rows.targets[1].1.options["targetAllocatedStorage"],
            json!(200)
        );
        assert_eq!(rows.targets[1].1.wave, Some(2));
        assert_eq!(rows.selections.len(), 1);
        assert_eq!(
            rows.selections[0].1.account_id.as_deref(),
            Some("333333333333")
        );
        assert_eq!(rows.selections[0].1.wave, Some(3));
    }

    #[test]
    fn an_older_toolkits_accounts_file_works_with_its_extra_column_ignored() {
        let text = "account_id,secret_name,region\n111111111111,db-secret,ap-northeast-2\n";
        assert_eq!(
            field(parse(text, &[]).unwrap_err()),
            "manifest column `secret_name`"
        );
        let rows = parse(text, &["secret_name".into()]).unwrap();
        assert_eq!(rows.selections.len(), 1);
        assert_eq!(rows.selections[0].1.region, "ap-northeast-2");
    }

    #[test]
    fn bad_rows_are_named_by_line_and_column() {
        let cases = [
            ("", "manifest"),
            ("region\n", "manifest"),
            ("accountId,identifier\n1,a\n", "manifest"),
            (
                "region,identifier,engine\nus-east-1,a,oracle\n",
                "manifest row 2 column engine",
            ),
            (
                "region,identifier,engine\nus-east-1,a,\n",
                "manifest row 2 column engine",
            ),
            (
                "region,identifier,engine,wave\nus-east-1,a,mysql,first\n",
                "manifest row 2 column wave",
            ),
            ("region,identifier\nus-east-1,a,b\n", "manifest row 2"),
            (
                "region,identifier,engine\n,a,mysql\n",
                "manifest row 2 column region",
            ),
            ("region,targetIops\nus-east-1,3000\n", "manifest row 2"),
            (
                "region,identifier,engine,targetIops\nus-east-1,a,mysql,lots\n",
                "manifest row 2 column targetIops",
            ),
            ("region,identifier\n\"us-east-1,a\n", "manifest"),
        ];
        for (text, expected) in cases {
            assert_eq!(field(parse(text, &[]).unwrap_err()), expected, "{text:?}");
        }
    }

    #[test]
    fn quoted_fields_keep_commas_and_quotes() {
        let r = records("a,\"b,c\",\"d\"\"e\"\n").unwrap();
        assert_eq!(
            r,
            vec![vec!["a".to_owned(), "b,c".to_owned(), "d\"e".to_owned()]]
        );
    }
}
