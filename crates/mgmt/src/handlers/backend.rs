//! Backends need no rules beyond their own fields (checked in the contract).

use crate::resource::Resource;
use tollgate_contract::entity::backend::Backend;

impl Resource for Backend {}
