using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SalesAuto.Core;

/// <summary>
/// How both hosts stop on a bad setting: one line on standard error naming the setting and the
/// rule it breaks, exit code <see cref="ExitCode"/>, no stack trace (a stack trace says "bug" to
/// an operator, and a bad setting is not one). Anything else still fails as it always did.
/// </summary>
/// <example>
/// <code>
/// return await SettingsFailure.RunAsync(async () =>
/// {
///     using var host = builder.Build();
///     SettingsFailure.ValidateNow(host.Services);
///     await host.RunAsync();
/// });
/// </code>
/// </example>
public static partial class SettingsFailure
{
    /// <summary>The exit code of a bad setting: <c>EX_CONFIG</c> of sysexits(3), "configuration error".</summary>
    public const int ExitCode = 78;

    /// <summary>
    /// Runs <paramref name="run"/> (build, validate, start, run the host); returns 0 when it returns,
    /// or writes one line to <paramref name="error"/> (default: standard error) and returns
    /// <see cref="ExitCode"/> when it fails on a bad setting. Other exceptions propagate.
    /// </summary>
    public static async Task<int> RunAsync(Func<Task> run, TextWriter? error = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        try
        {
            await run().ConfigureAwait(false);
            return 0;
        }
        catch (Exception exception) when (Describe(exception) is { } line)
        {
            var writer = error ?? System.Console.Error;
            await writer.WriteLineAsync(line).ConfigureAwait(false);
            await writer.FlushAsync().ConfigureAwait(false);
            return ExitCode;
        }
    }

    /// <summary>
    /// Validates every setting registered with <c>ValidateOnStart</c> now, before the host starts:
    /// the host would otherwise log the failure, stack trace included, before rethrowing it.
    /// </summary>
    public static void ValidateNow(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.GetService<IStartupValidator>()?.Validate();
    }

    /// <summary>
    /// The one line that names the bad settings and their rules, when <paramref name="exception"/> is
    /// a settings failure (options validation, or a value the configuration binder could not convert);
    /// null for anything else.
    /// </summary>
    public static string? Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var problems = new List<string>();
        if (!Collect(exception, problems) || problems.Count == 0)
        {
            return null;
        }

        var line = "SalesAuto did not start, a setting is invalid: " + string.Join("; ", problems.Distinct(StringComparer.Ordinal));
        return OneLine(line);
    }

    // True when every failure inside the exception is a settings failure, adding their sentences.
    private static bool Collect(Exception exception, List<string> problems)
    {
        switch (exception)
        {
            case OptionsValidationException validation:
                problems.AddRange(validation.Failures.Select(Unwrap));
                return true;
            case AggregateException aggregate:
                return aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(inner => Collect(inner, problems));
            case InvalidOperationException conversion when ConversionFailure().Match(conversion.Message) is { Success: true } match:
                // The binder's message quotes the value, which may be a secret: name the setting and the type only.
                problems.Add($"{match.Groups["path"].Value} must be a valid {FriendlyType(match.Groups["type"].Value)}; the configured value could not be converted.");
                return true;
            default:
                return exception.InnerException is { } inner && Collect(inner, problems);
        }
    }

    // DataAnnotations wraps each message: "DataAnnotation validation failed for 'RetryQueueOptions'
    // members: 'BatchSize' with the error: 'RetryQueue:BatchSize must be between 1 and 1000.'." The
    // message inside already names the setting and the rule.
    private static string Unwrap(string failure)
    {
        var match = DataAnnotationFailure().Match(failure);
        return match.Success ? match.Groups["message"].Value : failure;
    }

    private static string FriendlyType(string typeName) => typeName switch
    {
        "System.Int32" or "System.Int64" => "whole number",
        "System.TimeSpan" => "TimeSpan such as 00:00:05",
        "System.Boolean" => "true or false",
        _ => typeName[(typeName.LastIndexOf('.') + 1)..],
    };

    private static string OneLine(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            builder.Append(char.IsControl(c) ? ' ' : c);
        }

        return builder.ToString();
    }

    [GeneratedRegex(@"^DataAnnotation validation failed for '[^']*' members: '[^']*' with the error: '(?<message>.*)'\.$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();

    [GeneratedRegex(@"^Failed to convert configuration value (?:'.*' )?at '(?<path>[^']+)' to type '(?<type>[^']+)'\.", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();
}
