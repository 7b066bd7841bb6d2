//! The AWS shared config and credentials files: where they are ([`location`]), what they say
//! ([`parser`]: [`ProfileSet`], [`Profile`]) and how a profile's credentials are obtained
//! ([`chain`]: [`ProfileRoleChain`], a base step then roles to assume).

pub mod chain;
pub mod location;
pub mod parser;
pub mod reload;

pub use chain::{AssumeRoleStep, BaseStep, NamedSource, ProfileRoleChain};
pub use location::{FileLocations, Platform};
pub(crate) use parser::Section;
pub use parser::{Profile, ProfileSet};
pub use reload::{ReloadingProfileSource, PROFILE_RECHECK_INTERVAL};
