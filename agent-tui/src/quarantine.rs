//! The quarantine on the workstation (docs/groups.md, "Safety"): messages
//! the group safety checks held, in the order staff should decide them,
//! and their reasons in words.

use relay_client::Mirror;
use shared::{HeldId, HeldState, HoldReason};

/// Decided messages listed under the waiting ones, at most.
pub const DECIDED_SHOWN: usize = 50;

/// The rows of the quarantine screen: the waiting ones oldest first (the
/// longest hidden customer first), then the decided ones newest first.
pub fn rows(m: &Mirror) -> Vec<HeldId> {
    let mut waiting: Vec<HeldId> = m
        .quarantine
        .values()
        .filter(|h| h.state == HeldState::Held)
        .map(|h| h.id)
        .collect();
    waiting.sort();
    let mut decided: Vec<_> = m
        .quarantine
        .values()
        .filter(|h| h.state != HeldState::Held)
        .collect();
    decided.sort_by_key(|h| std::cmp::Reverse((h.decided_at, h.id)));
    waiting.extend(decided.into_iter().take(DECIDED_SHOWN).map(|h| h.id));
    waiting
}

/// How many wait for staff.
pub fn waiting(m: &Mirror) -> usize {
    m.quarantine
        .values()
        .filter(|h| h.state == HeldState::Held)
        .count()
}

/// A reason as an engineer reads it.
pub fn reason(r: &HoldReason) -> String {
    match r {
        HoldReason::NewcomerLink => "newcomer's link".into(),
        HoldReason::NewcomerMedia => "newcomer's media".into(),
        HoldReason::NewcomerForward => "newcomer's forward".into(),
        HoldReason::NewcomerKeyboard => "newcomer's buttons".into(),
        HoldReason::NewcomerQuote => "newcomer's quote of another chat".into(),
        HoldReason::StopList { phrase } => format!("stop list: «{phrase}»"),
        HoldReason::Repeated { groups } => format!("same text in {groups} groups"),
        HoldReason::Spam { percent } => format!("spam {percent}%"),
        HoldReason::Lookalike { of } => format!("looks like {of}"),
    }
}

/// Every reason, joined.
pub fn reasons(rs: &[HoldReason]) -> String {
    rs.iter().map(reason).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::*;

    fn held(id: i64, state: HeldState, decided: Option<i64>) -> HeldMessage {
        HeldMessage {
            id: HeldId(id),
            chat_id: -100,
            group_title: "Acme".into(),
            queue: None,
            telegram_message_id: id,
            author_id: 1,
            author_name: "Nina".into(),
            author_username: None,
            text: "x".into(),
            reasons: vec![HoldReason::NewcomerLink],
            sent_at: Timestamp(id),
            state,
            decided_by: None,
            decided_at: decided.map(Timestamp),
        }
    }

    #[test]
    fn waiting_first_oldest_first_then_the_latest_decided() {
        let mut m = Mirror::new(None);
        for h in [
            held(3, HeldState::Held, None),
            held(1, HeldState::Approved, Some(10)),
            held(2, HeldState::Banned, Some(20)),
            held(4, HeldState::Held, None),
        ] {
            m.quarantine.insert(h.id, h);
        }
        assert_eq!(rows(&m), [HeldId(3), HeldId(4), HeldId(2), HeldId(1)]);
        assert_eq!(waiting(&m), 2);
    }
}
