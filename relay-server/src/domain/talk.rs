//! Who the bot is talking to, and where: the desk, the customer, their
//! chat and language travel together through every step of a private
//! chat, as one value.

use shared::Customer;

use crate::domain::DomainError;
use crate::domain::buttons::Keyboard;
use crate::domain::desk::Desk;
use crate::domain::i18n::Lang;
use crate::domain::outbox;
use crate::store::WriteCtx;

pub struct Talk<'a> {
    pub desk: &'a Desk,
    pub customer: &'a Customer,
    pub chat: i64,
    pub lang: Lang,
}

impl<'a> Talk<'a> {
    pub fn new(desk: &'a Desk, customer: &'a Customer, chat: i64) -> Talk<'a> {
        Talk {
            desk,
            customer,
            chat,
            lang: Lang::of(customer),
        }
    }

    /// Talking about a ticket: its customer's private chat.
    pub fn about(desk: &'a Desk, customer: &'a Customer) -> Talk<'a> {
        Talk::new(desk, customer, customer.telegram_user_id)
    }

    /// A text in the customer's language.
    pub fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.desk.bot.t(self.lang, key, args)
    }

    /// Sends a text (with buttons) to the chat.
    pub fn send(
        &self,
        ctx: &mut WriteCtx<'_>,
        text: &str,
        buttons: Option<&Keyboard>,
    ) -> Result<(), DomainError> {
        outbox::to_chat(ctx, self.chat, text, buttons)
    }

    /// Says the text `key` (in the customer's language) in the chat.
    pub fn say(
        &self,
        ctx: &mut WriteCtx<'_>,
        key: &str,
        args: &[(&str, &str)],
    ) -> Result<(), DomainError> {
        self.send(ctx, &self.t(key, args), None)
    }
}
