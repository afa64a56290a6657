using Microsoft.Extensions.Options;

namespace AsyncRequests.Api.Webhooks;

/// <summary>What DataAnnotations cannot say about <see cref="WebhookOptions"/>: the secrets' format and the allowed hosts.</summary>
public sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var failures = new List<string>();
        for (var index = 0; index < options.SigningSecrets.Length; index++)
        {
            // The secret itself stays out of the message: it would end up in logs.
            if (WebhookSigner.DecodeSecret(options.SigningSecrets[index]) is null)
            {
                failures.Add($"{WebhookOptions.SectionName}:{nameof(WebhookOptions.SigningSecrets)}:{index} must be \"{WebhookSigner.SecretPrefix}\" followed by the base64 of {WebhookSigner.MinimumKeyBytes} to {WebhookSigner.MaximumKeyBytes} random bytes.");
            }
        }

        for (var index = 0; index < options.AllowedHosts.Length; index++)
        {
            var host = options.AllowedHosts[index];
            if (Uri.CheckHostName(host.Trim('[', ']')) == UriHostNameType.Unknown)
            {
                failures.Add($"{WebhookOptions.SectionName}:{nameof(WebhookOptions.AllowedHosts)}:{index} (\"{host}\") must be a host name or an IP address, without scheme, port or path.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
