//! The instructions of one function, for `profview annotate --asm`: x86-64, in the AT&T
//! syntax `perf annotate` prints, addressed as the ELF file's own (link-time) addresses.

use std::path::{Path, PathBuf};

use iced_x86::{Decoder, DecoderOptions, FlowControl, Formatter, GasFormatter};
use object::{Architecture, Object, ObjectSection, ObjectSymbol, SymbolKind};

use crate::symtab::file_offset_to_svma;

/// A function that could not be disassembled.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct DisasmError {
    /// The program file.
    pub path: PathBuf,
    /// What went wrong.
    pub problem: String,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    /// Its address in the file's own address space (what perf annotate prints).
    pub address: u64,
    /// The instruction in AT&T syntax.
    pub text: String,
    /// Where a jump goes, when it stays in the function.
    pub jump_target: Option<u64>,
}

/// A function's instructions.
#[derive(Debug, Clone)]
pub struct Disassembly {
    /// The symbol's name, demangled.
    pub function: String,
    /// Its first address.
    pub start: u64,
    /// Its instructions, in address order.
    pub instructions: Vec<Instruction>,
    /// What to add to a file offset in the function to get its address.
    pub offset_to_address: i64,
}

/// The function of `binary` that holds the code at `offset`: a file offset (perf.data), or
/// with `relative` an address relative to the image base (Firefox / samply profiles).
pub fn disassemble(binary: &Path, offset: u64, relative: bool) -> Result<Disassembly, DisasmError> {
    let error = |problem: String| DisasmError {
        path: binary.to_owned(),
        problem,
    };
    let data = crate::map_file(binary).map_err(|e| error(e.to_string()))?;
    let file =
        object::File::parse(&*data).map_err(|e| error(format!("not a program file: {e}")))?;
    if file.architecture() != Architecture::X86_64 {
        return Err(error(format!(
            "{:?} code: only x86-64 is disassembled",
            file.architecture()
        )));
    }
    let svma = if relative {
        offset.checked_add(crate::resolve::image_base(&file))
    } else {
        file_offset_to_svma(&file, offset)
    };
    let svma = svma.ok_or_else(|| error(format!("offset {offset:#x} is in no segment")))?;
    let symbol = file
        .symbols()
        .chain(file.dynamic_symbols())
        .filter(|s| s.kind() == SymbolKind::Text && s.size() > 0)
        .find(|s| (s.address()..s.address() + s.size()).contains(&svma))
        .ok_or_else(|| error(format!("no function symbol at {svma:#x} (stripped?)")))?;
    let section = symbol
        .section_index()
        .and_then(|i| file.section_by_index(i).ok())
        .ok_or_else(|| error("the symbol has no section".to_owned()))?;
    let bytes = section.data().map_err(|e| error(e.to_string()))?;
    let from =
        usize::try_from(symbol.address() - section.address()).map_err(|e| error(e.to_string()))?;
    let to = from.saturating_add(symbol.size() as usize).min(bytes.len());
    let code = bytes
        .get(from..to)
        .ok_or_else(|| error("the symbol is past its section".to_owned()))?;
    let name = crate::demangle(symbol.name().unwrap_or("?"));
    Ok(Disassembly {
        function: name,
        start: symbol.address(),
        instructions: decode(code, symbol.address()),
        offset_to_address: svma as i64 - offset as i64,
    })
}

fn decode(code: &[u8], start: u64) -> Vec<Instruction> {
    let end = start + code.len() as u64;
    let mut decoder = Decoder::with_ip(64, code, start, DecoderOptions::NONE);
    // As objdump and perf annotate write it: lower-case hex, 0x prefixes, no leading zeros.
    let mut formatter = GasFormatter::new();
    let options = formatter.options_mut();
    options.set_uppercase_hex(false);
    options.set_small_hex_numbers_in_decimal(false);
    options.set_branch_leading_zeros(false);
    let mut out = Vec::new();
    let mut text = String::new();
    for instruction in &mut decoder {
        text.clear();
        formatter.format(&instruction, &mut text);
        let jumps = matches!(
            instruction.flow_control(),
            FlowControl::UnconditionalBranch | FlowControl::ConditionalBranch
        );
        let target = instruction.near_branch_target();
        out.push(Instruction {
            address: instruction.ip(),
            text: text.clone(),
            jump_target: (jumps && (start..end).contains(&target)).then_some(target),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_decodes_with_its_jump_back() {
        // 0: xor %eax,%eax; 2: add $1,%eax; 5: cmp $10,%eax; 8: jne 2; a: ret
        let code = [
            0x31, 0xc0, 0x83, 0xc0, 0x01, 0x83, 0xf8, 0x0a, 0x75, 0xf8, 0xc3,
        ];
        let out = decode(&code, 0x1000);
        let texts: Vec<&str> = out.iter().map(|i| i.text.as_str()).collect();
        assert_eq!(texts[0], "xor %eax,%eax");
        assert_eq!(out[3].jump_target, Some(0x1002));
        assert_eq!(out.last().unwrap().address, 0x100a);
    }
}
