//! Group safety (docs/groups.md, "Safety"): what the client's side writes
//! in a customer group is checked before it is filed (the rules
//! themselves are values: `domain::spam`). A message caught is deleted
//! from the group and kept in the quarantine with its reasons; its sender
//! is told why in their language; staff approve it (posted back, limits
//! lifted) or ban its author from the organisation's groups. Nothing a
//! customer writes is silently lost.
//!
//! - [`door`]: who comes in: newcomers recorded, the captcha set, raids
//!   counted, service messages removed.
//! - [`captcha`]: the captcha at a group's door.
//! - [`raid`]: many joins at once.
//! - [`official`]: the pinned list of staff accounts.
//! - [`quarantine`]: holding and banning (approving is
//!   `groups::held`, above group intake).
//! - [`moderation`]: what a moderation call's outcome does.
//! - [`figures`]: spam share and false positives.

pub mod captcha;
pub mod door;
pub mod figures;
pub mod moderation;
pub mod official;
pub mod quarantine;
pub mod raid;

pub use crate::domain::spam::{CaptchaMode, Newcomer, Safety};

/// Whether the rules apply in a group: on, and the group bound to an
/// organisation (the staff chat and groups nobody bound yet are only
/// watched).
pub fn applies(
    ctx: &crate::store::WriteCtx<'_>,
    safety: &Safety,
    chat_id: i64,
) -> Result<bool, crate::store::StoreError> {
    Ok(safety.enabled
        && crate::store::groups::group(ctx, chat_id)?.is_some_and(|g| g.organisation.is_some()))
}
