using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AsyncRequests.Tests.Infrastructure;

/// <summary>Everything a service logs at Information or above, for tests that check what an operator would read.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyCollection<Entry> Entries => _entries;

    /// <summary>Adds this provider to a service's logging, below the test defaults' Warning level.</summary>
    public void AddTo(IServiceCollection services)
    {
        services.AddSingleton<ILoggerProvider>(this);
        services.Configure<LoggerFilterOptions>(options => options.AddFilter<CapturedLogs>(null, LogLevel.Information));
    }

    public IEnumerable<Entry> Errors => _entries.Where(e => e.Level >= LogLevel.Error);

    /// <summary>Waits until an entry matching <paramref name="condition"/> was logged.</summary>
    public Task WaitForAsync(Func<Entry, bool> condition, TimeSpan? timeout = null) =>
        WaitUntilAsync(entries => entries.Any(condition), timeout);

    /// <summary>Waits until the entries logged so far satisfy <paramref name="condition"/>.</summary>
    public Task WaitUntilAsync(Func<IReadOnlyCollection<Entry>, bool> condition, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(
            () => condition([.. _entries]),
            () => $"The expected log entries never came; logged:\n{string.Join('\n', _entries)}",
            timeout);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public sealed record Entry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception)
    {
        public override string ToString() => $"{Level} {Category}[{EventId.Id}]: {Message}{(Exception is null ? string.Empty : $"\n{Exception}")}";
    }

    private sealed class Logger(CapturedLogs logs, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            logs._entries.Enqueue(new Entry(category, logLevel, eventId, formatter(state, exception), exception));
    }
}
