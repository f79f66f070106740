//! Loading a PEM private key must not leave unwiped copies of its encoding in freed memory
//! (issue 13, low finding). A growing buffer that reallocates frees its old copy unwiped, so
//! this test binary counts the reallocations the load makes, with a counting allocator of its
//! own: a process-wide allocator is why this is a separate test file of one test.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use mikey::crypto::rsa::RsaPrivateKey;

/// Counts `realloc` calls on threads that asked for it.
struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static REALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counting touches
// only const-initialised thread-locals, which do not allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            REALLOCATIONS.with(|count| count.set(count.get() + 1));
        }
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn reallocations_while(load: impl FnOnce()) -> usize {
    REALLOCATIONS.with(|count| count.set(0));
    COUNTING.with(|counting| counting.set(true));
    load();
    COUNTING.with(|counting| counting.set(false));
    REALLOCATIONS.with(Cell::get)
}

#[test]
fn loading_a_pem_private_key_reallocates_nothing() {
    for file in ["alice.key.pem", "alice.key.pkcs1.pem"] {
        let pem = std::fs::read(format!("{}/tests/pki/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        let reallocations = reallocations_while(|| drop(RsaPrivateKey::from_pem_or_der(&pem).unwrap()));
        assert_eq!(reallocations, 0, "{file}");
    }
}
