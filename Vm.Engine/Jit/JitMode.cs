namespace Vm.Engine.Jit;

/// <summary>Which compiler, if any, runs hot guest code (the interpreter runs the rest).</summary>
public enum JitMode
{
    /// <summary>Interpreter only.</summary>
    Off,
    /// <summary>CIL through DynamicMethod (CoreCLR: server, tools, tests).</summary>
    Il,
    /// <summary>WebAssembly modules (the browser).</summary>
    Wasm,
}
