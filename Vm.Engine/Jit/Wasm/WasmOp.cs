namespace Vm.Engine.Jit.Wasm;

/// <summary>The WebAssembly 1.0 opcodes the lowering uses (spec §5.4, binary format).</summary>
public enum WasmOp : byte
{
    Unreachable = 0x00, Nop = 0x01, Block = 0x02, Loop = 0x03, If = 0x04, Else = 0x05, End = 0x0B,
    Br = 0x0C, BrIf = 0x0D, BrTable = 0x0E, Return = 0x0F, Call = 0x10, CallIndirect = 0x11,
    Drop = 0x1A, Select = 0x1B,
    LocalGet = 0x20, LocalSet = 0x21, LocalTee = 0x22, GlobalGet = 0x23, GlobalSet = 0x24,
    I32Load = 0x28, I64Load = 0x29, I32Load8S = 0x2C, I32Load8U = 0x2D, I32Load16S = 0x2E, I32Load16U = 0x2F,
    I32Store = 0x36, I64Store = 0x37, I32Store8 = 0x3A, I32Store16 = 0x3B,
    I32Const = 0x41, I64Const = 0x42,
    I32Eqz = 0x45, I32Eq = 0x46, I32Ne = 0x47, I32LtS = 0x48, I32LtU = 0x49, I32GtS = 0x4A, I32GtU = 0x4B,
    I32LeS = 0x4C, I32LeU = 0x4D, I32GeS = 0x4E, I32GeU = 0x4F,
    I64Eqz = 0x50, I64Eq = 0x51, I64Ne = 0x52,
    I32Clz = 0x67, I32Ctz = 0x68, I32Popcnt = 0x69, I32Add = 0x6A, I32Sub = 0x6B, I32Mul = 0x6C,
    I32DivS = 0x6D, I32DivU = 0x6E, I32RemS = 0x6F, I32RemU = 0x70, I32And = 0x71, I32Or = 0x72,
    I32Xor = 0x73, I32Shl = 0x74, I32ShrS = 0x75, I32ShrU = 0x76, I32Rotl = 0x77, I32Rotr = 0x78,
    I64Add = 0x7C, I64Sub = 0x7D, I64Mul = 0x7E, I64DivU = 0x80, I64RemU = 0x82, I64And = 0x83, I64Or = 0x84, I64Xor = 0x85,
    I64Shl = 0x86, I64ShrS = 0x87, I64ShrU = 0x88,
    I32WrapI64 = 0xA7, I64ExtendI32S = 0xAC, I64ExtendI32U = 0xAD,
}

/// <summary>Value types (spec §5.3.1).</summary>
public enum WasmType : byte
{
    I32 = 0x7F,
    I64 = 0x7E,
    /// <summary>The empty block type.</summary>
    Void = 0x40,
}
