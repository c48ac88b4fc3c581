// A `$t:ty` fragment in the return type stays one type: `&'static $t` with `dyn A + B` in it
// is not an ambiguous `+`, in the signature or the body. An `$i:item` fragment is read through too.
fn cleanup() {}

macro_rules! program {
    ($t:ty) => {
        #[on_exit::on_exit(cleanup)]
        fn main() -> Result<(), &'static $t> {
            static FIRST: Option<&'static $t> = None;
            let later: Option<&'static $t> = FIRST;
            let _ = later;
            Ok(())
        }
    };
}

program!(dyn std::fmt::Debug + Sync);

mod item {
    macro_rules! attributed {
        ($i:item) => {
            #[on_exit::on_exit(super::cleanup)]
            $i
        };
    }

    attributed! {
        pub fn main() {}
    }
}
