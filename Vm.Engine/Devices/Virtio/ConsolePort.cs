namespace Vm.Engine.Devices.Virtio;

/// <summary>
/// One port of the virtio console as the host sees it: a byte channel in each direction plus
/// "open" state on both ends. Port 0 is the console (the guest's /dev/hvc0); named ports appear
/// in the guest as /dev/vportNpM with /sys/class/virtio-ports/vportNpM/name.
/// Host calls (<see cref="Send"/>, <see cref="HostOpen"/>) may come from any thread; they are
/// carried out on the machine's thread. <see cref="Received"/> and <see cref="GuestOpenChanged"/>
/// are raised on the machine's thread: a browser host (one thread) and a server host can both wire them.
/// </summary>
public sealed partial class ConsolePort
{
    private readonly Queue<byte[]> _toGuest = new();
    private int _toGuestOffset;
    private volatile bool _hostOpen = true;
    internal bool HostOpenAnnounced;
    /// <summary>The driver has answered PORT_READY for this port.</summary>
    internal bool Ready;
    internal Action? Changed;

    internal ConsolePort(uint id, string? name)
    {
        Id = id;
        Name = name;
    }

    public uint Id { get; }

    /// <summary>The port's name (null for the console port 0).</summary>
    public string? Name { get; }

    public bool IsConsole => Id == 0;

    /// <summary>True while a guest program has the port open (always true for the console once the driver runs).</summary>
    public bool GuestOpen { get; internal set; }

    /// <summary>Whether the host end is connected. A guest write to a port whose host end is closed blocks (Linux's virtio_console).</summary>
    public bool HostOpen
    {
        get => _hostOpen;
        set
        {
            _hostOpen = value;
            Changed?.Invoke();
        }
    }

    /// <summary>Bytes the guest wrote to the port (raised on the machine's thread).</summary>
    public event Action<ReadOnlyMemory<byte>>? Received;

    /// <summary>The guest opened (true) or closed (false) the port.</summary>
    public event Action<bool>? GuestOpenChanged;

    /// <summary>Bytes waiting for the guest to take them.</summary>
    public int PendingToGuest
    {
        get
        {
            lock (_toGuest) return _toGuest.Sum(b => b.Length) - _toGuestOffset;
        }
    }

    /// <summary>Queues bytes for the guest to read from the port (a named port delivers them once a guest program opens it).</summary>
    public void Send(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty) return;
        lock (_toGuest) _toGuest.Enqueue(data.ToArray());
        Changed?.Invoke();
    }

    /// <summary>Moves up to <paramref name="into"/>.Length queued bytes into it.</summary>
    internal int TakeForGuest(Span<byte> into)
    {
        lock (_toGuest)
        {
            int n = 0;
            while (n < into.Length && _toGuest.TryPeek(out var head))
            {
                int take = Math.Min(head.Length - _toGuestOffset, into.Length - n);
                head.AsSpan(_toGuestOffset, take).CopyTo(into[n..]);
                n += take;
                _toGuestOffset += take;
                if (_toGuestOffset == head.Length)
                {
                    _toGuest.Dequeue();
                    _toGuestOffset = 0;
                }
            }
            return n;
        }
    }

    internal void RaiseReceived(byte[] data) => Received?.Invoke(data);

    internal void RaiseGuestOpenChanged(bool open) => GuestOpenChanged?.Invoke(open);
}
