using Platform.Web.Hosting;
using StackExchange.Redis;

namespace Platform.Web.Security;

/// <summary>What the shared counter said about one attempt.</summary>
public enum SharedVerdict
{
    /// <summary>Within the budget every instance shares.</summary>
    Allowed,
    /// <summary>Over the budget, counted over every instance.</summary>
    Refused,
    /// <summary>No shared counter (one instance, or Redis unreachable): the per-process limiter alone decides.</summary>
    Unavailable,
}

/// <summary>
/// Per-minute attempt counters shared by every portal instance through Redis, so that two instances
/// behind the proxy do not give a client twice the budget. A fixed window: one Redis key per limit,
/// caller and minute, incremented atomically and expiring with its minute. The per-process limiters
/// (<see cref="RateLimits"/>, <see cref="Hubs.HubRateLimitFilter"/>) still run first with the same
/// budget; this only adds the other instances' attempts. When Redis is down the counter answers
/// <see cref="SharedVerdict.Unavailable"/> at once (no waiting on a dead server), and the per-process
/// limits hold until it is back.
/// </summary>
public sealed class SharedRateLimitCounter : IAsyncDisposable
{
    // INCR and PEXPIRE in one step: a key never outlives its window, even if this instance dies between them.
    private const string CountScript = """
        local n = redis.call('INCR', KEYS[1])
        if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return n
        """;

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan WarningEvery = TimeSpan.FromMinutes(1);

    private readonly Lazy<Task<ConnectionMultiplexer>>? _redis;
    private readonly TimeProvider _clock;
    private readonly ILogger<SharedRateLimitCounter> _logger;
    private long _lastWarningTicks;

    public SharedRateLimitCounter(IConfiguration configuration, TimeProvider clock, ILogger<SharedRateLimitCounter> logger)
    {
        _clock = clock;
        _logger = logger;
        var redis = PlatformOptions.From(configuration).Redis;
        if (redis.Length == 0)
            return;
        var options = ConfigurationOptions.Parse(redis);
        // A limiter that waits on a dead Redis would turn an outage into slow sign-ins: fail fast and
        // let the per-process limiter decide; the multiplexer reconnects in the background.
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2000);
        options.AsyncTimeout = Math.Min(options.AsyncTimeout, 1000);
        _redis = new Lazy<Task<ConnectionMultiplexer>>(() => ConnectionMultiplexer.ConnectAsync(options));
    }

    /// <summary>Counts one attempt of <paramref name="key"/> (e.g. "sign-in:10.0.0.7") against <paramref name="permitsPerMinute"/>.</summary>
    public async ValueTask<(SharedVerdict Verdict, TimeSpan RetryAfter)> TryAcquireAsync(string key, int permitsPerMinute)
    {
        if (_redis is null)
            return (SharedVerdict.Unavailable, TimeSpan.Zero);
        var now = _clock.GetUtcNow();
        var window = now.ToUnixTimeMilliseconds() / (long)Window.TotalMilliseconds;
        var retryAfter = DateTimeOffset.FromUnixTimeMilliseconds((window + 1) * (long)Window.TotalMilliseconds) - now;
        try
        {
            var redis = await _redis.Value;
            if (!redis.IsConnected)
                return Unavailable(null);
            var count = (long)await redis.GetDatabase().ScriptEvaluateAsync(CountScript,
                [new RedisKey($"webvm:ratelimit:{key}:{window}")], [(long)Window.TotalMilliseconds]);
            return count <= permitsPerMinute ? (SharedVerdict.Allowed, TimeSpan.Zero) : (SharedVerdict.Refused, retryAfter);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return Unavailable(e);
        }
    }

    private (SharedVerdict, TimeSpan) Unavailable(Exception? error)
    {
        // One warning a minute at most: an outage must not flood the log at every request. The
        // configuration string (which may hold Redis's password) is never logged.
        var now = _clock.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastWarningTicks);
        if (now - last >= WarningEvery.Ticks && Interlocked.CompareExchange(ref _lastWarningTicks, now, last) == last)
            _logger.LogWarning("Shared rate limits unavailable ({Reason}); each instance limits on its own until Redis is back", error?.GetType().Name ?? "not connected");
        return (SharedVerdict.Unavailable, TimeSpan.Zero);
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is { IsValueCreated: true })
        {
            try { await (await _redis.Value).DisposeAsync(); } catch (RedisException) { }
        }
    }
}
