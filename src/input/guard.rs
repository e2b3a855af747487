//! Mapped files that shrink while they are read.
//!
//! Logs are truncated (`logrotate copytruncate`, `> app.log`) while people search them. A read
//! of a mapped page past a file's new end raises SIGBUS, which kills the process. Every map of
//! a plain file is registered here; a SIGBUS inside a registered map is answered by mapping
//! zero pages over the map from the faulting page to its end and noting where the loss
//! starts, and the read carries on. The search then reports the file as truncated, keeping
//! the lines before that byte (the zeros read as a NUL run, which the scan already skips).
//!
//! Measured against reading every file with `read()` (which cannot fault): on 1.1 GB the
//! guarded map kept the speed of a plain map, where `read()` cost more (see
//! docs/architecture.md, "Decisions and their measurements").

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Once;

/// How many maps can be guarded at once. A search maps every plain file of its input up front,
/// so this is the number of files of at least 256 KiB one run can search by map; past it, a
/// file is read into memory instead.
const SLOTS: usize = 4096;

/// A registered map. `start` is 0 when the slot is free and 1 while it is being filled.
struct Slot {
    start: AtomicUsize,
    len: AtomicUsize,
    /// Offset of the first byte replaced by zeros; `usize::MAX` while nothing was lost.
    lost: AtomicUsize,
}

static TABLE: [Slot; SLOTS] = [const {
    Slot {
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        lost: AtomicUsize::new(usize::MAX),
    }
}; SLOTS];

/// The system's page size, set before the handler is installed.
static PAGE: AtomicUsize = AtomicUsize::new(4096);
/// Whether the handler is in place (registering without it would guard nothing).
static INSTALLED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();
/// The SIGBUS action before ours (Rust's stack-overflow check, or the default), restored for
/// faults outside any registered map so they end the process as they would have.
static mut PREVIOUS: std::mem::MaybeUninit<libc::sigaction> = std::mem::MaybeUninit::uninit();

/// A registered map; unregisters on drop (drop it before the map is unmapped).
#[derive(Debug)]
pub struct Guard {
    slot: usize,
}

impl Guard {
    /// Registers the map at `ptr` of `len` bytes; `None` when the table is full or the handler
    /// could not be installed (the caller then reads the file instead of mapping it).
    pub fn register(ptr: *const u8, len: usize) -> Option<Guard> {
        install();
        if !INSTALLED.load(Ordering::Acquire) || len == 0 {
            return None;
        }
        for (i, slot) in TABLE.iter().enumerate() {
            if slot
                .start
                .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                slot.len.store(len, Ordering::Release);
                slot.lost.store(usize::MAX, Ordering::Release);
                slot.start.store(ptr as usize, Ordering::Release);
                return Some(Guard { slot: i });
            }
        }
        None
    }

    /// Where the file was found shorter than its map: the offset from which its bytes read as
    /// zeros (a page boundary; every byte before it was read from the file).
    pub fn lost_at(&self) -> Option<usize> {
        let lost = TABLE[self.slot].lost.load(Ordering::Acquire);
        (lost != usize::MAX).then_some(lost)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let slot = &TABLE[self.slot];
        slot.len.store(0, Ordering::Release);
        slot.start.store(0, Ordering::Release);
    }
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: plain libc calls with valid pointers; PREVIOUS is written here, once, before
        // INSTALLED lets any map be registered, and only read afterwards (by the handler).
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE);
            if page > 0 {
                PAGE.store(page as usize, Ordering::Release);
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let previous = std::ptr::addr_of_mut!(PREVIOUS).cast::<libc::sigaction>();
            if libc::sigaction(libc::SIGBUS, &action, previous) == 0 {
                INSTALLED.store(true, Ordering::Release);
            }
        }
    });
}

/// The SIGBUS handler. Async-signal-safe: atomics, `mmap` and `sigaction` (system calls) only.
extern "C" fn on_sigbus(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for a SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Acquire);
    for slot in &TABLE {
        let start = slot.start.load(Ordering::Acquire);
        if start <= 1 {
            continue;
        }
        let len = slot.len.load(Ordering::Acquire);
        if addr < start || addr >= start + len {
            continue;
        }
        let from = (addr & !(page - 1)).max(start);
        // SAFETY: the range lies inside a live, registered read-only map (it is unregistered
        // before it is unmapped). Replacing its pages with zero pages changes what the reader
        // sees from bytes the file no longer has to zeros; no other memory is touched.
        let mapped = unsafe {
            libc::mmap(
                from as *mut libc::c_void,
                start + len - from,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if mapped != libc::MAP_FAILED {
            slot.lost.fetch_min(from - start, Ordering::AcqRel);
            return;
        }
        break;
    }
    // Not a registered map's fault: put the previous action back; the faulting instruction
    // runs again and faults under it, as if this handler had never been installed.
    // SAFETY: PREVIOUS was filled by the sigaction call that installed this handler.
    unsafe {
        let previous = std::ptr::addr_of!(PREVIOUS).cast::<libc::sigaction>();
        libc::sigaction(libc::SIGBUS, previous, std::ptr::null_mut());
    }
}
