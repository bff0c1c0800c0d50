using System.Runtime.CompilerServices;
using Vm.Engine.Cpu;
using Vm.Engine.Jit.Il;

namespace Vm.Engine.Jit;

/// <summary>Creates the backend for a <see cref="JitMode"/> (one line per backend).</summary>
public static class JitBackends
{
    /// <summary>The mode a machine gets when its configuration does not say: IL where the runtime compiles dynamic code.</summary>
    public static JitMode Default => RuntimeFeature.IsDynamicCodeCompiled ? JitMode.Il : JitMode.Off;

    public static IJitBackend? Create(JitMode mode, X86Cpu cpu) => mode switch
    {
        JitMode.Off => null,
        JitMode.Il => RuntimeFeature.IsDynamicCodeCompiled
            ? new IlBackend(cpu)
            : throw new PlatformNotSupportedException("the IL backend needs a runtime that compiles dynamic code (CoreCLR)"),
        _ => throw new PlatformNotSupportedException($"JIT backend {mode} is not available in this build"),
    };
}
