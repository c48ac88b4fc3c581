//! placeholder
pub use on_exit_macros::on_exit;
pub use on_exit_runtime::{Reason, Signal};
#[doc(hidden)]
pub mod __private {
    pub use on_exit_runtime::__private::*;
}
