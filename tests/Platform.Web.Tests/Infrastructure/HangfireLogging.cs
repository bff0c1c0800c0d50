using Hangfire.Logging;
using Microsoft.Extensions.Logging;
using HangfireLevel = Hangfire.Logging.LogLevel;
using MicrosoftLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Platform.Web.Tests.Infrastructure;

/// <summary>
/// Hangfire keeps its log provider in a static, set by the last portal that started; a test process
/// runs many portals, and a logger Hangfire creates later for a live portal's job must not land on a
/// portal already disposed (its LoggerFactory throws ObjectDisposedException, and the worker fails
/// instead of running the job). This provider writes to the portal that set it while it lives and
/// drops the message after. One portal per process in production: the app needs nothing of this.
/// </summary>
internal sealed class HangfireLogging(ILoggerFactory factory) : ILogProvider
{
    public ILog GetLogger(string name) => new Logger(factory, name);

    private sealed class Logger(ILoggerFactory factory, string name) : ILog
    {
        private ILogger? _logger;

        public bool Log(HangfireLevel logLevel, Func<string>? messageFunc, Exception? exception = null)
        {
            try
            {
                var logger = _logger ??= factory.CreateLogger(name);
                var level = logLevel switch
                {
                    HangfireLevel.Trace => MicrosoftLevel.Trace,
                    HangfireLevel.Debug => MicrosoftLevel.Debug,
                    HangfireLevel.Info => MicrosoftLevel.Information,
                    HangfireLevel.Warn => MicrosoftLevel.Warning,
                    HangfireLevel.Error => MicrosoftLevel.Error,
                    _ => MicrosoftLevel.Critical,
                };
                if (messageFunc is null)
                    return logger.IsEnabled(level);
                if (logger.IsEnabled(level))
                    logger.Log(level, 0, exception, "{Message}", messageFunc());
                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }
    }
}
