//! Stage `already-in-progress`: the database's lock is held by an execution that will do what
//! this one asked (an upgrade that cleans up, when a cleanup is asked; the same request twice).
//! Not a failure: one message saying who is doing it, and nothing to do.

use super::event::{text_at, Event};
use super::links;
use super::message::Message;

pub(crate) fn describe(event: &Event, m: &mut Message) {
    let holder = text_at(&event.detail, &["holder"]).unwrap_or_else(|| "another execution".into());
    let stage = text_at(&event.detail, &["stage"]).unwrap_or_else(|| "unknown".into());
    let since = text_at(&event.detail, &["startedAt"]).unwrap_or_else(|| "an unknown time".into());
    m.headline = "nothing to do: another execution is already doing this".into();
    m.summary = format!(
        "Execution {holder} (started {since}, now at stage `{stage}`) holds the lock of {} and will do what this execution asked. Nothing was touched here.",
        m.database()
    );
    m.facts.push(("Doing it".into(), holder.clone()));
    m.facts.push(("Its stage".into(), stage));
    m.next_steps
        .push("Follow that execution's messages; start this input again only if it fails.".into());
    m.links.extend(links::execution(&holder));
}
