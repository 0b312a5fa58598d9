//! Customer groups (docs/groups.md): organisations and their Telegram
//! groups, who is staff, the conversations inside a group, and who owes a
//! reply. The bot watches; it opens no ticket per message.

pub mod alerts;
pub mod held;
pub mod intake;
pub mod membership;
pub mod orgs;
pub mod pleasantry;
pub mod publish;
pub mod staff_commands;
pub mod threads;
pub mod tickets;
pub mod workstation;
