using System.Text;

namespace Vm.Engine.Jit.Wasm;

/// <summary>
/// Builds a WebAssembly module in the binary format (spec §5.5): function types, imports (the
/// host's memory, a function table, host functions), functions with their code, and exports.
/// Imported functions come first in the function index space, so import them before adding code.
/// </summary>
public sealed class WasmModuleBuilder
{
    private readonly List<(WasmType[] Params, WasmType[] Results)> _types = new();
    private readonly List<(string Module, string Name, byte Kind, Action<List<byte>> Desc)> _imports = new();
    private readonly List<(int Type, WasmCode Code)> _functions = new();
    private readonly List<(string Name, int Function)> _exports = new();
    private int _importedFunctions;

    public int FunctionType(WasmType[] parameters, WasmType[] results)
    {
        for (int i = 0; i < _types.Count; i++)
        {
            if (_types[i].Params.AsSpan().SequenceEqual(parameters) && _types[i].Results.AsSpan().SequenceEqual(results)) return i;
        }
        _types.Add((parameters, results));
        return _types.Count - 1;
    }

    /// <summary>Imports a linear memory of at least <paramref name="minPages"/> 64 KiB pages.</summary>
    public void ImportMemory(string module, string name, uint minPages)
    {
        _imports.Add((module, name, 0x02, o =>
        {
            o.Add(0x00); // limits: min only
            Leb128.WriteUnsigned(o, minPages);
        }));
    }

    /// <summary>Imports a funcref table (for call_indirect into the host's function table).</summary>
    public void ImportTable(string module, string name, uint minSize)
    {
        _imports.Add((module, name, 0x01, o =>
        {
            o.Add(0x70); // funcref
            o.Add(0x00);
            Leb128.WriteUnsigned(o, minSize);
        }));
    }

    /// <summary>Imports a host function; returns its function index.</summary>
    public int ImportFunction(string module, string name, int type)
    {
        if (_functions.Count > 0) throw new InvalidOperationException("Import functions before adding code: imports come first in the function index space.");
        _imports.Add((module, name, 0x00, o => Leb128.WriteUnsigned(o, (ulong)type)));
        return _importedFunctions++;
    }

    /// <summary>Adds a function; returns its index (after the imported functions).</summary>
    public int AddFunction(int type, WasmCode code)
    {
        _functions.Add((type, code));
        return _importedFunctions + _functions.Count - 1;
    }

    public int ParamCount(int type) => _types[type].Params.Length;

    public void Export(string name, int function) => _exports.Add((name, function));

    public byte[] Build()
    {
        var o = new List<byte>(1024) { 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00 };
        Section(o, 1, s =>
        {
            Leb128.WriteUnsigned(s, (ulong)_types.Count);
            foreach (var (p, r) in _types)
            {
                s.Add(0x60);
                Leb128.WriteUnsigned(s, (ulong)p.Length);
                foreach (var t in p) s.Add((byte)t);
                Leb128.WriteUnsigned(s, (ulong)r.Length);
                foreach (var t in r) s.Add((byte)t);
            }
        });
        if (_imports.Count > 0)
        {
            Section(o, 2, s =>
            {
                Leb128.WriteUnsigned(s, (ulong)_imports.Count);
                foreach (var (module, name, kind, desc) in _imports)
                {
                    Name(s, module);
                    Name(s, name);
                    s.Add(kind);
                    desc(s);
                }
            });
        }
        Section(o, 3, s =>
        {
            Leb128.WriteUnsigned(s, (ulong)_functions.Count);
            foreach (var (type, _) in _functions) Leb128.WriteUnsigned(s, (ulong)type);
        });
        Section(o, 7, s =>
        {
            Leb128.WriteUnsigned(s, (ulong)_exports.Count);
            foreach (var (name, fn) in _exports)
            {
                Name(s, name);
                s.Add(0x00);
                Leb128.WriteUnsigned(s, (ulong)fn);
            }
        });
        Section(o, 10, s =>
        {
            Leb128.WriteUnsigned(s, (ulong)_functions.Count);
            foreach (var (_, code) in _functions) code.WriteTo(s);
        });
        return o.ToArray();
    }

    private static void Section(List<byte> o, byte id, Action<List<byte>> write)
    {
        var s = new List<byte>();
        write(s);
        o.Add(id);
        Leb128.WriteUnsigned(o, (ulong)s.Count);
        o.AddRange(s);
    }

    private static void Name(List<byte> o, string name)
    {
        byte[] b = Encoding.UTF8.GetBytes(name);
        Leb128.WriteUnsigned(o, (ulong)b.Length);
        o.AddRange(b);
    }
}
