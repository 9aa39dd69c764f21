//! Which fields a record leaves out when they hold nothing.
//!
//! JSON (version 2) and the named MessagePack of version 3 leave an empty optional field out:
//! each value names its fields, so a reader misses nothing. The packed versions (4 and 5) write
//! a struct as an array, its fields by position; a field left out there would shift every field
//! after it into the wrong place. So a struct that can be written as an array marks its
//! optional fields `skip_serializing_if = "absent"`, which leaves them out only while no array
//! is being written ([`every_field`]). Every record written today can be; only the
//! conversation as version 4 wrote it, read and never written, was always a map.

use std::borrow::Cow;
use std::cell::Cell;

thread_local! {
    /// Set while a packed record is being written on this thread.
    static EVERY_FIELD: Cell<bool> = const { Cell::new(false) };
}

/// What holds nothing, for a field that may be left out.
pub trait Empty {
    fn empty(&self) -> bool;
}

impl<T> Empty for Option<T> {
    fn empty(&self) -> bool {
        self.is_none()
    }
}

impl<T> Empty for Vec<T> {
    fn empty(&self) -> bool {
        self.is_empty()
    }
}

impl Empty for Cow<'_, str> {
    fn empty(&self) -> bool {
        self.is_empty()
    }
}

impl Empty for u32 {
    fn empty(&self) -> bool {
        *self == 0
    }
}

impl Empty for u64 {
    fn empty(&self) -> bool {
        *self == 0
    }
}

/// The `skip_serializing_if` of a field in a struct that may be written as an array: left out
/// when empty, except while a packed record is written.
pub fn absent<T: Empty>(value: &T) -> bool {
    value.empty() && !EVERY_FIELD.with(Cell::get)
}

/// Runs `write` with every field written, empty or not (restored after, even on a panic).
pub fn every_field<R>(write: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            EVERY_FIELD.with(|f| f.set(self.0));
        }
    }
    let _restore = Restore(EVERY_FIELD.with(|f| f.replace(true)));
    write()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_are_left_out_only_outside_every_field() {
        assert!(absent(&None::<u8>));
        assert!(!absent(&Some(1)));
        every_field(|| {
            assert!(!absent(&None::<u8>));
            assert!(!absent(&Vec::<u8>::new()));
            assert!(!absent(&0u32));
        });
        assert!(absent(&Vec::<u8>::new()), "restored after");
        assert!(absent(&Cow::Borrowed("")));
    }
}
