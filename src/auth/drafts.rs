//! Keys for what a person has typed and not yet sent. The browser keeps such drafts, so that a
//! lost signal or an expired session never loses them, but a family computer is often shared:
//! each draft is encrypted with a key that only its author's pages carry and kept under a
//! name only their pages use, so nothing one person typed is ever shown to another.

use serde::Serialize;

use crate::auth::tokens::TokenKeys;

/// What a signed-in person's pages carry for their drafts.
#[derive(Debug, Clone, Serialize)]
pub struct DraftKeys {
    /// The prefix of this person's drafts in the browser's storage (says nothing of who).
    pub owner: String,
    /// A 256-bit AES-GCM key (base64url), the same on every visit of this person.
    pub key: String,
}

/// Whose pages they are.
#[derive(Debug, Clone, Copy)]
pub enum Author<'a> {
    Staff(&'a str),
    Relative(&'a str),
}

impl DraftKeys {
    pub fn for_author(keys: &TokenKeys, author: Author) -> DraftKeys {
        let (kind, id) = match author {
            Author::Staff(id) => ("staff", id),
            Author::Relative(id) => ("relative", id),
        };
        let mut owner = keys.mac("draft-owner", &[kind, id]);
        owner.truncate(16);
        DraftKeys {
            owner,
            key: keys.mac("draft-key", &[kind, id]),
        }
    }
}
