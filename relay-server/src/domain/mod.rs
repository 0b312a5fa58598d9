//! The desk's rules: what a command, a customer message or an admin action
//! does to tickets. Every function here runs inside a store write job and
//! appends the events for what it changed; none knows about WebSockets or
//! Telegram.

pub mod access;
pub mod agents;
pub mod assign;
pub mod automation;
pub mod buttons;
pub mod commands;
pub mod config;
pub mod customer_app;
pub mod dashboard;
pub mod desk;
pub mod dialogue;
pub mod escalation;
pub mod experiments;
pub mod group_message;
pub mod groups;
pub mod hours;
pub mod i18n;
pub mod intake;
pub mod kb;
pub mod notify;
pub mod outbox;
pub mod presence;
pub mod privacy;
pub mod queues;
pub mod report;
pub mod retention;
pub mod routing;
pub mod rules;
pub mod safety;
pub mod significance;
pub mod sla;
pub mod spam;
pub mod talk;
#[cfg(test)]
pub mod testkit;
pub mod ticket;
pub mod timers;
pub mod validate;
pub mod wording;

use sha2::{Digest, Sha256};
use shared::ErrorCode;

use crate::store::StoreError;

/// SHA-256 of a text, as 64 hex digits.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A rule said no, or the store failed. Carries the wire error code.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct DomainError {
    pub code: ErrorCode,
    pub message: String,
}

impl DomainError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        DomainError {
            code,
            message: message.into(),
        }
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Invalid, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        tracing::error!("store error: {e}");
        DomainError::new(ErrorCode::Internal, format!("internal error: {e}"))
    }
}

impl From<serde_json::Error> for DomainError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::from(e).into()
    }
}
