//! Every refusal's fix names the field that is wrong (issue 19): a walk over every refusal
//! constructor in the product's sources (`shared/src`, `functions/*/src`), so a new refusal
//! cannot escape it.
//!
//! A refusal is split into what the check read (the field argument and the problem, or the
//! reason before "Fix:") and its fix (the third argument of `Error::invalid`, or the text
//! after "Fix:"). The input fields a fix names must be fields the check read or the field
//! refused; a fix naming another field sends the user to the wrong place (the account
//! mismatch used to say "start the action with that Region"). The only exceptions are the
//! alternatives listed in [`ALTERNATIVES`], each a field the fix offers instead of the
//! refused one.
//!
//! Input fields are read from `shared/src/input.rs` itself (the fields of `Target` and
//! `Options`, in the input's camelCase), so a new option is covered when it is added.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The constructors of refusals (errors a person must act on with a fix).
const CONSTRUCTORS: [&str; 5] = [
    "Error::invalid(",
    "Error::InvalidInput {",
    "Error::unsafe_to_delete(",
    "Error::UnsafeToDelete {",
    "Error::NotReady {",
];

/// (refused field, another field its fix may offer instead). Each is a real alternative
/// (the other group kind; the switch that makes the refused field apply).
const ALTERNATIVES: [(&str, &str); 5] = [
    (
        "options.targetDbClusterParameterGroupName",
        "options.targetDbParameterGroupName",
    ),
    (
        "options.finalSnapshot",
        "options.skipFinalSnapshotAcknowledged",
    ),
    // No grace period at all: keep old blue and clean up later.
    ("options.gracePeriodSeconds", "options.deleteOldBlue"),
    // A window too long for a wait is a manual approval.
    ("options.switchoverNotAfter", "options.switchoverMode"),
    // Another account is reached through a role in it.
    ("target.accountId", "target.roleArn"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The product's sources, without their unit tests (fixtures are not refusals).
fn sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(&root().join("shared/src"), &mut files);
    for function in std::fs::read_dir(root().join("functions")).unwrap() {
        let src = function.unwrap().path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let product = match text.find("#[cfg(test)]\nmod tests") {
                Some(at) => text[..at].to_owned(),
                None => text,
            };
            (p, product)
        })
        .collect()
}

/// camelCase of a snake_case Rust field.
fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The camelCase fields of `pub struct <name> {` in input.rs.
fn struct_fields(input: &str, name: &str) -> Vec<String> {
    let start = input
        .find(&format!("pub struct {name} {{"))
        .unwrap_or_else(|| panic!("struct {name} in input.rs"));
    let body = &input[start..];
    let body = &body[..body.find("\n}").unwrap()];
    body.lines()
        .filter_map(|l| l.trim().strip_prefix("pub ")?.split_once(':'))
        .map(|(f, _)| camel(f.trim()))
        .collect()
}

/// Every input field path: `target.x` and `options.y`.
fn input_fields() -> Vec<String> {
    let input = std::fs::read_to_string(root().join("shared/src/input.rs")).unwrap();
    let mut all: Vec<String> = struct_fields(&input, "Target")
        .into_iter()
        .map(|f| format!("target.{f}"))
        .collect();
    all.extend(
        struct_fields(&input, "Options")
            .into_iter()
            .map(|f| format!("options.{f}")),
    );
    assert!(all.len() > 20, "input fields read from input.rs: {all:?}");
    all
}

/// The input fields a text names: `options.x` / `target.y` in full, or an option or a
/// camelCase target field by its bare name (`switchoverMode`, `accountId`).
fn named_fields(text: &str, fields: &[String]) -> BTreeSet<String> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .map(|w| w.trim_end_matches('.'))
        .collect();
    fields
        .iter()
        .filter(|path| {
            let (_, bare) = path.split_once('.').unwrap();
            // Bare names only when unmistakable (camelCase), not "region" or "engine" in prose.
            let bare_ok = bare.chars().any(|c| c.is_ascii_uppercase());
            words.iter().any(|w| w == path || (bare_ok && *w == bare))
        })
        .cloned()
        .collect()
}

/// The text from `open` (the index of an opening bracket) to its closing one, skipping
/// string and char literals.
fn balanced(text: &str, open: usize) -> &str {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i),
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..=i];
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced call at {open}")
}

/// The index of the closing quote of the string starting at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    i
}

