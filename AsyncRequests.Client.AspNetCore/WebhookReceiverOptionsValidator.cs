using Microsoft.Extensions.Options;

namespace AsyncRequests.Client.AspNetCore;

/// <summary>
/// Fails the start of an application whose receiver could never verify a delivery, or would misbehave. Written out
/// rather than with DataAnnotations, whose reflection would cost the package its trimming and AOT compatibility.
/// </summary>
internal sealed class WebhookReceiverOptionsValidator : IValidateOptions<WebhookReceiverOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookReceiverOptions options)
    {
        var failures = new List<string>();
        if (options.SigningSecrets.Count == 0)
        {
            failures.Add($"{nameof(WebhookReceiverOptions.SigningSecrets)} needs at least one secret, the one the AsyncRequests Api signs with.");
        }

        for (var index = 0; index < options.SigningSecrets.Count; index++)
        {
            // The secret itself stays out of the message: it would end up in logs.
            if (WebhookSecret.Decode(options.SigningSecrets[index]) is null)
            {
                failures.Add($"{nameof(WebhookReceiverOptions.SigningSecrets)}[{index}] must be \"{WebhookSecret.Prefix}\" followed by the base64 of {WebhookSecret.MinimumKeyBytes} to {WebhookSecret.MaximumKeyBytes} bytes.");
            }
        }

        InRange(failures, nameof(WebhookReceiverOptions.TimestampToleranceSeconds), options.TimestampToleranceSeconds, 1, 3_600);
        InRange(failures, nameof(WebhookReceiverOptions.DeduplicationWindowMinutes), options.DeduplicationWindowMinutes, 1, 525_600);
        InRange(failures, nameof(WebhookReceiverOptions.MaxRememberedIds), options.MaxRememberedIds, 1, 100_000_000);
        InRange(failures, nameof(WebhookReceiverOptions.MaxBodyBytes), options.MaxBodyBytes, 1_024, 104_857_600);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void InRange(List<string> failures, string name, int value, int minimum, int maximum)
    {
        if (value < minimum || value > maximum)
        {
            failures.Add($"{name} must be between {minimum} and {maximum}; it is {value}.");
        }
    }
}
