//! A sample's addresses as raw frames, leaf first, decoded in one place for both readers: the
//! callchain (kernel and user parts), the user stack unwound with DWARF, and the sampled IP
//! when there is nothing else.

use linux_perf_data::linux_perf_event_reader::constants::{
    PERF_CONTEXT_KERNEL, PERF_CONTEXT_MAX, PERF_CONTEXT_USER, PERF_REG_X86_BP, PERF_REG_X86_IP,
    PERF_REG_X86_SP,
};
use linux_perf_data::linux_perf_event_reader::{CpuMode, Regs, SampleRecord};

use super::unwind::UnwindEnd;

/// Kernel addresses on x86_64 start here; perf marks them with a context entry too.
pub(super) const KERNEL_START: u64 = 0xffff_8000_0000_0000;
/// A callchain claiming more entries than this is damaged: the kernel caps them at 127 by
/// default (`kernel.perf_event_max_stack`), and never above 65535.
pub(super) const MAX_CALLCHAIN: usize = 65_535;

/// One address of a sample's stack, before it is looked up in the process's mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFrame {
    pub address: u64,
    /// A return address (every frame but the sampled instruction pointer).
    pub is_return: bool,
    pub kernel: bool,
}

/// The IP, SP and BP a DWARF sample's unwinding starts from.
pub(super) type UserRegisters = (u64, u64, u64);

/// What decoding a sample found besides its frames.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Decoded {
    /// The callchain claimed more than [`MAX_CALLCHAIN`] entries and was left out.
    pub damaged_chain: bool,
    /// The user stack was unwound (the sample carries registers and stack), and how that ended
    /// (`None`: the unwinder had nothing for the process).
    pub unwound: Option<Option<UnwindEnd>>,
}

/// Append sample `s`'s frames to `out`, leaf first: its callchain, then the user frames
/// `unwind` finds in the copied user stack (a DWARF sample), then the sampled IP alone when
/// there is nothing else. `unwind` gets the registers and the stack's bytes, and reports each
/// frame's address and whether it is a return address.
pub(super) fn sample_frames(
    s: &SampleRecord<'_>,
    out: &mut Vec<RawFrame>,
    unwind: impl FnOnce(UserRegisters, &[u8], &mut dyn FnMut(u64, bool)) -> Option<UnwindEnd>,
) -> Decoded {
    let mut decoded = Decoded::default();
    let kernel = matches!(s.cpu_mode, CpuMode::Kernel);
    if let Some(chain) = &s.callchain {
        if chain.len() > MAX_CALLCHAIN {
            decoded.damaged_chain = true;
        } else {
            chain_frames(kernel, (0..chain.len()).map_while(|i| chain.get(i)), out);
        }
    }
    if let (Some(regs), Some((stack, dyn_size))) = (&s.user_regs, &s.user_stack) {
        if let Some(regs) = user_registers(regs) {
            let bytes = stack.as_slice();
            let stack = user_stack(&bytes, *dyn_size);
            let end = push_user_frames(out, regs.0, |on_frame| unwind(regs, stack, on_frame));
            decoded.unwound = Some(end);
        }
    }
    ip_when_empty(out, s.ip, kernel);
    decoded
}

/// Append the frames of a callchain the block reader kept as words (see `blocks`) to `out`,
/// then the sampled IP alone when there is nothing else.
pub(super) fn chain_words_frames(
    kernel: bool,
    ip: Option<u64>,
    chain: Option<&[u64]>,
    out: &mut Vec<RawFrame>,
) {
    if let Some(chain) = chain {
        chain_frames(kernel, chain.iter().copied(), out);
    }
    ip_when_empty(out, ip, kernel);
}

/// A sample with no other frame is its sampled IP.
fn ip_when_empty(out: &mut Vec<RawFrame>, ip: Option<u64>, kernel: bool) {
    if let (true, Some(ip)) = (out.is_empty(), ip) {
        out.push(RawFrame {
            address: ip,
            is_return: false,
            kernel: kernel || ip >= KERNEL_START,
        });
    }
}

/// The sampled IP, SP and BP a DWARF sample's unwinding starts from.
fn user_registers(regs: &Regs<'_>) -> Option<UserRegisters> {
    Some((
        regs.get(PERF_REG_X86_IP)?,
        regs.get(PERF_REG_X86_SP)?,
        regs.get(PERF_REG_X86_BP)?,
    ))
}

/// The part of a sample's copied user stack that holds data (perf copies a fixed size and says
/// how much of it is the stack).
fn user_stack(bytes: &[u8], dyn_size: u64) -> &[u8] {
    let len = usize::try_from(dyn_size)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    &bytes[..len]
}

/// Append the user frames `unwind` reports to `out`, or the sampled IP alone when it reports
/// none; `unwind`'s result is passed back.
fn push_user_frames<T>(
    out: &mut Vec<RawFrame>,
    ip: u64,
    unwind: impl FnOnce(&mut dyn FnMut(u64, bool)) -> T,
) -> T {
    let first = out.len();
    let end = unwind(&mut |address, is_return| {
        out.push(RawFrame {
            address,
            is_return,
            kernel: false,
        });
    });
    if out.len() == first {
        out.push(RawFrame {
            address: ip,
            is_return: false,
            kernel: false,
        });
    }
    end
}

/// The frames of a callchain, leaf first: the first address is the sampled IP, and so is the
/// first user address under kernel frames; the others are return addresses. Context markers
/// switch between kernel and user code.
fn chain_frames(mut kernel: bool, chain: impl Iterator<Item = u64>, out: &mut Vec<RawFrame>) {
    for addr in chain {
        if addr >= PERF_CONTEXT_MAX {
            match addr {
                PERF_CONTEXT_KERNEL => kernel = true,
                PERF_CONTEXT_USER => kernel = false,
                _ => {}
            }
            continue;
        }
        let kernel = kernel || addr >= KERNEL_START;
        // The first user frame under kernel frames is where user code was interrupted (a
        // page fault, a timer, the instruction after a syscall), not a return address: it
        // can be a function's first instruction (`_start` in ld.so).
        let interrupted = out
            .last()
            .is_some_and(|prev: &RawFrame| prev.kernel && !kernel);
        out.push(RawFrame {
            address: addr,
            is_return: !out.is_empty() && !interrupted,
            kernel,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_address_under_kernel_frames_is_an_ip() {
        let chain = [
            PERF_CONTEXT_KERNEL,
            0xffff_ffff_8100_0000, // the sampled kernel IP
            0xffff_ffff_8100_0100, // a kernel return address
            PERF_CONTEXT_USER,
            0x1ab70, // where user code was interrupted: ld.so's `_start`
            0x1ab78, // a return address
        ];
        let mut frames = Vec::new();
        chain_frames(false, chain.into_iter(), &mut frames);
        let kinds: Vec<(bool, bool)> = frames.iter().map(|f| (f.kernel, f.is_return)).collect();
        assert_eq!(
            kinds,
            [(true, false), (true, true), (false, false), (false, true)]
        );
        frames.clear();
        chain_frames(false, [0x10, 0x20].into_iter(), &mut frames);
        assert!(!frames[0].is_return && frames[1].is_return);
    }
}