/// The contents of the string literals in `code`, joined.
fn literals(code: &str) -> String {
    let bytes = code.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' {
            let end = skip_string(bytes, i);
            out.push_str(&code[i + 1..end.min(code.len())]);
            out.push(' ');
            i = end;
        }
        i += 1;
    }
    out
}

/// The top-level arguments of a call's bracketed text `(a, b, c)`.
fn arguments(call: &str) -> Vec<&str> {
    let inner = &call[1..call.len() - 1];
    let bytes = inner.as_bytes();
    let (mut args, mut depth, mut from, mut i) = (Vec::new(), 0usize, 0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i),
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => depth -= 1,
            b',' if depth == 0 => {
                args.push(inner[from..i].trim());
                from = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if !inner[from..].trim().is_empty() {
        args.push(inner[from..].trim());
    }
    args
}

/// One refusal site: where, what the check read, and what its fix names.
#[derive(Debug)]
struct Refusal {
    at: String,
    refused: Option<String>,
    check: String,
    fix: String,
}

fn refusals() -> Vec<Refusal> {
    let mut found = Vec::new();
    for (path, text) in sources() {
        let file = path
            .strip_prefix(root())
            .unwrap_or(&path)
            .display()
            .to_string();
        for constructor in CONSTRUCTORS {
            for (at, _) in text.match_indices(constructor) {
                let open = at + constructor.len() - 1;
                let call = balanced(&text, open);
                let line = text[..at].lines().count() + 1;
                let site = format!("{file}:{line}");
                let refusal = if constructor == "Error::invalid(" {
                    let args = arguments(call);
                    assert_eq!(args.len(), 3, "{site}: Error::invalid(field, problem, fix)");
                    let refused = args[0]
                        .strip_prefix('"')
                        .and_then(|a| a.strip_suffix('"'))
                        .map(str::to_owned);
                    Refusal {
                        at: site,
                        refused,
                        check: literals(&format!("{} {}", args[0], args[1])),
                        fix: literals(args[2]),
                    }
                } else {
                    let all = literals(call);
                    let (check, fix) = all.split_once("Fix:").unwrap_or((&all, ""));
                    let refused = (constructor == "Error::InvalidInput {")
                        .then(|| {
                            call.split_once("field:").and_then(|(_, rest)| {
                                literals(rest.split(',').next()?)
                                    .split_whitespace()
                                    .next()
                                    .map(str::to_owned)
                            })
                        })
                        .flatten();
                    Refusal {
                        at: site,
                        refused,
                        check: check.to_owned(),
                        fix: fix.to_owned(),
                    }
                };
                found.push(refusal);
            }
        }
    }
    found
}

#[test]
fn every_refusal_fix_names_only_the_fields_its_check_read() {
    let fields = input_fields();
    let all = refusals();
    // The walk finds the product's refusals (not a broken parser finding none).
    assert!(all.len() > 80, "refusals found: {}", all.len());
    let mut wrong = Vec::new();
    for r in &all {
        let mut read = named_fields(&r.check, &fields);
        // A fleet manifest's columns are the targets' fields (accountId, region, ...).
        if r.check.contains("manifest") {
            read.extend(fields.iter().filter(|f| f.starts_with("target.")).cloned());
        }
        if let Some(f) = &r.refused {
            read.insert(f.clone());
            for (refused, alternative) in ALTERNATIVES {
                if f == refused {
                    read.insert(alternative.to_owned());
                }
            }
        }
        let named = named_fields(&r.fix, &fields);
        let elsewhere: Vec<&String> = named.difference(&read).collect();
        if !elsewhere.is_empty() {
            wrong.push(format!(
                "{}: the fix names {elsewhere:?}, but the check read {read:?}: {:?}",
                r.at, r.fix
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "fixes that point at another field:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_walk_reads_the_fields_a_refusal_names() {
    let fields = input_fields();
    let named = named_fields(
        "set target.accountId to `123`, or switchoverMode to `window`; the region is fine",
        &fields,
    );
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        ["options.switchoverMode", "target.accountId"]
    );
    let call = r#"("target.region", format!("`{}` (a, b)", x), "use \"this\", not that")"#;
    assert_eq!(
        arguments(call),
        [
            "\"target.region\"",
            "format!(\"`{}` (a, b)\", x)",
            "\"use \\\"this\\\", not that\""
        ]
    );
}
